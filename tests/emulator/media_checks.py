"""Independent checks of what the emulator's media models answer: image and audio formats read
without the emulator's own code, the error envelope, and test audio to upload."""

import io
import math
import struct
import wave

import httpx
from PIL import Image

# MPEG audio layer III: kbit/s by bitrate index, for MPEG-1 and for MPEG-2/2.5.
MP3_BITRATES = {
    3: (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    2: (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
MP3_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def error_of(response: httpx.Response) -> tuple[int, int]:
    """(HTTP status, Cloudflare code) of an answer in the error envelope."""
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False and body["result"] is None
    assert body["errors"][0]["message"]
    return response.status_code, body["errors"][0]["code"]


def picture(data: bytes) -> Image.Image:
    """Decode an image fully (a truncated or corrupt file raises)."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def mp3_duration(data: bytes) -> float:
    """Walk an MP3's layer III frames from the first to the last byte; the audio's seconds.
    Fails unless every frame header syncs and the frames tile the data exactly."""
    offset = 0
    if data.startswith(b"ID3"):
        size = data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9]
        offset = 10 + size
    seconds, frames = 0.0, 0
    while offset < len(data):
        b1, b2 = data[offset + 1], data[offset + 2]
        assert data[offset] == 0xFF and b1 & 0xE0 == 0xE0, f"no frame sync at byte {offset}"
        version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
        assert layer == 1, "not layer III"
        bitrate = MP3_BITRATES[3 if version == 3 else 2][b2 >> 4] * 1000
        rate = MP3_RATES[version][(b2 >> 2) & 3]
        samples = 1152 if version == 3 else 576
        offset += samples // 8 * bitrate // rate + ((b2 >> 1) & 1)
        seconds += samples / rate
        frames += 1
    assert offset == len(data) and frames > 0
    return seconds


def wav(seconds: float, rate: int = 16000, amplitude: int = 8000, channels: int = 1) -> bytes:
    """A 16-bit PCM WAV of a 440 Hz tone (amplitude 0: silence)."""
    count = round(seconds * rate)
    samples = [round(amplitude * math.sin(2 * math.pi * 440 * i / rate)) for i in range(count)]
    frames = struct.pack(f"<{count}h", *samples)
    if channels == 2:
        frames = b"".join(frames[i : i + 2] * 2 for i in range(0, len(frames), 2))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(frames)
    return buffer.getvalue()
