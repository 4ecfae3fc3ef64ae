"""Deterministic speech recognition: Whisper, Whisper large-v3-turbo and Deepgram Nova-3
(reference: workers-ai-media.md §3).

The transcript of an upload (read by audio.inspect):
1. An ID3 comment in the file (MP3 or WAV; the emulator's own speech carries its text there)
   is the transcript, whitespace collapsed: speech synthesised by the emulator transcribes back
   to its text.
2. Otherwise a silent PCM WAV (every sample within about 1.5% of full scale of zero) has the
   empty transcript, with no words or segments.
3. Otherwise the transcript describes the audio: "Emulated transcript of {seconds, 1 decimal}
   seconds of {rate} hertz {mono|stereo} {format} audio, fingerprint {first 8 hex digits of the
   SHA-256 of the bytes}." followed by "More emulated speech follows." once for every further
   started 5 seconds (so about one sentence for each 5 s of audio).
Bytes that are no recognised audio format are refused: 400 / 3010.

Timing: the words are spread evenly over the audio's duration (read from the file: exact for
WAV, MP3, FLAC, Ogg, MP4; webm's is nominal, see audio.py): word i of n runs from i·d/n to
(i+1)·d/n, rounded to milliseconds, so the last word ends at the duration. Each sentence (ended
by . ! or ?) is one segment of v3-turbo and one cue of the WebVTT.

Per model:
- whisper, whisper-tiny-en: the raw audio as the body (any non-JSON Content-Type), or JSON
  `{"audio": [bytes 0..255]}`; answer `{text, word_count, words, vtt}`.
- whisper-large-v3-turbo: JSON `{"audio": base64, task, language, vad_filter, initial_prompt,
  prefix}`. `task: "translate"` answers English: the transcript prefixed "In English: ". `prefix`
  starts the text. `language` (default "en") is reported in `transcription_info`;
  `initial_prompt` has no effect. `duration_after_vad` is the duration, or 0 for silence when
  `vad_filter` is on.
- nova-3: the raw audio with its Content-Type, options in the query string (or JSON
  `{"audio": {"body": base64, "contentType": ...}, options...}`). Words are lower case without
  punctuation around them; `punctuate` or `smart_format` add `punctuated_word` and punctuate
  the transcript; `diarize` gives every word speaker 0; `detect_language` reports
  `detected_language`; `sentiment` adds neutral sentiments.
"""

import base64
import binascii
import contextlib
import math
import re
import zlib
from dataclasses import dataclass
from typing import Any

from emulator import validation as check
from emulator.audio import NotAudio, Recording, inspect

SENTENCE_SECONDS = 5.0
MORE = "More emulated speech follows."
TRANSLATED = "In English: "
WHISPER_V3 = "@cf/openai/whisper-large-v3-turbo"
NOVA_3 = "@cf/deepgram/nova-3"
CONFIDENCE = 0.99
NOVA_BOOLEANS = [
    "detect_entities",
    "detect_language",
    "diarize",
    "dictation",
    "filler_words",
    "measurements",
    "mip_opt_out",
    "multichannel",
    "numerals",
    "paragraphs",
    "profanity_filter",
    "punctuate",
    "sentiment",
    "smart_format",
    "topics",
    "utterances",
    "interim_results",
    "vad_events",
    "utterance_end_ms",
]
NOVA_CHOICES = {
    "mode": ("general", "medical", "finance"),
    "encoding": ("linear16", "flac", "mulaw", "amr-nb", "amr-wb", "opus", "speex", "g729"),
    "custom_topic_mode": ("extended", "strict"),
    "custom_intent_mode": ("extended", "strict"),
}
NOVA_NUMBERS = ("utt_split", "channels")


@dataclass(frozen=True)
class Word:
    text: str
    start: float
    end: float


def read(data: bytes) -> Recording:
    """The upload as a recording. Raises UpstreamError 3010 for what is not audio."""
    if not data:
        raise check.model_error("failed to decode audio: the audio is empty")
    try:
        return inspect(data)
    except NotAudio as exc:
        raise check.model_error(f"failed to decode audio: {exc}") from exc


def transcript(recording: Recording) -> str:
    """The emulated transcript of a recording (rules in the module docstring)."""
    if recording.comment:
        return " ".join(recording.comment.split())
    if recording.silent:
        return ""
    first = (
        f"Emulated transcript of {recording.duration:.1f} seconds of {recording.describe()} "
        f"audio, fingerprint {recording.fingerprint}."
    )
    more = max(0, math.ceil(recording.duration / SENTENCE_SECONDS) - 1)
    return " ".join([first, *[MORE] * more])


def timed(text: str, duration: float) -> list[Word]:
    """The words of `text`, spread evenly over `duration` seconds."""
    words = text.split()
    step = duration / len(words) if words else 0.0
    return [
        Word(word, round(index * step, 3), round((index + 1) * step, 3))
        for index, word in enumerate(words)
    ]


def sentences(words: list[Word]) -> list[list[Word]]:
    """Words grouped into sentences: each ends with a word ending in . ! or ?."""
    groups: list[list[Word]] = [[]]
    for word in words:
        groups[-1].append(word)
        if word.text.endswith((".", "!", "?")):
            groups.append([])
    return [group for group in groups if group]


def _clock(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02d}:{minutes:02d}:{millis // 1000:02d}.{millis % 1000:03d}"


def vtt(groups: list[list[Word]]) -> str:
    """WebVTT with one cue a sentence."""
    cues = [
        f"{_clock(group[0].start)} --> {_clock(group[-1].end)}\n" + " ".join(w.text for w in group)
        for group in groups
    ]
    return "WEBVTT\n\n" + "".join(cue + "\n\n" for cue in cues)


def _words(words: list[Word]) -> list[dict[str, Any]]:
    return [{"word": w.text, "start": w.start, "end": w.end} for w in words]


def _whisper(body: dict[str, Any], raw: bytes | None) -> dict[str, Any]:
    if raw is None:
        check.require(body, "audio")
        raw = check.byte_array(body, "audio") or b""
    recording = read(raw)
    text = transcript(recording)
    words = timed(text, recording.duration)
    return {
        "text": text,
        "word_count": len(words),
        "words": _words(words),
        "vtt": vtt(sentences(words)),
    }


def _compression_ratio(text: str) -> float:
    data = text.encode()
    return round(len(data) / len(zlib.compress(data)), 3)


def _whisper_v3(body: dict[str, Any]) -> dict[str, Any]:
    check.require(body, "audio")
    encoded = check.string(body, "audio") or ""
    task = check.string(body, "task") or "transcribe"
    language = check.string(body, "language") or "en"
    vad = body.get("vad_filter", False)
    if vad in ("true", "false"):  # an older schema typed it as a string
        vad = vad == "true"
    vad = check.boolean({"vad_filter": vad}, "vad_filter")
    check.string(body, "initial_prompt")
    prefix = check.string(body, "prefix")
    if task not in ("transcribe", "translate"):
        raise check.model_error(f"task must be 'transcribe' or 'translate', got {task!r}")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise check.model_error("audio is not valid base64") from exc
    recording = read(data)
    text = transcript(recording)
    if text and task == "translate":
        text = TRANSLATED + text
    if prefix:
        text = f"{prefix} {text}".strip()
    words = timed(text, recording.duration)
    groups = sentences(words)
    segments = [
        {
            "start": group[0].start,
            "end": group[-1].end,
            "text": " ".join(w.text for w in group),
            "temperature": 0.0,
            "avg_logprob": -0.2,
            "compression_ratio": _compression_ratio(" ".join(w.text for w in group)),
            "no_speech_prob": 0.01,
            "words": _words(group),
        }
        for group in groups
    ]
    voiced = 0.0 if vad and recording.silent else recording.duration
    return {
        "transcription_info": {
            "language": language,
            "language_probability": CONFIDENCE,
            "duration": round(recording.duration, 3),
            "duration_after_vad": round(voiced, 3),
        },
        "text": text,
        "word_count": len(words),
        "segments": segments,
        "vtt": vtt(groups),
    }


def _nova_options(options: dict[str, Any], from_query: bool) -> dict[str, Any]:
    """Check Nova-3's options; query-string values are text, so "true"/"false" are booleans
    and numbers are parsed there."""
    options = dict(options)
    if from_query:
        for key in NOVA_BOOLEANS:
            if options.get(key) in ("true", "false"):
                options[key] = options[key] == "true"
        for key in NOVA_NUMBERS:
            if key in options:
                with contextlib.suppress(ValueError):  # else the schema check names it
                    options[key] = float(options[key])
    for key in NOVA_BOOLEANS:
        check.boolean(options, key)
    for key, allowed in NOVA_CHOICES.items():
        check.choice(options, key, allowed)
    for key in NOVA_NUMBERS:
        check.number(options, key)
    check.string(options, "language")
    return options


def _plain(word: str) -> str:
    """A word as Nova writes it unpunctuated: lower case, no punctuation around it."""
    return re.sub(r"^\W+|\W+$", "", word.lower()) or word.lower()


def _nova(body: dict[str, Any], raw: bytes | None, query: dict[str, str]) -> dict[str, Any]:
    if raw is None:
        check.require(body, "audio")
        upload = body["audio"]
        if not isinstance(upload, dict):
            raise check.mismatch("audio", upload, "object")
        check.require(upload, "body", "contentType")
        try:
            raw = base64.b64decode(upload["body"], validate=True)
        except (binascii.Error, ValueError, TypeError) as exc:
            raise check.model_error("audio.body is not valid base64") from exc
        options = _nova_options({k: v for k, v in body.items() if k != "audio"}, False)
    else:
        options = _nova_options(query, True)
    recording = read(raw)
    words = timed(transcript(recording), recording.duration)
    punctuated = bool(options.get("punctuate") or options.get("smart_format"))
    rows = []
    for word in words:
        row: dict[str, Any] = {
            "word": _plain(word.text),
            "start": word.start,
            "end": word.end,
            "confidence": CONFIDENCE,
        }
        if punctuated:
            row["punctuated_word"] = word.text
        if options.get("diarize"):
            row["speaker"] = 0
        rows.append(row)
    said = [w.text if punctuated else _plain(w.text) for w in words]
    alternative = {
        "transcript": " ".join(said),
        "confidence": CONFIDENCE if words else 0.0,
        "words": rows,
    }
    channel: dict[str, Any] = {"alternatives": [alternative]}
    if options.get("detect_language"):
        channel["detected_language"] = options.get("language") or "en"
    results: dict[str, Any] = {"channels": [channel]}
    if options.get("sentiment"):
        neutral = {"sentiment": "neutral", "sentiment_score": 0.0}
        results["sentiments"] = {
            "segments": [
                {"text": alternative["transcript"], "start_word": 0, "end_word": len(words) - 1}
                | neutral
            ]
            if words
            else [],
            "average": neutral,
        }
    return {"results": results}


def transcribe(
    model: str, body: dict[str, Any], raw: bytes | None, query: dict[str, str]
) -> dict[str, Any]:
    """The envelope's `result` for a speech-recognition model. `raw` is the request body when
    it was sent as audio rather than JSON (then `body` is empty); `query` the query string.
    Raises UpstreamError (5006 schema, 3010 not audio)."""
    if model == WHISPER_V3:
        return _whisper_v3(body)
    if model == NOVA_3:
        return _nova(body, raw, query)
    return _whisper(body, raw)
