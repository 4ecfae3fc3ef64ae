"""The audio APIs' requests (OpenAI's `CreateTranscriptionRequest`, `CreateTranslationRequest`
and `CreateSpeechRequest`), validated, and the objects they are answered with (documented
only)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from gateway.core.multipart import UploadField
from gateway.core.validation import AnswerModel, RequestModel

TextFormat = Literal["json", "text", "srt", "verbose_json", "vtt"]
Granularity = Literal["word", "segment"]


class TranslationRequest(RequestModel):
    """POST /v1/audio/translations, a multipart form."""

    file: UploadField = Field(
        description="The audio: flac, mp3, mp4, mpeg, mpga, m4a, ogg, wav or webm."
    )
    model: str = Field(description="`whisper-1`, or a Workers AI speech-recognition model.")
    prompt: str | None = None
    response_format: TextFormat = "json"
    temperature: float | None = Field(default=None, ge=0, le=1)


class TranscriptionRequest(TranslationRequest):
    """POST /v1/audio/transcriptions, a multipart form."""

    response_format: TextFormat | Literal["diarized_json"] = "json"  # type: ignore[assignment]
    language: str | None = None
    languages: list[str] | None = None
    keywords: list[str] | None = None
    include: list[Literal["logprobs"]] | None = None
    timestamp_granularities: list[Granularity] | None = None
    stream: bool | None = None
    chunking_strategy: Any = None
    known_speaker_names: list[str] | None = None
    known_speaker_references: list[str] | None = None


class VoiceId(RequestModel):
    """A voice given as `{"id": ...}` (OpenAI's custom voices): here a voice's name."""

    id: str


SpeechFormat = Literal["mp3", "opus", "aac", "flac", "wav", "pcm"]


class SpeechRequest(RequestModel):
    """POST /v1/audio/speech."""

    model: str = Field(description="`tts-1`, `tts-1-hd`, `gpt-4o-mini-tts`, or a Workers AI name.")
    input: str = Field(min_length=1, max_length=4096)
    instructions: str | None = Field(default=None, max_length=4096)
    voice: str | VoiceId = Field(
        description="An OpenAI voice (alloy, ash, ...) or one of the model's own speakers."
    )
    response_format: SpeechFormat = "mp3"
    speed: float | None = Field(default=None, ge=0.25, le=4.0)
    stream_format: Literal["sse", "audio"] | None = None


# Answers (documentation only).


class TranscriptionWord(AnswerModel):
    word: str
    start: float
    end: float


class TranscriptionSegment(AnswerModel):
    id: int
    seek: int
    start: float
    end: float
    text: str
    tokens: list[int]
    temperature: float
    avg_logprob: float
    compression_ratio: float
    no_speech_prob: float


class DurationUsage(AnswerModel):
    type: Literal["duration"]
    seconds: float


class TranscriptionAnswer(AnswerModel):
    """A transcription or translation as JSON: `json` gives `text` (and `usage`),
    `verbose_json` also `task`, `language`, `duration`, `segments` and `words`."""

    text: str
    usage: DurationUsage | None = None
    task: Literal["transcribe", "translate"] | None = None
    language: str | None = None
    duration: float | None = None
    segments: list[TranscriptionSegment] | None = None
    words: list[TranscriptionWord] | None = None


class TranscriptEvent(AnswerModel):
    """With `stream`: `transcript.text.delta` events (`delta`), then `transcript.text.done`
    (`text`)."""

    type: Literal["transcript.text.delta", "transcript.text.done"]
    delta: str | None = None
    text: str | None = None


class SpeechEvent(AnswerModel):
    """With `stream_format: sse`: `speech.audio.delta` events (`audio`, base64), then
    `speech.audio.done` (`usage`: zeros, as Workers AI reports no token counts)."""

    type: Literal["speech.audio.delta", "speech.audio.done"]
    audio: str | None = None
    usage: dict[str, int] | None = None
