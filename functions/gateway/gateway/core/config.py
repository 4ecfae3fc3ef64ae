"""Settings from the environment: one typed object, the same names locally and on Lambda."""

from __future__ import annotations

from functools import cached_property
from urllib.parse import urlsplit

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

CLOUDFLARE_BASE_URL = "https://api.cloudflare.com/client/v4/accounts/{account_id}/ai"


def split_list(value: str | None) -> tuple[str, ...]:
    """Split a comma-separated setting, dropping blanks."""
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


class Settings(BaseSettings):
    """Every knob of the gateway. Field names are the environment variables, upper-cased."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    worker_api_key: str | None = Field(default=None, repr=False)
    api_keys_secret_arn: str | None = None
    cloudflare_account_id: str | None = Field(default=None, repr=False)
    cloudflare_api_token: str | None = Field(default=None, repr=False)
    cloudflare_secret_arn: str | None = None
    cloudflare_ai_gateway_token: str | None = Field(default=None, repr=False)
    """An AI Gateway token for local runs (`ai_gateway_token` in the Cloudflare secret on
    Lambda): sent as `cf-aig-authorization` when the base URL is an authenticated AI Gateway."""
    workers_ai_base_url: str = CLOUDFLARE_BASE_URL
    stack_name: str | None = None
    """The CloudFormation stack (set by template.yaml): the docs page's key command names it."""
    aws_region: str | None = None
    """AWS_REGION, which Lambda sets."""

    default_model: str = "@cf/meta/llama-4-scout-17b-16e-instruct"
    backup_model: str = "@cf/openai/gpt-oss-120b"
    default_max_tokens: int = Field(default=4096, ge=1)
    # The audio, moderation and rerank APIs' models (an empty backup: no fallback).
    transcription_model: str = "@cf/openai/whisper-large-v3-turbo"
    transcription_backup_model: str = "@cf/openai/whisper"
    speech_model: str = "@cf/deepgram/aura-2-en"
    speech_backup_model: str = "@cf/deepgram/aura-1"
    moderation_model: str = "@cf/meta/llama-guard-3-8b"
    rerank_model: str = "@cf/baai/bge-reranker-base"
    image_model: str = "@cf/black-forest-labs/flux-1-schnell"
    image_backup_model: str = "@cf/stabilityai/stable-diffusion-xl-base-1.0"
    image_edit_model: str = "@cf/runwayml/stable-diffusion-v1-5-img2img"
    image_inpainting_model: str = "@cf/runwayml/stable-diffusion-v1-5-inpainting"
    claude_models: str = "claude-haiku-*=@cf/meta/llama-3.3-70b-instruct-fp8-fast,claude-*=primary"
    """Claude model names -> the model that answers them: `pattern=model` pairs, first match
    wins; a pattern may end in `*`, a model may be `primary` or `backup` (catalog.claude_names)."""
    messages_ping_seconds: float = Field(default=10.0, gt=0)
    """A Messages stream sends Anthropic's `ping` event after this long without upstream output."""

    cors_allow_origins: str = "*"
    log_level: str = "INFO"

    connect_timeout: float = Field(default=5.0, gt=0)
    attempt_timeout: float = Field(default=120.0, gt=0)
    request_deadline: float = Field(default=300.0, gt=0)
    stream_idle_timeout: float = Field(default=30.0, gt=0)
    cooldown_failures: int = Field(default=3, ge=1)
    cooldown_seconds: float = Field(default=30.0, ge=0)
    secrets_max_age: int = Field(default=300, ge=0)
    # The Parameters and Secrets Lambda Extension's own setting (its port on localhost).
    parameters_secrets_extension_http_port: int = Field(default=2773, gt=0, lt=65536)
    catalogue_ttl: float = Field(default=3600.0, ge=0)
    max_body_bytes: int = Field(default=6 * 1024 * 1024, gt=0)
    # A Function URL carries at most 6 MB per request, and base64-encodes a multipart body
    # (4/3 larger): 4.5 MB of upload leaves room for the event's headers.
    max_upload_bytes: int = Field(default=4_500_000, gt=0)
    max_image_bytes: int = Field(default=5 * 1024 * 1024, gt=0)
    # Per request, data URIs included: a Lambda of 512 MB holds a few copies of 10 MiB of
    # images (the bytes, their base64, the upstream body) with room to spare.
    max_images: int = Field(default=10, ge=0)
    max_image_total_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    allow_private_image_urls: bool = False

    images_bucket: str | None = None
    """The private S3 bucket generated images asked for as `url` go to (set by template.yaml);
    unset: IMAGES_DIR, served by the gateway itself."""
    images_dir: str = ".data/images"
    image_url_ttl: int = Field(default=3600, gt=0, le=604800)

    responses_table: str | None = None
    responses_db_path: str = ".data/responses.sqlite3"
    response_retention_days: float = Field(default=30.0, gt=0)

    keys_table: str | None = None
    usage_table: str | None = None
    """The named keys' DynamoDB tables (both or neither); without them, SQLite at KEYS_DB_PATH."""
    keys_db_path: str = ".data/keys.sqlite3"
    key_cache_seconds: float = Field(default=10.0, ge=0, le=10)
    """How long an instance trusts a key it looked up: the bound on a revocation's delay."""

    @cached_property
    def cors_origins(self) -> tuple[str, ...]:
        return split_list(self.cors_allow_origins)

    @cached_property
    def upstream_kind(self) -> str:
        """`cloudflare` for Cloudflare's hosts, `emulator` for a loopback URL, else `custom`."""
        host = urlsplit(self.workers_ai_base_url).hostname or ""
        if host == "cloudflare.com" or host.endswith(".cloudflare.com"):
            return "cloudflare"
        if host in {"localhost", "::1"} or host.startswith("127."):
            return "emulator"
        return "custom"
