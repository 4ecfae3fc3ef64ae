"""Llama Guard's verdict, read and mapped onto OpenAI's moderation categories.

Llama Guard answers `safe`, or `unsafe` and the hazard codes it found (S1..S14): as text
("unsafe\\nS1,S10") or, asked for JSON, `{"safe": false, "categories": ["S1", "S10"]}`.
`flagged` is the verdict; each code sets the OpenAI categories below. Codes with no OpenAI
category (S5 defamation, S6 specialized advice, S7 privacy, S8 intellectual property, S13
elections, S14 code interpreter abuse) flag the input without setting a category; every code is
also given in the result's `hazards`. Scores are 1 for a category set, else 0: the model gives
a verdict, not probabilities.
"""

from __future__ import annotations

import json
import re
from typing import Any

from gateway.core.upstream_errors import UpstreamError

CATEGORIES = (
    "hate",
    "hate/threatening",
    "harassment",
    "harassment/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)
"""OpenAI's categories, every one of which a result carries."""

HAZARDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "S1": ("violent crimes", ("violence", "illicit/violent")),
    "S2": ("non-violent crimes", ("illicit",)),
    "S3": ("sex-related crimes", ("illicit", "sexual")),
    "S4": ("child sexual exploitation", ("sexual", "sexual/minors")),
    "S5": ("defamation", ()),
    "S6": ("specialized advice", ()),
    "S7": ("privacy", ()),
    "S8": ("intellectual property", ()),
    "S9": ("indiscriminate weapons", ("illicit", "illicit/violent", "violence")),
    "S10": ("hate", ("hate",)),
    "S11": ("suicide and self-harm", ("self-harm",)),
    "S12": ("sexual content", ("sexual",)),
    "S13": ("elections", ()),
    "S14": ("code interpreter abuse", ()),
}
"""Llama Guard 3's hazard codes: what each means, and the OpenAI categories it sets."""

_CODE = re.compile(r"\bS(\d{1,2})\b")


def _invalid(what: str) -> UpstreamError:
    return UpstreamError(f"Llama Guard answered {what}.", status=200, kind="invalid")


def read_verdict(result: Any) -> tuple[bool, list[str]]:
    """(flagged, hazard codes) from a Llama Guard answer (`{response: ...}`); an
    UpstreamError (a 2xx without the documented shape) when it is no verdict."""
    response = result.get("response") if isinstance(result, dict) else None
    if isinstance(response, str) and response.strip().startswith("{"):
        try:
            response = json.loads(response)
        except ValueError:
            raise _invalid("JSON that does not parse") from None
    if isinstance(response, dict):
        safe, codes = response.get("safe"), response.get("categories", [])
        if not isinstance(safe, bool) or not isinstance(codes, list):
            raise _invalid("an object that is no verdict")
        return not safe, [str(code).upper() for code in codes]
    if isinstance(response, str):
        words = response.strip().lower()
        if words.startswith("safe"):
            return False, []
        if words.startswith("unsafe"):
            return True, [f"S{number}" for number in _CODE.findall(response.upper())]
    raise _invalid("no verdict")


def moderation_result(flagged: bool, codes: list[str]) -> dict[str, Any]:
    """One result of OpenAI's moderation object."""
    found = {name for code in codes for name in HAZARDS.get(code, ("", ()))[1]}
    return {
        "flagged": flagged,
        "categories": {name: name in found for name in CATEGORIES},
        "category_scores": {name: 1.0 if name in found else 0.0 for name in CATEGORIES},
        "category_applied_input_types": {name: ["text"] for name in CATEGORIES},
        "hazards": codes,
    }
