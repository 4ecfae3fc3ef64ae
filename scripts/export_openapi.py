"""Print the gateway's OpenAPI document (make openapi writes it to static/openapi.json)."""

from __future__ import annotations

import json
from typing import Any

from gateway import __version__
from gateway.app import DESCRIPTION, TITLE, routes
from gateway.core.openapi import document as generate


def document() -> dict[str, Any]:
    """The document as generated from the routes and their models."""
    return generate(routes(), title=TITLE, version=__version__, description=DESCRIPTION)


if __name__ == "__main__":
    print(json.dumps(document(), indent=2, sort_keys=False))
