"""`make cloudflare-token` (scripts/cloudflare_token.py) replaces the Cloudflare API token in the
stack's secret from standard input, never from the command line, keeps the account id, and
neither prints the token nor changes anything when the input is not a token."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from scripts.cloudflare_token import main, stack_name

NEW_TOKEN = "Abc123_new-token-0123456789abcdefghijkl"


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        client = boto3.client("secretsmanager", region_name="us-east-1")
        value = json.dumps({"account_id": "0123456789abcdef0123456789abcdef", "api_token": "old"})
        arn = client.create_secret(Name="gw-cloudflare", SecretString=value)["ARN"]
        yield client, arn


def stored(client: Any, arn: str) -> dict[str, str]:
    return json.loads(client.get_secret_value(SecretId=arn)["SecretString"])


def test_the_token_comes_from_stdin_and_the_account_id_stays(secret, capsys):
    client, arn = secret
    main(["--secret-id", arn, "--region", "us-east-1"], stdin=io.StringIO(NEW_TOKEN + "\n"))
    assert stored(client, arn) == {
        "account_id": "0123456789abcdef0123456789abcdef",
        "api_token": NEW_TOKEN,
    }
    printed = capsys.readouterr()
    assert NEW_TOKEN not in printed.out + printed.err


@pytest.mark.parametrize("text", ["", "\n", "two words here and more", "short"])
def test_input_that_is_not_a_token_changes_nothing(secret, text):
    client, arn = secret
    with pytest.raises(SystemExit, match="does not look like"):
        main(["--secret-id", arn, "--region", "us-east-1"], stdin=io.StringIO(text))
    assert stored(client, arn)["api_token"] == "old"


def test_the_stack_name_comes_from_samconfig():
    assert stack_name("default") == "workers-ai-gateway"
    assert stack_name("prod") == "workers-ai-gateway-prod"
    with pytest.raises(SystemExit):
        stack_name("nonexistent")
