"""Deterministic text generation: parse a chat or prompt body, produce a templated reply.

Tokens are whitespace-separated words: each word is one token, emitted with a leading space
except the first. Usage numbers are real counts of what was read and emitted.
"""

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any

from emulator.errors import UpstreamError
from emulator.models import ModelSpec

DEFAULT_MAX_TOKENS = 256
LONG_ANSWER_WORDS = 400
TOKENS_PER_MESSAGE = 3
ECHO_WORDS = 12
TOOL_AS_TEXT = "tool-as-text"
# 16 words: with max_tokens <= 16 a reasoning model has no budget left for the answer.
REASONING = "The user wrote to me. I am an emulator, so I reply with a fixed template."
FILLER = (
    "The emulator keeps talking so that clients can test long answers, token limits"
    " and streaming without a real model."
)
_PIECE = re.compile(r"\s*\S+")


def pieces(text: str) -> list[str]:
    """Split text into tokens: words, each keeping the whitespace before it."""
    return _PIECE.findall(text)


def count_words(text: str) -> int:
    return len(text.split())


@dataclass
class Message:
    role: str
    text: str
    images: int = 0


@dataclass
class Tool:
    name: str
    parameters: dict[str, Any]


@dataclass
class ChatRequest:
    messages: list[Message]
    max_tokens: int
    stream: bool
    stop: list[str] = field(default_factory=list)
    tools: list[Tool] = field(default_factory=list)
    tool_choice: Any = None
    json_schema: dict[str, Any] | None = None
    json_mode: bool = False


@dataclass
class ToolCall:
    name: str
    arguments: dict[str, Any]
    index: int

    @property
    def id(self) -> str:
        return f"call_emu{self.index}_{self.name}"[:40]


@dataclass
class Generation:
    """What the emulated model produced, before it is shaped for a route."""

    model: ModelSpec
    content: list[str]
    reasoning: list[str]
    tool_calls: list[ToolCall]
    finish_reason: str
    prompt_tokens: int
    json_value: Any = None
    tool_call_tokens: int = 0
    cached_tokens: int | None = None
    """Prompt tokens found in the prefix cache; None when the request asked for no caching."""

    @property
    def text(self) -> str:
        return "".join(self.content)

    @property
    def reasoning_text(self) -> str:
        return "".join(self.reasoning)

    @property
    def usage(self) -> dict[str, Any]:
        """Workers AI's usage: reasoning models break out their reasoning tokens, and a request
        with `x-session-affinity` reports its cached prompt tokens (reference: prompt caching)."""
        completion = len(self.content) + len(self.reasoning) + self.tool_call_tokens
        usage: dict[str, Any] = {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": self.prompt_tokens + completion,
        }
        if self.cached_tokens is not None:
            usage["prompt_tokens_details"] = {"cached_tokens": self.cached_tokens}
        if self.model.reasoning:
            usage["completion_tokens_details"] = {"reasoning_tokens": len(self.reasoning)}
        return usage


def bad_input(message: str) -> UpstreamError:
    return UpstreamError(5004, f"AiError: Bad input: {message}")


def _check_image(url: Any, spec: ModelSpec) -> None:
    if not spec.vision:
        raise bad_input(f"{spec.name} does not accept images (text-only model)")
    if not isinstance(url, str) or not url.startswith("data:"):
        raise UpstreamError(3003, "Bad input: image must be a data URI (data:image/...;base64,...)")
    header, _, data = url.partition(",")
    if not header.startswith("data:image/") or not header.endswith(";base64"):
        raise UpstreamError(3003, "Bad input: image must be a base64 data:image/... URI")
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UpstreamError(3003, "Bad input: image data URI is not valid base64") from exc


def _parse_content(content: Any, index: int, spec: ModelSpec) -> tuple[str, int]:
    if isinstance(content, str):
        return content, 0
    if not isinstance(content, list):
        got = "null" if content is None else type(content).__name__
        raise bad_input(f"messages[{index}].content must be a string, got {got}")
    texts, images = [], 0
    for part in content:
        kind = str(part.get("type")) if isinstance(part, dict) else None
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "image_url":
            image = part.get("image_url")
            _check_image(image.get("url") if isinstance(image, dict) else image, spec)
            images += 1
        else:
            raise bad_input(f"messages[{index}].content has an unsupported part: {kind!r}")
    return " ".join(texts), images


def _parse_messages(raw: Any, spec: ModelSpec) -> list[Message]:
    if not isinstance(raw, list) or not raw:
        raise bad_input("messages must be a non-empty array")
    messages = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("role"), str):
            raise bad_input(f"messages[{index}] must be an object with a role")
        text, images = _parse_content(item.get("content"), index, spec)
        messages.append(Message(item["role"], text, images))
    return messages


def _parse_tools(raw: Any) -> list[Tool]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise bad_input("tools must be an array")
    tools = []
    for item in raw:
        function = item.get("function", item) if isinstance(item, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise bad_input("each tool needs a function name")
        parameters = function.get("parameters")
        tools.append(Tool(function["name"], parameters if isinstance(parameters, dict) else {}))
    return tools


TOOL_CHOICE_MODES = ("none", "auto", "required")


def _parse_tool_choice(raw: Any, tools: list[Tool]) -> Any:
    """OpenAI's forms, as vLLM-backed models take them: `any` (another vendor's spelling) and
    anything else is refused with 8001 "Invalid input" (reference: "request fields")."""
    if raw is None or raw in TOOL_CHOICE_MODES:
        return raw
    named = isinstance(raw, dict) and raw.get("type") == "function"
    function = raw.get("function") if named else None
    if isinstance(function, dict) and function.get("name"):
        if function["name"] not in {tool.name for tool in tools}:
            raise UpstreamError(8001, f"Invalid input: no tool named {function['name']!r}")
        return raw
    raise UpstreamError(8001, f"Invalid input: tool_choice {raw!r}")


def _parse_response_format(raw: Any, openai_route: bool) -> tuple[bool, dict[str, Any] | None]:
    """Return (json mode on, schema). Native /run wants the bare schema; /v1 takes OpenAI's."""
    if not isinstance(raw, dict) or raw.get("type") in (None, "text"):
        return False, None
    if raw["type"] == "json_object":
        return True, None
    if raw["type"] != "json_schema":
        raise bad_input(f"response_format.type {raw['type']!r} is not supported")
    schema = raw.get("json_schema")
    if openai_route and isinstance(schema, dict) and isinstance(schema.get("schema"), dict):
        schema = schema["schema"]
    if not isinstance(schema, dict):
        raise bad_input("response_format.json_schema must be an object")
    return True, schema


def _number(body: dict[str, Any], key: str, low: float, high: float) -> None:
    value = body.get(key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise bad_input(f"{key} must be a number between {low:g} and {high:g}, got {value!r}")


def parse_chat(body: dict[str, Any], spec: ModelSpec, openai_route: bool) -> ChatRequest:
    """Validate a text-generation body the way upstream does (loosely) and normalise it."""
    if "messages" in body:
        messages = _parse_messages(body["messages"], spec)
    elif isinstance(body.get("prompt"), str) and not openai_route:
        messages = [Message("user", body["prompt"])]
    elif "text" in body or "input" in body:
        raise UpstreamError(5007, f"No such model {spec.name} or task: this is a chat model")
    else:
        raise bad_input("must have required property 'messages' or 'prompt'")

    max_tokens = body.get("max_tokens", body.get("max_completion_tokens"))
    if max_tokens is None:
        max_tokens = DEFAULT_MAX_TOKENS
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise bad_input(f"max_tokens must be a positive integer, got {max_tokens!r}")
    _number(body, "temperature", 0, 5)
    _number(body, "frequency_penalty", spec.min_penalty, 2)
    _number(body, "presence_penalty", spec.min_penalty, 2)

    stop = body.get("stop") or []
    stop = [stop] if isinstance(stop, str) else [s for s in stop if isinstance(s, str) and s]
    json_mode, schema = _parse_response_format(body.get("response_format"), openai_route)
    tools = _parse_tools(body.get("tools"))
    return ChatRequest(
        messages=messages,
        max_tokens=max_tokens,
        stream=body.get("stream") is True,
        stop=stop,
        tools=tools,
        tool_choice=_parse_tool_choice(body.get("tool_choice"), tools),
        json_schema=schema,
        json_mode=json_mode,
    )


def value_for(schema: Any, depth: int = 0) -> Any:
    """A placeholder value that satisfies a simple JSON schema."""
    if not isinstance(schema, dict) or depth > 8:
        return "emulated"
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return value_for(schema[key][0], depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        properties = schema.get("properties") or {}
        return {name: value_for(sub, depth + 1) for name, sub in properties.items()}
    return {
        "number": 1,
        "integer": 1,
        "boolean": True,
        "array": [],
        "null": None,
    }.get(str(kind), "emulated")


def schema_in_messages(messages: list[Message]) -> dict[str, Any] | None:
    """For JSON mode without a schema: the last JSON schema written into the conversation (as
    clients put one in the prompt), so the answer has the shape they asked for."""
    decoder = json.JSONDecoder()
    for message in reversed(messages):
        for start in (i for i, char in enumerate(message.text) if char == "{"):
            try:
                value, _ = decoder.raw_decode(message.text, start)
            except ValueError:
                continue
            if isinstance(value, dict) and isinstance(value.get("properties"), dict):
                return value
    return None


def _echo(text: str) -> str:
    words = text.split()
    echo = " ".join(words[:ECHO_WORDS])
    return echo + ("..." if len(words) > ECHO_WORDS else "")


def reply_text(model: str, messages: list[Message]) -> str:
    """The templated answer; it always says it is emulated."""
    last = messages[-1]
    users = [m for m in messages if m.role == "user"]
    if last.role == "tool":
        text = f'This is an emulated reply from {model}: the tool returned "{_echo(last.text)}".'
    else:
        said = _echo(users[-1].text) if users else ""
        text = f'This is an emulated reply from {model}: you said "{said}".'
    images = sum(m.images for m in messages)
    if images:
        text += f" You sent {images} image{'s' if images > 1 else ''}."
    if users and "long answer" in users[-1].text.lower() and last.role == "user":
        filler = FILLER.split()
        extra = LONG_ANSWER_WORDS - count_words(text)
        text += " " + " ".join(filler[i % len(filler)] for i in range(extra))
    return text


def _apply_stop(tokens: list[str], stop: list[str]) -> tuple[list[str], bool]:
    """Cut the tokens before the earliest stop sequence; report whether one was found."""
    text = "".join(tokens)
    cut = min((i for i in (text.find(s) for s in stop) if i >= 0), default=-1)
    if cut < 0:
        return tokens, False
    kept, length = [], 0
    for token in tokens:
        if length + len(token) >= cut:
            if cut > length:
                kept.append(token[: cut - length])
            break
        kept.append(token)
        length += len(token)
    return kept, True


def _choose_tools(request: ChatRequest) -> list[Tool]:
    """Forced choices always call (the named tool, or for `required` the tools the last user
    turn names, else the first); `auto` calls the tools the last turn names, if it is a user's;
    `none` never calls."""
    choice = request.tool_choice
    if not request.tools or choice == "none":
        return []
    if isinstance(choice, dict):
        return [t for t in request.tools if t.name == choice["function"]["name"]]
    if choice != "required" and request.messages[-1].role != "user":
        return []
    users = [m for m in request.messages if m.role == "user"]
    said = users[-1].text if users else ""
    chosen = [t for t in request.tools if t.name in said]
    if not chosen and choice == "required":
        chosen = request.tools[:1]
    return chosen


WRITTEN_CALL = re.compile(r"\bcall ([A-Za-z0-9_-]+) (?=\{)")
"""`call NAME {json}` in the last user turn: the emulator calls NAME with exactly that object."""


def written_calls(request: ChatRequest) -> list[tuple[Tool, dict[str, Any]]]:
    """The calls the last turn writes out (`call Bash {"command": "echo hi"}`), in order, of
    tools the request offers (under a named `tool_choice`, of that tool only): a prompt can make
    an agent run a real command. Only a user's turn can write one, so the tool's result is
    answered with text."""
    last = request.messages[-1]
    if last.role != "user" or not request.tools or request.tool_choice == "none":
        return []
    offered = {tool.name: tool for tool in request.tools}
    choice = request.tool_choice
    if isinstance(choice, dict):
        offered = {
            name: tool for name, tool in offered.items() if name == choice["function"]["name"]
        }
    decoder = json.JSONDecoder()
    calls = []
    for found in WRITTEN_CALL.finditer(last.text):
        try:
            arguments, _ = decoder.raw_decode(last.text, found.end())
        except ValueError:
            continue
        if found[1] in offered and isinstance(arguments, dict):
            calls.append((offered[found[1]], arguments))
    return calls


def written_arguments(text: str, name: str) -> dict[str, Any] | None:
    """The arguments a user wrote for a tool: a JSON object right after its name (`exec_command
    {"cmd": "echo hi"}`); None when no object follows any mention of the name."""
    decoder = json.JSONDecoder()
    start = text.find(name)
    while start >= 0:
        after = start + len(name)
        rest = text[after:].lstrip()
        if rest.startswith("{"):
            try:
                value, _ = decoder.raw_decode(rest)
            except ValueError:
                value = None
            if isinstance(value, dict):
                return value
        start = text.find(name, after)
    return None


def _arguments(tool: Tool, messages: list[Message]) -> dict[str, Any]:
    """A call's arguments: those the last user turn wrote after the tool's name, else
    placeholder values that satisfy its schema."""
    users = [m for m in messages if m.role == "user"]
    written = written_arguments(users[-1].text, tool.name) if users else None
    return written if written is not None else value_for(tool.parameters)


def message_tokens(message: Message) -> int:
    return count_words(message.text) + TOKENS_PER_MESSAGE


def cached_prefix_tokens(previous: list[Message], messages: list[Message]) -> int:
    """The prompt tokens a prefix cache holds: those of the leading messages equal to the
    previous request's in the same session."""
    cached = 0
    for before, now in zip(previous, messages, strict=False):
        if before != now:
            break
        cached += message_tokens(now)
    return cached


def generate(request: ChatRequest, spec: ModelSpec) -> Generation:
    """Produce the deterministic answer for a parsed request."""
    prompt_tokens = sum(message_tokens(m) for m in request.messages)
    budget = request.max_tokens
    reasoning: list[str] = []
    if spec.reasoning:
        reasoning = pieces(REASONING)[:budget]
        budget -= len(reasoning)
    generation = Generation(spec, [], reasoning, [], "stop", prompt_tokens)
    if budget <= 0:
        generation.finish_reason = "length"
        return generation

    chosen = written_calls(request) or [
        (t, _arguments(t, request.messages)) for t in _choose_tools(request)
    ]
    if chosen:
        calls = [ToolCall(tool.name, arguments, i) for i, (tool, arguments) in enumerate(chosen)]
        written = [json.dumps({"name": c.name, "arguments": c.arguments}) for c in calls]
        if spec.reasoning and TOOL_AS_TEXT in request.messages[-1].text:
            # Known upstream bug: gpt-oss writes the call as JSON text, with no tool_calls.
            generation.content = pieces(" ".join(written))
            return generation
        generation.tool_call_tokens = sum(len(pieces(w)) for w in written)
        generation.tool_calls = calls
        generation.finish_reason = "tool_calls"
        return generation

    if request.json_mode:
        schema = request.json_schema or schema_in_messages(request.messages)
        value = value_for(schema) if schema else {"reply": reply_text(spec.name, request.messages)}
        tokens = pieces(json.dumps(value))
    else:
        value = None
        tokens = pieces(reply_text(spec.name, request.messages))
    tokens, stopped = _apply_stop(tokens, request.stop)
    if len(tokens) > budget:
        generation.content = tokens[:budget]
        generation.finish_reason = "length"
    else:
        generation.content = tokens
        generation.json_value = None if stopped else value
    return generation
