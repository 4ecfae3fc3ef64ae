"""The speech models: their speakers, what OpenAI's voices become on each, and the audio formats
each can produce (reference: workers-ai-media.md §4).

Deepgram Aura (aura-1, aura-2-en, aura-2-es) takes `text`, `speaker`, `encoding` and
`container`, and answers the audio's bytes as they are made. MeloTTS takes `prompt` and `lang`
(its "voices" are its languages) and answers MP3 as base64 JSON. docs/audio.md shows the voice
table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gateway.core.errors import GatewayError

OPENAI_VOICES = (
    "alloy",
    "ash",
    "ballad",
    "coral",
    "echo",
    "fable",
    "onyx",
    "nova",
    "sage",
    "shimmer",
    "verse",
    "marin",
    "cedar",
)

# fmt: off
AURA_2_EN = (
    "luna", "amalthea", "andromeda", "apollo", "arcas", "aries", "asteria", "athena", "atlas",
    "aurora", "callista", "cora", "cordelia", "delia", "draco", "electra", "harmonia", "helena",
    "hera", "hermes", "hyperion", "iris", "janus", "juno", "jupiter", "mars", "minerva",
    "neptune", "odysseus", "ophelia", "orion", "orpheus", "pandora", "phoebe", "pluto",
    "saturn", "thalia", "theia", "vesta", "zeus",
)
AURA_1 = (
    "angus", "asteria", "arcas", "orion", "orpheus", "athena", "luna", "zeus", "perseus",
    "helios", "hera", "stella",
)
AURA_2_ES = (
    "aquila", "sirio", "nestor", "carina", "celeste", "alvaro", "diana", "selena", "estrella",
    "javier",
)
MELOTTS_LANGUAGES = ("en", "es", "fr", "zh", "jp", "kr")

# OpenAI's voice -> the speaker of each model, chosen by the voice's character (its gender and
# register; ballad and fable are British-sounding: Aura 2's British speakers).
#              alloy       ash       ballad     coral       echo      fable      onyx
#              nova        sage      shimmer    verse       marin     cedar
_AURA_2_EN = ("luna",     "arcas",  "draco",   "cora",     "orion",  "pandora", "zeus",
              "asteria",  "athena", "aurora",  "apollo",   "helena", "atlas")
_AURA_1 =    ("asteria",  "arcas",  "helios",  "luna",     "orion",  "helios",  "zeus",
              "stella",   "athena", "hera",    "orpheus",  "luna",   "perseus")
_AURA_2_ES = ("celeste",  "sirio",  "nestor",  "carina",   "alvaro", "diana",   "javier",
              "selena",   "aquila", "estrella", "nestor",  "celeste", "sirio")
# fmt: on


@dataclass(frozen=True)
class Speaker:
    """A speech model: its own voices (the default first), OpenAI's voices mapped onto them,
    and the `response_format`s it can produce."""

    voices: tuple[str, ...]
    openai: dict[str, str]
    formats: tuple[str, ...]
    aura: bool = True


ALL_FORMATS = ("mp3", "opus", "aac", "flac", "wav", "pcm")


def _voices(speakers: tuple[str, ...]) -> dict[str, str]:
    return dict(zip(OPENAI_VOICES, speakers, strict=True))


SPEAKERS: dict[str, Speaker] = {
    "@cf/deepgram/aura-2-en": Speaker(AURA_2_EN, _voices(_AURA_2_EN), ALL_FORMATS),
    "@cf/deepgram/aura-1": Speaker(AURA_1, _voices(_AURA_1), ALL_FORMATS),
    "@cf/deepgram/aura-2-es": Speaker(AURA_2_ES, _voices(_AURA_2_ES), ALL_FORMATS),
    "@cf/myshell-ai/melotts": Speaker(
        MELOTTS_LANGUAGES, dict.fromkeys(OPENAI_VOICES, "en"), ("mp3",), aura=False
    ),
}

# Aura's encoding (and container) for each of OpenAI's formats; pcm is OpenAI's: 16-bit
# little-endian mono at 24 kHz, no header.
ENCODINGS: dict[str, dict[str, Any]] = {
    "mp3": {"encoding": "mp3"},
    "wav": {"encoding": "linear16", "container": "wav"},
    "pcm": {"encoding": "linear16", "container": "none", "sample_rate": 24000},
    "opus": {"encoding": "opus", "container": "ogg"},
    "aac": {"encoding": "aac"},
    "flac": {"encoding": "flac"},
}
MEDIA_TYPES = {
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "pcm": "audio/pcm",
    "opus": "audio/ogg",
    "aac": "audio/aac",
    "flac": "audio/flac",
}


SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "mp3": (b"ID3", b"\xff"),
    "wav": (b"RIFF",),
    "opus": (b"OggS",),
    "aac": (b"\xff", b"ID3", b"ADIF"),
    "flac": (b"fLaC",),
}
"""How each format's bytes begin (MPEG and ADTS frames with their sync byte); pcm has no
header, so anything may begin it."""


def signature(response_format: str) -> Callable[[bytes], bool]:
    """Whether the first bytes of an answer begin audio of `response_format`."""
    starts = SIGNATURES.get(response_format)
    return lambda first: starts is None or first.startswith(starts)


def speaker(model: str) -> Speaker | None:
    return SPEAKERS.get(model)


def voice_for(model: str, voice: str) -> str | None:
    """The model's own speaker for `voice` (an OpenAI voice or one of its own, any case);
    None when it has no such voice. Models not in SPEAKERS take the name as it is."""
    known = speaker(model)
    name = voice.strip().lower()
    if known is None:
        return voice
    if name in known.voices:
        return name
    return known.openai.get(name)


def fitting(chain: list[str], voice: str, response_format: str) -> list[str]:
    """The models of `chain` that have `voice` and can produce `response_format` (a backup that
    cannot is not tried); a 400 when the model asked for cannot, listing what it can."""
    first = chain[0]
    known = speaker(first)
    if known is not None and voice_for(first, voice) is None:
        raise GatewayError(
            400,
            f"Unknown voice `{voice}` for {first}: use one of OpenAI's voices "
            f"({', '.join(OPENAI_VOICES)}) or the model's own ({', '.join(known.voices)}).",
            param="voice",
            code="invalid_value",
        )
    if known is not None and response_format not in known.formats:
        raise GatewayError(
            400,
            f"{first} cannot produce `{response_format}` audio: use "
            f"{', '.join(f'`{f}`' for f in known.formats)}.",
            param="response_format",
            code="invalid_value",
        )
    return [
        model
        for model in chain
        if voice_for(model, voice) is not None
        and response_format in (speaker(model) or Speaker((), {}, ALL_FORMATS)).formats
    ]


def body(model: str, text: str, voice: str, response_format: str) -> dict[str, Any]:
    """What `model` is sent to speak `text`."""
    known = speaker(model)
    name = voice_for(model, voice) or voice
    if known is not None and not known.aura:
        return {"prompt": text, "lang": name}
    return {"text": text, "speaker": name, **ENCODINGS[response_format]}


def is_speech_result(result: Any) -> bool:
    """MeloTTS's JSON answer: `{"audio": base64}`, not empty."""
    return (
        isinstance(result, dict) and isinstance(result.get("audio"), str) and bool(result["audio"])
    )
