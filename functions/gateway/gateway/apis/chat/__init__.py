"""Chat completions (`POST /v1/chat/completions`): OpenAI's chat API over Workers AI."""

from gateway.apis.chat.parameters import CHAT_COMPLETIONS
from gateway.apis.chat.routes import ROUTES

PARAMETERS = {"POST /v1/chat/completions": CHAT_COMPLETIONS}

__all__ = ["PARAMETERS", "ROUTES"]
