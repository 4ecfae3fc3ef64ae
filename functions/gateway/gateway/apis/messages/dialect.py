"""The Messages API dialect over the generation core."""

from __future__ import annotations

from typing import Any

from gateway.apis.messages.events import MessageEvents
from gateway.apis.messages.schemas import MessagesRequest
from gateway.apis.messages.translate import message_object, thinking_display
from gateway.core.generation import Dialect
from gateway.core.pieces import Piece, StopScanner
from gateway.core.text_generation import TextGenerationInput, ToolRules


class Messages(Dialect):
    """Anthropic's Messages API: `message` objects and their event stream.

    `metadata.user_id` goes upstream as the session-affinity key (one user's requests share a
    replica and its prompt cache); `ping_interval` is MESSAGES_PING_SECONDS.
    """

    def __init__(
        self,
        req: MessagesRequest,
        inp: TextGenerationInput,
        chain: list[str],
        ping_interval: float,
    ) -> None:
        rules = ToolRules.of(inp, one_call=req.one_tool_call)
        super().__init__(inp, chain, stops=req.stops, prompt_cache_key=req.user_id, tools=rules)
        self.req = req
        self.display = thinking_display(req)
        self.ping_interval = ping_interval
        self.scanner: StopScanner | None = None

    def stop_scanner(self) -> StopScanner:
        """The stream's one scanner, shared with the encoder (which names what it matched)."""
        if self.scanner is None:
            self.scanner = super().stop_scanner()
        return self.scanner

    def whole(self, answer: Piece) -> dict[str, Any]:
        return message_object(
            answer,
            model=self.req.model,
            stops=self.stops,
            max_tokens=self.max_tokens,
            calls=self.tools.keep(answer.tool_calls),
            display=self.display,
        )

    def encoder(self) -> MessageEvents:
        return MessageEvents(
            self.req.model,
            self.tools,
            display=self.display,
            scanner=self.stop_scanner(),
            ping_interval=self.ping_interval,
        )
