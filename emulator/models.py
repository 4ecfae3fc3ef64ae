"""The emulated model catalogue: what each model can do and how it streams."""

import re
import uuid
from dataclasses import dataclass
from typing import Any, Literal

TEXT_GENERATION = "Text Generation"
TEXT_EMBEDDINGS = "Text Embeddings"

StreamFormat = Literal["native", "openai", "none"]

# Shape of a Workers AI model id; anything else is answered with 404 / code 3042.
MODEL_ID = re.compile(r"^@(cf|hf)/[\w.-]+/[\w.@:-]+$")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    task: str
    context_window: int
    function_calling: bool = False
    vision: bool = False
    reasoning: bool = False
    stream_format: StreamFormat = "native"
    dimensions: int = 0
    min_penalty: float = -2.0

    @property
    def openai_tool_calls(self) -> bool:
        """Newer models answer OpenAI-shaped tool calls (ids, JSON-string arguments)."""
        return self.stream_format != "native"


_SPECS = [
    ModelSpec(
        "@cf/meta/llama-4-scout-17b-16e-instruct",
        TEXT_GENERATION,
        131_000,
        function_calling=True,
        vision=True,
        min_penalty=0.0,
    ),
    ModelSpec("@cf/meta/llama-3.3-70b-instruct-fp8-fast", TEXT_GENERATION, 24_000, True),
    ModelSpec(
        "@cf/mistralai/mistral-small-3.1-24b-instruct",
        TEXT_GENERATION,
        128_000,
        function_calling=True,
        vision=True,
        stream_format="openai",
    ),
    ModelSpec("@cf/qwen/qwen2.5-coder-32b-instruct", TEXT_GENERATION, 32_768),
    ModelSpec(
        "@cf/openai/gpt-oss-120b",
        TEXT_GENERATION,
        128_000,
        function_calling=True,
        reasoning=True,
        stream_format="none",
    ),
    ModelSpec(
        "@cf/openai/gpt-oss-20b",
        TEXT_GENERATION,
        128_000,
        function_calling=True,
        reasoning=True,
        stream_format="none",
    ),
    ModelSpec(
        "@cf/zai-org/glm-4.7-flash",
        TEXT_GENERATION,
        131_072,
        function_calling=True,
        stream_format="openai",
    ),
    ModelSpec("@cf/baai/bge-base-en-v1.5", TEXT_EMBEDDINGS, 512, dimensions=768),
    ModelSpec("@cf/baai/bge-small-en-v1.5", TEXT_EMBEDDINGS, 512, dimensions=384),
    ModelSpec("@cf/baai/bge-large-en-v1.5", TEXT_EMBEDDINGS, 512, dimensions=1024),
    ModelSpec("@cf/baai/bge-m3", TEXT_EMBEDDINGS, 8192, dimensions=1024),
]

MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in _SPECS}

CREATED_AT = "2025-08-05 10:27:29.131"


def _uuid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"workers-ai-emulator:{name}"))


def catalogue_entry(spec: ModelSpec) -> dict[str, Any]:
    """One row of /models/search, shaped like Cloudflare's (property values are strings)."""
    properties = [{"property_id": "context_window", "value": str(spec.context_window)}]
    flags = {
        "function_calling": spec.function_calling,
        "vision": spec.vision,
        "reasoning": spec.reasoning,
    }
    properties += [{"property_id": key, "value": "true"} for key, on in flags.items() if on]
    if spec.dimensions:
        properties.append({"property_id": "dimensions", "value": str(spec.dimensions)})
    properties.append({"property_id": "emulated", "value": "true"})
    return {
        "id": _uuid(spec.name),
        "source": 1,
        "name": spec.name,
        "description": f"Emulated stand-in for {spec.name}: deterministic fake answers.",
        "task": {
            "id": _uuid(spec.task),
            "name": spec.task,
            "description": f"{spec.task} (emulated)",
        },
        "created_at": CREATED_AT,
        "tags": [],
        "properties": properties,
    }


def schema_for(spec: ModelSpec) -> dict[str, Any]:
    """A small, plausible /models/schema answer."""
    if spec.task == TEXT_EMBEDDINGS:
        text = {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
        return {
            "input": {"type": "object", "properties": {"text": text}, "required": ["text"]},
            "output": {
                "type": "object",
                "properties": {
                    "shape": {"type": "array", "items": {"type": "number"}},
                    "data": {"type": "array", "items": {"type": "array"}},
                },
            },
        }
    common = {
        "stream": {"type": "boolean", "default": False},
        "max_tokens": {"type": "integer", "default": 256},
        "temperature": {"type": "number", "minimum": 0, "maximum": 5},
        "frequency_penalty": {"type": "number", "minimum": spec.min_penalty, "maximum": 2},
        "presence_penalty": {"type": "number", "minimum": spec.min_penalty, "maximum": 2},
    }
    return {
        "input": {
            "type": "object",
            "oneOf": [
                {
                    "properties": {"prompt": {"type": "string"}, "raw": {"type": "boolean"}}
                    | common,
                    "required": ["prompt"],
                },
                {
                    "properties": {"messages": {"type": "array"}, "tools": {"type": "array"}}
                    | common,
                    "required": ["messages"],
                },
            ],
        },
        "output": {
            "type": "object",
            "properties": {
                "response": {"type": "string"},
                "tool_calls": {"type": "array"},
                "usage": {"type": "object"},
            },
        },
    }
