"""Client API keys and Cloudflare credentials, from the environment or Secrets Manager.

One loader hides which: when a `*_SECRET_ARN` is set the secret wins and is read through
Powertools parameters, cached for `secrets_max_age` seconds, so a rotated value takes effect
without a redeploy.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities import parameters

from gateway.config import Settings, split_list
from gateway.errors import GatewayError
from gateway.observability import describe_exception, logger


@dataclass(frozen=True)
class CloudflareCredentials:
    account_id: str
    api_token: str


def parse_keys(secret: str) -> tuple[str, ...]:
    """Read client keys from a secret.

    Accepted forms: `"k1,k2"`, `["k1", "k2"]`, or an object whose string values (and lists of
    strings) are keys, e.g. `{"key": "new", "previous_key": "old"}` during a rotation.
    """
    try:
        value: Any = json.loads(secret)
    except ValueError:
        return split_list(secret)
    if isinstance(value, str):
        return split_list(value)
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    keys: list[str] = []
    for item in items:
        if isinstance(item, str):
            keys.extend(split_list(item))
        elif isinstance(item, list):
            keys.extend(k.strip() for k in item if isinstance(k, str) and k.strip())
    return tuple(keys)


class Credentials:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def _secret(self, arn: str) -> str:
        try:
            value = await asyncio.to_thread(
                parameters.get_secret, arn, max_age=self.settings.secrets_max_age
            )
        except Exception as exc:
            logger.error("cannot read secret", extra={"secret": arn, **describe_exception(exc)})
            raise GatewayError(
                503,
                "The gateway cannot read its configuration secret right now. Try again shortly.",
                code="secret_unavailable",
            ) from None
        return value if isinstance(value, str) else value.decode()

    async def client_keys(self) -> tuple[str, ...]:
        if self.settings.api_keys_secret_arn:
            return parse_keys(await self._secret(self.settings.api_keys_secret_arn))
        return split_list(self.settings.worker_api_key)

    async def cloudflare(self) -> CloudflareCredentials:
        if self.settings.cloudflare_secret_arn:
            raw = await self._secret(self.settings.cloudflare_secret_arn)
            try:
                data = json.loads(raw)
                return CloudflareCredentials(str(data["account_id"]), str(data["api_token"]))
            except (ValueError, KeyError, TypeError):
                raise GatewayError(
                    503,
                    "The gateway's Cloudflare secret is malformed: it needs account_id and "
                    "api_token.",
                    code="secret_malformed",
                ) from None
        return CloudflareCredentials(
            self.settings.cloudflare_account_id or "", self.settings.cloudflare_api_token or ""
        )
