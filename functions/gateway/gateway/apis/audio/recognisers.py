"""The speech-recognition models: what each takes, how an upload is sent to it, and its answer
read into one `Transcript` (reference: workers-ai-media.md §3).

- Whisper large-v3-turbo: JSON with the audio in base64, `task` (transcribe or translate),
  `language`, `initial_prompt`; answers text, `transcription_info` (language, duration) and
  segments with their words.
- Whisper and Whisper tiny-en: the raw audio as the body; answer text and words.
- Deepgram Nova-3: the raw audio with its Content-Type, options in the query string
  (`punctuate`, `language`); answers Deepgram's `results.channels[0].alternatives[0]`.

Where a model gives words but no segments, the segments are its words grouped into sentences
(a word ending in `.`, `!` or `?` ends one); where it reports no duration, the duration is the
end of the last word.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Literal

from gateway.core.errors import GatewayError
from gateway.core.multipart import Upload
from gateway.core.upstream import Body, RawBody

# The formats OpenAI takes (flac, mp3, mp4, mpeg, mpga, m4a, ogg, wav, webm), by their first
# bytes: (media type, test).
MEDIA_TYPES = "flac, mp3, mp4, mpeg, mpga, m4a, ogg, wav or webm"


def sniff(data: bytes) -> str | None:
    """The audio media type of an upload, told by its first bytes; None when it is none of
    the formats OpenAI takes."""
    if data.startswith(b"fLaC"):
        return "audio/flac"
    if data.startswith(b"RIFF") and data[8:12] == b"WAVE":
        return "audio/wav"
    if data.startswith(b"OggS"):
        return "audio/ogg"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "audio/webm"
    if data[4:8] == b"ftyp":
        return "audio/mp4"
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "audio/mpeg"  # MPEG audio (mp3, mpga), or AAC in ADTS frames
    return None


def audio_of(upload: Upload) -> str:
    """The upload's media type; a 400 naming `file` when it is empty or not audio."""
    if not upload.data:
        raise GatewayError(400, "The uploaded `file` is empty.", param="file", code="invalid_value")
    media_type = sniff(upload.data)
    if media_type is None:
        name = f" `{upload.filename}`" if upload.filename else ""
        raise GatewayError(
            400,
            f"The uploaded file{name} is not audio the models take: send {MEDIA_TYPES}.",
            param="file",
            code="invalid_value",
        )
    return media_type


Sends = Literal["base64", "raw", "typed"]


@dataclass(frozen=True)
class Recogniser:
    """How a model takes its audio (`base64` JSON, `raw` bytes, or `typed` raw bytes with their
    Content-Type and query options) and what else it takes."""

    sends: Sends
    language: bool = False
    prompt: bool = False
    translates: bool = False
    english_only: bool = False


WHISPER_V3 = "@cf/openai/whisper-large-v3-turbo"
RECOGNISERS: dict[str, Recogniser] = {
    WHISPER_V3: Recogniser("base64", language=True, prompt=True, translates=True),
    "@cf/openai/whisper": Recogniser("raw"),
    "@cf/openai/whisper-tiny-en": Recogniser("raw", english_only=True),
    "@cf/deepgram/nova-3": Recogniser("typed", language=True),
}
"""Models of the task not listed here are sent raw bytes, as Whisper is."""


def recogniser(model: str) -> Recogniser:
    return RECOGNISERS.get(model, Recogniser("raw"))


@dataclass(frozen=True)
class Asked:
    """What a transcription or translation asks of the model."""

    upload: Upload
    media_type: str
    translate: bool = False
    language: str | None = None
    prompt: str | None = None


def cannot(model: str, asked: Asked) -> tuple[str, str] | None:
    """Why `model` cannot honour `asked`: (the field, the reason); None when it can."""
    can = recogniser(model)
    if asked.translate and not can.translates:
        return "model", f"{model} cannot translate: use `whisper-1` ({WHISPER_V3})"
    if asked.prompt and not can.prompt:
        return "prompt", f"{model} takes no prompt: leave `prompt` out, or use {WHISPER_V3}"
    if asked.language and not can.language:
        if can.english_only and asked.language.lower() in {"en", "english"}:
            return None
        return "language", f"{model} takes no language: leave `language` out, or use {WHISPER_V3}"
    return None


def fitting(chain: list[str], asked: Asked) -> list[str]:
    """The models of `chain` that can honour `asked` (a backup that cannot is not tried); a
    400 naming the field when the model asked for cannot."""
    reason = cannot(chain[0], asked)
    if reason is not None:
        param, message = reason
        raise GatewayError(400, message + ".", param=param, code="unsupported_parameter")
    return [model for model in chain if cannot(model, asked) is None]


def body(model: str, asked: Asked) -> Body:
    """What `model` is sent for `asked`."""
    can = recogniser(model)
    if can.sends == "base64":
        json: dict[str, Any] = {
            "audio": base64.b64encode(asked.upload.data).decode(),
            "task": "translate" if asked.translate else "transcribe",
        }
        if asked.language:
            json["language"] = asked.language
        if asked.prompt:
            json["initial_prompt"] = asked.prompt
        return json
    if can.sends == "typed":
        params = {"punctuate": "true"}
        if asked.language:
            params["language"] = asked.language
        return RawBody(asked.upload.data, asked.media_type, params)
    return RawBody(asked.upload.data, "application/octet-stream")


# --- answers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float


@dataclass
class Segment:
    start: float
    end: float
    text: str
    words: list[Word]
    temperature: float = 0.0
    avg_logprob: float = 0.0
    compression_ratio: float = 0.0
    no_speech_prob: float = 0.0


@dataclass
class Transcript:
    """What a model heard: the text, its segments and words with times (seconds), the language
    and duration where the model reports them (`duration` is then from upstream, usable as
    `usage`; else it is the end of the last word)."""

    text: str
    segments: list[Segment] = field(default_factory=list)
    language: str | None = None
    duration: float = 0.0
    reported_duration: bool = False

    @property
    def words(self) -> list[Word]:
        return [word for segment in self.segments for word in segment.words]


def _alternative(result: Any) -> dict[str, Any] | None:
    """Nova-3's first alternative of its first channel."""
    try:
        found = result["results"]["channels"][0]["alternatives"][0]
    except (KeyError, IndexError, TypeError):
        return None
    return found if isinstance(found, dict) else None


def is_transcript(result: Any) -> bool:
    """A speech-recognition answer: Whisper's `{text, ...}` or Nova-3's `results`, with text."""
    if isinstance(result, dict) and isinstance(result.get("text"), str):
        return True
    alternative = _alternative(result)
    return alternative is not None and isinstance(alternative.get("transcript"), str)


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _words(rows: Any, key: str = "word") -> list[Word]:
    words = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict):
            continue
        text = row.get(key) or row.get("word")
        start, end = _number(row.get("start")), _number(row.get("end"))
        if isinstance(text, str) and text.strip() and start is not None and end is not None:
            words.append(Word(text.strip(), start, end))
    return words


def sentences(words: list[Word]) -> list[Segment]:
    """Words grouped into sentences: a word ending in `.`, `!` or `?` ends one."""
    groups: list[list[Word]] = [[]]
    for word in words:
        groups[-1].append(word)
        if word.word.endswith((".", "!", "?")):
            groups.append([])
    return [
        Segment(group[0].start, group[-1].end, " ".join(w.word for w in group), group)
        for group in groups
        if group
    ]


def _whisper_segments(rows: Any) -> list[Segment]:
    segments = []
    for row in rows if isinstance(rows, list) else []:
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            continue
        start, end = _number(row.get("start")), _number(row.get("end"))
        if start is None or end is None:
            continue
        stats = {
            key: value
            for key in ("temperature", "avg_logprob", "compression_ratio", "no_speech_prob")
            if (value := _number(row.get(key))) is not None
        }
        segments.append(Segment(start, end, row["text"].strip(), _words(row.get("words")), **stats))
    return segments


def read(result: dict[str, Any], language: str | None, model: str) -> Transcript:
    """A speech-recognition answer (`is_transcript`) as a Transcript; `language` is the one
    asked for, reported when the model reports none."""
    if isinstance(result.get("text"), str):
        info = result.get("transcription_info")
        info = info if isinstance(info, dict) else {}
        segments = _whisper_segments(result.get("segments")) or sentences(
            _words(result.get("words"))
        )
        reported = _number(info.get("duration"))
        said = info.get("language") if isinstance(info.get("language"), str) else None
        transcript = Transcript(result["text"].strip(), segments, said, reported or 0.0)
        transcript.reported_duration = reported is not None
    else:
        alternative = _alternative(result) or {}
        channel = result["results"]["channels"][0]
        metadata = result.get("metadata")
        reported = _number(metadata.get("duration")) if isinstance(metadata, dict) else None
        detected = channel.get("detected_language") if isinstance(channel, dict) else None
        segments = sentences(_words(alternative.get("words"), "punctuated_word"))
        transcript = Transcript(
            str(alternative.get("transcript", "")).strip(),
            segments,
            detected if isinstance(detected, str) else None,
            reported or 0.0,
            reported is not None,
        )
    if transcript.text and not transcript.segments:
        transcript.segments = [Segment(0.0, transcript.duration, transcript.text, [])]
    if not transcript.reported_duration:
        transcript.duration = max((s.end for s in transcript.segments), default=0.0)
    if transcript.language is None:
        english = recogniser(model).english_only
        transcript.language = language or ("en" if english else "unknown")
    return transcript
