"""Speech recognition over real HTTP: transcripts follow the documented rule (emulator/
transcription.py), word and segment times fit the audio's duration, non-audio is a 3010."""

import base64
import hashlib
import itertools
from typing import Any

import httpx
import pytest
from media_checks import error_of, mp3_duration, wav

WHISPER = "@cf/openai/whisper"
TINY = "@cf/openai/whisper-tiny-en"
TURBO = "@cf/openai/whisper-large-v3-turbo"
NOVA = "@cf/deepgram/nova-3"
AURA = "@cf/deepgram/aura-1"


def result(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    return body["result"]


def upload(api: httpx.Client, model: str, audio: bytes, **params: str) -> httpx.Response:
    headers = {"content-type": "audio/wav"}
    return api.post(f"/run/{model}", content=audio, headers=headers, params=params)


def described(audio: bytes, seconds: str, rate: int = 16000, layout: str = "mono") -> str:
    fingerprint = hashlib.sha256(audio).hexdigest()[:8]
    return (
        f"Emulated transcript of {seconds} seconds of {rate} hertz {layout} wav audio, "
        f"fingerprint {fingerprint}."
    )


def assert_spread(words: list[dict[str, Any]], duration: float) -> None:
    """Words follow each other without gaps from 0 to the duration."""
    assert words[0]["start"] == 0
    assert words[-1]["end"] == pytest.approx(duration, abs=0.001)
    for before, after in itertools.pairwise(words):
        assert before["start"] < before["end"] == after["start"]


@pytest.mark.parametrize("model", [WHISPER, TINY])
def test_whisper_describes_a_wav_and_times_its_words(api: httpx.Client, model: str) -> None:
    audio = wav(2.0)
    answer = result(upload(api, model, audio))
    assert answer["text"] == described(audio, "2.0")
    assert answer["word_count"] == len(answer["text"].split()) == len(answer["words"])
    assert [w["word"] for w in answer["words"]] == answer["text"].split()
    assert_spread(answer["words"], 2.0)
    assert answer["vtt"] == f"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\n{answer['text']}\n\n"
    assert result(upload(api, model, audio)) == answer


def test_whisper_takes_the_json_byte_array_form(api: httpx.Client) -> None:
    audio = wav(0.5, rate=8000, channels=2)
    raw = result(upload(api, WHISPER, audio))
    assert raw["text"] == described(audio, "0.5", 8000, "stereo")
    assert result(api.post(f"/run/{WHISPER}", json={"audio": list(audio)})) == raw


def test_one_more_sentence_for_every_further_five_seconds(api: httpx.Client) -> None:
    audio = wav(12.0, rate=8000)
    answer = result(upload(api, WHISPER, audio))
    more = " More emulated speech follows." * 2
    assert answer["text"] == described(audio, "12.0", 8000) + more
    assert_spread(answer["words"], 12.0)
    assert answer["vtt"].count(" --> ") == 3


def test_an_mp3_without_a_comment_is_described_with_its_frame_duration(
    api: httpx.Client,
) -> None:
    tagged = api.post(f"/run/{AURA}", json={"text": "sixteen characters"}).content
    untagged = tagged[10 + (tagged[6] << 21 | tagged[7] << 14 | tagged[8] << 7 | tagged[9]) :]
    duration = mp3_duration(untagged)
    answer = result(upload(api, WHISPER, untagged))
    fingerprint = hashlib.sha256(untagged).hexdigest()[:8]
    assert answer["text"] == (
        f"Emulated transcript of {duration:.1f} seconds of 24000 hertz mono mp3 audio, "
        f"fingerprint {fingerprint}."
    )
    assert_spread(answer["words"], duration)


def test_silence_has_an_empty_transcript(api: httpx.Client) -> None:
    answer = result(upload(api, WHISPER, wav(1.0, amplitude=0)))
    assert answer["text"] == "" and answer["words"] == [] and answer["word_count"] == 0
    assert answer["vtt"] == "WEBVTT\n\n"


@pytest.mark.parametrize("model", [WHISPER, NOVA])
@pytest.mark.parametrize("data", [b"", b"hello, this is text", b"\xff\xfb" + bytes(64)])
def test_bytes_that_are_not_audio_are_a_3010(api: httpx.Client, model: str, data: bytes) -> None:
    response = upload(api, model, data)
    assert error_of(response) == (400, 3010)
    assert "decode audio" in response.json()["errors"][0]["message"]


def test_whisper_json_without_audio_is_a_5006(api: httpx.Client) -> None:
    assert error_of(api.post(f"/run/{WHISPER}", json={"file": "x"})) == (400, 5006)
    assert error_of(api.post(f"/run/{WHISPER}", json={"audio": "abc"})) == (400, 5006)


def turbo(api: httpx.Client, audio: bytes, **options: Any) -> httpx.Response:
    body = {"audio": base64.b64encode(audio).decode()} | options
    return api.post(f"/run/{TURBO}", json=body)


def test_turbo_segments_one_sentence_each_with_its_words(api: httpx.Client) -> None:
    audio = wav(7.5, rate=8000)
    answer = result(turbo(api, audio, language="de"))
    assert answer["transcription_info"] == {
        "language": "de",
        "language_probability": 0.99,
        "duration": 7.5,
        "duration_after_vad": 7.5,
    }
    assert answer["text"] == described(audio, "7.5", 8000) + " More emulated speech follows."
    segments = answer["segments"]
    assert [s["text"] for s in segments] == [
        described(audio, "7.5", 8000),
        "More emulated speech follows.",
    ]
    words = [w for s in segments for w in s["words"]]
    assert_spread(words, 7.5)
    for segment in segments:
        assert segment["start"] == segment["words"][0]["start"]
        assert segment["end"] == segment["words"][-1]["end"]
        assert 0 <= segment["no_speech_prob"] <= 1 and segment["compression_ratio"] > 0
    assert answer["word_count"] == len(words)
    first = len(segments[0]["words"])
    assert segments[1]["start"] == pytest.approx(7.5 * first / len(words), abs=0.001)
    assert f"00:00:0{segments[1]['start']:.3f} --> 00:00:07.500\n" in answer["vtt"]


def test_turbo_translate_answers_english_after_the_prefix(api: httpx.Client) -> None:
    audio = wav(1.0)
    plain = result(turbo(api, audio))["text"]
    translated = result(turbo(api, audio, task="translate", language="fr"))
    assert translated["text"] == "In English: " + plain
    prefixed = result(turbo(api, audio, prefix="Note:", initial_prompt="a meeting"))
    assert prefixed["text"] == "Note: " + plain


def test_turbo_vad_filter_and_its_string_form(api: httpx.Client) -> None:
    silence = wav(2.0, amplitude=0)
    info = result(turbo(api, silence, vad_filter=True))["transcription_info"]
    assert (info["duration"], info["duration_after_vad"]) == (2.0, 0.0)
    assert result(turbo(api, silence, vad_filter="true"))["transcription_info"] == info
    assert error_of(turbo(api, silence, vad_filter="yes")) == (400, 5006)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, (400, 5006)),
        ({"audio": [1, 2]}, (400, 5006)),
        ({"audio": "not base64!"}, (400, 3010)),
        ({"audio": base64.b64encode(b"text").decode()}, (400, 3010)),
        ({"audio": base64.b64encode(wav(0.1)).decode(), "task": "sing"}, (400, 3010)),
        ({"audio": base64.b64encode(wav(0.1)).decode(), "language": 5}, (400, 5006)),
    ],
)
def test_turbo_input_errors(
    api: httpx.Client, body: dict[str, Any], expected: tuple[int, int]
) -> None:
    assert error_of(api.post(f"/run/{TURBO}", json=body)) == expected


def nova_alternative(response: httpx.Response) -> dict[str, Any]:
    (channel,) = result(response)["results"]["channels"]
    (alternative,) = channel["alternatives"]
    return alternative


def test_nova_3_takes_raw_audio_with_options_in_the_query(api: httpx.Client) -> None:
    audio = wav(3.0)
    spoken = described(audio, "3.0")
    plain = nova_alternative(upload(api, NOVA, audio))
    assert plain["transcript"] == spoken.lower().replace(",", "").removesuffix(".")
    assert all("punctuated_word" not in w and "speaker" not in w for w in plain["words"])
    assert_spread(plain["words"], 3.0)
    smart = nova_alternative(upload(api, NOVA, audio, smart_format="true", diarize="true"))
    assert smart["transcript"] == spoken
    assert [w["punctuated_word"] for w in smart["words"]] == spoken.split()
    assert {w["speaker"] for w in smart["words"]} == {0}
    assert 0 < smart["confidence"] <= 1
    assert error_of(upload(api, NOVA, audio, punctuate="maybe")) == (400, 5006)
    assert error_of(upload(api, NOVA, audio, mode="legal")) == (400, 5006)


def test_nova_3_binding_form_and_extras(api: httpx.Client) -> None:
    audio = wav(1.0)
    body = {
        "audio": {"body": base64.b64encode(audio).decode(), "contentType": "audio/wav"},
        "detect_language": True,
        "sentiment": True,
        "language": "en",
    }
    answer = result(api.post(f"/run/{NOVA}", json=body))["results"]
    assert answer["channels"][0]["detected_language"] == "en"
    assert answer["sentiments"]["average"]["sentiment"] == "neutral"
    assert (
        answer["channels"][0]["alternatives"][0]["transcript"]
        == nova_alternative(upload(api, NOVA, audio))["transcript"]
    )
    assert error_of(api.post(f"/run/{NOVA}", json={"audio": "x"})) == (400, 5006)
    assert error_of(api.post(f"/run/{NOVA}", json=body | {"diarize": "true"})) == (400, 5006)


def test_speech_from_the_emulator_transcribes_back_to_its_text(api: httpx.Client) -> None:
    text = "The quick brown fox jumps over the lazy dog. It was not amused!"
    spoken = api.post(f"/run/{AURA}", json={"text": text})
    assert spoken.status_code == 200
    answer = result(api.post(f"/run/{WHISPER}", content=spoken.content))
    assert answer["text"] == text
    assert answer["vtt"].count(" --> ") == 2
    wav_speech = api.post(f"/run/{AURA}", json={"text": text, "encoding": "linear16"}).content
    segments = result(turbo(api, wav_speech))["segments"]
    assert [s["text"] for s in segments] == [
        "The quick brown fox jumps over the lazy dog.",
        "It was not amused!",
    ]
    assert segments[-1]["end"] == pytest.approx(len(text) * 0.06)
