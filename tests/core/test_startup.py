"""What a cold start pays for. Each check makes the app in a fresh interpreter and looks at what
that loaded: a library imported at start, or a pydantic model built, is paid by every cold
start, so the ones the first request does not need stay out."""

from __future__ import annotations

import os
import subprocess
import sys

BUILT_MODELS = """sorted(
    f"{name}.{value.__name__}"
    for name, module in list(sys.modules.items()) if name.startswith("gateway")
    for value in vars(module).values()
    if isinstance(value, type) and issubclass(value, BaseModel)
    and value.__module__ == name and value.__pydantic_complete__
)"""


def after_making_the_app(expression: str) -> str:
    """`expression`'s printed value once `create_app()` has run in a new interpreter (with
    `sys` and pydantic's `BaseModel` imported)."""
    code = (
        "import sys; from pydantic import BaseModel; from gateway.app import create_app; "
        f"create_app(); print({expression})"
    )
    env = os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_making_the_app_builds_no_request_or_answer_model():
    """Models are built on first use (`defer_build`): a request builds its own API's."""
    assert after_making_the_app(BUILT_MODELS) == "['gateway.core.config.Settings']"


def test_the_gateway_process_never_loads_boto3():
    """Start-up and the AWS path read secrets over localhost: boto3 (0.4 s of imports) stays out.
    (Powertools probes the bare `botocore` package for its user agent; none of it is loaded.)"""
    loaded = "sorted(m for m in sys.modules if m.startswith(('boto3', 'botocore.')))"
    assert after_making_the_app(loaded) == "[]"


def test_starting_the_gateway_loads_neither_the_multipart_parser_nor_pillow():
    """Uploads and image conversions import their libraries on first use: a cold start for a
    chat never pays for them."""
    loaded = "sorted(m for m in sys.modules if m.split('.')[0] in {'PIL', 'python_multipart'})"
    assert after_making_the_app(loaded) == "[]"
