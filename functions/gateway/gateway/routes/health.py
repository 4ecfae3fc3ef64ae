"""GET /health: public liveness and configuration summary, never a secret."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request

from gateway import __version__
from gateway.observability import SERVICE
from gateway.schemas import Health
from gateway.services import services

router = APIRouter()


@router.get("/health", summary="Health check", response_model=Health)
async def health(request: Request) -> dict:
    svc = services(request)
    return {
        "status": "healthy",
        "service": SERVICE,
        "version": __version__,
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "models": {"default": svc.catalog.primary, "backup": svc.catalog.backup},
        "upstream": svc.settings.upstream_kind,
    }
