"""The Responses API (`/v1/responses`): stored responses and agents' tool loops over Workers AI."""

from gateway.apis.responses.parameters import RESPONSES
from gateway.apis.responses.routes import ROUTES

PARAMETERS = {"POST /v1/responses": RESPONSES}

__all__ = ["PARAMETERS", "ROUTES"]
