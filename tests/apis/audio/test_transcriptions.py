"""POST /v1/audio/transcriptions and /translations through the official SDK: every
response_format (srt and vtt read back by parsers), streaming, each model's upstream body, the
chain, and the fields refused."""

from __future__ import annotations

import base64
from itertools import pairwise

import openai
import pytest
import srt
import webvtt
from helpers import (
    DURATION,
    SAID,
    SENTENCES,
    assert_error,
    last_run,
    post,
    silent_wav,
    spoken_mp3,
    spoken_wav,
    upstream_runs,
)

WHISPER_V3 = "@cf/openai/whisper-large-v3-turbo"
WHISPER = "@cf/openai/whisper"
NOVA = "@cf/deepgram/nova-3"


def upload(data: bytes | None = None, name: str = "speech.mp3") -> tuple[str, bytes, str]:
    return (name, spoken_mp3() if data is None else data, "audio/mpeg")


def form(gateway, path: str = "/v1/audio/transcriptions", files=None, **fields):
    return post(gateway, path, files=files or {"file": upload()}, data=fields)


# --- every response_format ---------------------------------------------------------------------


def test_json_gives_the_text_and_the_duration_as_usage(client, emulator, openai_schemas):
    raw = client.audio.transcriptions.with_raw_response.create(model="whisper-1", file=upload())
    transcription = raw.parse()
    assert transcription.text == SAID
    assert transcription.usage.type == "duration" and transcription.usage.seconds == DURATION
    openai_schemas.validate("CreateTranscriptionResponseJson", raw.http_response.json())
    assert raw.headers["x-gateway-model"] == WHISPER_V3


def test_text_is_the_plain_transcript(client, emulator):
    text = client.audio.transcriptions.create(
        model="whisper-1", file=upload(), response_format="text"
    )
    assert text == SAID + "\n"


def test_srt_is_a_valid_subrip_file_with_a_cue_a_sentence(client, emulator):
    text = client.audio.transcriptions.create(
        model="whisper-1", file=upload(), response_format="srt"
    )
    cues = list(srt.parse(text, ignore_errors=False))
    assert [cue.content for cue in cues] == SENTENCES
    assert [cue.index for cue in cues] == [1, 2, 3]
    assert cues[0].start.total_seconds() == 0
    assert all(a.end <= b.start for a, b in pairwise(cues))
    assert cues[-1].end.total_seconds() == pytest.approx(DURATION, abs=0.001)


def test_vtt_is_a_valid_webvtt_file_with_a_cue_a_sentence(client, emulator):
    text = client.audio.transcriptions.create(
        model="whisper-1", file=upload(), response_format="vtt"
    )
    assert text.startswith("WEBVTT\n\n")
    captions = webvtt.from_string(text)
    assert [caption.text for caption in captions] == SENTENCES
    assert captions[0].start == "00:00:00.000"
    assert captions[-1].end == f"00:00:{DURATION:06.3f}"


@pytest.mark.parametrize(
    ("granularities", "segments", "words"),
    [(None, True, False), (["word"], False, True), (["word", "segment"], True, True)],
)
def test_verbose_json_has_the_timestamps_asked_for(
    client, emulator, openai_schemas, granularities, segments, words
):
    extra = {"timestamp_granularities": granularities} if granularities else {}
    raw = client.audio.transcriptions.with_raw_response.create(
        model="whisper-1", file=upload(), response_format="verbose_json", language="en", **extra
    )
    body = raw.http_response.json()
    openai_schemas.validate("CreateTranscriptionResponseVerboseJson", body)
    verbose = raw.parse()
    assert (verbose.text, verbose.language, verbose.duration) == (SAID, "en", DURATION)
    assert (verbose.segments is not None) == segments
    assert (verbose.words is not None) == words
    if segments:
        assert [s.text for s in verbose.segments] == SENTENCES
        assert [s.id for s in verbose.segments] == [0, 1, 2]
        assert verbose.segments[-1].end == DURATION
    if words:
        assert " ".join(w.word for w in verbose.words) == SAID
        assert all(w.start < w.end for w in verbose.words)
        assert verbose.words[-1].end == DURATION
    if granularities:
        sent = last_run(emulator)
        assert sent["body"]["language"] == "en"


def test_silence_is_an_empty_transcript_in_every_format(client, emulator):
    silence = upload(silent_wav(), "silence.wav")
    assert client.audio.transcriptions.create(model="whisper-1", file=silence).text == ""
    got = client.audio.transcriptions.create(model="whisper-1", file=silence, response_format="srt")
    assert list(srt.parse(got)) == []
    vtt = client.audio.transcriptions.create(model="whisper-1", file=silence, response_format="vtt")
    assert vtt == "WEBVTT\n\n"
    assert list(webvtt.from_string(vtt)) == []


def test_streaming_gives_delta_events_then_done(client, emulator, openai_schemas):
    events = list(
        client.audio.transcriptions.create(model="gpt-4o-transcribe", file=upload(), stream=True)
    )
    for event in events:
        payload = event.model_dump(exclude_none=True)
        openai_schemas.validate("CreateTranscriptionResponseStreamEvent", payload)
    assert [event.type for event in events] == ["transcript.text.delta"] * 3 + [
        "transcript.text.done"
    ]
    assert "".join(event.delta for event in events[:-1]) == events[-1].text == SAID


# --- what each model is sent -------------------------------------------------------------------


def test_whisper_v3_gets_base64_json_with_task_language_and_prompt(client, emulator):
    data = spoken_wav()
    client.audio.transcriptions.create(
        model="whisper-1", file=upload(data, "a.wav"), language="de", prompt="Names: Ada."
    )
    sent = last_run(emulator)
    assert sent["model"] == WHISPER_V3
    assert base64.b64decode(sent["body"]["audio"]) == data
    assert sent["body"]["task"] == "transcribe"
    assert sent["body"]["language"] == "de"
    assert sent["body"]["initial_prompt"] == "Names: Ada."


def test_whisper_gets_the_raw_audio_and_its_words_become_segments(client, emulator):
    data = spoken_mp3()
    raw = client.audio.transcriptions.with_raw_response.create(
        model=WHISPER, file=upload(data), response_format="verbose_json"
    )
    sent = last_run(emulator)
    assert sent["body"] is None and sent["body_bytes"] == len(data)
    verbose = raw.parse()
    assert [s.text for s in verbose.segments] == SENTENCES
    assert verbose.duration == DURATION, "the end of the last word"
    assert verbose.usage is None, "whisper reports no duration: no usage is made up"
    assert raw.headers["x-gateway-model"] == WHISPER


def test_nova_gets_the_typed_audio_and_options_in_the_query(client, emulator):
    data = spoken_wav()
    text = client.audio.transcriptions.create(
        model=NOVA, file=upload(data, "a.wav"), language="en", response_format="srt"
    )
    sent = last_run(emulator)
    assert sent["headers"]["content-type"] == "audio/wav"
    assert sent["query"] == {"punctuate": "true", "language": "en"}
    assert [cue.content for cue in srt.parse(text)] == SENTENCES


def test_translation_asks_the_translate_task_and_answers_english(client, emulator, openai_schemas):
    raw = client.audio.translations.with_raw_response.create(
        model="whisper-1", file=upload(), response_format="verbose_json"
    )
    body = raw.http_response.json()
    openai_schemas.validate("CreateTranslationResponseVerboseJson", body)
    assert body["task"] == "translate"
    assert body["language"] == "english"
    assert body["text"] == f"In English: {SAID}"
    assert last_run(emulator)["body"]["task"] == "translate"
    plain = client.audio.translations.create(model="whisper-1", file=upload())
    assert plain.text == f"In English: {SAID}"


@pytest.mark.parametrize("model", [NOVA, WHISPER])
def test_a_model_that_cannot_translate_is_a_400(gateway, emulator, openai_schemas, model):
    response = form(gateway, "/v1/audio/translations", model=model)
    assert_error(response, 400, openai_schemas, param="model")
    assert upstream_runs(emulator) == []


# --- the chain ---------------------------------------------------------------------------------


def test_the_backup_answers_when_the_primary_fails(client, emulator):
    emulator.add_fault(model=WHISPER_V3, status=500)
    raw = client.audio.transcriptions.with_raw_response.create(model="whisper-1", file=upload())
    assert raw.parse().text == SAID
    assert raw.headers["x-gateway-model"] == WHISPER
    assert [run["model"] for run in upstream_runs(emulator)] == [WHISPER_V3, WHISPER]


def test_a_backup_that_cannot_honour_the_prompt_is_not_tried(gateway, emulator, openai_schemas):
    emulator.add_fault(model=WHISPER_V3, status=500)
    response = form(gateway, model="whisper-1", prompt="Names: Ada.")
    assert_error(response, 502, openai_schemas, code="upstream_error")
    assert [run["model"] for run in upstream_runs(emulator)] == [WHISPER_V3]


def test_a_speech_model_name_for_chat_is_a_400(client, emulator):
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="whisper-1", messages=[{"role": "user", "content": "hi"}]
        )
    assert caught.value.code == "model_not_supported"


def test_a_chat_model_for_transcription_is_a_400(gateway, emulator, openai_schemas):
    assert_error(form(gateway, model="gpt-4o"), 400, openai_schemas, param="model")


# --- fields refused ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"model": WHISPER, "prompt": "Names"}, "prompt"),
        ({"model": WHISPER, "language": "de"}, "language"),
        ({"model": "@cf/openai/whisper-tiny-en", "language": "fr"}, "language"),
        ({"model": "whisper-1", "temperature": "0.4"}, "temperature"),
        ({"model": "whisper-1", "include[]": "logprobs"}, "include"),
        ({"model": "whisper-1", "response_format": "diarized_json"}, "response_format"),
        ({"model": "whisper-1", "timestamp_granularities[]": "word"}, "timestamp_granularities"),
        ({"model": "whisper-1", "stream": "true", "response_format": "srt"}, "stream"),
        ({"model": "whisper-1", "known_speaker_names[]": "ada"}, "known_speaker_names"),
        ({"model": "whisper-1", "response_format": "mp3"}, "response_format"),
    ],
)
def test_what_cannot_be_honoured_is_a_400(gateway, emulator, openai_schemas, fields, param):
    assert_error(form(gateway, **fields), 400, openai_schemas, param=param)
    assert upstream_runs(emulator) == []


def test_what_asks_for_nothing_is_accepted(gateway, emulator):
    response = form(gateway, model="@cf/openai/whisper-tiny-en", language="en", temperature="0")
    assert response.status_code == 200, response.text
    assert response.json()["text"] == SAID
