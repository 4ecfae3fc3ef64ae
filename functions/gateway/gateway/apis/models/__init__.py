"""The model list (`GET /v1/models`, `GET /v1/models/{id}`)."""

from gateway.apis.models.routes import ROUTES

__all__ = ["ROUTES"]
