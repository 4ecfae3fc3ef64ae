"""Images (`POST /v1/images/generations`, `/v1/images/edits`) on Workers AI's text-to-image
models; `/v1/images/variations` is a clear 400."""

from gateway.apis.images.parameters import IMAGE_EDITS, IMAGE_GENERATIONS
from gateway.apis.images.routes import ROUTES

PARAMETERS = {
    "POST /v1/images/generations": IMAGE_GENERATIONS,
    "POST /v1/images/edits": IMAGE_EDITS,
}

__all__ = ["PARAMETERS", "ROUTES"]
