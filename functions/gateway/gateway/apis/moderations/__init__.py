"""Moderations (`POST /v1/moderations`) on Llama Guard."""

from gateway.apis.moderations.parameters import MODERATIONS
from gateway.apis.moderations.routes import ROUTES

PARAMETERS = {"POST /v1/moderations": MODERATIONS}

__all__ = ["PARAMETERS", "ROUTES"]
