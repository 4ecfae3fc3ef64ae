"""Model names: aliases, fallback chains, and what each model can do."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gateway.config import Settings
from gateway.errors import GatewayError
from gateway.observability import logger
from gateway.upstream import UpstreamError

PRIMARY_ALIASES = ("gpt-4", "gpt-4-turbo", "gpt-4o")
BACKUP_ALIASES = ("gpt-3.5-turbo", "gpt-4o-mini")
MODEL_PREFIXES = ("@cf/", "@hf/")


@dataclass(frozen=True)
class Capabilities:
    """How to talk to a model.

    `streams` is False for models that answer one JSON body even when asked to stream
    (gpt-oss): the gateway asks them without streaming and synthesises the stream.
    `vision` None means unknown: images are passed through and the upstream decides.
    `reasoning_efforts` are the `reasoning_effort` values the model takes (none: it does not
    reason, or takes no control).
    """

    vision: bool | None = None
    tools: bool = True
    streams: bool = True
    reasoning_efforts: tuple[str, ...] = ()
    prompt_form: bool = True
    penalty_range: tuple[float, float] = (0.0, 2.0)
    context_window: int | None = None


GPT_OSS_EFFORTS = ("low", "medium", "high")

KNOWN_MODELS: dict[str, Capabilities] = {
    "@cf/meta/llama-4-scout-17b-16e-instruct": Capabilities(vision=True, context_window=131000),
    "@cf/meta/llama-3.3-70b-instruct-fp8-fast": Capabilities(vision=False, context_window=24000),
    "@cf/mistralai/mistral-small-3.1-24b-instruct": Capabilities(
        vision=True, context_window=128000
    ),
    "@cf/qwen/qwen2.5-coder-32b-instruct": Capabilities(
        vision=False, tools=False, context_window=32768
    ),
    "@cf/openai/gpt-oss-120b": Capabilities(
        vision=False,
        streams=False,
        reasoning_efforts=GPT_OSS_EFFORTS,
        prompt_form=False,
        context_window=128000,
    ),
    "@cf/openai/gpt-oss-20b": Capabilities(
        vision=False,
        streams=False,
        reasoning_efforts=GPT_OSS_EFFORTS,
        prompt_form=False,
        context_window=128000,
    ),
}


def capabilities(model: str) -> Capabilities:
    return KNOWN_MODELS.get(model, Capabilities())


class Catalog:
    def __init__(self, settings: Settings) -> None:
        self.primary = settings.default_model
        self.backup = settings.backup_model
        self.aliases = {name: self.primary for name in PRIMARY_ALIASES} | {
            name: self.backup for name in BACKUP_ALIASES
        }

    def resolve(self, name: str) -> str:
        """The Workers AI model behind a requested name, or a 404 in OpenAI's terms."""
        if name in self.aliases:
            return self.aliases[name]
        if name.startswith(MODEL_PREFIXES) and len(name) > 4:
            return name
        raise GatewayError(
            404,
            f"The model `{name}` does not exist. Use one of the aliases "
            f"({', '.join(self.aliases)}) or a Workers AI model name such as `{self.primary}`.",
            code="model_not_found",
            param="model",
        )

    def chain(self, name: str) -> list[str]:
        """The models to try, in order: the requested one, then the backup."""
        first = self.resolve(name)
        return [first] if first == self.backup else [first, self.backup]

    def listed(self) -> list[tuple[str, str]]:
        """(id, owner) pairs for /v1/models: the configured models, then the aliases."""
        models = [(self.primary, "cloudflare"), (self.backup, "cloudflare")]
        models += [(alias, "workers-ai-gateway") for alias in self.aliases]
        unique = dict(models)
        return list(unique.items())


def _created(value: Any) -> int:
    """Cloudflare's `created_at` ("2025-08-05 10:27:29.131", UTC) as a Unix time."""
    try:
        return int(datetime.fromisoformat(str(value)).replace(tzinfo=UTC).timestamp())
    except ValueError:
        return 0


class UpstreamCatalogue:
    """Cloudflare's text-generation models for /v1/models, fetched at most once per `ttl`.

    It only adds to the list: when the catalogue cannot be had, /v1/models answers with the
    configured models and aliases, and the fetch is tried again after `retry` seconds.
    """

    def __init__(
        self,
        fetch: Callable[[], Awaitable[list[dict[str, Any]]]],
        ttl: float,
        retry: float = 60.0,
    ) -> None:
        self.fetch = fetch
        self.ttl = ttl
        self.retry = retry
        self.models: dict[str, int] = {}
        self.expires = 0.0
        self.lock = asyncio.Lock()

    async def current(self) -> dict[str, int]:
        """Model name -> creation time."""
        if self.ttl <= 0 or time.monotonic() < self.expires:
            return self.models
        async with self.lock:
            if time.monotonic() < self.expires:
                return self.models
            try:
                rows = await self.fetch()
            except (UpstreamError, GatewayError) as error:
                logger.warning("model catalogue unavailable", extra={"detail": error.message})
                self.expires = time.monotonic() + self.retry
                return self.models
            self.models = {
                row["name"]: _created(row.get("created_at"))
                for row in rows
                if isinstance(row.get("name"), str)
            }
            self.expires = time.monotonic() + self.ttl
        return self.models
