"""The docs site, served locally the way CloudFront serves it from S3 in AWS."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from gateway.errors import GatewayError
from gateway.services import Services, services


def _static_dir() -> Path:
    """Beside the package in the Lambda bundle, else the repository's own static/."""
    package = Path(__file__).resolve().parents[1]
    bundled = package.parent / "static"
    return bundled if bundled.is_dir() else package.parents[2] / "static"


STATIC_DIR = _static_dir()

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
        "key_command": _key_command(svc.settings.api_keys_secret_arn),
    }


def _key_command(secret_arn: str | None) -> str | None:
    """In AWS the page tells where the key is; the secret's ARN is no secret."""
    if not secret_arn:
        return None
    return (
        f"aws secretsmanager get-secret-value --secret-id {secret_arn} "
        "--query SecretString --output text"
    )


@router.get("/assets/{name:path}")
async def asset(name: str) -> FileResponse:
    return _file(f"assets/{name}")
