"""The links of `response_format: url`: served by the gateway itself from its folder (no key, an
unguessable name, gone after the TTL), or in AWS a presigned GET on the private S3 bucket (moto,
in process: the gateway's boto3 calls and the download both reach moto's S3)."""

from __future__ import annotations

import base64
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import httpx
import pytest
import requests
from helpers import assert_error, decoded, fake_aws_credentials, post, sdk
from moto import mock_aws

from gateway.core.media_files import NAME

PATH = "/v1/images/generations"
BUCKET = "gateway-images"


def link(gateway: Any, **body: Any) -> str:
    response = post(gateway, PATH, {"prompt": "a red fox", "model": "dall-e-2"} | body)
    assert response.status_code == 200, response.text
    return response.json()["data"][0]["url"]


# --- served by the gateway -----------------------------------------------------------------------


@pytest.fixture
def local(start_gateway: Any, tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    with start_gateway(images_dir=str(tmp_path)) as gateway:
        yield gateway, tmp_path


def test_a_link_is_an_unguessable_name_served_without_a_key(local, emulator):
    gateway, folder = local
    first, second = link(gateway), link(gateway)
    names = [urlsplit(url).path.removeprefix("/media/") for url in (first, second)]
    assert all(NAME.fullmatch(name) for name in names) and names[0] != names[1]
    assert sorted(path.name for path in folder.iterdir()) == sorted(names)
    for method in ("GET", "HEAD"):
        response = httpx.request(method, first, timeout=30)
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/jpeg"
        assert "private" in response.headers["cache-control"]
    assert decoded(httpx.get(first, timeout=30).content).size == (1024, 1024)


@pytest.mark.parametrize(
    "name",
    [
        "A" * 32 + ".png",
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e",
        "responses.sqlite3",
        "A" * 31 + ".jpg",
        "A" * 32 + ".exe",
    ],
)
def test_anything_but_a_live_name_is_a_404(local, emulator, openai_schemas, name):
    gateway, folder = local
    (folder / "responses.sqlite3").write_text("secret")
    response = httpx.get(f"{gateway.url}/media/{name}", timeout=30)
    assert_error(response, 404, openai_schemas)
    assert "secret" not in response.text


def test_a_link_expires_and_its_file_goes(local, emulator, openai_schemas):
    gateway, folder = local
    url = link(gateway)
    (path,) = folder.iterdir()
    an_hour_ago = time.time() - gateway.settings.image_url_ttl - 1
    os.utime(path, (an_hour_ago, an_hour_ago))
    assert_error(httpx.get(url, timeout=30), 404, openai_schemas)
    fresh = link(gateway)
    assert [p.name for p in folder.iterdir()] == [urlsplit(fresh).path.removeprefix("/media/")]


def test_a_store_that_cannot_write_is_a_503(start_gateway, emulator, openai_schemas, tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    with start_gateway(images_dir=str(blocked)) as gateway:
        response = post(gateway, PATH, {"prompt": "a red fox", "model": "dall-e-2"})
        assert_error(response, 503, openai_schemas, code="media_store_unavailable")
        assert (
            post(gateway, PATH, {"prompt": "x", "response_format": "b64_json"}).status_code == 200
        )


# --- S3 (moto) -----------------------------------------------------------------------------------


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto's S3 with the bucket as template.yaml makes it (private: no public access)."""
    fake_aws_credentials(monkeypatch)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.put_public_access_block(
            Bucket=BUCKET,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        yield client


def test_in_aws_a_link_is_a_presigned_get_on_the_private_bucket(s3, start_gateway, emulator):
    with start_gateway(images_bucket=BUCKET, aws_region="us-east-1") as gateway:
        client = sdk(gateway)
        url = client.images.generate(model="dall-e-3", prompt="a red fox").data[0].url
        inline = client.images.generate(
            model="dall-e-3", prompt="a red fox", response_format="b64_json"
        )
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.scheme == "https" and parts.hostname == f"{BUCKET}.s3.amazonaws.com"
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["3600"]
    key = parts.path.lstrip("/")
    assert key.startswith("images/") and NAME.fullmatch(key.removeprefix("images/"))
    stored = s3.get_object(Bucket=BUCKET, Key=key)
    assert stored["ContentType"] == "image/jpeg"
    image = base64.b64decode(inline.data[0].b64_json)
    assert stored["Body"].read() == image
    download = requests.get(url, timeout=30)  # moto answers the download too
    assert download.status_code == 200 and download.content == image
    assert requests.get(url.split("?")[0], timeout=30).status_code == 403, "the bucket is private"


def test_in_aws_a_missing_bucket_is_a_503_not_a_traceback(
    s3, start_gateway, emulator, openai_schemas
):
    with start_gateway(images_bucket="no-such-bucket", aws_region="us-east-1") as gateway:
        response = post(gateway, PATH, {"prompt": "a red fox", "model": "dall-e-2"})
        assert_error(response, 503, openai_schemas, code="media_store_unavailable")
