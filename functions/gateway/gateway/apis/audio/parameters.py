"""What the audio APIs do with each field of OpenAI's `CreateTranscriptionRequest`,
`CreateTranslationRequest` and `CreateSpeechRequest`."""

from __future__ import annotations

from typing import Any

from gateway.core.parameters import Table, gateway, refused, upstream


def _empty(value: Any) -> bool:
    return value in ([], "")


MODEL = gateway(
    "an alias or a Workers AI name; a backup is tried only if it can honour the request; the "
    "answer's `x-gateway-model` names the model that answered"
)
FILE = gateway(
    "the upload, at most `MAX_UPLOAD_BYTES` (413 naming `file`): flac, mp3, mp4/m4a, mpeg/mpga, "
    "ogg, wav or webm, told by its bytes (anything else is a 400 naming `file`); sent as base64 "
    "JSON to Whisper large-v3-turbo, as raw bytes to Whisper and Nova-3"
)
PROMPT = upstream(
    "`initial_prompt` of Whisper large-v3-turbo; a 400 for models without one (and such a "
    "backup is not tried)"
)
TEMPERATURE = refused(
    "no Workers AI speech model takes a temperature: only 0 (the default) is accepted",
    lambda value: value == 0,
)
FORMATS = gateway(
    "`json` (`text`, and `usage` in seconds where the model reports the duration), `text`, "
    "`srt` and `vtt` (valid files, one cue a segment), `verbose_json` (language, duration, "
    "segments, words); see docs/audio.md"
)

TRANSCRIPTIONS: Table = {
    "file": FILE,
    "model": MODEL,
    "language": upstream(
        "`language` of Whisper large-v3-turbo and Nova-3; Whisper tiny-en takes only `en`; a "
        "400 for Whisper (and such a backup is not tried)"
    ),
    "languages": refused("no model takes a list of languages", _empty),
    "keywords": refused("no model takes keywords", _empty),
    "prompt": PROMPT,
    "response_format": gateway(
        "`json`, `text`, `srt`, `vtt`, `verbose_json` (see docs/audio.md); `diarized_json` is a 400"
    ),
    "temperature": TEMPERATURE,
    "include": refused("Workers AI returns no log probabilities", _empty),
    "timestamp_granularities": gateway(
        "with `verbose_json`: `segment` (the default) gives `segments`, `word` gives `words`; "
        "a 400 with another format"
    ),
    "stream": gateway(
        "`transcript.text.delta` events, one a segment, then `transcript.text.done`, once the "
        "model has answered (Workers AI does not stream transcripts); `json` or `text` only"
    ),
    "chunking_strategy": refused("the models transcribe the upload as one block"),
    "known_speaker_names": refused("no model tells speakers apart", _empty),
    "known_speaker_references": refused("no model tells speakers apart", _empty),
}

TRANSLATIONS: Table = {
    "file": FILE,
    "model": gateway(
        "an alias or a Workers AI name of a model that translates (Whisper large-v3-turbo, "
        "with `task: translate`); others are a 400"
    ),
    "prompt": PROMPT,
    "response_format": FORMATS,
    "temperature": TEMPERATURE,
}

SPEECH: Table = {
    "model": MODEL,
    "input": upstream("`text` of Deepgram Aura, `prompt` of MeloTTS; at most 4096 characters"),
    "instructions": refused(
        "no Workers AI speech model takes instructions: only an empty string is accepted",
        _empty,
    ),
    "voice": gateway(
        "OpenAI's voices map to each model's speakers (table in docs/audio.md); the model's "
        "own speakers work too; an unknown voice is a 400 listing the valid ones"
    ),
    "response_format": upstream(
        "Aura: `mp3`, `wav` (linear16 in a WAV), `pcm` (linear16, 24 kHz, no header), `opus` "
        "(in Ogg), `aac`, `flac`; MeloTTS: `mp3` only, else a 400"
    ),
    "speed": refused(
        "no Workers AI speech model takes a speed: only 1.0 is accepted", lambda v: v == 1
    ),
    "stream_format": gateway(
        "`audio` (the default): the bytes as they arrive; `sse`: `speech.audio.delta` events "
        "of base64 audio, then `speech.audio.done`"
    ),
}
