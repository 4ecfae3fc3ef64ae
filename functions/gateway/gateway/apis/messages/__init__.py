"""Anthropic's Messages API (`POST /v1/messages`, `/v1/messages/count_tokens`): Claude Code and
the Anthropic SDKs over Workers AI."""

from gateway.apis.messages.parameters import COUNT_TOKENS, MESSAGES
from gateway.apis.messages.routes import ROUTES

PARAMETERS = {
    "POST /v1/messages": MESSAGES,
    "POST /v1/messages/count_tokens": COUNT_TOKENS,
}

__all__ = ["PARAMETERS", "ROUTES"]
