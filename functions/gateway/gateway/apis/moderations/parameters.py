"""What moderations do with each field of OpenAI's `CreateModerationRequest`."""

from __future__ import annotations

from gateway.core.parameters import Table, gateway

MODERATIONS: Table = {
    "input": gateway(
        "a string, strings or text parts, each judged by one Llama Guard call (at once); an "
        "image part is a 400, since Llama Guard reads text only"
    ),
    "model": gateway(
        "`omni-moderation-latest` (the default), `text-moderation-latest`, or a Llama Guard "
        "name; the answer's `model` echoes it, `x-gateway-model` names the model"
    ),
}
