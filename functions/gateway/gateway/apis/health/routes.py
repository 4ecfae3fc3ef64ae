"""GET /health: public liveness and configuration summary, never a secret."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from gateway import __version__
from gateway.core.http import ASGIApp, JSONResponse, Request, Route, get
from gateway.core.observability import SERVICE
from gateway.core.services import Services
from gateway.core.validation import AnswerModel


class Health(AnswerModel):
    status: Literal["healthy"]
    service: str
    version: str
    timestamp: str
    models: dict[str, str]
    upstream: Literal["cloudflare", "emulator", "custom"]


async def health(request: Request[Services]) -> ASGIApp:
    svc = request.services
    return JSONResponse(
        {
            "status": "healthy",
            "service": SERVICE,
            "version": __version__,
            "timestamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "models": {"default": svc.catalog.primary, "backup": svc.catalog.backup},
            "upstream": svc.settings.upstream_kind,
        }
    )


ROUTES: list[Route] = [
    get("/health", health, summary="Health check", response_model=Health, auth=False)
]
