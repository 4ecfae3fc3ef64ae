"""The Responses API dialect over the generation core."""

from __future__ import annotations

from typing import Any

from gateway.apis.responses.events import ResponseEvents
from gateway.apis.responses.tools import LEFT_OUT_HEADER
from gateway.apis.responses.translate import ResponseDraft, whole_response
from gateway.core.generation import Dialect
from gateway.core.pieces import Piece
from gateway.core.storage import ResponseStore
from gateway.core.text_generation import TextGenerationInput, ToolRules


class Responses(Dialect):
    """The Responses API: `response` objects and their stream of events. With `store` (OpenAI's
    default) the response and its input `items` are saved under `owner` before the answer
    ends. Hosted tools the request offered and the model was not are named in every answer's
    `x-gateway-tools-left-out` header (tools.py)."""

    def __init__(
        self,
        draft: ResponseDraft,
        inp: TextGenerationInput,
        chain: list[str],
        *,
        store: ResponseStore,
        owner: str,
        items: list[dict[str, Any]],
    ) -> None:
        req = draft.req
        rules = ToolRules.of(inp, one_call=req.parallel_tool_calls is False)
        super().__init__(inp, chain, prompt_cache_key=req.prompt_cache_key, tools=rules)
        self.draft = draft
        self.store = store if req.store is not False else None
        self.owner = owner
        self.items = items
        if draft.tools.left_out:
            self.response_headers[LEFT_OUT_HEADER] = ", ".join(draft.tools.left_out)

    def whole(self, answer: Piece) -> dict[str, Any]:
        return whole_response(self.draft, answer, tools=self.tools, max_tokens=self.max_tokens)

    def encoder(self) -> ResponseEvents:
        return ResponseEvents(self.draft, self.tools)

    async def keep(self, response: dict[str, Any]) -> None:
        """With `store`, save the response and its input items (before the answer goes out, so
        a client can fetch it at once)."""
        if self.store is not None:
            record = {"response": response, "input_items": self.items}
            await self.store.save(self.owner, response["id"], record)
