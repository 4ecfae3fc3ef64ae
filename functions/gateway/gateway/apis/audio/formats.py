"""A `Transcript` in each of OpenAI's `response_format`s, and as transcript stream events.

`srt` (SubRip) and `vtt` (WebVTT) have one cue a segment, numbered from 1 in SRT; times are
`HH:MM:SS,mmm` and `HH:MM:SS.mmm`. A transcript with no speech is an SRT file with no cue and
a WebVTT file with only its header.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from gateway.apis.audio.recognisers import Segment, Transcript
from gateway.core.http import ASGIApp, JSONResponse, Response, StreamingResponse
from gateway.core.streaming import sse

TEXT = b"text/plain; charset=utf-8"
VTT = b"text/vtt; charset=utf-8"
SRT = b"application/x-subrip; charset=utf-8"
SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}


def _clock(seconds: float, separator: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02d}:{minutes:02d}:{millis // 1000:02d}{separator}{millis % 1000:03d}"


def _cues(segments: Iterable[Segment]) -> list[tuple[float, float, str]]:
    """(start, end, text) of each segment with text; an end before its start is moved to it."""
    return [(s.start, max(s.start, s.end), s.text) for s in segments if s.text.strip()]


def srt(transcript: Transcript) -> str:
    blocks = [
        f"{number}\n{_clock(start, ',')} --> {_clock(end, ',')}\n{text}\n"
        for number, (start, end, text) in enumerate(_cues(transcript.segments), start=1)
    ]
    return "\n".join(blocks)


def vtt(transcript: Transcript) -> str:
    blocks = [
        f"{_clock(start, '.')} --> {_clock(end, '.')}\n{text.replace('-->', '->')}\n"
        for start, end, text in _cues(transcript.segments)
    ]
    return "WEBVTT\n\n" + "\n".join(blocks)


def _usage(transcript: Transcript) -> dict[str, Any]:
    return {"type": "duration", "seconds": transcript.duration}


def verbose(
    transcript: Transcript, task: str, granularities: Sequence[str] | None
) -> dict[str, Any]:
    """OpenAI's verbose_json: `segments` unless only `word` timestamps were asked for, `words`
    when they were."""
    wanted = set(granularities or ["segment"])
    body: dict[str, Any] = {
        "task": task,
        "language": transcript.language or "unknown",
        "duration": transcript.duration,
        "text": transcript.text,
    }
    if "segment" in wanted:
        body["segments"] = [
            {
                "id": index,
                "seek": 0,
                "start": s.start,
                "end": s.end,
                "text": s.text,
                "tokens": [],
                "temperature": s.temperature,
                "avg_logprob": s.avg_logprob,
                "compression_ratio": s.compression_ratio,
                "no_speech_prob": s.no_speech_prob,
            }
            for index, s in enumerate(transcript.segments)
        ]
    if "word" in wanted:
        body["words"] = [{"word": w.word, "start": w.start, "end": w.end} for w in transcript.words]
    if transcript.reported_duration:
        body["usage"] = _usage(transcript)
    return body


def answer(
    transcript: Transcript,
    response_format: str,
    task: str,
    granularities: Sequence[str] | None,
    headers: dict[str, str],
) -> Response:
    """The whole answer in `response_format`."""
    if response_format == "text":
        return Response(transcript.text.encode() + b"\n", headers=headers, content_type=TEXT)
    if response_format == "srt":
        return Response(srt(transcript).encode(), headers=headers, content_type=SRT)
    if response_format == "vtt":
        return Response(vtt(transcript).encode(), headers=headers, content_type=VTT)
    if response_format == "verbose_json":
        return JSONResponse(verbose(transcript, task, granularities), headers=headers)
    body: dict[str, Any] = {"text": transcript.text}
    if transcript.reported_duration:
        body["usage"] = _usage(transcript)
    return JSONResponse(body, headers=headers)


async def _events(transcript: Transcript) -> AsyncIterator[bytes]:
    pieces = [s.text for s in transcript.segments if s.text]
    for index, text in enumerate(pieces):
        yield sse({"type": "transcript.text.delta", "delta": text if index == 0 else f" {text}"})
    yield sse({"type": "transcript.text.done", "text": " ".join(pieces)})


def stream(transcript: Transcript, headers: dict[str, str]) -> ASGIApp:
    """OpenAI's transcript events: a `transcript.text.delta` a segment, then
    `transcript.text.done` with the whole text."""
    return StreamingResponse(_events(transcript), {**SSE_HEADERS, **headers})
