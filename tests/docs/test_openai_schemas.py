"""The repository's copy of OpenAI's schemas is what scripts/openai_schemas.py makes of OpenAI's
document, so the schema checks need nothing outside the repository."""

from __future__ import annotations

import json

from helpers import OPENAI_SPEC

from scripts.openai_schemas import ROOTS, SOURCE, TARGET_LICENSE, render


def test_the_copy_is_the_scripts_output():
    """From ../shared's full document when it is there; elsewhere the copy must at least be
    closed (every reference defined), hold every root, and carry no annotations, which is
    what trimming the copy again checks."""
    committed = OPENAI_SPEC.read_text()
    source = SOURCE if SOURCE.is_file() else OPENAI_SPEC
    assert render(json.loads(source.read_text())) == committed, (
        "tests/openai-schemas.json is stale: run `python scripts/openai_schemas.py` and commit it"
    )
    schemas = json.loads(committed)["components"]["schemas"]
    assert set(ROOTS) <= set(schemas)


def test_the_license_is_beside_the_copy():
    assert "Copyright (c) OpenAI" in TARGET_LICENSE.read_text()
    assert json.loads(OPENAI_SPEC.read_text())["info"]["license"]["identifier"] == "MIT"
