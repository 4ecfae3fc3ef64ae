"""The parameters each API refuses, with a value for each that asks for what Workers AI cannot do
(shared by the parameter-table tests and the fidelity tests)."""

from __future__ import annotations

from gateway.app import parameter_tables
from gateway.core.parameters import Handling

CHAT, LEGACY = "POST /v1/chat/completions", "POST /v1/completions"
RESPONSES = "POST /v1/responses"
REFUSED_EXAMPLES = {
    (CHAT, "n"): 2,
    (CHAT, "logit_bias"): {"50256": -100},
    (CHAT, "logprobs"): True,
    (CHAT, "top_logprobs"): 3,
    (CHAT, "audio"): {"voice": "alloy", "format": "wav"},
    (CHAT, "modalities"): ["text", "audio"],
    (CHAT, "verbosity"): "low",
    (CHAT, "web_search_options"): {},
    (CHAT, "moderation"): {"model": "omni-moderation-latest"},
    (LEGACY, "n"): 3,
    (LEGACY, "logit_bias"): {"50256": -100},
    (LEGACY, "suffix"): "the end",
    (LEGACY, "logprobs"): 1,
    (LEGACY, "best_of"): 2,
    (RESPONSES, "top_logprobs"): 3,
    (RESPONSES, "truncation"): "auto",
    (RESPONSES, "background"): True,
    (RESPONSES, "conversation"): "conv_1",
    (RESPONSES, "prompt"): {"id": "pmpt_1"},
    (RESPONSES, "context_management"): [{"type": "compaction"}],
    (RESPONSES, "moderation"): {"model": "omni-moderation-latest"},
}
"""For each REFUSED row, a value that asks for what Workers AI cannot do."""


def rows(handling: Handling) -> list[tuple[str, str]]:
    """(endpoint, parameter) of every row with this handling."""
    return [
        (endpoint, name)
        for endpoint, table in parameter_tables().items()
        for name, row in table.items()
        if row.handling is handling
    ]
