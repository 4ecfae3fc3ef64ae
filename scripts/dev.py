"""`make dev`: serve the gateway on HOST:PORT, on the emulator when there are no Cloudflare
credentials, with a key generated and printed in full when WORKER_API_KEY is unset (a key the
user supplied is shown masked)."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time

import httpx
import uvicorn

from gateway.config import split_list

EMULATOR_BASE = "http://{host}:{port}/client/v4/accounts/emulator/ai"


def start_emulator(host: str, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--host", host, "--port", str(port)]
    )
    for _ in range(100):
        try:
            httpx.get(f"http://{host}:{port}/_emulator/faults", timeout=0.5)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("the Workers AI emulator did not start")


def masked(key: str) -> str:
    """A key the user supplied, as the banner shows it: `sk-…wxyz` (they already have it,
    and a terminal or CI log is no place for it)."""
    if len(key) < 12:
        return "…" + key[-2:]
    return f"{key[:3]}…{key[-4:]}"


def banner(lines: list[str]) -> None:
    width = max(len(line) for line in lines) + 4
    print("\n" + "=" * width, *(f"  {line}" for line in lines), "=" * width + "\n", sep="\n")


def stop_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit, so the emulator child is stopped too."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


def main() -> None:
    stop_on_sigterm()
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8787"))
    if os.environ.get("WORKER_API_KEY"):
        key_line = "API key:  " + ", ".join(map(masked, split_list(os.environ["WORKER_API_KEY"])))
        key_line += "   (from WORKER_API_KEY)"
    else:
        os.environ["WORKER_API_KEY"] = "sk-local-" + secrets.token_urlsafe(24)
        key_line = f"API key:  {os.environ['WORKER_API_KEY']}   (generated for this run)"
    emulator = None
    credentials = os.environ.get("CLOUDFLARE_ACCOUNT_ID") and os.environ.get("CLOUDFLARE_API_TOKEN")
    if not credentials and not os.environ.get("CLOUDFLARE_SECRET_ARN"):
        emulator_port = int(os.environ.get("EMULATOR_PORT", "8788"))
        emulator = start_emulator("127.0.0.1", emulator_port)
        os.environ.setdefault("CLOUDFLARE_API_TOKEN", "emulator")
        os.environ["WORKERS_AI_BASE_URL"] = EMULATOR_BASE.format(
            host="127.0.0.1", port=emulator_port
        )
        banner(
            [
                "NO CLOUDFLARE CREDENTIALS: answering from the Workers AI EMULATOR.",
                "Its replies are canned test text, not a real model.",
                "Set CLOUDFLARE_ACCOUNT_ID and CLOUDFLARE_API_TOKEN for real answers.",
            ]
        )
    banner(
        [
            f"Gateway:  http://{host}:{port}   (docs at /)",
            f"base_url: http://{host}:{port}/v1",
            key_line,
        ]
    )
    try:
        uvicorn.run(
            "gateway.app:create_app",
            factory=True,
            host=host,
            port=port,
            loop="uvloop",
            http="httptools",
        )
    finally:
        if emulator:
            emulator.terminate()
            emulator.wait(timeout=5)


if __name__ == "__main__":
    main()
