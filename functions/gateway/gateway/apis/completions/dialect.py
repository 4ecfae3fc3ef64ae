"""The legacy completions dialect over the generation core."""

from __future__ import annotations

from typing import Any

from gateway.apis.completions.encoder import TextCompletionEncoder
from gateway.apis.completions.schemas import CompletionRequest
from gateway.apis.completions.translate import generation_input, prompt_text, text_completion
from gateway.core.generation import Dialect
from gateway.core.pieces import Piece


class LegacyCompletion(Dialect):
    """Legacy completions: `text_completion` objects, whole and as stream events."""

    def __init__(self, req: CompletionRequest, chain: list[str]) -> None:
        self.prompt = prompt_text(req)
        super().__init__(
            generation_input(req, self.prompt),
            chain,
            stops=req.stops,
            prompt_cache_key=req.prompt_cache_key,
        )
        self.req = req

    def whole(self, answer: Piece) -> dict[str, Any]:
        return text_completion(answer, model=self.req.model, req=self.req, prompt=self.prompt)

    def encoder(self) -> TextCompletionEncoder:
        echo = self.prompt if self.req.echo else ""
        return TextCompletionEncoder(self.req.model, self.req.include_usage, echo)
