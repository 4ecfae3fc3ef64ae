"""The docs page's audio console in headless Chromium: speak a text and play it, then transcribe
that audio as an uploaded file (the emulator's speech transcribes back to its text)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import post
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from test_docs_browser import _enter_key, _severe, _wait, browser, page  # noqa: F401

from gateway.apis.audio.voices import OPENAI_VOICES

pytestmark = pytest.mark.browser
SPOKEN = "The console speaks and listens."


def _status(driver: WebDriver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def test_speak_plays_the_audio_and_transcribe_reads_a_file_back(
    page: WebDriver,  # noqa: F811
    gateway: Any,
    emulator: Any,
    tmp_path: Path,
) -> None:
    _enter_key(page, gateway.api_key)
    voices = [
        o.get_attribute("value")
        for o in page.find_elements(By.CSS_SELECTOR, "#speech-voice option")
    ]
    assert voices == list(OPENAI_VOICES)
    text = page.find_element(By.ID, "speech-input")
    text.clear()
    text.send_keys(SPOKEN)
    page.find_element(By.ID, "speak").send_keys(Keys.ENTER)
    _wait(page, lambda d: _status(d, "speech-status").startswith("Done"))
    assert "@cf/deepgram/aura-2-en" in _status(page, "speech-status")
    # The browser decoded the audio: it knows its duration.
    duration = _wait(
        page,
        lambda d: d.execute_script(
            "const a = document.getElementById('speech-audio');"
            "return a.readyState >= 1 && a.duration > 0 ? a.duration : null;"
        ),
    )
    assert duration == pytest.approx(len(SPOKEN) * 0.06, rel=0.1)
    # The same request again from here (the emulator is deterministic): the file to upload.
    audio = tmp_path / "spoken.mp3"
    body = {"model": "tts-1", "voice": "alloy", "input": SPOKEN}
    audio.write_bytes(post(gateway, "/v1/audio/speech", body).content)
    page.find_element(By.ID, "transcribe-file").send_keys(str(audio))
    page.find_element(By.ID, "transcribe").send_keys(Keys.ENTER)
    _wait(page, lambda d: _status(d, "transcribe-status").startswith("Done"))
    assert page.find_element(By.ID, "transcript").text == SPOKEN
    assert _severe(page) == []


def test_transcribe_without_a_file_says_so(
    page: WebDriver,  # noqa: F811
    gateway: Any,
    emulator: Any,
) -> None:
    _enter_key(page, gateway.api_key)
    page.find_element(By.ID, "transcribe").send_keys(Keys.ENTER)
    error = page.find_element(By.ID, "audio-error")
    assert error.is_displayed() and "Choose an audio file" in error.text
