"""What the stores' blocking backends share: a boto3 client made on first use, a SQLite file's
one connection, and a call in a worker thread whose failure is a 503 in OpenAI's envelope.

Used by the stored responses (`storage`), the generated files (`media_files`) and the named
keys (`keys.sqlite`, `keys.dynamodb`).
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from gateway.core.errors import GatewayError
from gateway.core.observability import describe_exception, logger

T = TypeVar("T")


class Boto3Client:
    """`client()`: the boto3 client of `service` in `region`, made once on first use, with a
    botocore `Config(**config)` when options are given. boto3 is imported then, so processes
    that never call the service never load it (the Lambda runtime has boto3; the gateway's layer
    does not). Worker threads share the client."""

    def __init__(self, service: str, region: str | None, **config: Any) -> None:
        self.service = service
        self.region = region
        self.config = config
        self._client: Any = None
        self._lock = threading.Lock()

    def __call__(self) -> Any:
        with self._lock:
            if self._client is None:
                import boto3
                from botocore.config import Config

                options = Config(**self.config) if self.config else None
                self._client = boto3.client(self.service, region_name=self.region, config=options)
        return self._client

    def close(self) -> None:
        self._client = None


class SQLiteFile:
    """One connection to the SQLite file at `path` (created with its folder on first use), or
    an in-memory database for `:memory:` that lives as long as this object. Opened in
    autocommit mode with write-ahead logging, `schema` run once; worker threads take turns on it
    through `locked()` (sqlite3 calls block). Other processes open their own; `timeout` is how
    long a call waits for another's write lock, in seconds."""

    def __init__(self, path: str, schema: str, *, timeout: float = 10.0) -> None:
        self.path = path
        self.schema = schema
        self.timeout = timeout
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    @contextmanager
    def locked(self) -> Iterator[sqlite3.Connection]:
        """The connection, held by this thread until the block ends."""
        with self._lock:
            if self._connection is None:
                self._connection = self._open()
            yield self._connection

    def _open(self) -> sqlite3.Connection:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(
            self.path, timeout=self.timeout, check_same_thread=False, isolation_level=None
        )
        # Connections that open a new file at once may each ask for WAL; SQLite answers one of
        # them "database is locked" at once, without waiting (it would deadlock), so try again.
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.executescript(self.schema)
                return connection
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    connection.close()
                    raise
                time.sleep(0.01)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


@dataclass(frozen=True)
class Unavailable:
    """What a client is told when the store called `name` fails: a 503 with `message` and
    `code`. The failure itself is logged as `{name} failed`, never answered."""

    name: str
    message: str
    code: str

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` in a worker thread. A GatewayError it raises is the answer as it
        is; any other failure is logged and raised as this 503, never a 500."""
        try:
            return await asyncio.to_thread(function, *args)
        except GatewayError:
            raise
        except Exception as exc:
            logger.error(f"{self.name} failed", extra=describe_exception(exc))
            raise GatewayError(503, self.message, code=self.code) from None
