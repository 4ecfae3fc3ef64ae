"""An OpenAI-compatible API in front of Cloudflare Workers AI."""

__version__ = "0.1.0"
