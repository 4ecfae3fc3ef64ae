"""Generated media handed out as links (images asked for as `url`): one small interface, two
backends — a private S3 bucket with presigned GETs (AWS), or a local folder the gateway serves
itself (`make dev`, containers).

Each file gets a random name (`secrets.token_urlsafe`, 192 bits), so a link cannot be guessed
from another; a link works for `IMAGE_URL_TTL` seconds (an hour, as OpenAI's). In S3 the
bucket's lifecycle rule deletes the objects after a day (template.yaml); a presigned link made
with the function's temporary credentials also ends if they expire first. Locally the file's
age decides: past the TTL it is gone (404) and the next save deletes it.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from gateway.core.backends import Boto3Client, Unavailable
from gateway.core.config import Settings

LOCAL_PREFIX = "/media/"
"""Where the gateway serves its local files: `GET /media/{name}` (no key: the name is the
secret, and it expires)."""
S3_PREFIX = "images/"
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
MEDIA_TYPES = {extension: media_type for media_type, extension in EXTENSIONS.items()}
NAME = re.compile(r"[A-Za-z0-9_-]{32}\.(png|jpg|webp)")
"""A file name `save` makes: 32 characters of token_urlsafe(24), then the extension."""


@dataclass(frozen=True)
class MediaFile:
    data: bytes
    media_type: str


UNAVAILABLE = Unavailable(
    "media store",
    "The image store is unavailable right now; try again, or ask for response_format: b64_json.",
    "media_store_unavailable",
)


def _new_name(media_type: str) -> str:
    return f"{secrets.token_urlsafe(24)}.{EXTENSIONS[media_type]}"


class MediaFiles:
    """The interface: `save` stores a file and answers the link to it."""

    ttl: int

    async def save(self, data: bytes, media_type: str, base_url: str) -> str:
        """Store `data` (`media_type` one of EXTENSIONS) and return a URL that downloads it for
        `ttl` seconds; `base_url` is where the client reached the gateway. Raises a 503
        GatewayError when the store fails."""
        raise NotImplementedError

    async def load(self, name: str) -> MediaFile | None:
        """The file called `name` when the gateway serves it itself, else None (S3 serves its
        own links)."""
        return None


class LocalMediaFiles(MediaFiles):
    """Files in one folder (created on first use), served by `GET /media/{name}`."""

    def __init__(self, folder: str, ttl: int) -> None:
        self.folder = Path(folder)
        self.ttl = ttl

    def _write(self, name: str, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        now = time.time()
        for old in self.folder.iterdir():
            if NAME.fullmatch(old.name) and old.stat().st_mtime + self.ttl <= now:
                old.unlink(missing_ok=True)
        partial = self.folder / f".{name}.partial"
        partial.write_bytes(data)
        os.replace(partial, self.folder / name)

    async def save(self, data: bytes, media_type: str, base_url: str) -> str:
        name = _new_name(media_type)
        await UNAVAILABLE.call(self._write, name, data)
        return f"{base_url}{LOCAL_PREFIX}{name}"

    def _read(self, name: str) -> MediaFile | None:
        path = self.folder / name
        try:
            if path.stat().st_mtime + self.ttl <= time.time():
                return None
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        return MediaFile(data, MEDIA_TYPES[name.rsplit(".", 1)[1]])

    async def load(self, name: str) -> MediaFile | None:
        """The file called `name`, or None when there is no such file, it has expired, or the
        name is not one `save` makes (so no other path can be reached)."""
        if not NAME.fullmatch(name):
            return None
        return await UNAVAILABLE.call(self._read, name)


class S3MediaFiles(MediaFiles):
    """Objects under `images/` in a private bucket, linked by presigned GETs (SigV4).

    boto3 is imported on first use (the Lambda runtime has it; the gateway's layer does not), so
    processes that never store an image never load it. The function may only put and get
    objects there (template.yaml).
    """

    def __init__(self, bucket: str, ttl: int, region: str | None = None) -> None:
        self.bucket = bucket
        self.ttl = ttl
        self._s3 = Boto3Client("s3", region, signature_version="s3v4")

    def _put(self, key: str, data: bytes, media_type: str) -> str:
        client = self._s3()
        client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=media_type)
        url: str = client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=self.ttl
        )
        return url

    async def save(self, data: bytes, media_type: str, base_url: str) -> str:
        return await UNAVAILABLE.call(
            self._put, S3_PREFIX + _new_name(media_type), data, media_type
        )


def open_media_files(settings: Settings) -> MediaFiles:
    """S3 when `IMAGES_BUCKET` names a bucket, else the folder `IMAGES_DIR`. Nothing is opened
    here: each backend connects or creates its folder on first use."""
    if settings.images_bucket:
        return S3MediaFiles(settings.images_bucket, settings.image_url_ttl, settings.aws_region)
    return LocalMediaFiles(settings.images_dir, settings.image_url_ttl)
