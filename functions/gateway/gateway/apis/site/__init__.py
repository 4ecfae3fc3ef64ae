"""The docs site (`/`, `/assets/*`, `/openapi.json`, `/config.json`), as CloudFront serves it."""

from gateway.apis.site.routes import ROUTES

__all__ = ["ROUTES"]
