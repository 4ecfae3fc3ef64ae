"""Serving the app under uvicorn, the same way on Lambda (run.sh), in `make dev` and in a
container: uvloop and httptools, the fastest loop and HTTP parser uvicorn offers; no access log
(the app logs each request itself) and no `server` header.

Loading the app's modules makes tens of thousands of objects that live as long as the process;
the garbage collector would walk them all, more than once, while they load. It is off until they
are loaded; then they are frozen, so the full collections of a serving process skip them too
(https://docs.python.org/3/library/gc.html#gc.freeze). This belongs here, where a server starts,
not to importing `gateway.app`: tests and scripts keep the interpreter's defaults.
"""

from __future__ import annotations

import gc
import os

KEEP_ALIVE = 5
"""Seconds an idle client connection is kept open (uvicorn's default)."""


def serve(host: str, port: int, *, fd: int | None = None, log_level: str = "warning") -> None:
    """Serve the app (settings from the environment) until the process is told to stop."""
    # Pydantic looks for plugins (entry points of every installed distribution) when it builds
    # its first model: a scan of site-packages on every cold start, for plugins we do not use.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    collecting = gc.isenabled()
    gc.disable()
    import uvicorn

    from gateway.app import create_app

    app = create_app()
    gc.freeze()
    if collecting:
        gc.enable()
    uvicorn.run(
        app,
        host=host,
        port=port,
        fd=fd,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        server_header=False,
        log_level=log_level,
        timeout_keep_alive=KEEP_ALIVE,
    )
