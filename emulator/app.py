"""The emulator's ASGI app: the Workers AI REST routes, the control API and the wiring."""

import hmac
import itertools
import json
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from emulator import (
    embeddings,
    guard,
    images,
    rerank,
    shapes,
    speech,
    text,
    transcription,
)
from emulator import validation as check
from emulator.errors import UpstreamError, envelope, error_response
from emulator.faults import (
    FaultSpec,
    FaultStore,
    abort_connection,
    until_disconnected,
)
from emulator.faults import Route as RouteName
from emulator.models import (
    MODEL_ID,
    MODELS,
    ModelSpec,
    catalogue_entry,
    schema_for,
)
from emulator.responses import streamed, whole, whole_json
from emulator.sse import sse_body

KEEP_ALIVE = 400
"""Seconds the emulator keeps an idle client connection open: as long as Cloudflare's edge keeps
an HTTP/1.1 one (developers.cloudflare.com/fundamentals/reference/connection-limits), far past the
gateway's upstream pool (httpx: 5 s), so the gateway never reuses a connection being closed."""

BASE_PATH = "/client/v4/accounts/{account_id}/ai"
DEFAULT_PER_PAGE = 50
SESSION_HEADER = "x-session-affinity"
PROMPT_CACHE_SESSIONS = 1000

Handler = Callable[[Request, dict[str, Any], FaultSpec | None, str | None], Awaitable[Response]]


class EmulatorApp(Starlette):
    """Starlette, keeping the server's own `send` in the scope so a fault can drop the socket."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope["emulator.server_send"] = send
        await super().__call__(scope, receive, send)


# --- helpers -------------------------------------------------------------------------------


def _check_auth(request: Request) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    expected: str | None = request.app.state.token
    if scheme.lower() != "bearer" or not token:
        raise UpstreamError(10000, "Authentication error: missing bearer token")
    if expected is not None and not hmac.compare_digest(token.encode(), expected.encode()):
        raise UpstreamError(10000, "Authentication error")


def _parse_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw) if raw else {}
    except ValueError as exc:
        raise text.bad_input("request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise text.bad_input("request body must be a JSON object")
    return body


def _resolve(name: Any) -> ModelSpec:
    if not isinstance(name, str) or not name:
        raise text.bad_input("model is required")
    if not MODEL_ID.match(name):
        raise UpstreamError(3042, f"Invalid model ID: {name}")
    spec = MODELS.get(name)
    if spec is None:
        raise UpstreamError(5007, f"No such model {name} or task")
    return spec


def _task_mismatch(spec: ModelSpec) -> UpstreamError:
    return UpstreamError(5007, f"No such model {spec.name} or task: it does {spec.task}")


def _takes_raw(request: Request, route: RouteName) -> bool:
    """Whether /run's body is not JSON but raw audio or a multipart form: for a model that
    takes those (models.ModelSpec.body), whenever the Content-Type is not JSON."""
    spec = MODELS.get(request.path_params.get("model", "")) if route == "run" else None
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    return spec is not None and spec.body != "json" and media_type != "application/json"


def _reject_if_busy(body: dict[str, Any]) -> bool:
    options = body.get("options")
    return isinstance(options, dict) and options.get("rejectIfBusy") is True


def _generate(request: Request, chat: text.ChatRequest, spec: ModelSpec) -> text.Generation:
    """Generate, with Workers AI's prefix cache: a request carrying `x-session-affinity` is
    told how many of its prompt tokens the session's previous request left cached."""
    gen = text.generate(chat, spec)
    session = request.headers.get(SESSION_HEADER)
    if session is not None:
        cache = request.app.state.prompt_cache
        gen.cached_tokens = text.cached_prefix_tokens(cache.pop(session, []), chat.messages)
        cache[session] = chat.messages
        while len(cache) > PROMPT_CACHE_SESSIONS:
            cache.pop(next(iter(cache)))
    request.state.log_entry["usage"] = gen.usage
    return gen


def _completion_id(request: Request) -> tuple[str, int]:
    return f"chatcmpl-emu-{next(request.app.state.ids)}", int(time.time())


def _sse(request: Request, events: Iterable[dict[str, Any]], fault: FaultSpec | None) -> Response:
    state = request.app.state
    compact, split = state.compact_sse, state.split_bytes
    if fault is not None:
        compact = compact if fault.compact_sse is None else fault.compact_sse
        split = split if fault.split_bytes is None else fault.split_bytes

    async def abort() -> None:
        await abort_connection(request.scope)

    async def gone(seconds: float) -> bool:
        return await until_disconnected(request.receive, seconds)

    body = sse_body(events, compact=compact, split_bytes=split, fault=fault, abort=abort, gone=gone)
    return StreamingResponse(
        body, media_type="text/event-stream", headers={"cache-control": "no-cache"}
    )


async def _serve(request: Request, route: RouteName, handler: Handler) -> Response:
    """The common path: record, authenticate, apply a fault, then answer."""
    state = request.app.state
    entry: dict[str, Any] = {
        "method": request.method,
        "path": request.url.path,
        "route": route,
        "model": None,
        "query": dict(request.query_params),
        "headers": {k: v for k, v in request.headers.items() if k != "authorization"},
        "body": None,
        "body_bytes": None,
        "status": None,
        "usage": None,
    }
    state.requests.append(entry)
    request.state.log_entry = entry  # the handlers add the usage their answer carries
    try:
        _check_auth(request)
        raw = await request.body()
        if len(raw) > state.max_body_bytes:
            raise UpstreamError(3006, f"Request is too large ({len(raw)} bytes)")
        entry["body_bytes"] = len(raw)
        upload = raw if _takes_raw(request, route) else None
        request.state.upload = upload  # the handlers read a non-JSON body from here
        body = _parse_body(raw) if request.method == "POST" and upload is None else {}
        entry["body"] = body if upload is None else None
        model = {
            "run": request.path_params.get("model"),
            "chat": body.get("model"),
            "embeddings": body.get("model"),
            "schema": request.query_params.get("model"),
        }.get(route)
        entry["model"] = model
        fault = state.faults.take(model, route, _reject_if_busy(body))
        response = await _apply_fault(request, fault)
        if response is None:
            response = await handler(request, body, fault, model)
    except UpstreamError as error:
        response = error_response(error)
    entry["status"] = response.status_code
    return response


async def _apply_fault(request: Request, fault: FaultSpec | None) -> Response | None:
    """Delay, drop or fail as the fault says; None lets the request through."""
    if fault is None:
        return None
    if fault.delay_ms and await until_disconnected(request.receive, fault.delay_ms / 1000):
        return Response(status_code=499)  # never sent; marks the client's leaving in the log
    if fault.connection_reset:
        await abort_connection(request.scope)
        return Response(status_code=499)  # never sent; marks the drop in the request log
    error = fault.error()
    if error is None:
        return None
    if fault.raw_status_body is not None:
        return Response(
            fault.raw_status_body,
            error.status,
            headers=fault.headers(),
            media_type=fault.content_type,
        )
    return error_response(error, fault.headers())


# --- Workers AI routes ---------------------------------------------------------------------


async def _form_fields(request: Request) -> dict[str, Any]:
    """A multipart/form-data body as a dict: text fields as str, files as their bytes."""
    try:
        form = await request.form(max_part_size=request.app.state.max_body_bytes)
    except (MultiPartException, HTTPException) as exc:
        raise text.bad_input(f"malformed multipart body: {exc}") from exc
    return {
        key: await value.read() if isinstance(value, UploadFile) else value
        for key, value in form.multi_items()
    }


async def _image(
    request: Request, spec: ModelSpec, body: dict[str, Any], fault: FaultSpec | None
) -> Response:
    if spec.body == "multipart":
        if request.state.upload is None:  # JSON: the schema wants a multipart body
            check.require(body, "multipart")
            raise check.model_error("send the request as multipart/form-data")
        body = await _form_fields(request)
    image = images.render(spec.name, body)
    if image.as_json:
        return whole_json(envelope(image.result()), fault)
    return whole(image.data, image.media_type, fault)


async def _speech(
    request: Request, spec: ModelSpec, body: dict[str, Any], fault: FaultSpec | None
) -> Response:
    result = speech.synthesize(spec.name, body)
    if not result.streamed:
        return whole_json(envelope(result.result()), fault)
    return streamed(request, result.chunks(), result.media_type, fault)


async def _run(
    request: Request, body: dict[str, Any], fault: FaultSpec | None, model: Any
) -> Response:
    spec = _resolve(model)
    if spec.kind == "image":
        return await _image(request, spec, body, fault)
    if spec.kind == "speech":
        return await _speech(request, spec, body, fault)
    if spec.kind == "transcription":
        query = dict(request.query_params)
        result = transcription.transcribe(spec.name, body, request.state.upload, query)
        return whole_json(envelope(result), fault)
    if spec.kind == "rerank":
        return whole_json(envelope(rerank.rank(body)), fault)
    if spec.kind == "guard":
        verdict = guard.judge(body, spec)
        request.state.log_entry["usage"] = verdict.usage
        return whole_json(envelope(shapes.native_result(verdict)), fault)
    if spec.kind == "embeddings":
        if "messages" in body or "prompt" in body:
            raise _task_mismatch(spec)
        texts = embeddings.parse_inputs(body.get("text"), "text")
        return whole_json(envelope(embeddings.native_result(spec, texts)), fault)
    chat = text.parse_chat(body, spec, openai_route=False)
    gen = _generate(request, chat, spec)
    if spec.stream_format == "none":
        return whole_json(envelope(shapes.chat_completion(gen, *_completion_id(request))), fault)
    if not chat.stream:
        return whole_json(envelope(shapes.native_result(gen)), fault)
    if spec.stream_format == "native":
        return _sse(request, shapes.native_events(gen), fault)
    return _sse(request, shapes.openai_chunks(gen, *_completion_id(request)), fault)


async def _chat(
    request: Request, body: dict[str, Any], fault: FaultSpec | None, model: Any
) -> Response:
    spec = _resolve(model)
    if spec.kind == "guard":
        gen = guard.judge(body, spec)
        request.state.log_entry["usage"] = gen.usage
        return whole_json(shapes.chat_completion(gen, *_completion_id(request)), fault)
    if spec.kind != "chat":
        raise _task_mismatch(spec)
    chat = text.parse_chat(body, spec, openai_route=True)
    gen = _generate(request, chat, spec)
    if chat.stream and spec.stream_format != "none":
        return _sse(request, shapes.openai_chunks(gen, *_completion_id(request)), fault)
    return whole_json(shapes.chat_completion(gen, *_completion_id(request)), fault)


async def _embeddings(
    request: Request, body: dict[str, Any], fault: FaultSpec | None, model: Any
) -> Response:
    spec = _resolve(model)
    if spec.kind != "embeddings":
        raise _task_mismatch(spec)
    texts = embeddings.parse_inputs(body.get("input"), "input")
    encoding = body.get("encoding_format") or "float"
    result = embeddings.openai_result(spec, texts, encoding)
    request.state.log_entry["usage"] = result["usage"]
    return whole_json(result, fault)


def _positive(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name, str(default))
    if not value.isdigit() or int(value) < 1:
        raise text.bad_input(f"{name} must be a positive integer")
    return int(value)


async def _search(
    request: Request, body: dict[str, Any], fault: FaultSpec | None, _: Any
) -> Response:
    task = request.query_params.get("task", "").lower()
    words = request.query_params.get("search", "").lower()
    rows = [
        catalogue_entry(spec)
        for spec in MODELS.values()
        if (not task or spec.task.lower() == task) and words in spec.name.lower()
    ]
    per_page, page = _positive(request, "per_page", DEFAULT_PER_PAGE), _positive(request, "page", 1)
    shown = rows[(page - 1) * per_page : page * per_page]
    info = {"count": len(shown), "page": page, "per_page": per_page, "total_count": len(rows)}
    return whole_json(envelope(shown) | {"result_info": info}, fault)


async def _schema(
    request: Request, body: dict[str, Any], fault: FaultSpec | None, model: Any
) -> Response:
    return whole_json(envelope(schema_for(_resolve(model))), fault)


def _route(path: str, route: RouteName, handler: Handler, method: str) -> Route:
    async def endpoint(request: Request) -> Response:
        return await _serve(request, route, handler)

    return Route(path, endpoint, methods=[method])


# --- control API ---------------------------------------------------------------------------


async def _add_fault(request: Request) -> Response:
    try:
        spec = FaultSpec.model_validate_json(await request.body())
    except ValidationError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    fault = request.app.state.faults.add(spec)
    return JSONResponse({"id": fault.id, "fault": fault.describe()})


async def _list_faults(request: Request) -> Response:
    return JSONResponse({"faults": request.app.state.faults.describe()})


async def _clear_faults(request: Request) -> Response:
    return JSONResponse({"cleared": request.app.state.faults.clear()})


async def _list_requests(request: Request) -> Response:
    return JSONResponse({"requests": list(request.app.state.requests)})


async def _clear_requests(request: Request) -> Response:
    count = len(request.app.state.requests)
    request.app.state.requests.clear()
    return JSONResponse({"cleared": count})


async def _home(request: Request) -> Response:
    return JSONResponse(
        {
            "emulator": True,
            "message": "Workers AI emulator: deterministic fake answers, not Cloudflare.",
            "base_path": BASE_PATH,
            "models": list(MODELS),
        }
    )


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    return error_response(UpstreamError(7001 if status == 405 else 7000))


def create_app(
    token: str | None = None,
    *,
    compact_sse: bool = False,
    split_bytes: int = 7,
    max_body_bytes: int = 10 * 1024 * 1024,
    request_log_size: int = 1000,
) -> Starlette:
    """Build one emulator; its faults and request log live on `app.state`.

    token: the only bearer token accepted (default: env EMULATOR_TOKEN; unset = any token).
    compact_sse: write `data:` without the space. split_bytes: write SSE output in pieces of
    this many bytes (0 = one write per event), so clients must reassemble lines.
    """
    api = [
        _route("/run/{model:path}", "run", _run, "POST"),
        _route("/v1/chat/completions", "chat", _chat, "POST"),
        _route("/v1/embeddings", "embeddings", _embeddings, "POST"),
        _route("/models/search", "search", _search, "GET"),
        _route("/models/schema", "schema", _schema, "GET"),
    ]
    routes = [
        Route("/", _home),
        Mount(BASE_PATH, routes=api),
        Route("/_emulator/faults", _add_fault, methods=["POST"]),
        Route("/_emulator/faults", _list_faults, methods=["GET"]),
        Route("/_emulator/faults", _clear_faults, methods=["DELETE"]),
        Route("/_emulator/requests", _list_requests, methods=["GET"]),
        Route("/_emulator/requests", _clear_requests, methods=["DELETE"]),
    ]
    app = EmulatorApp(routes=routes, exception_handlers={404: _not_found, 405: _not_found})
    app.state.token = token if token is not None else os.environ.get("EMULATOR_TOKEN") or None
    app.state.compact_sse = compact_sse
    app.state.split_bytes = split_bytes
    app.state.max_body_bytes = max_body_bytes
    app.state.faults = FaultStore()
    app.state.requests = deque(maxlen=request_log_size)
    app.state.ids = itertools.count(1)
    app.state.prompt_cache = {}
    return app
