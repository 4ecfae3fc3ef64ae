"""`python -m gateway [--host H] [--port P]`: serve the gateway (see gateway.server)."""

from __future__ import annotations

import argparse
import os

from gateway.server import serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("AWS_LWA_PORT", "8080")))
    parser.add_argument("--log-level", default="warning", help="uvicorn's own log level")
    args = parser.parse_args()
    serve(args.host, args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
