"""Manual facts that code can check, so they cannot drift: every setting is in the
configuration table (docs/configuration.md), and the number of API paths the docs page's
description states (docs/docs-page.md) is the served document's."""

from __future__ import annotations

import json
import re

from helpers import ROOT

from gateway.core.config import Settings

CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text()
DOCS_PAGE = (ROOT / "docs" / "docs-page.md").read_text()
SET_BY_AWS = {"stack_name", "aws_region"}
"""Set by template.yaml and by Lambda itself, not by the user."""
NUMBERS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
TENS = {"twenty": 20, "thirty": 30, "forty": 40}


def number(words: str) -> int:
    """A number written out in English, up to forty-nine ("twenty-four")."""
    tens, _, units = words.partition("-")
    if tens in TENS:
        return TENS[tens] + (NUMBERS.index(units) if units else 0)
    return NUMBERS.index(words)


def configuration_table() -> str:
    section = CONFIGURATION.split("\n## Environment variables\n", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("| `"))


def test_every_setting_is_in_the_configuration_table():
    table = configuration_table()
    missing = [
        name.upper()
        for name in Settings.model_fields
        if name not in SET_BY_AWS and f"`{name.upper()}`" not in table
    ]
    assert missing == []


def test_the_stated_number_of_api_paths_is_the_documents():
    paths = json.loads((ROOT / "static" / "openapi.json").read_text())["paths"]
    stated = re.search(r"the API has ([\w-]+) paths", DOCS_PAGE)
    assert stated, "docs/docs-page.md no longer states how many paths the API has"
    assert number(stated.group(1)) == len(paths)
