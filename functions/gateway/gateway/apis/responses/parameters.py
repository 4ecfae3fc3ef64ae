"""What the Responses API does with each field of OpenAI's `CreateResponse`.

Never stricter than chat: every field with a counterpart in chat's table
(`apis/chat/parameters.py`) is handled as chat handles that counterpart (`reasoning.effort` as
`reasoning_effort`, `text.format` as `response_format`, `text.verbosity` as `verbosity`,
`max_output_tokens` as `max_completion_tokens`, `top_logprobs`, `moderation`, the caching hints
and ids), chat's sampling fields that OpenAI's schema lacks here are taken too (`seed`, the
penalties, Workers AI's `top_k` and `repetition_penalty`), and the rest says what the gateway does
in place of OpenAI's servers.
"""

from __future__ import annotations

from dataclasses import replace

from gateway.core.parameters import (
    PROMPT_CACHE_KEY,
    SAMPLING,
    Table,
    gateway,
    no_effect,
    refused,
    upstream,
)

RESPONSES: Table = {
    "model": SAMPLING["model"],
    "input": upstream(
        "a string, or items: messages (every role; text, images by URL or data URI), function, "
        "custom-tool and local-shell calls and their outputs, reasoning, `item_reference`s to "
        "items of the key's stored responses; sent as chat messages"
    ),
    "instructions": upstream("sent as the first system message; not carried over, as OpenAI's"),
    "previous_response_id": gateway(
        "the stored conversation (the key's own) is put before `input`; unknown ids are a 404"
    ),
    "store": gateway(
        "`true` (the default) stores the response and its input items for the key that made it; "
        "`false` stores nothing"
    ),
    "stream": gateway(
        "OpenAI's event stream, relayed as the upstream's pieces arrive; the same items as the "
        "whole answer"
    ),
    "stream_options": no_effect("`include_obfuscation` pads events; the events are the same"),
    "temperature": SAMPLING["temperature"],
    "top_p": SAMPLING["top_p"],
    "max_output_tokens": upstream(
        "sent as `max_tokens` (chat's `max_completion_tokens`); default `DEFAULT_MAX_TOKENS`; "
        "a cut answer is `incomplete`, and so is the item it cut"
    ),
    "tools": upstream(
        "`function` tools; `namespace` groups (offered as `<namespace>__<name>`, called back "
        "under the client's names), `custom` (free-form input) and `local_shell` tools, which the "
        "client runs, served over function calling; hosted tools are left out of what the "
        "model is offered and named in `x-gateway-tools-left-out`"
    ),
    "tool_choice": upstream(
        "chat's: `none`, `auto`, `required` (also the spelling `any`), a named function or "
        "custom tool, and `allowed_tools`; a choice that needs a hosted tool is a 400"
    ),
    "parallel_tool_calls": gateway("`false` keeps only the first tool call of an answer"),
    "max_tool_calls": no_effect(
        "caps calls to hosted tools, which the gateway never runs: the answer is the same"
    ),
    "text": upstream(
        "`format` as chat's `response_format` (`json_schema` as the bare schema Workers AI "
        "wants, `json_object`, `text`); `verbosity` as chat's: only `medium` (the default) is "
        "accepted, since Workers AI has no verbosity control"
    ),
    "reasoning": upstream(
        "`effort`: every value of the spec, mapped to the nearest the model supports, as chat's "
        "`reasoning_effort`; `summary`: the reasoning model's own text is also given as the "
        "summary (not a generated summary); `context`: `current_turn` sends earlier reasoning "
        "back only for the current turn, `all_turns` and `auto` for every turn; `mode` `pro` is "
        "a 400"
    ),
    "include": gateway(
        "every value but `message.output_text.logprobs` (a 400: Workers AI gives no log "
        "probabilities); reasoning is never encrypted, it is in the reasoning items in full"
    ),
    "metadata": gateway("kept with the stored response and echoed"),
    "user": SAMPLING["user"],
    "safety_identifier": no_effect("an end-user id for OpenAI's abuse monitoring"),
    "prompt_cache_key": upstream(PROMPT_CACHE_KEY),
    "prompt_cache_retention": no_effect("a caching hint"),
    "prompt_cache_options": no_effect("a caching hint"),
    "service_tier": no_effect("OpenAI's processing tiers change latency, not the answer"),
    "top_logprobs": refused(
        "Workers AI returns no log probabilities: only 0 is accepted", lambda value: value == 0
    ),
    "truncation": refused(
        "the gateway does not drop items to fit the context window: only `disabled` (the "
        "default) is accepted",
        lambda value: value == "disabled",
    ),
    "background": refused(
        "answers are not kept running after the request ends: only `false` is accepted",
        lambda value: value is False,
    ),
    "conversation": refused("OpenAI's Conversations API is not served: use previous_response_id"),
    "prompt": refused("OpenAI's stored prompt templates are not served"),
    "context_management": refused("the gateway does not compact conversations"),
    "moderation": refused("Workers AI runs no moderation on responses"),
    "seed": replace(SAMPLING["seed"], how="chat's, taken here too: sent as is", extension=True),
    "frequency_penalty": replace(
        SAMPLING["frequency_penalty"],
        how="chat's, taken here too: sent, clamped to the model's range",
        extension=True,
    ),
    "presence_penalty": replace(
        SAMPLING["presence_penalty"],
        how="chat's, taken here too: sent, clamped to the model's range",
        extension=True,
    ),
    "top_k": SAMPLING["top_k"],
    "repetition_penalty": SAMPLING["repetition_penalty"],
    "client_metadata": replace(
        no_effect("Codex's tags for OpenAI's own logs (its session and turn ids); not sent on"),
        extension=True,
    ),
}
