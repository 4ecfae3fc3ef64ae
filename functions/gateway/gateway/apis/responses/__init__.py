"""The Responses API (`/v1/responses`): stored responses and agents' tool loops over Workers AI."""

from gateway.apis.responses.routes import ROUTES

__all__ = ["ROUTES"]
