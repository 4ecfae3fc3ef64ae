"""`make dev`: serve the gateway on HOST:PORT, on the emulator when there are no Cloudflare
credentials, with a key generated and printed when WORKER_API_KEY is unset."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time

import httpx
import uvicorn

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
    if not os.environ.get("WORKER_API_KEY"):
        os.environ["WORKER_API_KEY"] = "sk-local-" + secrets.token_urlsafe(24)
    key = os.environ["WORKER_API_KEY"].split(",")[0].strip()
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
            f"API key:  {key}",
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
