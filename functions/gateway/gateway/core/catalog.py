"""Model names: aliases, fallback chains, and what each model can do."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from gateway.core.config import Settings, split_list
from gateway.core.context import current_request
from gateway.core.errors import GatewayError
from gateway.core.observability import logger
from gateway.core.upstream_errors import UpstreamError

if TYPE_CHECKING:
    from gateway.core.keys import KeyRecord

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

TEXT_TO_IMAGE = "Text-to-Image"
IMAGE_ALIASES = ("dall-e-2", "dall-e-3", "gpt-image-1")
IMAGE_MODELS = (
    "@cf/black-forest-labs/flux-1-schnell",
    "@cf/stabilityai/stable-diffusion-xl-base-1.0",
    "@cf/bytedance/stable-diffusion-xl-lightning",
    "@cf/runwayml/stable-diffusion-v1-5-img2img",
    "@cf/runwayml/stable-diffusion-v1-5-inpainting",
    "@cf/leonardo/lucid-origin",
    "@cf/leonardo/phoenix-1.0",
    "@cf/black-forest-labs/flux-2-dev",
    "@cf/black-forest-labs/flux-2-klein-4b",
    "@cf/black-forest-labs/flux-2-klein-9b",
)
"""The text-to-image models the images API knows how to call (apis/images/models.py)."""


SPEECH_RECOGNITION = "Automatic Speech Recognition"
TEXT_TO_SPEECH = "Text-to-Speech"
RERANKING = "Text Classification"
MODERATION = "Moderation"
"""Llama Guard is a Text Generation model to Cloudflare; the gateway serves it as its own kind."""

TRANSCRIPTION_ALIASES = ("whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe")
TRANSCRIPTION_MODELS = (
    "@cf/openai/whisper-large-v3-turbo",
    "@cf/openai/whisper",
    "@cf/openai/whisper-tiny-en",
    "@cf/deepgram/nova-3",
)
SPEECH_ALIASES = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts")
SPEECH_MODELS = (
    "@cf/deepgram/aura-2-en",
    "@cf/deepgram/aura-1",
    "@cf/deepgram/aura-2-es",
    "@cf/myshell-ai/melotts",
)
MODERATION_ALIASES = ("omni-moderation-latest", "text-moderation-latest")
MODERATION_MODELS = ("@cf/meta/llama-guard-3-8b",)
RERANK_ALIASES = ("rerank-v3.5", "rerank-english-v3.0", "rerank-multilingual-v3.0")
"""Cohere's names, which Cohere-style clients default to."""
RERANK_MODELS = ("@cf/baai/bge-reranker-base",)


def claude_names(settings: Settings) -> tuple[tuple[str, str], ...]:
    """CLAUDE_MODELS as (pattern, model) pairs, in order: `claude-haiku-*=@cf/...` maps every
    name that starts with `claude-haiku-`; `primary` and `backup` stand for DEFAULT_MODEL and
    BACKUP_MODEL. Raises ValueError for an entry without `=`, a pattern or a model."""
    stands_for = {"primary": settings.default_model, "backup": settings.backup_model}
    pairs = []
    for entry in split_list(settings.claude_models):
        pattern, equals, model = (part.strip() for part in entry.partition("="))
        if not (pattern and equals and model):
            raise ValueError(f"CLAUDE_MODELS: {entry!r} is not `pattern=model`")
        pairs.append((pattern, stands_for.get(model, model)))
    return tuple(pairs)


def matching(patterns: tuple[tuple[str, str], ...], name: str) -> str | None:
    """The model of the first pattern `name` matches (`x*`: any name that starts with `x`;
    otherwise the name itself), or None."""
    for pattern, model in patterns:
        if (pattern.endswith("*") and name.startswith(pattern[:-1])) or name == pattern:
            return model
    return None


@dataclass(frozen=True)
class TaskModels:
    """The models of one Workers AI task the gateway serves (`task` is Cloudflare's task name,
    as its catalogue says): the OpenAI names that stand for them (`aliases`), the `primary` model
    (the default, named in a 404's hint), the `backup` every model known to exist falls back to
    (None: no fallback), and the other `models` known to exist. `label` names the kind in
    messages ("text-generation", "embedding") and is each model's `task` in GET /v1/models.
    `name` is the key `Catalog.chain` is asked with: the task, unless two kinds of model share
    one Cloudflare task (Llama Guard is Text Generation to Cloudflare, moderation here).
    `patterns` map families of names (Claude's) to models, after the aliases (`matching`)."""

    task: str
    label: str
    primary: str
    backup: str | None = None
    aliases: dict[str, str] = field(default_factory=dict)
    models: tuple[str, ...] = ()
    name: str = ""
    patterns: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        return self.name or self.task

    def known(self) -> tuple[str, ...]:
        """Every model of this task known to exist, the primary and the backup first."""
        first = (self.primary,) if self.backup is None else (self.primary, self.backup)
        return tuple(dict.fromkeys((*first, *self.models)))


def task_models(settings: Settings) -> list[TaskModels]:
    """The tasks the gateway serves, from the settings (DEFAULT_MODEL, BACKUP_MODEL, ...)."""
    primary, backup = settings.default_model, settings.backup_model
    return [
        TaskModels(
            TEXT_GENERATION,
            "text-generation",
            primary,
            backup,
            {name: primary for name in PRIMARY_ALIASES} | {name: backup for name in BACKUP_ALIASES},
            tuple(KNOWN_MODELS),
            patterns=claude_names(settings),
        ),
        TaskModels(
            TEXT_EMBEDDINGS,
            "embedding",
            DEFAULT_EMBEDDING_MODEL,
            None,
            EMBEDDING_ALIASES,
            EMBEDDING_MODELS,
        ),
        _media(
            TEXT_TO_IMAGE,
            "text-to-image",
            settings.image_model,
            settings.image_backup_model,
            IMAGE_ALIASES,
            IMAGE_MODELS,
        ),
        _media(
            SPEECH_RECOGNITION,
            "speech-recognition",
            settings.transcription_model,
            settings.transcription_backup_model,
            TRANSCRIPTION_ALIASES,
            TRANSCRIPTION_MODELS,
        ),
        _media(
            TEXT_TO_SPEECH,
            "text-to-speech",
            settings.speech_model,
            settings.speech_backup_model,
            SPEECH_ALIASES,
            SPEECH_MODELS,
        ),
        _media(
            TEXT_GENERATION,
            "moderation",
            settings.moderation_model,
            "",
            MODERATION_ALIASES,
            MODERATION_MODELS,
            name=MODERATION,
        ),
        _media(RERANKING, "rerank", settings.rerank_model, "", RERANK_ALIASES, RERANK_MODELS),
    ]


def _media(
    task: str,
    label: str,
    primary: str,
    backup: str,
    aliases: tuple[str, ...],
    models: tuple[str, ...],
    name: str = "",
) -> TaskModels:
    """A task whose aliases all stand for its primary; an empty backup is none."""
    return TaskModels(
        task, label, primary, backup or None, dict.fromkeys(aliases, primary), models, name
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
    """The names clients may ask for, per task (`TaskModels`): aliases, the configured and known
    models, and Cloudflare's catalogue (which only adds, and is never required)."""

    def __init__(
        self,
        settings: Settings,
        catalogue: UpstreamCatalogue,
        tasks: list[TaskModels] | None = None,
    ) -> None:
        self.catalogue = catalogue
        """Cloudflare's own list, which only adds to the names known here."""
        self.tasks = {task.key: task for task in tasks or task_models(settings)}
        text = self.tasks[TEXT_GENERATION]
        self.primary, self.backup = text.primary, text.backup
        self.aliases = text.aliases
        """The chat aliases (the docs page shows them)."""
        # Every alias, of every task, so one of the wrong task is a 400 naming the task rather
        # than a 404 for a name GET /v1/models lists.
        self.all_aliases = {
            alias: model for task in self.tasks.values() for alias, model in task.aliases.items()
        }
        self.known = {
            model: task.key for task in reversed(self.tasks.values()) for model in task.known()
        }

    async def _exists(self, name: str, model: str, task: TaskModels) -> bool:
        """True when `model` (the one `name` stands for) is known to exist for `task`; False
        when the catalogue cannot tell (unavailable). A 404 when the catalogue has no such
        model, a 400 when it has it for another task."""
        found = self.known.get(model)
        if found is None:
            entry = (await self.catalogue.current()).get(model)
            if entry is None and self.catalogue.available:
                raise model_not_found(model, "a name from GET /v1/models")
            # Cloudflare's task, which a kind of our own (moderation) shares with another
            found = None if entry is None else task.key if entry.task == task.task else entry.task
        if found is not None and found != task.key:
            named = f"`{name}`" if name == model else f"`{name}` (`{model}`)"
            raise GatewayError(
                400,
                f"The model {named} does {found}, not {task.key}.",
                code="model_not_supported",
                param="model",
            )
        return found is not None

    def resolve(self, name: str, models: TaskModels) -> str:
        """The model `name` stands for: an alias's, else the model of the first of the task's
        patterns it matches (itself maybe an alias), else the name itself."""
        if name in self.all_aliases:
            return self.all_aliases[name]
        target = matching(models.patterns, name) or name
        return self.all_aliases.get(target, target)

    async def chain(self, name: str, task: str = TEXT_GENERATION) -> list[str]:
        """The models of `task` to try for `name`, in order: the one asked for, then the task's
        backup (if it has one).

        Only a model known to exist falls back: one the catalogue cannot vouch for (it is
        unavailable) is tried alone, so a typo answers Workers AI's own 404, never the backup's
        answer. `@cf/`/`@hf/` names the catalogue lacks, and other unknown names, are a 404; a
        model of another task is a 400. A named key with a list of models (the request's, in
        `context.current_request`) may use only those: see `permitted`.
        """
        chain = await self._chain(name, task)
        ctx = current_request.get()
        if ctx is not None and ctx.key is not None and ctx.key.models is not None:
            return self.permitted(ctx.key, name, chain)
        return chain

    def permitted(self, key: KeyRecord, name: str, chain: list[str]) -> list[str]:
        """The part of `chain` the key may use. A model is allowed when its key's list names it
        or an alias of it (or the name the client sent); the first must be, else a 403 naming
        it, and a backup that is not is left out (the key's list says what may answer)."""
        first, *backups = chain
        if not self.permits(key, name, first):
            raise GatewayError(
                403,
                f"This key may not use the model `{name}`. GET /v1/key lists the models it may "
                "use.",
                code="model_not_allowed",
                param="model",
            )
        return [first, *(model for model in backups if self.permits(key, model, model))]

    def permits(self, key: KeyRecord, name: str, model: str | None = None) -> bool:
        """Whether `key` may use `name`, which stands for `model` (by default the model an
        alias names, else `name` itself): its list names `name`, `model` or an alias of it."""
        return key.allows(name, *self._names_of(model or self.all_aliases.get(name, name)))

    def _names_of(self, model: str) -> tuple[str, ...]:
        """A model's own name and every alias that stands for it."""
        return (model, *(alias for alias, target in self.all_aliases.items() if target == model))

    async def _chain(self, name: str, task: str) -> list[str]:
        models = self.tasks[task]
        model = self.resolve(name, models)
        if not model.startswith(MODEL_PREFIXES):
            patterns = [pattern for pattern, _ in models.patterns]
            matching_names = f", a name matching {' or '.join(patterns)}" if patterns else ""
            raise model_not_found(
                name,
                f"one of the aliases ({', '.join(models.aliases)}){matching_names}, or a "
                f"Workers AI {models.label} model such as `{models.primary}`",
            )
        if not await self._exists(name, model, models):
            return [model]
        if models.backup is None or model == models.backup:
            return [model]
        return [model, models.backup]

    def listed(self) -> list[tuple[str, str, str]]:
        """(id, owner, task label) for /v1/models: the configured text-generation models and
        their aliases, then per other task its aliases and its known models (Cloudflare's
        catalogue lists the rest)."""
        text = self.tasks[TEXT_GENERATION]
        models = [(model, "cloudflare") for model in (text.primary, text.backup) if model]
        models += [(alias, "workers-ai-gateway") for alias in text.aliases]
        rows = [(model, owner, text.label) for model, owner in models]
        for task in self.tasks.values():
            if task is not text:
                rows += [(alias, "workers-ai-gateway", task.label) for alias in task.aliases]
                rows += [(model, "cloudflare", task.label) for model in task.known()]
        first: dict[str, tuple[str, str, str]] = {}
        for row in rows:
            first.setdefault(row[0], row)
        return list(first.values())

    def label_of(self, cloudflare_task: str) -> str:
        """The label of the first task served for one of Cloudflare's tasks (else the task)."""
        for task in self.tasks.values():
            if task.task == cloudflare_task:
                return task.label
        return cloudflare_task


def _created(value: Any) -> int:
    """Cloudflare's `created_at` ("2025-08-05 10:27:29.131", UTC) as a Unix time."""
    try:
        return int(datetime.fromisoformat(str(value)).replace(tzinfo=UTC).timestamp())
    except ValueError:
        return 0


class UpstreamCatalogue:
    """Cloudflare's models of the `tasks` the gateway serves, fetched at most once per `ttl`
    (`fetch(task)` gives one task's rows).

    It only adds: when the catalogue cannot be had, `available` is False, nothing is refused
    for not being in it, and the fetch is tried again after `retry` seconds.
    """

    def __init__(
        self,
        fetch: Callable[[str], Awaitable[list[dict[str, Any]]]],
        tasks: tuple[str, ...],
        ttl: float,
        retry: float = 60.0,
    ) -> None:
        self.fetch = fetch
        self.tasks = tasks
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
                tables = await asyncio.gather(*(self.fetch(task) for task in self.tasks))
            except (UpstreamError, GatewayError) as error:
                logger.warning("model catalogue unavailable", extra={"detail": error.message})
                self.expires = time.monotonic() + self.retry
                return self.models
            self.models = {
                row["name"]: Entry(task, _created(row.get("created_at")))
                for task, rows in zip(self.tasks, tables, strict=True)
                for row in rows
                if isinstance(row.get("name"), str)
            }
            self.expires = time.monotonic() + self.ttl
        return self.models
