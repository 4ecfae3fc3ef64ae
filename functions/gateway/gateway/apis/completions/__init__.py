"""Legacy completions (`POST /v1/completions`): OpenAI's text-completion API over Workers AI."""

from gateway.apis.completions.parameters import COMPLETIONS
from gateway.apis.completions.routes import ROUTES

PARAMETERS = {"POST /v1/completions": COMPLETIONS}

__all__ = ["PARAMETERS", "ROUTES"]
