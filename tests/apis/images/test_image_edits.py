"""POST /v1/images/edits over real HTTP: multipart as the official SDK sends it, to Stable
Diffusion's img2img and inpainting (one source image, OpenAI's mask made into theirs) and FLUX.2
(reference images scaled to fit), and every way an upload can be wrong: not an image, too big,
broken multipart, the wrong number of images, a mask that does not fit."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from helpers import assert_error, decoded, last_run, picture, upstream_runs

from gateway.core.config import Settings

IMG2IMG = Settings.model_fields["image_edit_model"].default
INPAINTING = Settings.model_fields["image_inpainting_model"].default
SDXL = Settings.model_fields["image_backup_model"].default
KLEIN = "@cf/black-forest-labs/flux-2-klein-4b"
FLUX = Settings.model_fields["image_model"].default
PATH = "/v1/images/edits"
SOURCE = picture((96, 64), (200, 30, 30))


def mask(size: tuple[int, int] = (96, 64), transparent_width: int = 32) -> bytes:
    """OpenAI's kind of mask: opaque, with its left `transparent_width` columns transparent."""
    from PIL import Image

    image = Image.new("RGBA", size, (0, 0, 0, 255))
    image.paste((0, 0, 0, 0), (0, 0, transparent_width, size[1]))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def edit(gateway: Any, files: Any = None, **fields: Any) -> httpx.Response:
    """A multipart edit as httpx builds one (the same encoding as the SDK's)."""
    files = files if files is not None else {"image": ("source.png", SOURCE, "image/png")}
    data = {"prompt": "make it blue"} | {k: str(v) for k, v in fields.items()}
    return httpx.post(
        f"{gateway.url}{PATH}",
        files=files,
        data=data,
        headers={"authorization": f"Bearer {gateway.api_key}"},
        timeout=30,
    )


def sent(emulator: Any) -> dict[str, Any]:
    return last_run(emulator)["body"]


# --- through the SDK ----------------------------------------------------------------------------


def test_an_edit_through_the_sdk_goes_to_img2img(client, emulator, openai_schemas):
    raw = client.images.with_raw_response.edit(
        image=("source.png", SOURCE, "image/png"), prompt="make it blue"
    )
    openai_schemas.validate("ImagesResponse", raw.http_response.json())
    result = raw.parse()
    image = decoded(base64.b64decode(result.data[0].b64_json))
    assert (image.format, image.size) == ("PNG", (96, 64))
    assert raw.headers["x-gateway-model"] == IMG2IMG
    body = sent(emulator)
    assert base64.b64decode(body["image_b64"]) == SOURCE
    assert (body["prompt"], body["strength"]) == ("make it blue", 0.8)
    assert "mask" not in body


def test_a_mask_goes_to_inpainting_made_white_where_to_repaint(client, emulator):
    result = client.images.edit(
        image=("source.png", SOURCE, "image/png"),
        mask=("mask.png", mask(), "image/png"),
        prompt="make the left blue",
        response_format="b64_json",
    )
    assert decoded(base64.b64decode(result.data[0].b64_json)).size == (96, 64)
    body = sent(emulator)
    assert last_run(emulator)["model"] == INPAINTING
    sd_mask = decoded(bytes(body["mask"]))
    assert sd_mask.mode == "L" and sd_mask.size == (96, 64)
    assert sd_mask.getpixel((0, 0)) == 255 and sd_mask.getpixel((31, 63)) == 255
    assert sd_mask.getpixel((32, 0)) == 0 and sd_mask.getpixel((95, 63)) == 0
    assert "strength" not in body
    source = decoded(SOURCE)
    edited = decoded(base64.b64decode(result.data[0].b64_json))
    assert edited.getpixel((90, 30)) == source.getpixel((90, 30)), "kept where opaque"
    assert edited.getpixel((5, 30)) != source.getpixel((5, 30)), "repainted where transparent"


def test_flux_2_takes_several_images_scaled_to_fit(client, emulator):
    large = picture((1200, 900), (10, 120, 200), fmt="JPEG")
    result = client.images.edit(
        model=KLEIN,
        image=[("a.jpg", large, "image/jpeg"), ("b.png", SOURCE, "image/png")],
        prompt="combine image 0 and image 1",
        size="512x512",
        response_format="b64_json",
    )
    assert decoded(base64.b64decode(result.data[0].b64_json)).size == (512, 512)
    run = last_run(emulator)
    assert run["model"] == KLEIN
    assert run["headers"]["content-type"].startswith("multipart/form-data")


def test_the_dall_e_names_answer_a_link(client, emulator):
    result = client.images.edit(
        model="dall-e-2", image=("source.png", SOURCE, "image/png"), prompt="make it blue"
    )
    download = httpx.get(result.data[0].url, timeout=30)
    assert download.status_code == 200
    assert decoded(download.content).size == (96, 64)


# --- fields --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "strength"),
    [({}, 0.8), ({"input_fidelity": "low"}, 0.8), ({"input_fidelity": "high"}, 0.5)],
)
def test_input_fidelity_is_the_unmasked_strength(gateway, emulator, fields, strength):
    assert edit(gateway, **fields).status_code == 200
    assert sent(emulator)["strength"] == strength


def test_strength_and_options_reach_stable_diffusion(gateway, emulator):
    response = edit(gateway, strength=0.3, seed=5, n=2, negative_prompt="blur", quality="low")
    assert response.status_code == 200, response.text
    bodies = [run["body"] for run in upstream_runs(emulator)]
    assert sorted(body["seed"] for body in bodies) == [5, 6]
    assert {(b["strength"], b["negative_prompt"], b["num_steps"]) for b in bodies} == {
        (0.3, "blur", 5)
    }


def test_a_webp_source_is_sent_as_png(gateway, emulator):
    webp = picture((40, 40), (0, 200, 0), fmt="WEBP")
    assert edit(gateway, {"image": ("s.webp", webp, "image/webp")}).status_code == 200
    assert decoded(base64.b64decode(sent(emulator)["image_b64"])).format == "PNG"


def test_the_backup_takes_over_an_edit_it_can_do(gateway, emulator):
    emulator.add_fault(model=INPAINTING, status=503, times=None)
    files = {
        "image": ("source.png", SOURCE, "image/png"),
        "mask": ("mask.png", mask(), "image/png"),
    }
    response = edit(gateway, files)
    assert response.status_code == 200, response.text
    assert response.headers["x-gateway-model"] == SDXL
    assert [run["model"] for run in upstream_runs(emulator)] == [INPAINTING, SDXL]


REFUSED = [
    ({"model": FLUX}, None, "model"),
    ({"model": KLEIN}, "mask", "mask"),
    ({"model": INPAINTING}, None, "mask"),
    ({"model": KLEIN, "input_fidelity": "high"}, None, "input_fidelity"),
    ({"model": KLEIN, "strength": 0.5}, None, "strength"),
    ({"model": IMG2IMG, "size": "4096x4096"}, None, "size"),
]


@pytest.mark.parametrize(("fields", "extra", "param"), REFUSED, ids=lambda v: str(v)[:30])
def test_what_a_model_cannot_do_is_a_400(gateway, emulator, openai_schemas, fields, extra, param):
    files: dict[str, Any] = {"image": ("source.png", SOURCE, "image/png")}
    if extra == "mask":
        files["mask"] = ("mask.png", mask(), "image/png")
    assert_error(edit(gateway, files, **fields), 400, openai_schemas, param=param)
    assert upstream_runs(emulator) == []


# --- uploads that are wrong ----------------------------------------------------------------------


def many(name: str, count: int) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [(name, (f"{index}.png", SOURCE, "image/png")) for index in range(count)]


BAD_UPLOADS = {
    "not-an-image": ({"image": ("a.png", b"just text", "image/png")}, "image"),
    "truncated-png": ({"image": ("a.png", SOURCE[:40], "image/png")}, "image"),
    "gif": ({"image": ("a.gif", picture(fmt="GIF"), "image/gif")}, "image"),
    "two-images-for-sd": (many("image[]", 2), "image"),
    "seventeen-images": (many("image[]", 17), "image"),
    "mask-of-another-size": (
        {"image": ("a.png", SOURCE, "image/png"), "mask": ("m.png", mask((64, 64)), "image/png")},
        "mask",
    ),
    "mask-without-alpha": (
        {
            "image": ("a.png", SOURCE, "image/png"),
            "mask": ("m.png", picture((96, 64)), "image/png"),
        },
        "mask",
    ),
    "mask-with-alpha-but-no-transparent-pixel": (
        {
            "image": ("a.png", SOURCE, "image/png"),
            "mask": ("m.png", mask(transparent_width=0), "image/png"),
        },
        "mask",
    ),
    "mask-not-an-image": (
        {"image": ("a.png", SOURCE, "image/png"), "mask": ("m.png", b"\x89PNG", "image/png")},
        "mask",
    ),
    "decompression-bomb": (
        {"image": ("a.png", picture((9000, 9000), 0, mode="1"), "image/png")},
        "image",
    ),
}


@pytest.mark.parametrize(("files", "param"), BAD_UPLOADS.values(), ids=BAD_UPLOADS)
def test_an_unusable_upload_is_a_400_naming_it(gateway, emulator, openai_schemas, files, param):
    assert_error(edit(gateway, files), 400, openai_schemas, param=param)
    assert upstream_runs(emulator) == []


def test_an_image_sent_as_text_or_missing_is_a_400(gateway, emulator, openai_schemas):
    response = edit(gateway, {"mask": ("m.png", mask(), "image/png")}, image="not a file")
    assert_error(response, 400, openai_schemas, param="image", code="invalid_value")
    response = edit(gateway, {"mask": ("m.png", mask(), "image/png")})
    assert_error(response, 400, openai_schemas, param="image", code="missing_required_parameter")
    response = httpx.post(
        f"{gateway.url}{PATH}",
        files={"image": ("source.png", SOURCE, "image/png")},
        headers={"authorization": f"Bearer {gateway.api_key}"},
        timeout=30,
    )
    assert_error(response, 400, openai_schemas, param="prompt")


BOUNDARY = "gatewayboundary"
FORM = f"multipart/form-data; boundary={BOUNDARY}"


def part(name: str, value: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + value + b"\r\n"


WHOLE = part("prompt", b"blue") + part("image", SOURCE, "a.png") + f"--{BOUNDARY}--\r\n".encode()
BROKEN = {
    "json-body": (b'{"prompt": "blue"}', "application/json"),
    "no-boundary": (WHOLE, "multipart/form-data"),
    "other-boundary": (WHOLE, "multipart/form-data; boundary=elsewhere"),
    "no-closing-boundary": (WHOLE[: -len(f"--{BOUNDARY}--\r\n")], FORM),
    "cut-in-a-part": (WHOLE[: len(WHOLE) // 2], FORM),
    "garbage": (b"\x00\xff" * 500, FORM),
    "empty": (b"", FORM),
    "part-without-a-name": (
        f"--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--{BOUNDARY}--\r\n".encode(),
        FORM,
    ),
    "too-many-parts": (
        b"".join(part(f"f{index}", b"x") for index in range(70)) + f"--{BOUNDARY}--\r\n".encode(),
        FORM,
    ),
    "not-utf-8": (
        part("prompt", b"\xff\xfe") + part("image", SOURCE, "a.png") + f"--{BOUNDARY}--".encode(),
        FORM,
    ),
    "nul-in-a-field": (
        part("prompt", b"a\x00b") + part("image", SOURCE, "a.png") + f"--{BOUNDARY}--".encode(),
        FORM,
    ),
    "header-flood": (
        f"--{BOUNDARY}\r\n".encode()
        + b"".join(f"X-H{index}: v\r\n".encode() for index in range(50))
        + b'Content-Disposition: form-data; name="prompt"\r\n\r\nx\r\n'
        + f"--{BOUNDARY}--\r\n".encode(),
        FORM,
    ),
}


@pytest.mark.parametrize(("content", "content_type"), BROKEN.values(), ids=BROKEN)
def test_broken_multipart_is_a_400(gateway, emulator, openai_schemas, content, content_type):
    response = httpx.post(
        f"{gateway.url}{PATH}",
        content=content,
        headers={"authorization": f"Bearer {gateway.api_key}", "content-type": content_type},
        timeout=30,
    )
    assert_error(response, 400, openai_schemas)
    assert upstream_runs(emulator) == []


def test_a_well_formed_body_built_by_hand_works(gateway, emulator):
    """The counterpart of the broken ones: the same builder, closed properly, is accepted."""
    response = httpx.post(
        f"{gateway.url}{PATH}",
        content=WHOLE,
        headers={"authorization": f"Bearer {gateway.api_key}", "content-type": FORM},
        timeout=30,
    )
    assert response.status_code == 200, response.text


# --- the upload limit ----------------------------------------------------------------------------

LIMIT = 200_000


@pytest.fixture(scope="module")
def small_limit(emulator_server: Any) -> Iterator[Any]:
    from helpers import GatewayServer, gateway_settings

    with GatewayServer(gateway_settings(emulator_server, max_upload_bytes=LIMIT)) as server:
        yield server


def test_an_upload_over_the_limit_is_a_413_naming_the_file(small_limit, emulator, openai_schemas):
    noise = bytes(range(256)) * (LIMIT // 256 + 10)
    response = edit(small_limit, {"image": ("big.png", noise, "image/png")})
    error = assert_error(response, 413, openai_schemas, param="image", code="request_too_large")
    assert str(LIMIT) in error["message"]
    assert upstream_runs(emulator) == []


def test_a_chunked_upload_is_counted_as_it_comes(small_limit, emulator, openai_schemas):
    def chunks() -> Iterator[bytes]:
        yield part("prompt", b"blue")
        for _ in range(LIMIT // 10_000 + 5):
            yield b"x" * 10_000

    response = httpx.post(
        f"{small_limit.url}{PATH}",
        content=chunks(),
        headers={"authorization": f"Bearer {small_limit.api_key}", "content-type": FORM},
        timeout=30,
    )
    assert "content-length" not in response.request.headers
    assert_error(response, 413, openai_schemas, param="image")


def test_json_routes_keep_their_own_limit(small_limit, emulator):
    response = httpx.post(
        f"{small_limit.url}/v1/chat/completions",
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "x" * (LIMIT * 2)}]},
        headers={"authorization": f"Bearer {small_limit.api_key}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text


def test_the_sdk_sees_the_413(small_limit, emulator):
    client = openai.OpenAI(
        base_url=f"{small_limit.url}/v1", api_key=small_limit.api_key, max_retries=0
    )
    noise = bytes(range(256)) * (LIMIT // 256 + 10)
    with pytest.raises(openai.APIStatusError) as caught:
        client.images.edit(image=("big.png", noise, "image/png"), prompt="blue")
    assert caught.value.status_code == 413
    assert caught.value.body["param"] == "image"
