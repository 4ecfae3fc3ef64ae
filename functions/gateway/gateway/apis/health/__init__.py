"""Health (`GET /health`): public liveness and a configuration summary."""

from gateway.apis.health.routes import ROUTES

__all__ = ["ROUTES"]
