"""Text-to-image models over real HTTP: valid PNG/JPEG, sized as asked, pixels from the request."""

import base64
import io
from typing import Any

import httpx
import pytest
from media_checks import error_of, picture, png
from PIL import ImageChops

FLUX_1 = "@cf/black-forest-labs/flux-1-schnell"
SDXL = "@cf/bytedance/stable-diffusion-xl-lightning"
SDXL_BASE = "@cf/stabilityai/stable-diffusion-xl-base-1.0"
IMG2IMG = "@cf/runwayml/stable-diffusion-v1-5-img2img"
INPAINT = "@cf/runwayml/stable-diffusion-v1-5-inpainting"
LUCID = "@cf/leonardo/lucid-origin"
PHOENIX = "@cf/leonardo/phoenix-1.0"
FLUX_2 = "@cf/black-forest-labs/flux-2-dev"
KLEIN = "@cf/black-forest-labs/flux-2-klein-4b"
SMALL = {"width": 256, "height": 320}


def run(api: httpx.Client, model: str, body: dict[str, Any]) -> httpx.Response:
    return api.post(f"/run/{model}", json=body)


def binary(api: httpx.Client, model: str, body: dict[str, Any], media_type: str) -> bytes:
    response = run(api, model, body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    return response.content


def enveloped(response: httpx.Response) -> bytes:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True and set(body["result"]) == {"image"}
    return base64.b64decode(body["result"]["image"], validate=True)


def test_flux_1_schnell_answers_a_base64_jpeg_of_1024_square(api: httpx.Client) -> None:
    data = enveloped(run(api, FLUX_1, {"prompt": "a red fox", "steps": 4}))
    assert data.startswith(b"\xff\xd8\xff")
    image = picture(data)
    assert (image.format, image.size) == ("JPEG", (1024, 1024))
    assert enveloped(run(api, FLUX_1, {"prompt": "a red fox", "steps": 4})) == data
    assert enveloped(run(api, FLUX_1, {"prompt": "a blue fox", "steps": 4})) != data
    assert enveloped(run(api, FLUX_1, {"prompt": "a red fox"})) == data, "steps default to 4"


@pytest.mark.parametrize(
    "body",
    [
        {"prompt": "fox", "width": 512},  # additionalProperties: false
        {"prompt": "fox", "seed": 1},
        {"prompt": "fox", "steps": 9},
        {"prompt": "fox", "steps": "4"},
        {"prompt": ""},
        {"prompt": "x" * 2049},
        {"steps": 4},
    ],
)
def test_flux_1_schnell_refuses_what_its_schema_refuses(
    api: httpx.Client, body: dict[str, Any]
) -> None:
    response = run(api, FLUX_1, body)
    assert error_of(response) == (400, 5006)
    assert response.json()["errors"][0]["message"].startswith("AiError: Bad input: Error: ")


def test_sdxl_answers_png_bytes_sized_by_width_and_height(api: httpx.Client) -> None:
    data = binary(api, SDXL, {"prompt": "a lighthouse", "seed": 7} | SMALL, "image/png")
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = picture(data)
    assert (image.format, image.size) == ("PNG", (256, 320))
    again = binary(api, SDXL, {"prompt": "a lighthouse", "seed": 7} | SMALL, "image/png")
    assert again == data
    reseeded = binary(api, SDXL, {"prompt": "a lighthouse", "seed": 8} | SMALL, "image/png")
    other = binary(api, SDXL, {"prompt": "a windmill", "seed": 7} | SMALL, "image/png")
    pixels = picture(data).tobytes()
    assert picture(reseeded).tobytes() != pixels
    assert picture(other).tobytes() != pixels
    base = binary(api, SDXL_BASE, {"prompt": "a lighthouse", "seed": 7} | SMALL, "image/png")
    assert picture(base).tobytes() != pixels, "the model is part of the seed"


def test_sdxl_default_size_is_1024(api: httpx.Client) -> None:
    assert picture(binary(api, SDXL, {"prompt": "sea"}, "image/png")).size == (1024, 1024)


@pytest.mark.parametrize(
    "body",
    [
        {"prompt": "sea", "width": 255},
        {"prompt": "sea", "height": 2049},
        {"prompt": "sea", "num_steps": 21},
        {"prompt": "sea", "strength": 1.5},
        {"prompt": "sea", "seed": "one"},
        {"prompt": "sea", "guidance": True},
        {"negative_prompt": "clouds"},
    ],
)
def test_sdxl_out_of_range_inputs_are_5006(api: httpx.Client, body: dict[str, Any]) -> None:
    assert error_of(run(api, SDXL, body)) == (400, 5006)


def test_phoenix_answers_jpeg_bytes_and_checks_its_bounds(api: httpx.Client) -> None:
    body = {"prompt": "a phoenix", "width": 320, "height": 200, "seed": 3}
    image = picture(binary(api, PHOENIX, body, "image/jpeg"))
    assert (image.format, image.size) == ("JPEG", (320, 200))
    zero = picture(
        binary(api, PHOENIX, {"prompt": "a phoenix", "width": 0, "height": 256}, "image/jpeg")
    )
    assert zero.size == (1024, 256), "0 means the default"
    for bad in ({"guidance": 1}, {"num_steps": 51}, {"seed": -1}, {"negative_prompt": ""}):
        assert error_of(run(api, PHOENIX, {"prompt": "a phoenix"} | bad)) == (400, 5006)


def test_lucid_origin_answers_a_base64_jpeg(api: httpx.Client) -> None:
    data = enveloped(run(api, LUCID, {"prompt": "a logo", "width": 300, "height": 260, "steps": 8}))
    image = picture(data)
    assert (image.format, image.size) == ("JPEG", (300, 260))
    assert error_of(run(api, LUCID, {"prompt": "a logo", "width": 2501})) == (400, 5006)
    assert error_of(run(api, LUCID, {"prompt": "a logo", "steps": 41})) == (400, 5006)


def test_img2img_blends_the_source_by_strength(api: httpx.Client) -> None:
    source = png(96, 64, (200, 30, 30))
    body = {"prompt": "make it blue", "image": list(source), "seed": 1}
    kept = picture(binary(api, IMG2IMG, body | {"strength": 0}, "image/png"))
    assert kept.size == (96, 64), "the source's size by default"
    assert ImageChops.difference(kept.convert("RGB"), picture(source)).getbbox() is None
    full = picture(binary(api, IMG2IMG, body, "image/png")).tobytes()
    half = picture(binary(api, IMG2IMG, body | {"strength": 0.5}, "image/png")).tobytes()
    assert len({full, half, kept.tobytes()}) == 3
    as_b64 = {"prompt": "make it blue", "image_b64": base64.b64encode(source).decode(), "seed": 1}
    assert picture(binary(api, IMG2IMG, as_b64, "image/png")).tobytes() == full
    other = body | {"image": list(png(96, 64, (30, 200, 30)))}
    assert picture(binary(api, IMG2IMG, other, "image/png")).tobytes() != full
    sized = picture(binary(api, IMG2IMG, body | SMALL, "image/png"))
    assert sized.size == (256, 320)


def test_img2img_needs_a_decodable_source(api: httpx.Client) -> None:
    assert error_of(run(api, IMG2IMG, {"prompt": "x"})) == (400, 3010)
    assert error_of(run(api, IMG2IMG, {"prompt": "x", "image": [1, 2, 3]})) == (400, 3010)
    assert error_of(run(api, IMG2IMG, {"prompt": "x", "image": [300]})) == (400, 3010)
    assert error_of(run(api, IMG2IMG, {"prompt": "x", "image_b64": "%%%"})) == (400, 3010)


def test_inpainting_repaints_only_where_the_mask_is_white(api: httpx.Client) -> None:
    source = png(64, 64, (10, 120, 240))
    mask = picture(png(64, 64, (0, 0, 0)))
    mask.paste((255, 255, 255), (32, 0, 64, 64))
    buffer = io.BytesIO()
    mask.save(buffer, "PNG")
    body = {"prompt": "a cat", "image": list(source), "mask": list(buffer.getvalue()), "seed": 5}
    out = picture(binary(api, INPAINT, body, "image/png")).convert("RGB")
    diff = ImageChops.difference(out, picture(source).convert("RGB"))
    assert diff.crop((0, 0, 32, 64)).getbbox() is None, "black keeps the source"
    assert diff.crop((32, 0, 64, 64)).getbbox() is not None, "white repaints"
    assert error_of(run(api, INPAINT, {"prompt": "a cat", "image": list(source)})) == (400, 3010)


def multipart(
    api: httpx.Client, model: str, fields: dict[str, str], files: dict[str, Any] | None = None
) -> httpx.Response:
    """POST multipart/form-data (httpx sends a form without files urlencoded: an empty file
    part, which the model ignores, keeps it multipart)."""
    return api.post(f"/run/{model}", data=fields, files=files or {"unused": ("", b"")})


def test_flux_2_takes_multipart_even_for_a_bare_prompt(api: httpx.Client, emulator) -> None:
    data = enveloped(multipart(api, FLUX_2, {"prompt": "a harbour"}))
    assert (picture(data).format, picture(data).size) == ("JPEG", (1024, 768))
    sized = enveloped(
        multipart(
            api, FLUX_2, {"prompt": "a harbour", "width": "512", "height": "256", "seed": "4"}
        )
    )
    assert picture(sized).size == (512, 256)
    assert emulator.requests()[-1]["body"] is None and emulator.requests()[-1]["body_bytes"] > 0
    reference = {"input_image_0": ("ref.png", png(64, 64, (9, 9, 9)), "image/png")}
    guided = enveloped(multipart(api, FLUX_2, {"prompt": "a harbour"}, reference))
    assert picture(guided).tobytes() != picture(data).tobytes()
    json_body = run(api, FLUX_2, {"prompt": "a harbour"})
    assert error_of(json_body) == (400, 5006)
    assert "'multipart'" in json_body.json()["errors"][0]["message"]


def test_flux_2_refuses_bad_fields_and_large_references(api: httpx.Client) -> None:
    assert error_of(multipart(api, FLUX_2, {"prompt": "x", "width": "255"})) == (400, 5006)
    assert error_of(multipart(api, FLUX_2, {"prompt": "x", "steps": "many"})) == (400, 5006)
    assert error_of(multipart(api, FLUX_2, {"width": "512"})) == (400, 5006)
    large = {"input_image_1": ("big.png", png(600, 100, (1, 2, 3)), "image/png")}
    assert error_of(multipart(api, FLUX_2, {"prompt": "x"}, large)) == (400, 3010)
    junk = {"input_image_0": ("junk.png", b"not an image", "image/png")}
    assert error_of(multipart(api, FLUX_2, {"prompt": "x"}, junk)) == (400, 3010)


@pytest.mark.parametrize("model", [KLEIN, "@cf/black-forest-labs/flux-2-klein-9b"])
def test_flux_2_klein_fixes_steps(api: httpx.Client, model: str) -> None:
    fields = {"prompt": "a kite", "width": "256", "height": "256"}
    four = enveloped(multipart(api, model, fields))
    assert four == enveloped(multipart(api, model, fields | {"steps": "9"}))
