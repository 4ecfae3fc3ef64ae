"""Audio files: what the emulator reads from an upload, and the files it writes.

Reading (`inspect`): mutagen recognises MP3, WAV, FLAC, Ogg, MP4/M4A and AAC and gives their
duration and tags; WebM/Matroska (what browsers record) is recognised by its EBML signature and
given a nominal duration of its size at 128 kbit/s. A PCM WAV is also read by the stdlib `wave`
module, for its format and to tell silence (every sample within about 1.5% of full scale of
zero). Anything else is not audio.

Writing: 16-bit mono PCM as a WAV (`wave`) or an MP3 (LAME, through lameenc), with the spoken
text in an ID3 comment (COMM) frame, which is what the emulator's speech recognition reads back.
"""

import hashlib
import io
import wave
from dataclasses import dataclass
from typing import Any

import lameenc
import mutagen
from mutagen.id3 import COMM, ID3
from mutagen.wave import WAVE

NOMINAL_BITRATE = 128_000  # bits/s, for formats whose duration is not read
MP3_KBITS = 48
WEBM_MAGIC = b"\x1aE\xdf\xa3"
# Peak of a silent recording, in units of the top byte of a sample (1/128 of full scale).
SILENCE_PEAK = 2


class NotAudio(ValueError):
    """The bytes are no audio format the emulator recognises."""


@dataclass(frozen=True)
class Recording:
    """What the emulator could read of an uploaded audio file."""

    format: str
    """mp3, wav, flac, ogg, mp4, aac or webm."""
    duration: float
    """Seconds (nominal for webm)."""
    comment: str | None
    """The text of an ID3 comment frame (MP3, WAV), if any."""
    silent: bool
    """True only for a PCM WAV whose samples are all near zero."""
    sample_rate: int | None
    channels: int | None
    fingerprint: str
    """The first 8 hex digits of the SHA-256 of the bytes."""

    def describe(self) -> str:
        """A few words about the recording, e.g. "16000 hertz mono wav"."""
        words = []
        if self.sample_rate:
            words.append(f"{self.sample_rate} hertz")
        if self.channels:
            words.append({1: "mono", 2: "stereo"}.get(self.channels, f"{self.channels} channel"))
        return " ".join([*words, self.format])


def _format_name(found: mutagen.FileType) -> str:
    """mutagen's class, as a format name: WAVE -> wav, OggOpus -> ogg, MP3 -> mp3."""
    name = type(found).__name__.lower()
    if name == "wave":
        return "wav"
    return "ogg" if name.startswith("ogg") else name


def _comment(found: mutagen.FileType) -> str | None:
    tags = getattr(found, "tags", None)
    if not isinstance(tags, ID3):
        return None
    frames = tags.getall("COMM")
    texts = [text for frame in frames for text in frame.text if text.strip()]
    return " ".join(texts) if texts else None


def _pcm_silent(data: bytes) -> tuple[bool, int, int] | None:
    """(silent, rate, channels) of a PCM WAV the `wave` module can read, else None."""
    try:
        with wave.open(io.BytesIO(data)) as reader:
            width, rate, channels = (
                reader.getsampwidth(),
                reader.getframerate(),
                reader.getnchannels(),
            )
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError):
        return None
    top = frames[width - 1 :: width]  # the most significant byte of each sample
    if width == 1:  # 8-bit WAV is unsigned, centred on 128
        peak = max((abs(byte - 128) for byte in top), default=0)
    else:
        peak = max((abs(byte - 256 if byte > 127 else byte) for byte in top), default=0)
    return peak < SILENCE_PEAK, rate, channels


def inspect(data: bytes) -> Recording:
    """Read an uploaded audio file. Raises NotAudio."""
    fingerprint = hashlib.sha256(data).hexdigest()[:8]
    if data.startswith(WEBM_MAGIC):
        duration = len(data) * 8 / NOMINAL_BITRATE
        return Recording("webm", duration, None, False, None, None, fingerprint)
    try:
        found = mutagen.File(io.BytesIO(data))
    except mutagen.MutagenError as exc:
        raise NotAudio(str(exc)) from exc
    info = getattr(found, "info", None)
    if found is None or info is None:
        raise NotAudio("not a recognised audio format")
    format_name = _format_name(found)
    rate = getattr(info, "sample_rate", None) or None
    channels = getattr(info, "channels", None) or None
    silent = False
    if format_name == "wav":
        pcm = _pcm_silent(data)
        if pcm is not None:
            silent, rate, channels = pcm
    return Recording(
        format_name,
        float(info.length or 0.0),
        _comment(found),
        silent,
        rate,
        channels,
        fingerprint,
    )


def _comment_frame(text: str) -> COMM:
    return COMM(encoding=3, lang="eng", desc="", text=text)


def wav(pcm: bytes, rate: int, comment: str | None = None) -> bytes:
    """16-bit mono little-endian PCM as a WAV file, with `comment` in an ID3 chunk."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(pcm)
    if comment:
        tagged = WAVE(buffer)
        tagged.add_tags()
        tags: Any = tagged.tags
        tags.add(_comment_frame(comment))
        buffer.seek(0)
        tagged.save(buffer, padding=lambda _: 0)
    return buffer.getvalue()


def mp3(pcm: bytes, rate: int, comment: str | None = None, kbits: int = MP3_KBITS) -> bytes:
    """16-bit mono PCM as a constant-bitrate MP3 of `kbits` kbit/s, with `comment` in a leading
    ID3v2.4 tag."""
    encoder = lameenc.Encoder()
    encoder.set_bit_rate(kbits)
    encoder.set_in_sample_rate(rate)
    encoder.set_channels(1)
    encoder.set_quality(7)
    frames = bytes(encoder.encode(pcm)) + bytes(encoder.flush())
    if not comment:
        return frames
    tags = ID3()
    tags.add(_comment_frame(comment))
    buffer = io.BytesIO()
    tags.save(buffer, padding=lambda _: 0)
    return buffer.getvalue() + frames
