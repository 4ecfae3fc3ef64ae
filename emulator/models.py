"""The emulated model catalogue: what each model can do, how it takes its input and streams.

Tasks are Cloudflare's names (reference: workers-ai-media.md, "Catalogue tasks"). `kind` says
which module of the emulator answers a model; `body` how /run reads its request (JSON, raw audio
bytes or JSON, or multipart/form-data).
"""

import re
import uuid
from dataclasses import dataclass
from typing import Any, Literal

TEXT_GENERATION = "Text Generation"
TEXT_EMBEDDINGS = "Text Embeddings"
TEXT_TO_IMAGE = "Text-to-Image"
SPEECH_RECOGNITION = "Automatic Speech Recognition"
TEXT_TO_SPEECH = "Text-to-Speech"
TEXT_CLASSIFICATION = "Text Classification"

StreamFormat = Literal["native", "openai", "none"]
Kind = Literal["chat", "embeddings", "image", "transcription", "speech", "rerank", "guard"]
BodyKind = Literal["json", "audio", "multipart"]

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
    kind: Kind = "chat"
    body: BodyKind = "json"
    flags: tuple[str, ...] = ()
    """Catalogue properties that are "true" (beta, partner, realtime, async_queue)."""

    @property
    def openai_tool_calls(self) -> bool:
        """Newer models answer OpenAI-shaped tool calls (ids, JSON-string arguments)."""
        return self.stream_format != "native"


IMAGE_MODELS: list[tuple[str, BodyKind, tuple[str, ...]]] = [
    ("@cf/black-forest-labs/flux-1-schnell", "json", ()),
    ("@cf/stabilityai/stable-diffusion-xl-base-1.0", "json", ("beta",)),
    ("@cf/bytedance/stable-diffusion-xl-lightning", "json", ("beta",)),
    ("@cf/runwayml/stable-diffusion-v1-5-img2img", "json", ("beta",)),
    ("@cf/runwayml/stable-diffusion-v1-5-inpainting", "json", ("beta",)),
    ("@cf/leonardo/lucid-origin", "json", ("partner",)),
    ("@cf/leonardo/phoenix-1.0", "json", ("partner",)),
    ("@cf/black-forest-labs/flux-2-dev", "multipart", ("partner",)),
    ("@cf/black-forest-labs/flux-2-klein-4b", "multipart", ("partner",)),
    ("@cf/black-forest-labs/flux-2-klein-9b", "multipart", ("partner",)),
]
"""Text-to-image models: name, how `/run` reads the body, catalogue flags."""

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
    ModelSpec("@cf/baai/bge-base-en-v1.5", TEXT_EMBEDDINGS, 512, dimensions=768, kind="embeddings"),
    ModelSpec(
        "@cf/baai/bge-small-en-v1.5", TEXT_EMBEDDINGS, 512, dimensions=384, kind="embeddings"
    ),
    ModelSpec(
        "@cf/baai/bge-large-en-v1.5", TEXT_EMBEDDINGS, 512, dimensions=1024, kind="embeddings"
    ),
    ModelSpec("@cf/baai/bge-m3", TEXT_EMBEDDINGS, 8192, dimensions=1024, kind="embeddings"),
    ModelSpec("@cf/meta/llama-guard-3-8b", TEXT_GENERATION, 0, stream_format="none", kind="guard"),
    ModelSpec("@cf/baai/bge-reranker-base", TEXT_CLASSIFICATION, 0, kind="rerank"),
    *(
        ModelSpec(name, TEXT_TO_IMAGE, 0, kind="image", body=body, flags=flags)
        for name, body, flags in IMAGE_MODELS
    ),
    ModelSpec("@cf/openai/whisper", SPEECH_RECOGNITION, 0, kind="transcription", body="audio"),
    ModelSpec(
        "@cf/openai/whisper-tiny-en",
        SPEECH_RECOGNITION,
        0,
        kind="transcription",
        body="audio",
        flags=("beta",),
    ),
    ModelSpec("@cf/openai/whisper-large-v3-turbo", SPEECH_RECOGNITION, 0, kind="transcription"),
    ModelSpec(
        "@cf/deepgram/nova-3",
        SPEECH_RECOGNITION,
        0,
        kind="transcription",
        body="audio",
        flags=("async_queue", "partner", "realtime"),
    ),
    *(
        ModelSpec(
            name,
            TEXT_TO_SPEECH,
            0,
            kind="speech",
            flags=("async_queue", "partner", "realtime"),
        )
        for name in ("@cf/deepgram/aura-1", "@cf/deepgram/aura-2-en", "@cf/deepgram/aura-2-es")
    ),
    ModelSpec("@cf/myshell-ai/melotts", TEXT_TO_SPEECH, 0, kind="speech"),
]

MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in _SPECS}

CREATED_AT = "2025-08-05 10:27:29.131"


def _uuid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"workers-ai-emulator:{name}"))


def catalogue_entry(spec: ModelSpec) -> dict[str, Any]:
    """One row of /models/search, shaped like Cloudflare's (property values are strings)."""
    properties = []
    if spec.context_window:
        properties.append({"property_id": "context_window", "value": str(spec.context_window)})
    flags = {
        "function_calling": spec.function_calling,
        "vision": spec.vision,
        "reasoning": spec.reasoning,
    }
    properties += [{"property_id": key, "value": "true"} for key, on in flags.items() if on]
    properties += [{"property_id": flag, "value": "true"} for flag in spec.flags]
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


# The output half of /models/schema for the media kinds (input: see each kind's module).
_MEDIA_OUTPUTS: dict[str, dict[str, Any]] = {
    "image": {"type": "string", "contentType": "image/png", "format": "binary"},
    "transcription": {"type": "object", "contentType": "application/json"},
    "speech": {"type": "string", "contentType": "audio/mpeg", "format": "binary"},
    "rerank": {
        "type": "object",
        "contentType": "application/json",
        "properties": {"response": {"type": "array"}},
    },
}


def schema_for(spec: ModelSpec) -> dict[str, Any]:
    """A small, plausible /models/schema answer."""
    if spec.kind in _MEDIA_OUTPUTS:
        return {"input": {"type": "object"}, "output": _MEDIA_OUTPUTS[spec.kind]}
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
