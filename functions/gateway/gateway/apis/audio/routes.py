"""POST /v1/audio/transcriptions, /v1/audio/translations and /v1/audio/speech."""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator
from typing import Any

from gateway.apis.audio.formats import SSE_HEADERS
from gateway.apis.audio.formats import answer as formatted
from gateway.apis.audio.formats import stream as transcript_events
from gateway.apis.audio.parameters import SPEECH, TRANSCRIPTIONS, TRANSLATIONS
from gateway.apis.audio.recognisers import Asked, audio_of, is_transcript, read
from gateway.apis.audio.recognisers import body as recognition_body
from gateway.apis.audio.recognisers import fitting as able_recognisers
from gateway.apis.audio.schemas import (
    SpeechEvent,
    SpeechRequest,
    TranscriptEvent,
    TranscriptionAnswer,
    TranscriptionRequest,
    TranslationRequest,
)
from gateway.apis.audio.voices import MEDIA_TYPES, is_speech_result, signature
from gateway.apis.audio.voices import body as speech_body
from gateway.apis.audio.voices import fitting as able_speakers
from gateway.core.catalog import SPEECH_RECOGNITION, TEXT_TO_SPEECH
from gateway.core.errors import GatewayError
from gateway.core.http import GENERATION_ERRORS, ASGIApp, Request, Route, StreamingResponse, post
from gateway.core.media import open_binary, relay_bytes, run_models
from gateway.core.multipart import form
from gateway.core.parameters import Table, refuse_unsupported
from gateway.core.services import Services
from gateway.core.streaming import sse
from gateway.core.upstream import BinaryAnswer

BINARY = {"type": "string", "format": "binary"}
SPEECH_MEDIA = ("audio/", "application/octet-stream")


def _refuse(message: str, param: str) -> GatewayError:
    return GatewayError(400, message, param=param, code="invalid_value")


async def _transcribe(
    request: Request[Services], req: TranslationRequest, table: Table, asked: Asked
) -> ASGIApp:
    """Run the chain on an upload; answer in the request's format."""
    svc, ctx = request.services, request.context
    chain = able_recognisers(await svc.catalog.chain(req.model, SPEECH_RECOGNITION), asked)
    refuse_unsupported(table, req)
    ctx.fields.update(requested_model=req.model, upload_bytes=len(asked.upload.data))

    async def attempt(model: str, has_backup: bool) -> Any:
        return await svc.upstream.run(
            model,
            recognition_body(model, asked),
            svc.settings.attempt_timeout,
            is_transcript,
        )

    model, result = await run_models(svc, ctx, chain, attempt)
    transcript = read(result, asked.language, model)
    if asked.translate:
        transcript.language = "english"  # OpenAI's: the language of the output, always English
    if transcript.reported_duration:
        ctx.count("AudioSeconds", transcript.duration, "Seconds")
    headers = {"x-gateway-model": model}
    if isinstance(req, TranscriptionRequest) and req.stream:
        return transcript_events(transcript, headers)
    granularities = req.timestamp_granularities if isinstance(req, TranscriptionRequest) else None
    task = "translate" if asked.translate else "transcribe"
    return formatted(transcript, req.response_format, task, granularities, headers)


async def create_transcription(request: Request[Services], req: TranscriptionRequest) -> ASGIApp:
    """What the upload says, in its language."""
    if req.response_format == "diarized_json":
        raise _refuse(
            "No Workers AI model tells speakers apart: `diarized_json` is not available.",
            "response_format",
        )
    if req.stream and req.response_format not in {"json", "text"}:
        raise _refuse(
            "`stream` gives transcript events: use `response_format` json or text.", "stream"
        )
    if req.timestamp_granularities and req.response_format != "verbose_json":
        raise _refuse(
            "`timestamp_granularities` needs `response_format: verbose_json`.",
            "timestamp_granularities",
        )
    media_type = audio_of(req.file)
    asked = Asked(req.file, media_type, language=req.language, prompt=req.prompt)
    return await _transcribe(request, req, TRANSCRIPTIONS, asked)


async def create_translation(request: Request[Services], req: TranslationRequest) -> ASGIApp:
    """What the upload says, in English."""
    media_type = audio_of(req.file)
    asked = Asked(req.file, media_type, translate=True, prompt=req.prompt)
    return await _transcribe(request, req, TRANSLATIONS, asked)


def _melotts_audio(answer: BinaryAnswer) -> tuple[bytes, str]:
    """The audio inside MeloTTS's JSON answer, and its type (told by its bytes)."""
    try:
        data = base64.b64decode(answer.result["audio"], validate=True)
    except (binascii.Error, ValueError):
        raise GatewayError(
            502, "Workers AI answered audio that is not base64.", code="upstream_error"
        ) from None
    return data, "audio/wav" if data.startswith(b"RIFF") else "audio/mpeg"


async def _single(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _speech_events(chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    async for chunk in chunks:
        yield sse({"type": "speech.audio.delta", "audio": base64.b64encode(chunk).decode()})
    usage = {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
    yield sse({"type": "speech.audio.done", "usage": usage})


async def create_speech(request: Request[Services], req: SpeechRequest) -> ASGIApp:
    """The input spoken, streamed to the client as Workers AI makes it."""
    svc, ctx = request.services, request.context
    chain = await svc.catalog.chain(req.model, TEXT_TO_SPEECH)
    refuse_unsupported(SPEECH, req)
    voice = req.voice if isinstance(req.voice, str) else req.voice.id
    chain = able_speakers(chain, voice, req.response_format)
    ctx.fields.update(requested_model=req.model, characters=len(req.input))
    model, answer, stack = await open_binary(
        svc,
        ctx,
        chain,
        lambda model: speech_body(model, req.input, voice, req.response_format),
        SPEECH_MEDIA,
        is_speech_result,
        signature(req.response_format),
    )
    media_type = MEDIA_TYPES[req.response_format]
    chunks = answer.chunks()
    if answer.result is not None:
        await stack.aclose()
        data, media_type = _melotts_audio(answer)
        chunks = _single(data)
    body = relay_bytes(chunks, stack, svc, ctx)
    headers = {"x-gateway-model": model}
    if req.stream_format == "sse":
        return StreamingResponse(_speech_events(body), {**SSE_HEADERS, **headers})
    content_type = (b"content-type", media_type.encode())
    return StreamingResponse(body, headers, content_type)


TRANSCRIPTION_ANSWERS = (
    ("text/plain", {"type": "string", "description": "`text`: the transcript."}),
    ("text/vtt", {"type": "string", "description": "`vtt`: a WebVTT file."}),
    ("application/x-subrip", {"type": "string", "description": "`srt`: a SubRip file."}),
)

ROUTES: list[Route] = [
    form(
        "/v1/audio/transcriptions",
        TranscriptionRequest,
        create_transcription,
        upload="file",
        summary="Transcribe audio",
        response_model=TranscriptionAnswer,
        answers=TRANSCRIPTION_ANSWERS,
        errors=GENERATION_ERRORS,
        stream=(
            "The transcript in `response_format`, or with `stream: true` transcript.text.delta "
            "events and one transcript.text.done.",
            TranscriptEvent,
        ),
    ),
    form(
        "/v1/audio/translations",
        TranslationRequest,
        create_translation,
        upload="file",
        summary="Translate audio into English",
        response_model=TranscriptionAnswer,
        answers=TRANSCRIPTION_ANSWERS,
        errors=GENERATION_ERRORS,
    ),
    post(
        "/v1/audio/speech",
        SpeechRequest,
        create_speech,
        summary="Speak a text",
        answers=tuple((media, BINARY) for media in MEDIA_TYPES.values()),
        errors=GENERATION_ERRORS,
        stream=(
            "The audio in `response_format`, sent as it is made; with `stream_format: sse`, "
            "speech.audio.delta events and one speech.audio.done.",
            SpeechEvent,
        ),
    ),
]
