"""The chat completions dialect over the generation core."""

from __future__ import annotations

from typing import Any

from gateway.apis.chat.encoder import ChunkEncoder
from gateway.apis.chat.schemas import ChatCompletionRequest
from gateway.apis.chat.translate import ChatTools, chat_completion, generation_input
from gateway.core.generation import Dialect
from gateway.core.pieces import Piece
from gateway.core.text_generation import ToolRules


class Chat(Dialect):
    """Chat completions: `chat.completion` objects and `chat.completion.chunk` events."""

    def __init__(self, req: ChatCompletionRequest, chain: list[str], default_max_tokens: int):
        inp = generation_input(req, default_max_tokens)
        rules = ToolRules.of(inp, one_call=req.one_tool_call)
        super().__init__(
            inp, chain, stops=req.stops, prompt_cache_key=req.prompt_cache_key, tools=rules
        )
        self.req = req
        self.chat_tools = ChatTools(rules, legacy=req.legacy_functions)

    def whole(self, answer: Piece) -> dict[str, Any]:
        return chat_completion(
            answer,
            model=self.req.model,
            stops=self.stops,
            max_tokens=self.max_tokens,
            tools=self.chat_tools,
        )

    def encoder(self) -> ChunkEncoder:
        return ChunkEncoder(self.req.model, self.req.include_usage, self.chat_tools)
