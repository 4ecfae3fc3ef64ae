"""POST /v1/images/generations over real HTTP, through the official SDK where it can say it: both
response formats (the link downloaded), sizes, quality, n, formats, the chain and its fallback,
upstream answers that are not images, deadlines, and hostile values. The emulator is the
upstream: its images are deterministic, so the same request gives the same bytes."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import openai
import pytest
from helpers import (
    assert_error,
    decoded,
    last_run,
    picture,
    post,
    upstream_runs,
    wait_until_quiet,
)

from gateway.core.config import Settings

FLUX = Settings.model_fields["image_model"].default
SDXL = Settings.model_fields["image_backup_model"].default
KLEIN = "@cf/black-forest-labs/flux-2-klein-4b"
LUCID = "@cf/leonardo/lucid-origin"
PATH = "/v1/images/generations"


def generate(gateway: Any, **body: Any) -> httpx.Response:
    return post(gateway, PATH, {"prompt": "a red fox"} | body)


def image_bytes(response: httpx.Response, index: int = 0) -> bytes:
    assert response.status_code == 200, response.text
    return base64.b64decode(response.json()["data"][index]["b64_json"])


def envelope(result: Any) -> str:
    return json.dumps({"result": result, "success": True, "errors": [], "messages": []})


# --- through the SDK ----------------------------------------------------------------------------


def test_generate_b64_through_the_sdk(client, emulator, openai_schemas):
    raw = client.images.with_raw_response.generate(model="gpt-image-1", prompt="a red fox")
    openai_schemas.validate("ImagesResponse", raw.http_response.json())
    result = raw.parse()
    image = decoded(base64.b64decode(result.data[0].b64_json))
    assert (image.format, image.size) == ("JPEG", (1024, 1024))
    assert result.output_format == "jpeg"
    assert result.data[0].url is None
    assert raw.headers["x-gateway-model"] == FLUX
    run = last_run(emulator)
    assert (run["model"], run["body"]) == (FLUX, {"prompt": "a red fox"})


def test_a_url_downloads_the_image_without_a_key(client, emulator, openai_schemas):
    raw = client.images.with_raw_response.generate(model="dall-e-2", prompt="a red fox")
    openai_schemas.validate("ImagesResponse", raw.http_response.json())
    url = raw.parse().data[0].url
    assert url.startswith(str(client.base_url).removesuffix("/v1/") + "/media/")
    download = httpx.get(url, timeout=30)
    assert download.status_code == 200
    assert download.headers["content-type"] == "image/jpeg"
    assert download.headers["x-content-type-options"] == "nosniff"
    inline = client.images.generate(
        model="dall-e-2", prompt="a red fox", response_format="b64_json"
    )
    assert download.content == base64.b64decode(inline.data[0].b64_json)


@pytest.mark.parametrize(
    ("model", "form"),
    [
        (None, "url"),
        ("dall-e-2", "url"),
        ("dall-e-3", "url"),
        ("gpt-image-1", "b64_json"),
        (FLUX, "b64_json"),
    ],
)
def test_the_default_response_format_follows_openai(gateway, emulator, model, form):
    body = {"prompt": "a red fox"} | ({"model": model} if model else {})
    response = post(gateway, PATH, body)
    assert response.status_code == 200, response.text
    assert set(response.json()["data"][0]) == {form}


def test_n_images_are_n_upstream_calls(client, emulator):
    result = client.images.generate(
        model=SDXL, prompt="a red fox", n=3, response_format="b64_json", extra_body={"seed": 7}
    )
    images = [base64.b64decode(item.b64_json) for item in result.data]
    assert len(images) == 3 and len(set(images)) == 3
    runs = upstream_runs(emulator)
    assert sorted(run["body"]["seed"] for run in runs) == [7, 8, 9]
    assert {run["model"] for run in runs} == {SDXL}


def test_size_is_the_models_width_and_height(client, emulator):
    result = client.images.generate(
        model=SDXL, prompt="a red fox", size="512x768", response_format="b64_json"
    )
    image = decoded(base64.b64decode(result.data[0].b64_json))
    assert (image.format, image.size) == ("PNG", (512, 768))
    body = last_run(emulator)["body"]
    assert (body["width"], body["height"]) == (512, 768)


def test_the_models_own_size_is_accepted_where_it_has_only_one(gateway, emulator):
    for size in ("1024x1024", "auto"):
        assert generate(gateway, model=FLUX, size=size).status_code == 200
    assert "width" not in last_run(emulator)["body"]


@pytest.mark.parametrize(
    ("model", "size"),
    [
        (FLUX, "512x512"),
        (SDXL, "128x128"),
        (SDXL, "1024x4096"),
        (KLEIN, "2048x2048"),
    ],
)
def test_a_size_the_model_cannot_make_is_a_400(gateway, emulator, openai_schemas, model, size):
    error = assert_error(
        generate(gateway, model=model, size=size), 400, openai_schemas, param="size"
    )
    assert model in error["message"]
    assert upstream_runs(emulator) == []


@pytest.mark.parametrize(
    ("quality", "steps"),
    [("low", 2), ("medium", 4), ("high", 8), ("hd", 8), ("standard", None), ("auto", None)],
)
def test_quality_is_the_models_steps(gateway, emulator, quality, steps):
    assert generate(gateway, model=FLUX, quality=quality).status_code == 200
    assert last_run(emulator)["body"].get("steps") == steps


def test_quality_on_a_model_with_fixed_steps(gateway, emulator, openai_schemas):
    assert generate(gateway, model=KLEIN, quality="auto").status_code == 200
    assert_error(
        generate(gateway, model=KLEIN, quality="high"), 400, openai_schemas, param="quality"
    )


@pytest.mark.parametrize(
    ("model", "output_format", "pillow"),
    [(FLUX, "png", "PNG"), (SDXL, "jpeg", "JPEG"), (SDXL, "webp", "WEBP"), (FLUX, "jpeg", "JPEG")],
)
def test_output_format_converts_the_image(gateway, emulator, model, output_format, pillow):
    response = generate(gateway, model=model, output_format=output_format)
    assert decoded(image_bytes(response)).format == pillow
    assert response.json()["output_format"] == output_format


def test_output_compression_sets_the_lossy_quality(gateway, emulator, openai_schemas):
    small = image_bytes(generate(gateway, model=SDXL, output_format="jpeg", output_compression=5))
    large = image_bytes(generate(gateway, model=SDXL, output_format="jpeg", output_compression=95))
    assert decoded(small).format == decoded(large).format == "JPEG"
    assert len(small) < len(large)
    assert_error(
        generate(gateway, model=SDXL, output_format="png", output_compression=50),
        400,
        openai_schemas,
        param="output_compression",
    )


def test_workers_ai_options_go_to_models_that_take_them(gateway, emulator, openai_schemas):
    response = generate(gateway, model=SDXL, negative_prompt="blur", guidance=9.5, seed=3)
    assert response.status_code == 200, response.text
    body = last_run(emulator)["body"]
    assert (body["negative_prompt"], body["guidance"], body["seed"]) == ("blur", 9.5, 3)
    for option, value in (("seed", 3), ("negative_prompt", "blur"), ("guidance", 2.0)):
        error = assert_error(
            generate(gateway, model=FLUX, **{option: value}), 400, openai_schemas, param=option
        )
        assert FLUX in error["message"]


def test_models_that_only_edit_are_sent_to_edits(gateway, emulator, openai_schemas):
    model = "@cf/runwayml/stable-diffusion-v1-5-img2img"
    error = assert_error(generate(gateway, model=model), 400, openai_schemas, param="model")
    assert "/v1/images/edits" in error["message"]


@pytest.mark.filterwarnings("ignore:deprecated:DeprecationWarning")  # the SDK's, for dall-e-2
def test_variations_are_a_clear_400(client, emulator):
    with pytest.raises(openai.BadRequestError) as caught:
        client.images.create_variation(image=("fox.png", picture(), "image/png"))
    assert caught.value.code == "unsupported_endpoint"
    assert "/v1/images/edits" in caught.value.message
    assert upstream_runs(emulator) == []


# --- models, the chain, and upstream failures ---------------------------------------------------


def test_the_backup_answers_when_the_primary_fails(gateway, emulator):
    emulator.add_fault(model=FLUX, status=500, times=None)
    response = generate(gateway, model="dall-e-3", response_format="b64_json")
    assert response.headers["x-gateway-model"] == SDXL
    assert decoded(image_bytes(response)).format == "PNG"
    assert [run["model"] for run in upstream_runs(emulator)] == [FLUX, SDXL]


def test_a_backup_that_cannot_do_the_request_is_left_out(gateway, emulator, openai_schemas):
    """Lucid Origin makes up to 2500 pixels a side, SDXL (the backup) up to 2048."""
    emulator.add_fault(model=LUCID, status=500, times=None)
    response = generate(gateway, model=LUCID, size="2400x2400")
    assert_error(response, 502, openai_schemas, code="upstream_error")
    assert [run["model"] for run in upstream_runs(emulator)] == [LUCID]
    assert generate(gateway, model=LUCID, size="1024x1024").headers["x-gateway-model"] == SDXL


def test_a_failure_the_backup_cannot_help_with_is_answered_at_once(
    gateway, emulator, openai_schemas
):
    emulator.add_fault(model=FLUX, code=3036, times=None)
    response = generate(gateway, model="dall-e-2")
    assert_error(response, 429, openai_schemas, code="daily_quota_exceeded")
    assert [run["model"] for run in upstream_runs(emulator)] == [FLUX]


NOT_IMAGES = {
    "png-that-is-not": {"raw_status_body": "not a picture", "content_type": "image/png"},
    "empty-png": {"raw_status_body": "", "content_type": "image/png"},
    "html": {"raw_status_body": "<html>busy</html>", "content_type": "text/html"},
    "no-image": {"raw_status_body": envelope({}), "content_type": "application/json"},
    "image-not-base64": {
        "raw_status_body": envelope({"image": "%%%"}),
        "content_type": "application/json",
    },
    "base64-of-text": {
        "raw_status_body": envelope({"image": base64.b64encode(b"hello").decode()}),
        "content_type": "application/json",
    },
    "error-under-200": {
        "raw_status_body": json.dumps({"errors": [{"code": 3040, "message": "busy"}]}),
        "content_type": "application/json",
    },
}


@pytest.mark.parametrize("fault", NOT_IMAGES.values(), ids=NOT_IMAGES)
@pytest.mark.parametrize("failing", ["primary", "every-model"])
def test_a_2xx_without_an_image_is_an_upstream_failure(
    gateway, emulator, openai_schemas, fault, failing
):
    emulator.add_fault(model=FLUX if failing == "primary" else "*", status=200, times=None, **fault)
    response = generate(gateway, model="dall-e-2", response_format="b64_json")
    assert [run["model"] for run in upstream_runs(emulator)] == [FLUX, SDXL]
    if failing == "primary":
        assert response.headers["x-gateway-model"] == SDXL
        assert decoded(image_bytes(response)).format == "PNG"
    else:
        busy = "3040" in fault["raw_status_body"]
        status, code = (429, "model_busy") if busy else (502, "upstream_error")
        assert_error(response, status, openai_schemas, code=code)


def test_one_of_n_failing_fails_the_request_and_stops_the_others(gateway, emulator, openai_schemas):
    baselines = {server: len(server.running_tasks()) for server in (gateway, emulator)}
    emulator.add_fault(model=SDXL, code=5004, times=1)
    emulator.add_fault(model=SDXL, delay_ms=3000, times=None)
    response = generate(gateway, model=SDXL, n=4)
    assert_error(response, 400, openai_schemas, code="upstream_invalid_request")
    for server, baseline in baselines.items():
        wait_until_quiet(server, baseline)


def test_every_image_keeps_to_the_request_deadline(start_gateway, emulator, openai_schemas):
    with start_gateway(request_deadline=1.0, attempt_timeout=10.0) as gateway:
        baselines = {server: len(server.running_tasks()) for server in (gateway, emulator)}
        emulator.add_fault(model="*", delay_ms=10_000, times=None)
        response = generate(gateway, model="dall-e-2", n=2)
        assert_error(response, 504, openai_schemas, code="upstream_timeout")
        for server, baseline in baselines.items():
            wait_until_quiet(server, baseline)


def test_unknown_models_and_models_of_other_tasks(gateway, emulator, openai_schemas):
    assert_error(
        generate(gateway, model="@cf/nobody/nothing"), 404, openai_schemas, code="model_not_found"
    )
    error = assert_error(
        generate(gateway, model="gpt-4o"), 400, openai_schemas, code="model_not_supported"
    )
    assert "Text-to-Image" in error["message"]
    assert upstream_runs(emulator) == []


# --- hostile values -------------------------------------------------------------------------------

HOSTILE = [
    ({"n": 11}, "n"),
    ({"n": 0}, "n"),
    ({"n": 10**12}, "n"),
    ({"n": -1}, "n"),
    ({"n": "many"}, "n"),
    ({"size": "1024"}, "size"),
    ({"size": "1024x"}, "size"),
    ({"size": "0x512"}, "size"),
    ({"size": " 512x512"}, "size"),
    ({"size": "512x512x512"}, "size"),
    ({"size": "9" * 400 + "x512"}, "size"),
    ({"size": 1024}, "size"),
    ({"prompt": ""}, "prompt"),
    ({"prompt": "x" * 32001}, "prompt"),
    ({"prompt": ["a", "b"]}, "prompt"),
    ({"output_compression": 101}, "output_compression"),
    ({"output_format": "gif"}, "output_format"),
    ({"response_format": "file"}, "response_format"),
    ({"quality": "ultra"}, "quality"),
    ({"seed": -1}, "seed"),
]


@pytest.mark.parametrize(("change", "param"), HOSTILE, ids=lambda value: str(value)[:40])
def test_hostile_values_are_a_400_naming_them(gateway, emulator, openai_schemas, change, param):
    response = post(gateway, PATH, {"prompt": "a red fox", "model": SDXL} | change)
    assert_error(response, 400, openai_schemas, param=param)
    assert upstream_runs(emulator) == []


def test_a_body_that_is_not_a_json_object_is_a_400(gateway, emulator, openai_schemas):
    for content in (b"", b"[1, 2]", b"{", b"prompt=a fox"):
        response = post(
            gateway, PATH, content=content, headers={"content-type": "application/json"}
        )
        assert_error(response, 400, openai_schemas)
    assert_error(post(gateway, PATH, {"n": 2}), 400, openai_schemas, param="prompt")
