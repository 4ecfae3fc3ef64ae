"""What a cold start pays for: the gateway's pydantic models are built on first use (a request
builds the models of its own API), not when the app is made."""

from __future__ import annotations

import os
import subprocess
import sys

BUILT = """
import sys
from pydantic import BaseModel
from gateway.app import create_app

create_app()
print(sorted(
    f"{name}.{value.__name__}"
    for name, module in list(sys.modules.items()) if name.startswith("gateway")
    for value in vars(module).values()
    if isinstance(value, type) and issubclass(value, BaseModel)
    and value.__module__ == name and value.__pydantic_complete__
))
"""


def test_making_the_app_builds_no_request_or_answer_model():
    env = os.environ | {"PYTHONPATH": os.pathsep.join(sys.path)}
    out = subprocess.run(
        [sys.executable, "-c", BUILT], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "['gateway.core.config.Settings']"
