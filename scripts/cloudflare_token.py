"""`make cloudflare-token`: put a new Cloudflare API token into a deployed stack's secret.

The token is read from the terminal without echo, or from standard input when it is piped in
(e.g. from a password manager): never from the command line, so it stays out of shell history
and out of the process list. The secret's account id is kept. The gateway reads the new token
within SECRETS_MAX_AGE seconds (300 by default), without a deploy.

The secret is found through the stack (`--stack-name`, default: samconfig.toml's for
`--config-env`), or given with `--secret-id`.
"""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
import tomllib
from pathlib import Path
from typing import Any, TextIO

import boto3

SAMCONFIG = Path(__file__).resolve().parents[1] / "samconfig.toml"
RESOURCE = "CloudflareSecret"  # the secret, in template.yaml
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,200}")


def read_token(stdin: TextIO) -> str:
    """The token from the terminal (no echo) or the first line of piped input."""
    if stdin.isatty():
        token = getpass.getpass("New Cloudflare API token (not shown): ")
    else:
        token = stdin.readline()
    token = token.strip()
    if not TOKEN.fullmatch(token):
        raise SystemExit("That does not look like a Cloudflare API token; nothing was changed.")
    return token


def stack_name(config_env: str) -> str:
    """The stack name samconfig.toml gives the environment."""
    config = tomllib.loads(SAMCONFIG.read_text())
    try:
        return config[config_env]["global"]["parameters"]["stack_name"]
    except KeyError:
        raise SystemExit(f"samconfig.toml names no stack for {config_env!r}") from None


def stack_secret(cloudformation: Any, stack: str) -> str:
    """The ARN of the stack's Cloudflare secret."""
    answer = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId=RESOURCE)
    return answer["StackResourceDetail"]["PhysicalResourceId"]


def update_token(secretsmanager: Any, secret_id: str, token: str) -> None:
    """Write `token` as the secret's `api_token`, keeping its other fields (the account id)."""
    current = json.loads(secretsmanager.get_secret_value(SecretId=secret_id)["SecretString"])
    secretsmanager.put_secret_value(
        SecretId=secret_id, SecretString=json.dumps(current | {"api_token": token})
    )


def main(argv: list[str] | None = None, stdin: TextIO = sys.stdin) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config-env", default="default", help="samconfig.toml environment")
    parser.add_argument("--stack-name", help="the stack (default: from samconfig.toml)")
    parser.add_argument("--secret-id", help="the secret's ARN or name, instead of the stack")
    parser.add_argument("--region", help="AWS region (default: the AWS CLI's)")
    args = parser.parse_args(argv)
    session = boto3.Session(region_name=args.region)
    secret_id = args.secret_id or stack_secret(
        session.client("cloudformation"), args.stack_name or stack_name(args.config_env)
    )
    token = read_token(stdin)
    update_token(session.client("secretsmanager"), secret_id, token)
    print(f"Updated the Cloudflare API token in {secret_id}.")


if __name__ == "__main__":
    main()
