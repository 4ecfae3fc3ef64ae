"""What the Messages API does with each field of Anthropic's `MessageCreateParams` and
`MessageCountTokensParams` (the `anthropic` SDK's types, which the tests compare with)."""

from __future__ import annotations

from typing import Any

from gateway.core.parameters import Table, gateway, no_effect, refused, upstream


def _keeps_everything(value: Any) -> bool:
    """Context editing that clears nothing: only `clear_thinking` edits that keep all turns'
    thinking (what Claude Code sends)."""
    edits = value.get("edits") if isinstance(value, dict) else None
    return isinstance(edits, list) and all(
        isinstance(edit, dict)
        and str(edit.get("type", "")).startswith("clear_thinking")
        and edit.get("keep") == "all"
        for edit in edits
    )


PROMPT: Table = {
    "model": gateway(
        "a Claude name (mapped by `CLAUDE_MODELS`: larger models to the primary, "
        "`claude-haiku-*` to a fast model), an alias or a Workers AI name; unknown names are a "
        "404; the answer's `model` echoes it, `x-gateway-model` names the model that answered"
    ),
    "messages": upstream(
        "text, images (base64, or URLs the gateway fetches), tool use and tool results "
        "(string or blocks, `is_error`), earlier thinking (sent back to reasoning models), text "
        "documents and search results; `role: system` messages join the system prompt; "
        "PDFs, files and server-tool blocks are a 400"
    ),
    "system": upstream("a string or text blocks, sent as the system message"),
    "tools": upstream(
        "client tools with their `input_schema`; `defer_loading` tools only once a "
        "`tool_reference` names them; server tools (web search, code execution, bash, text "
        "editor, computer use...) are a 400 naming the type"
    ),
    "tool_choice": upstream(
        "`auto`, `any` (sent as `required`), `tool` (that one tool), `none`; "
        "`disable_parallel_tool_use` keeps only the first tool call of an answer"
    ),
    "thinking": upstream(
        "`enabled` maps `budget_tokens` to a reasoning effort (under 4,000 low, under 16,000 "
        "medium, else high), `disabled` to the least, `adaptive` to the model's default; "
        "`display: omitted` leaves the thinking blocks empty; ignored by models that do not "
        "reason"
    ),
    "output_config": upstream(
        "`effort` sent as the reasoning effort (wins over `thinking`); `format` "
        "(`json_schema`) as the response format"
    ),
    "cache_control": no_effect(
        "Workers AI caches prompt prefixes by itself; the cached part comes back as "
        "`cache_read_input_tokens`"
    ),
    "context_management": refused(
        "context editing is not done by this gateway: only `clear_thinking` edits that keep "
        "all thinking (Claude Code's) are accepted",
        _keeps_everything,
    ),
    "mcp_servers": refused("Workers AI does not connect to MCP servers: give their tools instead"),
    "speed": no_effect("fast mode changes how quickly an answer comes, not the answer"),
    "user_profile_id": no_effect("Anthropic's attribution of requests to a user profile"),
    "workspace_id": no_effect("Anthropic's workspaces; the gateway's keys stand for them"),
}
"""The fields both endpoints take."""

MESSAGES: Table = {
    **PROMPT,
    "max_tokens": upstream("sent as is (required, as in Anthropic's API)"),
    "stop_sequences": gateway(
        "up to 64, cut by the gateway (also across stream pieces); `stop_reason: "
        "stop_sequence` with the one that matched"
    ),
    "stream": gateway(
        "Anthropic's event stream, relayed as the upstream's pieces arrive (`ping` while it is "
        "quiet); synthesised for models that cannot stream"
    ),
    "temperature": upstream("sent as is (0..1)"),
    "top_p": upstream("sent as is"),
    "top_k": upstream("sent as is"),
    "metadata": upstream(
        "`user_id` goes as the `x-session-affinity` header, so one user's requests share a "
        "Workers AI replica and its prompt cache"
    ),
    "service_tier": no_effect("Anthropic's capacity tiers change latency, not the answer"),
    "container": refused("Workers AI runs no code-execution containers"),
    "inference_geo": no_effect("Workers AI chooses where it runs the model"),
    "diagnostics": no_effect("Anthropic's prompt-cache diagnostics; nothing to report here"),
}
"""POST /v1/messages."""

COUNTED = "counted as `/v1/messages` would send it upstream"

COUNT_TOKENS: Table = {
    "model": gateway(
        "as for `/v1/messages` (unknown names are a 404); every model is counted with "
        "cl100k_base ([the count](claude-code.md#token-counts))"
    ),
    "messages": gateway(COUNTED + "; images are not counted"),
    "system": gateway(COUNTED),
    "tools": gateway(COUNTED + " (each tool's JSON)"),
    "tool_choice": gateway("narrows the tools counted as it narrows those sent"),
    "thinking": no_effect("changes the answer, not the prompt"),
    "output_config": no_effect("changes the answer, not the prompt"),
    **{
        name: PROMPT[name]
        for name in (
            "cache_control",
            "context_management",
            "mcp_servers",
            "speed",
            "user_profile_id",
            "workspace_id",
        )
    },
}
"""POST /v1/messages/count_tokens: the prompt's fields, counted rather than sent."""
