"""Model names: aliases, fallback chains, and what each model can do."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gateway.core.config import Settings
from gateway.core.errors import GatewayError
from gateway.core.observability import logger
from gateway.core.upstream_errors import UpstreamError

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


TEXT_GENERATION = "Text Generation"
TEXT_EMBEDDINGS = "Text Embeddings"

DEFAULT_EMBEDDING_MODEL = "@cf/baai/bge-base-en-v1.5"
EMBEDDING_ALIASES = {
    "text-embedding-ada-002": DEFAULT_EMBEDDING_MODEL,
    "text-embedding-3-small": DEFAULT_EMBEDDING_MODEL,
    "text-embedding-3-large": "@cf/baai/bge-large-en-v1.5",
}
EMBEDDING_MODELS = (
    DEFAULT_EMBEDDING_MODEL,
    "@cf/baai/bge-small-en-v1.5",
    "@cf/baai/bge-large-en-v1.5",
    "@cf/baai/bge-m3",
)


def model_not_found(name: str, examples: str) -> GatewayError:
    """The one 404 for a model name nothing answers to; `examples` says what to use instead."""
    return GatewayError(
        404,
        f"The model `{name}` does not exist. Use {examples}.",
        code="model_not_found",
        param="model",
    )


@dataclass(frozen=True)
class Entry:
    """A model of Cloudflare's catalogue: its task and creation time (Unix seconds)."""

    task: str
    created: int


class Catalog:
    """The names clients may ask for: aliases, the configured and known models, and
    Cloudflare's catalogue (which only adds, and is never required)."""

    def __init__(self, settings: Settings, catalogue: UpstreamCatalogue) -> None:
        self.catalogue = catalogue
        """Cloudflare's own list, which only adds to the names known here."""
        self.primary = settings.default_model
        self.backup = settings.backup_model
        self.aliases = {name: self.primary for name in PRIMARY_ALIASES} | {
            name: self.backup for name in BACKUP_ALIASES
        }
        # Every alias, of either task, so one of the wrong task is a 400 naming the task rather
        # than a 404 for a name GET /v1/models lists.
        self.all_aliases = self.aliases | EMBEDDING_ALIASES
        self.known = {
            self.primary: TEXT_GENERATION,
            self.backup: TEXT_GENERATION,
            **dict.fromkeys(KNOWN_MODELS, TEXT_GENERATION),
            **dict.fromkeys(EMBEDDING_MODELS, TEXT_EMBEDDINGS),
        }

    async def _exists(self, name: str, model: str, task: str) -> bool:
        """True when `model` (the one `name` stands for) is known to exist for `task`; False
        when the catalogue cannot tell (unavailable). A 404 when the catalogue has no such
        model, a 400 when it has it for another task."""
        found = self.known.get(model)
        if found is None:
            entry = (await self.catalogue.current()).get(model)
            if entry is None and self.catalogue.available:
                raise model_not_found(model, "a name from GET /v1/models")
            found = entry.task if entry else None
        if found is not None and found != task:
            named = f"`{name}`" if name == model else f"`{name}` (`{model}`)"
            raise GatewayError(
                400,
                f"The model {named} does {found}, not {task}.",
                code="model_not_supported",
                param="model",
            )
        return found is not None

    async def chain(self, name: str) -> list[str]:
        """The text-generation models to try, in order: the requested one, then the backup.

        Only a model known to exist falls back: one the catalogue cannot vouch for (it is
        unavailable) is tried alone, so a typo answers Workers AI's own 404, never the backup's
        text. `@cf/`/`@hf/` names the catalogue lacks, and other unknown names, are a 404.
        """
        model = self.all_aliases.get(name, name)
        if not model.startswith(MODEL_PREFIXES):
            raise model_not_found(
                name,
                f"one of the aliases ({', '.join(self.aliases)}) or a Workers AI model name "
                f"such as `{self.primary}`",
            )
        if not await self._exists(name, model, TEXT_GENERATION):
            return [model]
        return [model] if model == self.backup else [model, self.backup]

    async def embedding_model(self, name: str) -> str:
        """The Workers AI embedding model behind a name (OpenAI's embedding names are aliases)."""
        model = self.all_aliases.get(name, name)
        if not model.startswith(MODEL_PREFIXES):
            raise model_not_found(
                name,
                f"one of {', '.join(EMBEDDING_ALIASES)} or a Workers AI embedding model such "
                f"as `{DEFAULT_EMBEDDING_MODEL}`",
            )
        await self._exists(name, model, TEXT_EMBEDDINGS)
        return model

    def listed(self) -> list[tuple[str, str]]:
        """(id, owner) pairs for /v1/models: the configured models, the aliases, then the
        embedding aliases and models."""
        models = [(self.primary, "cloudflare"), (self.backup, "cloudflare")]
        models += [(alias, "workers-ai-gateway") for alias in self.aliases]
        models += [(alias, "workers-ai-gateway") for alias in EMBEDDING_ALIASES]
        models += [(model, "cloudflare") for model in EMBEDDING_MODELS]
        unique = dict(models)
        return list(unique.items())


def _created(value: Any) -> int:
    """Cloudflare's `created_at` ("2025-08-05 10:27:29.131", UTC) as a Unix time."""
    try:
        return int(datetime.fromisoformat(str(value)).replace(tzinfo=UTC).timestamp())
    except ValueError:
        return 0


class UpstreamCatalogue:
    """Cloudflare's text-generation and embedding models, fetched at most once per `ttl`.

    It only adds: when the catalogue cannot be had, `available` is False, nothing is refused
    for not being in it, and the fetch is tried again after `retry` seconds.
    """

    TASKS = (TEXT_GENERATION, TEXT_EMBEDDINGS)

    def __init__(
        self,
        fetch: Callable[[str], Awaitable[list[dict[str, Any]]]],
        ttl: float,
        retry: float = 60.0,
    ) -> None:
        self.fetch = fetch
        self.ttl = ttl
        self.retry = retry
        self.models: dict[str, Entry] = {}
        self.expires = 0.0
        self.lock = asyncio.Lock()

    @property
    def available(self) -> bool:
        """The last fetch succeeded and listed models (AI Gateway's base URL lists none)."""
        return bool(self.models)

    async def current(self) -> dict[str, Entry]:
        """Model name -> its catalogue entry."""
        if self.ttl <= 0 or time.monotonic() < self.expires:
            return self.models
        async with self.lock:
            if time.monotonic() < self.expires:
                return self.models
            try:
                tables = await asyncio.gather(*(self.fetch(task) for task in self.TASKS))
            except (UpstreamError, GatewayError) as error:
                logger.warning("model catalogue unavailable", extra={"detail": error.message})
                self.expires = time.monotonic() + self.retry
                return self.models
            self.models = {
                row["name"]: Entry(task, _created(row.get("created_at")))
                for task, rows in zip(self.TASKS, tables, strict=True)
                for row in rows
                if isinstance(row.get("name"), str)
            }
            self.expires = time.monotonic() + self.ttl
        return self.models
