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

KEEP_ALIVE = 130
"""Seconds an idle client connection is kept open: longer than every common client pool keeps
one, so no client ever sends a request on a connection the server is closing (the idle-connection
race: a pool and a server that both drop idle connections after 5 s reset a few requests in a
burst). The pools: the Lambda Web Adapter's own, to this app, 4 s; Node's undici 4 s; httpx,
hence the OpenAI Python SDK and the gateway's own upstream client, 5 s; aiohttp 15 s; an AWS
load balancer 60 s; Go's net/http 90 s; curl 118 s. uvicorn's default is 5 s; ASP.NET Kestrel's
is the same 130 s. An idle connection costs a socket and a few kilobytes."""


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
