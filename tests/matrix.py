"""What the client-matrix tests share: one tool, one structured-output schema, and the emulator's
deterministic answers to check every client against (emulator/text.py writes them)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from emulator.embeddings import vector

PRIMARY = "@cf/meta/llama-4-scout-17b-16e-instruct"
EMBEDDING_DIMENSIONS = 768  # @cf/baai/bge-base-en-v1.5, behind text-embedding-3-small
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
TOOL_RESULT = "Sunny, 21 C"


class Weather(BaseModel):
    """The structured-output schema: the emulator fills strings with "emulated" and picks the
    first value of an enum, so a parsed answer is predictable."""

    city: str
    unit: Literal["celsius", "fahrenheit"]


EXPECTED_WEATHER = Weather(city="emulated", unit="celsius")


def said(text: str) -> str:
    """The part of the emulator's reply that quotes the user's last message."""
    return f'you said "{text}"'


def tool_returned(text: str) -> str:
    """The part of the emulator's reply to a turn that ends with a tool result."""
    return f'the tool returned "{text}"'


def embedding_of(text: str) -> list[float]:
    """The vector the emulator gives `text` for the default embedding model."""
    return vector(text, EMBEDDING_DIMENSIONS)
