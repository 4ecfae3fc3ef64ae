"""`make keys` (scripts/keys.py) against a running gateway: mint, list, show, change, revoke and
the usage table, all through the admin API, and its errors as one readable line."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from helpers import ROOT, post, utc

from scripts import keys as cli

CHAT = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}


def run_cli(*argv: str) -> tuple[int, str, str]:
    """scripts/keys.py as `make keys` runs it; (exit code, stdout, stderr)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "keys.py"), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def keys(keys_gateway: Any) -> Any:
    """Runs the CLI against the test's gateway with its operator key."""

    def run(*argv: str) -> tuple[int, str, str]:
        return run_cli("--base-url", keys_gateway.url, "--api-key", keys_gateway.api_key, *argv)

    return run


@pytest.mark.parametrize("keys_backend", ["sqlite"], indirect=True)
def test_a_key_is_managed_from_the_command_line(keys, keys_gateway, emulator):
    code, out, _ = keys(
        "create",
        "--name",
        "alice",
        "--rpm",
        "60",
        "--models",
        "gpt-4o,gpt-4o-mini",
        "--expires",
        "2027-01-31",
    )
    assert code == 0
    secret = out.strip().splitlines()[-1]
    assert secret.startswith("sk-")
    assert "shown this once" in out
    listing = out.splitlines()[0].split()
    assert listing[:3] == ["id", "name", "models"]
    key_id = out.splitlines()[2].split()[0]
    assert key_id.startswith("key_")
    assert "gpt-4o,gpt-4o-mini" in out and "2027-01-31T00:00Z" in out

    assert post(keys_gateway, "/v1/chat/completions", CHAT, key=secret).status_code == 200
    code, out, _ = keys("list")
    assert code == 0 and "alice" in out and secret not in out
    (row,) = [line.split() for line in out.splitlines() if line.startswith(key_id)]
    assert row[3] == "60" and row[-2] == "1"  # rpm, requests this month

    code, out, _ = keys("update", key_id, "--rpm", "none", "--tpm", "1_000", "--disable")
    assert code == 0
    (row,) = [line.split() for line in out.splitlines() if line.startswith(key_id)]
    assert (row[3], row[4], row[7]) == ("-", "1,000", "disabled")
    assert post(keys_gateway, "/v1/chat/completions", CHAT, key=secret).status_code == 401
    code, out, _ = keys("update", key_id, "--enable", "--models", "all", "--expires", "none")
    (row,) = [line.split() for line in out.splitlines() if line.startswith(key_id)]
    assert (row[2], row[6], row[7]) == ("all", "-", "active")

    code, out, _ = keys("usage", "--group-by", "key,model")
    assert code == 0
    assert out.splitlines()[0] == "2026-12-01 to 2026-12-15"
    assert "alice" in out and "@cf/meta/llama-4-scout-17b-16e-instruct" in out
    code, out, _ = keys("--json", "show", key_id)
    assert '"name": "alice"' in out

    code, out, _ = keys("revoke", key_id)
    assert (code, out.strip()) == (0, f"Revoked {key_id}.")
    code, _, err = keys("show", key_id)
    assert code == 1 and err.startswith("error: 404: No key found")


@pytest.mark.parametrize("keys_backend", ["sqlite"], indirect=True)
def test_the_gateways_refusals_are_one_readable_line(keys, keys_gateway):
    code, _, err = keys("create", "--name", "bob", "--rpm", "0")
    assert code == 1
    assert err.startswith("error: 400: ") and "rpm" in err
    code, _, err = keys("usage", "--start", "2026-13-01")
    assert code == 1 and "start" in err
    code, _, err = run_cli("--base-url", keys_gateway.url, "--api-key", "sk-" + "x" * 43, "list")
    assert code == 1 and err.startswith("error: 401: ")
    code, _, err = keys("create", "--rpm", "lots")  # argparse's own refusal
    assert code == 2 and "--rpm" in err


def test_expiry_dates_are_utc_unless_they_say_otherwise():
    assert cli.moment("2027-01-31") == utc("2027-01-31T00:00:00")
    assert cli.moment("2027-01-31T12:00:00+02:00") == utc("2027-01-31T10:00:00")
    assert cli.moment("1798761600") == 1798761600
    assert cli.moment("none") is None


@pytest.mark.parametrize("keys_backend", ["sqlite"], indirect=True)
def test_make_keys_does_not_print_the_operator_key(keys_gateway):
    """`make keys` runs the CLI without echoing its command line, which holds the key."""
    secret = post(keys_gateway, "/admin/keys", {"name": "quiet"}).json()["key"]
    done = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "keys",
            f"BASE_URL={keys_gateway.url}",
            f"API_KEY={keys_gateway.api_key}",
            "ARGS=list",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "quiet" in done.stdout
    assert keys_gateway.api_key not in done.stdout + done.stderr
    assert secret not in done.stdout + done.stderr
