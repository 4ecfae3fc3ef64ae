"""Logging (Powertools, made on first use), EMF metrics, and the per-request middleware
(correlation id, the request's log line and EMF flush).

Under the Lambda Web Adapter every request carries `x-amzn-lambda-context`, a JSON copy of the
Lambda context: its `request_id` is the correlation id and its `deadline` bounds our own.
Locally a fresh id is generated.

The gateway's own cost is measured per request: `x-gateway-overhead-ms` on every response and
the `Overhead` metric are the time spent minus the time waited on outbound calls (Workers AI,
secrets, images; counted by `gateway.transport`). The header can only cover the time until the
response head is sent; the metric covers the whole request, a stream's body included.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import uuid
from typing import TYPE_CHECKING, Any

from gateway.core.context import Metrics, RequestContext, attach_context, current_request
from gateway.core.disconnect import CLIENT_CLOSED
from gateway.core.errors import GatewayError
from gateway.core.http import (
    ASGIApp,
    ErrorRenderer,
    Message,
    Receive,
    Scope,
    Send,
    dumps,
    openai_error,
)

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "workers-ai-gateway")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "WorkersAIGateway")


class _CorrelationId(logging.Filter):
    """Every log line written while a request is served carries its `correlation_id` (read
    from `current_request`, so nothing is appended to the logger per request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        ctx = current_request.get()
        if ctx is not None and not hasattr(record, "correlation_id"):
            record.correlation_id = ctx.request_id
        return True


class LazyLogger:
    """Powertools' `Logger` for the service, made when something is first logged through it.

    The one line of every request is written by `log_request`, and a healthy cold start logs
    nothing else: it then never imports Powertools (some 50 modules, a tenth of the start-up's
    imports). Every other line goes through Powertools' logger, with its structured format, the
    level set by `set_level`, and the request's `correlation_id`.
    """

    def __init__(self) -> None:
        self.level = logging.INFO
        self._logger: Logger | None = None

    def set_level(self, level: str | int) -> None:
        """`LOG_LEVEL`: a level name (`INFO`) or number."""
        self.level = logging.getLevelName(level.upper()) if isinstance(level, str) else level
        if self._logger is not None:
            self._logger.setLevel(self.level)

    @property
    def powertools(self) -> Logger:
        if self._logger is None:
            from aws_lambda_powertools import Logger

            self._logger = Logger(service=SERVICE, level=self.level)
            self._logger.addFilter(_CorrelationId())
        return self._logger

    def debug(self, message: str, **kwargs: Any) -> None:
        self.powertools.debug(message, **kwargs)

    def info(self, message: str, **kwargs: Any) -> None:
        self.powertools.info(message, **kwargs)

    def warning(self, message: str, **kwargs: Any) -> None:
        self.powertools.warning(message, **kwargs)

    def error(self, message: str, **kwargs: Any) -> None:
        self.powertools.error(message, **kwargs)


logger = LazyLogger()


def log_request(ctx: RequestContext, **fields: Any) -> None:
    """The one log line per request, at INFO, in the shape of Powertools' structured lines
    (level, location, message, timestamp, service, correlation_id, then the fields).

    Written here rather than through `logger.info`, whose formatting cost some 40 µs per
    request, more than the rest of a trivial route; every other line goes through the logger.
    """
    if logger.level > logging.INFO:
        return
    now = time.time()
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now))
    record = {
        "level": "INFO",
        "location": "log_request:observability",
        "message": "request",
        "timestamp": f"{stamp},{int(now % 1 * 1000):03d}+0000",
        "service": SERVICE,
        "correlation_id": ctx.request_id,
        **fields,
        **ctx.fields,
    }
    sys.stdout.write(dumps(record).decode() + "\n")


def emit_metrics(metrics: Metrics, key: str | None = None, **dimensions: str) -> None:
    """Print one CloudWatch Embedded Metric Format record: CloudWatch Logs turns the lines of
    stdout into metrics in NAMESPACE, with `service` (and the given names) as dimensions. With
    `key` (a named key's name) every metric is published twice: as before, and per key, under
    a second dimension set that adds `key`, so totals and per-key views both stay whole.

    Written here rather than with Powertools' `EphemeralMetrics`, which cost about 40 µs per
    request (a quarter of the app's CPU on a trivial route); this costs a few. Spec:
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
    """
    if not metrics:
        return
    dimensions = {"service": SERVICE, **dimensions}
    sets = [list(dimensions)]
    if key is not None:
        sets.append([*dimensions, "key"])
        dimensions["key"] = key
    directive = {
        "Namespace": NAMESPACE,
        "Dimensions": sets,
        "Metrics": [{"Name": name, "Unit": unit} for name, (unit, _) in metrics.items()],
    }
    record = {
        "_aws": {"Timestamp": int(time.time() * 1000), "CloudWatchMetrics": [directive]},
        **dimensions,
        **{name: values for name, (_, values) in metrics.items()},
    }
    sys.stdout.write(dumps(record).decode() + "\n")


def key_name(ctx: RequestContext | None) -> str | None:
    """The named key a request presented, as its metrics' `key` dimension (None otherwise)."""
    return ctx.key.name if ctx is not None and ctx.key is not None else None


def upstream_error_metric(code: str) -> None:
    """One EMF record per upstream failure, with the Cloudflare error code as a dimension."""
    emit_metrics({"UpstreamErrors": ("Count", [1.0])}, key_name(current_request.get()), code=code)


def describe_exception(exc: BaseException) -> dict[str, str]:
    """Where an exception came from, without the traceback (which may hold request data):
    the deepest frame in this package, else the deepest frame."""
    where = "unknown"
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if where == "unknown" or f"{os.sep}gateway{os.sep}" in filename:
            where = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return {"error_type": type(exc).__name__, "where": where}


def _lambda_context(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    """The Lambda context the Web Adapter sends as a header, parsed (empty when absent)."""
    raw = next((value for name, value in headers if name == b"x-amzn-lambda-context"), None)
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def overhead_ms(elapsed: float, ctx: RequestContext) -> float:
    """Milliseconds of `elapsed` (seconds since the request arrived) not spent waiting on
    outbound calls."""
    return max(0.0, (elapsed - ctx.upstream_seconds) * 1000)


class RequestContextMiddleware:
    """Outermost middleware: correlation id, overhead header, one log line and one EMF flush
    per request.

    It is also the last line of defence: an exception that escaped everything else becomes a
    500 in the envelope `render` writes (OpenAI's by default), or ends a started response,
    logged without its traceback.
    """

    def __init__(self, app: ASGIApp, render: ErrorRenderer = openai_error) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        lambda_ctx = _lambda_context(scope["headers"])
        request_id = str(lambda_ctx.get("request_id") or uuid.uuid4())
        deadline_ms = lambda_ctx.get("deadline")
        ctx = RequestContext(
            request_id=request_id,
            deadline=deadline_ms / 1000 if isinstance(deadline_ms, int | float) else None,
            client_headers=scope["headers"],
        )
        attach_context(scope, ctx)
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                overhead = overhead_ms(time.perf_counter() - started, ctx)
                headers.append((b"x-gateway-overhead-ms", f"{overhead:.2f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        token = current_request.set(ctx)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            logger.error("unhandled error", extra=describe_exception(exc))
            if not response_started:
                error = GatewayError(
                    500, f"The gateway hit an internal error (request {request_id})."
                )
                await self.render(scope, error)(scope, receive, send_with_id)
        finally:
            if ctx.client_closed:
                status = CLIENT_CLOSED
            elapsed = time.perf_counter() - started
            elapsed_ms, overhead = elapsed * 1000, overhead_ms(elapsed, ctx)
            current_request.reset(token)
            ctx.count("Requests")
            ctx.count("Latency", elapsed_ms, "Milliseconds")
            ctx.count("Overhead", overhead, "Milliseconds")
            if status >= 500:
                ctx.count("ServerErrors")
            elif status >= 400:
                ctx.count("ClientErrors")
            log_request(
                ctx,
                method=scope["method"],
                path=scope["path"],
                status=status,
                duration_ms=round(elapsed_ms, 1),
                overhead_ms=round(overhead, 2),
            )
            emit_metrics(ctx.metrics, key_name(ctx))
