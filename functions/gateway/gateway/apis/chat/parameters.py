"""What chat completions do with each field of OpenAI's `CreateChatCompletionRequest`."""

from __future__ import annotations

from gateway.core.parameters import (
    PROMPT_CACHE_KEY,
    SAMPLING,
    Table,
    gateway,
    no_effect,
    refused,
    upstream,
)

CHAT_COMPLETIONS: Table = {
    **SAMPLING,
    "messages": upstream(
        "every role and content part of the spec; converted to what Workers AI takes (see below)"
    ),
    "max_completion_tokens": upstream("sent as `max_tokens` (wins over `max_tokens`)"),
    "max_tokens": upstream("sent as is; default `DEFAULT_MAX_TOKENS`, never Workers AI's 256"),
    "tools": upstream("function tools; `custom` tools are a 400"),
    "tool_choice": upstream(
        "`none`, `auto`, `required` (also the spelling `any`), a named function, and "
        "`allowed_tools` (the gateway narrows `tools`); a `custom` choice is a 400"
    ),
    "parallel_tool_calls": gateway("`false` keeps only the first tool call of an answer"),
    "functions": gateway("deprecated: sent as `tools`; the answer uses `function_call`"),
    "function_call": gateway("deprecated: sent as `tool_choice`"),
    "response_format": upstream(
        "`json_schema` as the bare schema Workers AI wants; `json_object`; `text`"
    ),
    "reasoning_effort": upstream(
        "every value of the spec, mapped to the nearest the model supports "
        "(gpt-oss: `low`/`medium`/`high`); dropped for models that do not reason"
    ),
    "logprobs": refused("Workers AI returns no log probabilities", lambda value: value is False),
    "top_logprobs": refused("needs `logprobs`: only 0 is accepted", lambda value: value == 0),
    "audio": refused("Workers AI chat models do not speak"),
    "modalities": refused(
        'text only: `["text"]` is accepted', lambda value: set(value) <= {"text"}
    ),
    "verbosity": refused(
        "Workers AI has no verbosity control: only `medium` (the default) is accepted",
        lambda value: value == "medium",
    ),
    "web_search_options": refused("Workers AI chat models do not search the web"),
    "moderation": refused("Workers AI runs no moderation on chat"),
    "prediction": no_effect("Predicted Outputs only speed answers up; the text is the same"),
    "service_tier": no_effect("OpenAI's processing tiers change latency, not the answer"),
    "store": no_effect("OpenAI's distillation store; nothing is stored"),
    "metadata": no_effect("tags for OpenAI's stored completions; nothing is stored"),
    "safety_identifier": no_effect("an end-user id for OpenAI's abuse monitoring"),
    "prompt_cache_key": upstream(PROMPT_CACHE_KEY),
    "prompt_cache_retention": no_effect("a caching hint"),
    "prompt_cache_options": no_effect("a caching hint"),
}
