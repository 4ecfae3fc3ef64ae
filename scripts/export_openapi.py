"""Print the gateway's OpenAPI document (make openapi writes it to static/openapi.json)."""

from __future__ import annotations

import json

from gateway.app import create_app
from gateway.config import Settings


def document() -> dict:
    """The spec as generated from the code, with neutral settings so it never varies by machine."""
    app = create_app(Settings(_env_file=None, worker_api_key=None))
    spec = app.openapi()
    spec["servers"] = [{"url": "/", "description": "This gateway"}]
    return spec


if __name__ == "__main__":
    print(json.dumps(document(), indent=2, sort_keys=False))
