"""Audio the audio tests upload: made by the emulator's own synthesiser, so its transcript is
known (the emulator's speech recognition reads the text back from the file's ID3 comment)."""

from __future__ import annotations

from emulator.audio import inspect, mp3, wav
from emulator.speech import DEFAULT_RATE, pcm

SAID = "Hello there. How are you today? Fine, thanks!"
SENTENCES = ["Hello there.", "How are you today?", "Fine, thanks!"]


def spoken_mp3(text: str = SAID) -> bytes:
    return mp3(pcm(text, "luna", DEFAULT_RATE), DEFAULT_RATE, text)


def spoken_wav(text: str = SAID) -> bytes:
    return wav(pcm(text, "luna", DEFAULT_RATE), DEFAULT_RATE, text)


def silent_wav(seconds: float = 1.0) -> bytes:
    return wav(bytes(2 * round(seconds * 16000)), 16000)


DURATION = round(inspect(spoken_mp3()).duration, 3)
"""Seconds of `spoken_mp3()`, as the emulator's models read it."""
