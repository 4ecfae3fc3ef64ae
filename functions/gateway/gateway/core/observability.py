"""Logging (Powertools), EMF metrics, and the per-request context (correlation id, EMF flush).

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
import os
import time
import uuid
from typing import Any

from aws_lambda_powertools import Logger

from gateway.core.context import Metrics, RequestContext, attach_context, current_request
from gateway.core.disconnect import CLIENT_CLOSED
from gateway.core.errors import GatewayError
from gateway.core.http import ASGIApp, Message, Receive, Scope, Send, error_response

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "workers-ai-gateway")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "WorkersAIGateway")

logger = Logger(service=SERVICE)


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
    print(json.dumps(record, separators=(",", ":")))


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


def _lambda_context(headers: dict[bytes, bytes]) -> dict[str, Any]:
    raw = headers.get(b"x-amzn-lambda-context")
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
    500 in OpenAI's envelope (or ends a started response), logged without its traceback.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        lambda_ctx = _lambda_context(dict(scope["headers"]))
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

        logger.thread_safe_append_keys(correlation_id=request_id)
        token = current_request.set(ctx)
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            logger.error("unhandled error", extra=describe_exception(exc))
            if not response_started:
                error = GatewayError(
                    500, f"The gateway hit an internal error (request {request_id})."
                )
                await error_response(error)(scope, receive, send_with_id)
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
            logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round(elapsed_ms, 1),
                    "overhead_ms": round(overhead, 2),
                    **ctx.fields,
                },
            )
            emit_metrics(ctx.metrics, key_name(ctx))
            logger.thread_safe_remove_keys(["correlation_id"])
