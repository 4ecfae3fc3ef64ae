"""Each row of the images API's parameter tables does what the table says, over real HTTP: refused
rows are a 400 naming the field (for edits, sent as multipart), rows of no effect change nothing
upstream, upstream rows reach Workers AI, and every row the gateway does itself has a test."""

from __future__ import annotations

import ast
import base64
from typing import Any

import httpx
import pytest
from helpers import ROOT, assert_error, last_run, picture, post, upstream_runs
from refusals import EDITS, IMAGES, REFUSED_EXAMPLES, rows

from gateway.core.parameters import Handling

SDXL = "@cf/stabilityai/stable-diffusion-xl-base-1.0"
SOURCE = picture((64, 64))
ENDPOINTS = (IMAGES, EDITS)


def ours(found: Any) -> list[tuple[str, str]]:
    return [(endpoint, name) for endpoint, name in found if endpoint in ENDPOINTS]


def send(gateway: Any, endpoint: str, **fields: Any) -> httpx.Response:
    """The endpoint's plainest request on SDXL (it can both generate and edit), with `fields`."""
    if endpoint == IMAGES:
        body = {"prompt": "a red fox", "model": SDXL, "response_format": "b64_json"}
        return post(gateway, "/v1/images/generations", body | fields)
    data = {"prompt": "a red fox", "model": SDXL} | fields
    return httpx.post(
        f"{gateway.url}/v1/images/edits",
        files={"image": ("source.png", SOURCE, "image/png")},
        data={
            key: str(value).lower() if isinstance(value, bool) else str(value)
            for key, value in data.items()
        },
        headers={"authorization": f"Bearer {gateway.api_key}"},
        timeout=30,
    )


@pytest.mark.parametrize(("endpoint", "name"), ours(REFUSED_EXAMPLES), ids="-".join)
def test_refused_rows_are_a_400_naming_the_parameter(
    gateway, emulator, openai_schemas, endpoint, name
):
    response = send(gateway, endpoint, **{name: REFUSED_EXAMPLES[endpoint, name]})
    assert_error(response, 400, openai_schemas, param=name, code="unsupported_parameter")
    assert upstream_runs(emulator) == []


ASKING_NOTHING = {
    "stream": False,
    "partial_images": 0,
    "moderation": "auto",
    "background": "opaque",
    "style": "vivid",
}
"""A value of each refused row that asks for nothing Workers AI lacks."""


@pytest.mark.parametrize(("endpoint", "name"), ours(REFUSED_EXAMPLES), ids="-".join)
def test_refused_rows_accept_what_asks_for_nothing(gateway, emulator, endpoint, name):
    response = send(gateway, endpoint, **{name: ASKING_NOTHING[name]})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(("endpoint", "name"), ours(rows(Handling.NO_EFFECT)), ids="-".join)
def test_no_effect_rows_change_nothing_upstream(gateway, emulator, endpoint, name):
    assert send(gateway, endpoint).status_code == 200
    plain = last_run(emulator)["body"]
    assert send(gateway, endpoint, **{name: "user-1234"}).status_code == 200
    assert last_run(emulator)["body"] == plain


UPSTREAM = {
    "prompt": ("a blue hen", "prompt", "a blue hen"),
    "size": ("512x768", "width", 512),
    "quality": ("low", "num_steps", 5),
    "seed": (11, "seed", 11),
    "negative_prompt": ("blur", "negative_prompt", "blur"),
    "guidance": (6.5, "guidance", 6.5),
    "input_fidelity": ("high", "strength", 0.5),
    "strength": (0.25, "strength", 0.25),
}
"""A value for each UPSTREAM row, the upstream field it lands in, and the value sent there."""


@pytest.mark.parametrize(("endpoint", "name"), ours(rows(Handling.UPSTREAM)), ids="-".join)
def test_upstream_rows_reach_workers_ai(gateway, emulator, endpoint, name):
    value, field, expected = UPSTREAM[name]
    response = send(gateway, endpoint, **{name: value})
    assert response.status_code == 200, response.text
    assert last_run(emulator)["body"][field] == expected


GATEWAY_TESTS = {
    "model": "test_image_generations.test_the_backup_answers_when_the_primary_fails",
    "n": "test_image_generations.test_n_images_are_n_upstream_calls",
    "response_format": "test_image_generations.test_a_url_downloads_the_image_without_a_key",
    "output_format": "test_image_generations.test_output_format_converts_the_image",
    "output_compression": "test_image_generations.test_output_compression_sets_the_lossy_quality",
    "image": "test_image_edits.test_flux_2_takes_several_images_scaled_to_fit",
    "mask": "test_image_edits.test_a_mask_goes_to_inpainting_made_white_where_to_repaint",
}
"""The test that shows each GATEWAY row's behaviour."""


def test_every_gateway_row_has_a_test():
    assert {name for _, name in ours(rows(Handling.GATEWAY))} == set(GATEWAY_TESTS)
    for reference in GATEWAY_TESTS.values():
        module, function = reference.split(".")
        (path,) = (ROOT / "tests").rglob(f"{module}.py")
        defined = {
            n.name for n in ast.parse(path.read_text()).body if isinstance(n, ast.FunctionDef)
        }
        assert function in defined, reference


def test_an_edit_sends_the_image_it_was_given(gateway, emulator):
    assert send(gateway, EDITS).status_code == 200
    assert base64.b64decode(last_run(emulator)["body"]["image_b64"]) == SOURCE
