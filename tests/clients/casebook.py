"""Run a client's checks against the gateway and print what each one observed.

The client-matrix scripts beside this file run in their own process (some clients need their own
virtualenv or patch global state on import). Each registers its checks with `@case`; `main()`
runs them in order and prints one JSON line, `{name: {"value": ...} | {"error": "Type: msg"}}`,
for the tests (tests/matrix.py, run_cases) to assert on. A failing check never hides the others.

Environment: GATEWAY_BASE_URL (the gateway's `/v1` URL) and GATEWAY_API_KEY.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
from collections.abc import Callable
from typing import Any

BASE_URL = os.environ["GATEWAY_BASE_URL"]
API_KEY = os.environ["GATEWAY_API_KEY"]
CASES: dict[str, Callable[[], Any]] = {}


def case(check: Callable[[], Any]) -> Callable[[], Any]:
    """Register a check (a function or a coroutine function) under its name."""
    CASES[check.__name__] = check
    return check


def main() -> None:
    results: dict[str, dict[str, Any]] = {}
    for name, check in CASES.items():
        try:
            value = asyncio.run(check()) if inspect.iscoroutinefunction(check) else check()
            results[name] = {"value": value}
        except Exception as error:
            results[name] = {"error": f"{type(error).__name__}: {error}"}
    print(json.dumps(results))
