"""Client API keys and Cloudflare credentials, from the environment or Secrets Manager.

One loader hides which: when a `*_SECRET_ARN` is set the secret wins. It is read through the AWS
Parameters and Secrets Lambda Extension, which serves cached secrets on localhost, so boto3
never loads into this process; we keep it `secrets_max_age` seconds too, so a rotated value
takes effect without a redeploy. Protocol:
https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any

import httpx

from gateway.core.config import Settings, split_list
from gateway.core.errors import GatewayError
from gateway.core.observability import describe_exception, logger


@dataclass(frozen=True)
class CloudflareCredentials:
    account_id: str
    api_token: str
    ai_gateway_token: str | None = None
    """An AI Gateway token (`cf-aig-authorization`), for a gateway with authentication on."""


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


EXTENSION_TIMEOUT = httpx.Timeout(5.0, connect=1.0)  # seconds; the extension is on localhost


class Credentials:
    def __init__(self, settings: Settings, http: httpx.AsyncClient) -> None:
        self.settings = settings
        self.http = http
        self._cache: dict[str, tuple[float, str]] = {}  # ARN -> (expiry, SecretString)
        self._loaded: set[str] = set()

    def loaded_secrets(self) -> frozenset[str]:
        """Every secret value loaded so far (client keys, Cloudflare token), old ones included,
        so that text from elsewhere can be redacted before it is answered or logged."""
        return frozenset(self._loaded)

    async def _secret(self, arn: str) -> str:
        """The secret's `SecretString`, cached `secrets_max_age` seconds.

        Raises GatewayError 503 (`secret_unavailable`) when the extension cannot give it.
        """
        cached = self._cache.get(arn)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        port = self.settings.parameters_secrets_extension_http_port
        try:
            response = await self.http.get(
                f"http://localhost:{port}/secretsmanager/get",
                params={"secretId": arn},
                headers={"x-aws-parameters-secrets-token": os.environ.get("AWS_SESSION_TOKEN", "")},
                timeout=EXTENSION_TIMEOUT,
            )
            response.raise_for_status()
            value = response.json()["SecretString"]
            if not isinstance(value, str):
                raise TypeError("SecretString is not a string")
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            logger.error("cannot read secret", extra={"secret": arn, **describe_exception(exc)})
            raise GatewayError(
                503,
                "The gateway cannot read its configuration secret right now. Try again shortly.",
                code="secret_unavailable",
            ) from None
        self._cache[arn] = (time.monotonic() + self.settings.secrets_max_age, value)
        return value

    async def client_keys(self) -> tuple[str, ...]:
        if self.settings.api_keys_secret_arn:
            keys = parse_keys(await self._secret(self.settings.api_keys_secret_arn))
        else:
            keys = split_list(self.settings.worker_api_key)
        self._loaded.update(keys)
        return keys

    async def cloudflare(self) -> CloudflareCredentials:
        if self.settings.cloudflare_secret_arn:
            raw = await self._secret(self.settings.cloudflare_secret_arn)
            try:
                data = json.loads(raw)
                creds = CloudflareCredentials(
                    str(data["account_id"]),
                    str(data["api_token"]),
                    str(data.get("ai_gateway_token") or "") or None,
                )
            except (ValueError, KeyError, TypeError):
                raise GatewayError(
                    503,
                    "The gateway's Cloudflare secret is malformed: it needs account_id and "
                    "api_token (and may have ai_gateway_token).",
                    code="secret_malformed",
                ) from None
        else:
            creds = CloudflareCredentials(
                self.settings.cloudflare_account_id or "",
                self.settings.cloudflare_api_token or "",
                self.settings.cloudflare_ai_gateway_token or None,
            )
        self._loaded.add(creds.api_token)
        if creds.ai_gateway_token:
            self._loaded.add(creds.ai_gateway_token)
        return creds
