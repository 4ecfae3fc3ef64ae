"""`make dev`: serve the gateway on HOST:PORT, on the emulator when there are no Cloudflare
credentials, with a key printed in full when WORKER_API_KEY is unset (a key the user supplied is
shown masked). That key is generated once and kept beside the stored responses (`.data/dev-api-key`,
mode 0600), since stored responses belong to the key that made them: a restart must not orphan
them. The emulator is this run's own, on a free port (or EMULATOR_PORT), and the gateway stops
if it dies."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from gateway.core.config import Settings, split_list
from gateway.server import serve

EMULATOR_BASE = "http://{host}:{port}/client/v4/accounts/emulator/ai"


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: a free one), made here so the emulator child
    serves on it: no other process can be the one answering. Raises SystemExit when the port
    is taken, rather than quietly sharing another run's emulator."""
    sock = socket.socket()
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SystemExit(
            f"EMULATOR_PORT {port} is not free ({exc.strerror}): unset it for a free one"
        ) from None
    sock.listen(128)
    return sock


def start_emulator(sock: socket.socket) -> subprocess.Popen:
    """Run `python -m emulator` on `sock`; return once it answers. Raises SystemExit if the
    child exits or stays silent for 10 s. Its own session keeps a terminal's Ctrl-C to this
    process, which stops it in turn."""
    fd = sock.fileno()
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--fd", str(fd)], pass_fds=[fd], start_new_session=True
    )
    host, port = sock.getsockname()[:2]
    for _ in range(100):
        if process.poll() is not None:
            raise SystemExit(f"the Workers AI emulator exited with code {process.returncode}")
        try:
            httpx.get(f"http://{host}:{port}/_emulator/faults", timeout=0.5)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("the Workers AI emulator did not start")


def stop_when_gone(emulator: subprocess.Popen, stopping: threading.Event) -> threading.Event:
    """Watch the emulator: if it exits before `stopping` is set, say so and stop the gateway
    (a gateway whose upstream is gone would answer /health and then 502 every chat). Returns
    the event set when that happened."""
    gone = threading.Event()

    def watch() -> None:
        code = emulator.wait()
        if stopping.is_set():
            return
        gone.set()
        print(f"\nThe Workers AI emulator exited (code {code}): stopping.", file=sys.stderr)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True).start()
    return gone


def kept_key(path: Path) -> str:
    """The key in `path`, made (`sk-local-…`, mode 0600) on the first run and read after."""
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if key:
        return key
    key = "sk-local-" + secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(key + "\n")
    return key


def port_free(host: str, port: int) -> None:
    """Exit with a hint when the gateway's own port is taken (another `make dev`?), before an
    emulator is started for nothing; bound as uvicorn binds it (SO_REUSEADDR)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sys.exit(f"make dev: {host}:{port} is taken ({exc.strerror}); set PORT to another.")


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
        path = Path(Settings().responses_db_path).parent / "dev-api-key"
        os.environ["WORKER_API_KEY"] = kept_key(path)
        key_line = f"API key:  {os.environ['WORKER_API_KEY']}   (kept in {path})"
    port_free(host, port)
    emulator = None
    stopping, emulator_gone = threading.Event(), threading.Event()
    credentials = os.environ.get("CLOUDFLARE_ACCOUNT_ID") and os.environ.get("CLOUDFLARE_API_TOKEN")
    if not credentials and not os.environ.get("CLOUDFLARE_SECRET_ARN"):
        with listen("127.0.0.1", int(os.environ.get("EMULATOR_PORT", "0"))) as sock:
            emulator = start_emulator(sock)
            emulator_port = sock.getsockname()[1]
        emulator_gone = stop_when_gone(emulator, stopping)
        # A token no message will contain: the gateway redacts its secrets from upstream text.
        os.environ.setdefault("CLOUDFLARE_API_TOKEN", f"emulator-{secrets.token_hex(8)}")
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
        serve(host, port, log_level="info")
    finally:
        stopping.set()
        if emulator:
            emulator.terminate()
            emulator.wait(timeout=5)
        if emulator_gone.is_set():  # uvicorn re-raises its SIGTERM: this exit code wins
            raise SystemExit(1)


if __name__ == "__main__":
    main()
