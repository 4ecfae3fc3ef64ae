"""The one tool and the one structured-output schema every client check uses (the tests and the
client scripts beside this file; tests/node/cases.mjs holds the same in JavaScript)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

TOOL_RESULT = "Sunny, 21 C"
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
            "additionalProperties": False,
        },
    },
}


class Weather(BaseModel):
    """The structured-output schema: the emulator fills strings with "emulated" and picks the
    first value of an enum, so a parsed answer is predictable."""

    city: str
    unit: Literal["celsius", "fahrenheit"]


def get_weather(city: str) -> str:
    """The weather in a city."""
    return TOOL_RESULT
