"""Servers for tests: any ASGI app under uvicorn on a free loopback port, in a background thread.

`EmulatorServer` is the emulator so served, with helpers for its control API.
"""

import asyncio
import socket
import threading
import time
from types import TracebackType
from typing import Any, Literal, Self

import httpx
import uvicorn
from starlette.types import ASGIApp

from emulator.app import KEEP_ALIVE, create_app

ACCOUNT_ID = "emulator"


class ServerThread:
    """Serve `app` with uvicorn in a daemon thread; use as a context manager or start()/stop()."""

    def __init__(
        self,
        app: ASGIApp,
        lifespan: Literal["auto", "on", "off"] = "off",
        host: str = "127.0.0.1",
        keep_alive: int = 5,
    ) -> None:
        self.app = app
        self.host = host
        self.lifespan = lifespan
        self.keep_alive = keep_alive
        """Seconds an idle connection is kept open (as the server served this way keeps them)."""
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._socket.getsockname()[1]

    @property
    def root_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> Self:
        # An explicit IPPROTO_TCP lets asyncio set TCP_NODELAY on accepted connections;
        # with proto 0 it does not, and Nagle + delayed ACK add ~40 ms to every answer.
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.bind((self.host, 0))
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan=self.lifespan,
            timeout_graceful_shutdown=1,
            timeout_keep_alive=self.keep_alive,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{type(self).__name__} did not start")
            time.sleep(0.01)
        return self

    def running_tasks(self) -> list[str]:
        """The asyncio tasks alive in the server's loop (uvicorn's own, plus one per request
        being served and whatever a request left behind), described by their coroutines."""
        if self._server is None or not self._server.servers:
            raise RuntimeError(f"{type(self).__name__} is not started")

        async def snapshot() -> list[str]:
            probe = asyncio.current_task()
            return [repr(task.get_coro()) for task in asyncio.all_tasks() if task is not probe]

        loop = self._server.servers[0].get_loop()
        return asyncio.run_coroutine_threadsafe(snapshot(), loop).result(timeout=5)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        if self._socket is not None:
            self._socket.close()
        self._socket = self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class EmulatorServer(ServerThread):
    """The emulator on loopback. Keyword arguments go to `create_app` (token, compact_sse, ...)."""

    def __init__(self, host: str = "127.0.0.1", **app_options: Any) -> None:
        super().__init__(create_app(**app_options), host=host, keep_alive=KEEP_ALIVE)
        self._control: httpx.Client | None = None

    @property
    def base_url(self) -> str:
        return f"{self.root_url}/client/v4/accounts/{ACCOUNT_ID}/ai"

    def start(self, timeout: float = 10.0) -> Self:
        super().start(timeout)
        self._control = httpx.Client(base_url=self.root_url, timeout=10)
        return self

    def stop(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        super().stop()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        if self._control is None:
            raise RuntimeError("EmulatorServer is not started")
        response = self._control.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json()

    def add_fault(self, **fault: Any) -> str:
        """Queue a fault (fields as POST /_emulator/faults takes them); returns its id."""
        return self._call("POST", "/_emulator/faults", json=fault)["id"]

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "/_emulator/faults")["faults"]

    def requests(self) -> list[dict[str, Any]]:
        """Recorded requests, newest last (Authorization header left out)."""
        return self._call("GET", "/_emulator/requests")["requests"]

    def clear(self) -> None:
        """Forget all faults and recorded requests."""
        self._call("DELETE", "/_emulator/faults")
        self._call("DELETE", "/_emulator/requests")
