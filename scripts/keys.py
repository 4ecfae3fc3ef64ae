"""`make keys`: manage named keys through the gateway's admin API, with an operator key.

    make keys ARGS="create --name alice --rpm 60 --tpm 100000 --budget 5000000 --models gpt-4o"
    make keys ARGS="list"
    make keys ARGS="show key_..."
    make keys ARGS="update key_... --rpm none --disable"
    make keys ARGS="revoke key_..."
    make keys ARGS="usage --start 2026-12-01 --group-by day,key"

The gateway is BASE_URL (default http://127.0.0.1:8787: `make dev`); the operator key is API_KEY
(the Makefile passes WORKER_API_KEY), else the key `make dev` keeps in .data/dev-api-key. A
limit of `none` (a model list of `all`, an expiry of `none`) clears it. `--json` prints the API's
own answer. A new key's secret is printed once: the gateway keeps only its SHA-256.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

DEV_KEY = Path(__file__).resolve().parents[1] / ".data" / "dev-api-key"
TIMEOUT = 30.0


class Failure(Exception):
    """An answer that is not a success: its status and the gateway's message."""


def limit(text: str) -> int | None:
    """A limit from the command line: a whole number, or `none` to clear it."""
    if text.lower() == "none":
        return None
    try:
        return int(text.replace("_", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number or none: {text!r}") from None


def models(text: str) -> list[str] | None:
    """A comma-separated list of models (names or aliases), or `all`."""
    if text.lower() == "all":
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


def moment(text: str) -> int | None:
    """An expiry: Unix seconds, an ISO date or time (UTC unless it says otherwise), or `none`."""
    if text.lower() == "none":
        return None
    if text.isdigit():
        return int(text)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date, a time or Unix seconds: {text!r}") from None
    return int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())


def metadata(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        raise argparse.ArgumentTypeError("metadata must be a JSON object") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("metadata must be a JSON object")
    return value


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="make keys ARGS=...", description=__doc__.split("\n")[0])
    top.add_argument("--base-url", default=os.environ.get("BASE_URL") or "http://127.0.0.1:8787")
    top.add_argument("--api-key", default=os.environ.get("API_KEY") or None)
    top.add_argument("--json", action="store_true", help="print the API's answer as it is")
    commands = top.add_subparsers(dest="command", required=True)

    def fields(command: argparse.ArgumentParser, creating: bool) -> None:
        """The key's fields; one not given is absent from the parsed arguments (so `none`,
        which clears a field, differs from leaving it alone)."""
        given = {"default": argparse.SUPPRESS}
        command.add_argument("--name", required=creating, **given)
        command.add_argument("--models", type=models, help="comma-separated, or all", **given)
        command.add_argument("--rpm", type=limit, help="requests per minute, or none", **given)
        command.add_argument("--tpm", type=limit, help="tokens per minute, or none", **given)
        command.add_argument("--budget", type=limit, help="tokens per UTC month, or none", **given)
        command.add_argument(
            "--expires", type=moment, help="date, time or Unix seconds, or none", **given
        )
        command.add_argument("--metadata", type=metadata, help="a JSON object", **given)

    fields(commands.add_parser("create", help="mint a key (its secret is shown once)"), True)
    commands.add_parser("list", help="the keys and this month's usage")
    commands.add_parser("show", help="one key").add_argument("key_id")
    update = commands.add_parser("update", help="change a key")
    update.add_argument("key_id")
    fields(update, False)
    state = update.add_mutually_exclusive_group()
    state.add_argument("--disable", dest="disabled", action="store_true", default=None)
    state.add_argument("--enable", dest="disabled", action="store_false")
    commands.add_parser("revoke", help="revoke a key").add_argument("key_id")
    usage = commands.add_parser("usage", help="usage per UTC day, key and model")
    usage.add_argument("--start", help="first day, YYYY-MM-DD (default: the 1st of this month)")
    usage.add_argument("--end", help="last day, YYYY-MM-DD (default: today)")
    usage.add_argument("--key", dest="key_id", help="one key's usage")
    usage.add_argument("--group-by", help="day, key, model: any of them, comma-separated")
    return top


def body_of(args: argparse.Namespace) -> dict[str, Any]:
    """The fields given on the command line, as the admin API names them."""
    names = {"budget": "monthly_token_budget", "expires": "expires_at"}
    given = {
        names.get(name, name): value
        for name, value in vars(args).items()
        if name in {"name", "models", "rpm", "tpm", "budget", "expires", "metadata"}
    }
    if getattr(args, "disabled", None) is not None:
        given["disabled"] = args.disabled
    return given


def call(client: httpx.Client, method: str, path: str, **kwargs: Any) -> Any:
    try:
        response = client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise Failure(f"cannot reach {client.base_url}: {exc}") from None
    if response.is_success:
        return response.json()
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = response.text.strip()[:300]
    raise Failure(f"{response.status_code}: {message}")


def table(rows: list[list[str]], header: list[str]) -> str:
    """Plain columns, left-aligned, numbers right-aligned."""
    lines = [header, *rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def cell(text: str, width: int) -> str:
        return text.rjust(width) if text.replace(",", "").isdigit() else text.ljust(width)

    out = ["  ".join(cell(text, w) for text, w in zip(line, widths, strict=True)) for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in out)


def state(key: dict[str, Any]) -> str:
    """What a key is now: disabled, expired or active."""
    if key["disabled"]:
        return "disabled"
    if key["expires_at"] is not None and key["expires_at"] <= time.time():
        return "expired"
    return "active"


def shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, list):
        return ",".join(value)
    return str(value)


def key_table(keys: list[dict[str, Any]]) -> str:
    header = [
        "id",
        "name",
        "models",
        "rpm",
        "tpm",
        "budget",
        "expires",
        "state",
        "requests",
        "tokens",
    ]
    rows = [
        [
            key["id"],
            key["name"],
            shown(key["models"]) if key["models"] else "all",
            shown(key["rpm"]),
            shown(key["tpm"]),
            shown(key["monthly_token_budget"]),
            datetime.fromtimestamp(key["expires_at"], UTC).strftime("%Y-%m-%dT%H:%MZ")
            if key["expires_at"]
            else "-",
            state(key),
            shown(key["usage"]["requests"]),
            shown(key["usage"]["input_tokens"] + key["usage"]["output_tokens"]),
        ]
        for key in keys
    ]
    return table(rows, header)


def usage_table(report: dict[str, Any]) -> str:
    header = ["day", "key", "model", "requests", "input", "output", "errors"]
    rows = [
        [
            shown(row["day"]),
            shown(row["key_name"] or row["key_id"]),
            shown(row["model"]),
            shown(row["requests"]),
            shown(row["input_tokens"]),
            shown(row["output_tokens"]),
            shown(row["errors"]),
        ]
        for row in report["data"]
    ]
    return f"{report['start']} to {report['end']}\n" + table(rows, header)


def run(args: argparse.Namespace, client: httpx.Client) -> str:
    if args.command == "create":
        key = call(client, "POST", "/admin/keys", json=body_of(args))
        secret = key.pop("key")
        if args.json:
            return json.dumps(key | {"key": secret}, indent=2)
        return (
            f"{key_table([key])}\n\nThe key (shown this once; the gateway keeps only its "
            f"SHA-256):\n{secret}"
        )
    if args.command == "list":
        listed = call(client, "GET", "/admin/keys")
        return json.dumps(listed, indent=2) if args.json else key_table(listed["data"])
    if args.command in {"show", "update", "revoke"}:
        method = {"show": "GET", "update": "PATCH", "revoke": "DELETE"}[args.command]
        kwargs = {"json": body_of(args)} if args.command == "update" else {}
        answer = call(client, method, f"/admin/keys/{args.key_id}", **kwargs)
        if args.json:
            return json.dumps(answer, indent=2)
        return f"Revoked {answer['id']}." if args.command == "revoke" else key_table([answer])
    query = {
        name: value
        for name, value in (
            ("start", args.start),
            ("end", args.end),
            ("key_id", args.key_id),
            ("group_by", args.group_by),
        )
        if value is not None
    }
    report = call(client, "GET", "/admin/usage", params=query)
    return json.dumps(report, indent=2) if args.json else usage_table(report)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    key = args.api_key or (DEV_KEY.read_text().strip() if DEV_KEY.exists() else None)
    if not key:
        print(
            "No operator key: set API_KEY (or WORKER_API_KEY), or run make dev once.",
            file=sys.stderr,
        )
        return 2
    headers = {"authorization": f"Bearer {key}"}
    with httpx.Client(
        base_url=args.base_url.rstrip("/"), headers=headers, timeout=TIMEOUT
    ) as client:
        try:
            print(run(args, client))
        except Failure as failure:
            print(f"error: {failure}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
