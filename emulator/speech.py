"""Deterministic text-to-speech: Deepgram Aura and MeloTTS (reference: workers-ai-media.md §4).

The sound: every character of the text lasts 60 ms, so the duration grows with the text (0.06 s
a character). A letter or digit is a sine tone, a semitone step above the voice's base pitch for
each of 24 classes of its code point; anything else is silence. The base pitch (110-329 Hz) comes
from the SHA-256 of the voice (Aura's `speaker`, default the model's first; MeloTTS's `lang`).
Equal text and voice give equal audio. Every file carries the text in an ID3 comment, which the
emulator's speech recognition reads back as the transcript (see transcription.py).

The answers:
- Aura (aura-1, aura-2-en, aura-2-es): binary, streamed in several chunks (at least 3, about
  half a second of audio each) a short interval apart, as Deepgram's REST speak streams (the
  catalogue marks Aura `realtime`). `encoding` mp3 (the default: `audio/mpeg`, 24 kHz,
  48 kbit/s, or `bit_rate` 32000) or linear16 (`container` wav, the default: `audio/wav`; or
  none: raw 16-bit little-endian PCM as `application/octet-stream`), at `sample_rate` 8000,
  16000, 24000 (default), 32000 or 48000. The schema's other encodings (flac, mulaw, alaw, opus,
  aac) are refused with 3010 naming the emulator: it does not produce them. An encoding with a
  container Deepgram does not pair it with is refused with 3010.
- MeloTTS: the envelope with `{"audio": base64 MP3}`.
"""

from __future__ import annotations

import array
import base64
import hashlib
import math
from dataclasses import dataclass
from typing import Any

from emulator import audio
from emulator import validation as check

CHAR_SECONDS = 0.06
FADE_SECONDS = 0.005
AMPLITUDE = 0.3 * 32767
DEFAULT_RATE = 24_000
LINEAR16_RATES = (8000, 16000, 24000, 32000, 48000)
MP3_BIT_RATES = (32000, 48000)
CHUNK_SECONDS = 0.5
MIN_CHUNKS = 3

AURA_SPEAKERS: dict[str, list[str]] = {
    "@cf/deepgram/aura-1": [
        "angus",
        "asteria",
        "arcas",
        "orion",
        "orpheus",
        "athena",
        "luna",
        "zeus",
        "perseus",
        "helios",
        "hera",
        "stella",
    ],
    "@cf/deepgram/aura-2-en": [
        "luna",
        "amalthea",
        "andromeda",
        "apollo",
        "arcas",
        "aries",
        "asteria",
        "athena",
        "atlas",
        "aurora",
        "callista",
        "cora",
        "cordelia",
        "delia",
        "draco",
        "electra",
        "harmonia",
        "helena",
        "hera",
        "hermes",
        "hyperion",
        "iris",
        "janus",
        "juno",
        "jupiter",
        "mars",
        "minerva",
        "neptune",
        "odysseus",
        "ophelia",
        "orion",
        "orpheus",
        "pandora",
        "phoebe",
        "pluto",
        "saturn",
        "thalia",
        "theia",
        "vesta",
        "zeus",
    ],
    "@cf/deepgram/aura-2-es": [
        "aquila",
        "sirio",
        "nestor",
        "carina",
        "celeste",
        "alvaro",
        "diana",
        "selena",
        "estrella",
        "javier",
    ],
}
"""Each Aura model's speakers, its default first."""

MELOTTS = "@cf/myshell-ai/melotts"
ENCODINGS = ("linear16", "flac", "mulaw", "alaw", "mp3", "opus", "aac")
CONTAINERS = ("none", "wav", "ogg")
# Deepgram's encoding/container pairs, the default container first.
PAIRS: dict[str, tuple[str, ...]] = {
    "linear16": ("wav", "none"),
    "mulaw": ("wav", "none"),
    "alaw": ("wav", "none"),
    "mp3": ("none",),
    "flac": ("none",),
    "aac": ("none",),
    "opus": ("ogg",),
}


@dataclass(frozen=True)
class Speech:
    """Synthesised audio and how it goes out."""

    data: bytes
    media_type: str
    duration: float
    streamed: bool

    def chunks(self) -> list[bytes]:
        """The pieces a streamed answer is sent in: at least MIN_CHUNKS, each about
        CHUNK_SECONDS of audio."""
        count = max(MIN_CHUNKS, math.ceil(self.duration / CHUNK_SECONDS))
        size = math.ceil(len(self.data) / count)
        return [self.data[start : start + size] for start in range(0, len(self.data), size)]

    def result(self) -> dict[str, str]:
        """The envelope's `result` for MeloTTS."""
        return {"audio": base64.b64encode(self.data).decode()}


def _tone(char: str, base_pitch: float, rate: int) -> array.array[int]:
    samples = round(CHAR_SECONDS * rate)
    block = array.array("h", bytes(2 * samples))
    if not char.isalnum():
        return block
    frequency = base_pitch * 2 ** ((ord(char) % 24) / 12)
    fade = round(FADE_SECONDS * rate)
    for index in range(samples):
        envelope = min(1.0, index / fade, (samples - 1 - index) / fade)
        wave = math.sin(2 * math.pi * frequency * index / rate)
        block[index] = round(AMPLITUDE * envelope * wave)
    return block


def pcm(text: str, voice: str, rate: int) -> bytes:
    """The emulated voice: 16-bit mono PCM at `rate`, 60 ms a character."""
    base_pitch = 110 + int.from_bytes(hashlib.sha256(voice.encode()).digest()[:2]) % 220
    tones: dict[str, array.array[int]] = {}
    out = array.array("h")
    for char in text:
        if char not in tones:
            tones[char] = _tone(char, base_pitch, rate)
        out.extend(tones[char])
    return out.tobytes()


def _aura(model: str, body: dict[str, Any]) -> Speech:
    speakers = AURA_SPEAKERS[model]
    if model != "@cf/deepgram/aura-2-en":  # aura-2-en's schema lists no required field
        check.require(body, "text")
    text = check.string(body, "text")
    speaker = check.choice(body, "speaker", speakers) or speakers[0]
    encoding = check.choice(body, "encoding", ENCODINGS) or "mp3"
    container = check.choice(body, "container", CONTAINERS)
    sample_rate = check.number(body, "sample_rate")
    bit_rate = check.number(body, "bit_rate")
    if not text:
        raise check.model_error("text is required and must not be empty")
    container = container or PAIRS[encoding][0]
    if container not in PAIRS[encoding]:
        raise check.model_error(f"encoding {encoding} cannot go in container {container}")
    if encoding not in ("mp3", "linear16"):
        raise check.model_error(
            f"the emulator does not produce {encoding} audio (it emulates mp3 and linear16)"
        )
    if encoding == "mp3":
        if sample_rate is not None:
            raise check.model_error("sample_rate is not configurable for mp3")
        if bit_rate is not None and bit_rate not in MP3_BIT_RATES:
            raise check.model_error(f"bit_rate for mp3 must be one of {list(MP3_BIT_RATES)}")
        samples = pcm(text, speaker, DEFAULT_RATE)
        data = audio.mp3(samples, DEFAULT_RATE, text, kbits=int(bit_rate or 48000) // 1000)
        return Speech(data, "audio/mpeg", len(text) * CHAR_SECONDS, streamed=True)
    if bit_rate is not None:
        raise check.model_error("bit_rate is not configurable for linear16")
    rate = int(sample_rate or DEFAULT_RATE)
    if rate not in LINEAR16_RATES:
        raise check.model_error(f"sample_rate for linear16 must be one of {list(LINEAR16_RATES)}")
    samples = pcm(text, speaker, rate)
    duration = len(text) * CHAR_SECONDS
    if container == "none":
        return Speech(samples, "application/octet-stream", duration, streamed=True)
    return Speech(audio.wav(samples, rate, text), "audio/wav", duration, streamed=True)


def _melotts(body: dict[str, Any]) -> Speech:
    check.require(body, "prompt")
    text = check.string(body, "prompt", min_length=1) or ""
    lang = check.string(body, "lang") or "en"
    data = audio.mp3(pcm(text, lang, DEFAULT_RATE), DEFAULT_RATE, text)
    return Speech(data, "audio/mpeg", len(text) * CHAR_SECONDS, streamed=False)


def synthesize(model: str, body: dict[str, Any]) -> Speech:
    """Validate a text-to-speech body and speak it. Raises UpstreamError (5006, 3010)."""
    if model == MELOTTS:
        return _melotts(body)
    return _aura(model, body)
