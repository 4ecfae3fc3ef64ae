"""A fake of the AWS Parameters and Secrets Lambda Extension's secrets route, for tests and
`make bench`.

The real extension serves `GET /secretsmanager/get?secretId=ID` on
localhost:$PARAMETERS_SECRETS_EXTENSION_HTTP_PORT (2773 by default), answering Secrets Manager's
GetSecretValue JSON, and refuses requests whose `X-Aws-Parameters-Secrets-Token` header is not
the function's AWS_SESSION_TOKEN. Source:
https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html
"""

from __future__ import annotations

import secrets

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from emulator.testing import ServerThread

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}-AbCdEf"
TOKEN_HEADER = "x-aws-parameters-secrets-token"  # noqa: S105 - a header name


class SecretsExtensionServer(ServerThread):
    """The fake extension on a free loopback port. `put_secret` creates or rotates a secret
    (returns its ARN); `environment()` is what the gateway's process needs to reach it;
    `requests` counts the reads served."""

    def __init__(self) -> None:
        self.token = "session-" + secrets.token_urlsafe(8)
        self.secrets: dict[str, str] = {}
        self.requests = 0
        super().__init__(Starlette(routes=[Route("/secretsmanager/get", self.get_secret)]))

    def put_secret(self, name: str, value: str) -> str:
        arn = ARN.format(name=name)
        self.secrets[arn] = self.secrets[name] = value
        return arn

    def environment(self) -> dict[str, str]:
        return {
            "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": str(self.port),
            "AWS_SESSION_TOKEN": self.token,
        }

    async def get_secret(self, request: Request) -> JSONResponse:
        self.requests += 1
        if request.headers.get(TOKEN_HEADER) != self.token:
            return JSONResponse({"message": "missing or wrong session token"}, status_code=401)
        secret_id = request.query_params.get("secretId", "")
        if secret_id not in self.secrets:
            message = "Secrets Manager can't find the specified secret."
            return JSONResponse(
                {"__type": "ResourceNotFoundException", "message": message}, status_code=400
            )
        arn = secret_id if secret_id.startswith("arn:") else ARN.format(name=secret_id)
        return JSONResponse(
            {
                "ARN": arn,
                "Name": arn.split(":")[-1].rsplit("-", 1)[0],
                "SecretString": self.secrets[secret_id],
                "VersionId": secrets.token_hex(16),
                "VersionStages": ["AWSCURRENT"],
            }
        )
