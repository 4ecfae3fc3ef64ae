"""`python -m emulator [--host H] [--port P | --fd N]`: serve the Workers AI emulator (uvicorn)."""

import argparse
import os
import socket
import sys

import uvicorn

from emulator.app import KEEP_ALIVE, create_app

BANNER = """\
==========================================================================
  WORKERS AI EMULATOR: this is NOT Cloudflare. Every answer is emulated.
  Base URL: http://{host}:{port}/client/v4/accounts/emulator/ai
  Control:  http://{host}:{port}/_emulator/faults, /_emulator/requests
  Token:    {token}
=========================================================================="""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    parser.add_argument("--host", default=os.environ.get("EMULATOR_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("EMULATOR_PORT", "8788")))
    parser.add_argument("--compact-sse", action="store_true", help="write 'data:' without a space")
    parser.add_argument(
        "--split-bytes", type=int, default=7, help="SSE write size in bytes (0 = one per event)"
    )
    parser.add_argument("--log-level", default="warning")
    parser.add_argument(
        "--fd", type=int, help="serve on this already-listening socket (its port wins over --port)"
    )
    args = parser.parse_args(argv)
    app = create_app(compact_sse=args.compact_sse, split_bytes=args.split_bytes)
    token = "EMULATOR_TOKEN" if app.state.token else "any bearer token"
    sockets = [socket.socket(fileno=args.fd)] if args.fd is not None else None
    if sockets:
        args.host, args.port = sockets[0].getsockname()[:2]
    print(BANNER.format(host=args.host, port=args.port, token=token), file=sys.stderr, flush=True)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        lifespan="off",
        timeout_keep_alive=KEEP_ALIVE,
    )
    uvicorn.Server(config).run(sockets=sockets)


if __name__ == "__main__":
    main()
