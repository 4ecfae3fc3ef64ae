"""Starlette's CORS middleware, with refused preflights answered in OpenAI's envelope."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import JSONResponse, Response

from gateway.errors import envelope


class CORS(CORSMiddleware):
    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        reason = bytes(response.body).decode()
        return JSONResponse(
            envelope(f"{reason}.", "invalid_request_error", code="cors_preflight_refused"),
            status_code=response.status_code,
            headers={k: v for k, v in response.headers.items() if k.lower().startswith("vary")},
        )
