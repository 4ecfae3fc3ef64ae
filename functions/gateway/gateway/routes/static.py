"""The docs site, served locally the way CloudFront serves it from S3 in AWS."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from gateway.errors import GatewayError
from gateway.services import Services, services

STATIC_DIR = Path(__file__).resolve().parents[4] / "static"

router = APIRouter(include_in_schema=False)


def _file(name: str) -> FileResponse:
    path = (STATIC_DIR / name).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        raise GatewayError(404, f"No such file: /{name}", code="not_found")
    return FileResponse(path, headers={"cache-control": "no-cache"})


@router.get("/")
async def index() -> FileResponse:
    return _file("index.html")


@router.get("/openapi.json")
async def openapi() -> FileResponse:
    return _file("openapi.json")


@router.get("/config.json")
async def config(svc: Services = Depends(services)) -> dict:
    """What the page needs to know; in AWS the publisher writes the same file at deploy."""
    return {
        "api_base_url": None,
        "default_model": svc.catalog.primary,
        "backup_model": svc.catalog.backup,
        "aliases": svc.catalog.aliases,
        "key_command": None,
    }


@router.get("/assets/{name:path}")
async def asset(name: str) -> FileResponse:
    return _file(f"assets/{name}")
