"""The Responses API's tool kinds over Workers AI's function calling.

Workers AI models call functions only. The kinds of tool an agent offers are served over them:

- `function`: offered as it is.
- `namespace`: a group of function and custom tools; each member is offered as
  `<namespace>__<name>` (names must be unique upstream) and its calls come back under the
  member's own `name` with the item's `namespace`, as OpenAI's `FunctionToolCall` and
  `CustomToolCall` carry it (Codex routes a call by both).
- `custom`: free-form input, optionally following a grammar: offered as a function of one string
  argument, `input`, whose description carries the format (no model here enforces a grammar);
  calls come back as `custom_tool_call` items with that `input`.
- `local_shell`: offered as a function `local_shell` whose parameters are OpenAI's
  `LocalShellExecAction`; calls come back as `local_shell_call` items.
- hosted tools (`web_search`, `file_search`, `code_interpreter`, `computer_use_preview`,
  `image_generation`, `mcp`, `tool_search`, `shell`, `apply_patch`...) run on OpenAI's servers,
  or are kinds this gateway does not offer: a request that merely offers one is answered without
  it (an agent's default configuration, such as Codex's `web_search`, keeps working) and every
  answer names what was left out (`x-gateway-tools-left-out`). A request that depends on one is
  refused: a `tool_choice` that forces it, or `required` / `allowed_tools` with nothing else to
  call (docs/responses.md#tools).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from gateway.apis.responses.schemas import (
    AllowedToolsParam,
    CustomChoice,
    CustomGrammarFormat,
    CustomToolParam,
    FunctionChoice,
    FunctionTool,
    HostedToolChoice,
    LocalShellTool,
    NamespaceTool,
    Tool,
    ToolChoice,
)
from gateway.core import text_generation as tg
from gateway.core.errors import GatewayError

LEFT_OUT_HEADER = "x-gateway-tools-left-out"
"""The response header naming the hosted tool types a request offered and the model was not."""

LOCAL_SHELL = "local_shell"
LOCAL_SHELL_PARAMETERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "command": {
            "type": "array",
            "items": {"type": "string"},
            "description": 'The command and its arguments, e.g. ["ls", "-la"].',
        },
        "working_directory": {"type": "string", "description": "Where to run it."},
        "timeout_ms": {"type": "integer", "description": "A timeout in milliseconds."},
        "env": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Environment variables to set.",
        },
        "user": {"type": "string", "description": "The user to run it as."},
    },
    "required": ["command"],
}
"""OpenAI's `LocalShellExecAction` without its `type`, as the function's parameters."""

LOCAL_SHELL_DESCRIPTION = "Run a shell command on the user's machine and read its output."

Kind = Literal["function", "custom", "local_shell"]


def upstream_name(name: str, namespace: str | None = None) -> str:
    """The function name a client tool is offered under: `<namespace>__<name>` in a namespace."""
    return f"{namespace}__{name}" if namespace else name


@dataclass(frozen=True)
class ClientTool:
    """A tool as the client knows it, behind one upstream function."""

    kind: Kind
    name: str
    namespace: str | None = None


def _custom_parameters(tool: CustomToolParam) -> dict[str, Any]:
    fmt = tool.format
    if isinstance(fmt, CustomGrammarFormat):
        how = f"The input, as text that follows this {fmt.syntax} grammar:\n{fmt.definition}"
    else:
        how = "The input, as free-form text."
    return {
        "type": "object",
        "properties": {"input": {"type": "string", "description": how}},
        "required": ["input"],
    }


def _tool_echo(tool: FunctionTool | CustomToolParam) -> dict[str, Any]:
    if isinstance(tool, FunctionTool):
        return {
            "type": "function",
            "name": tool.name,
            "description": tool.description,
            "parameters": tool.parameters,
            "strict": tool.strict,
        }
    echo: dict[str, Any] = {"type": "custom", "name": tool.name}
    if tool.description is not None:
        echo["description"] = tool.description
    if tool.format is not None:
        echo["format"] = tool.format.model_dump()
    return echo


@dataclass
class Toolset:
    """A request's tools in Workers AI's terms.

    `functions`: what the model is offered; `by_name`: for each upstream function name, the
    client tool it stands for; `left_out`: the hosted tool types the request offered, in order;
    `echo`: the offered tools as the `Response` object lists them (the client's own forms).
    """

    functions: list[tg.FunctionTool] = field(default_factory=list)
    by_name: dict[str, ClientTool] = field(default_factory=dict)
    left_out: list[str] = field(default_factory=list)
    echo: list[dict[str, Any]] = field(default_factory=list)

    def add(self, tools: list[Tool], param: str) -> None:
        """Add a list of the request's tools (`param` names the list, e.g. `tools`)."""
        for index, tool in enumerate(tools):
            where = f"{param}[{index}]"
            if isinstance(tool, FunctionTool | CustomToolParam):
                self._offer(tool, None, "", where)
                self.echo.append(_tool_echo(tool))
            elif isinstance(tool, NamespaceTool):
                for inner, member in enumerate(tool.tools):
                    self._offer(member, tool, tool.description or "", f"{where}.tools[{inner}]")
                self.echo.append(
                    {
                        "type": "namespace",
                        "name": tool.name,
                        "description": tool.description or "",
                        "tools": [_tool_echo(member) for member in tool.tools],
                    }
                )
            elif isinstance(tool, LocalShellTool):
                self._register(
                    tg.FunctionTool(LOCAL_SHELL, LOCAL_SHELL_DESCRIPTION, LOCAL_SHELL_PARAMETERS),
                    ClientTool("local_shell", LOCAL_SHELL),
                    where,
                )
                self.echo.append({"type": "local_shell"})
            elif tool.type not in self.left_out:
                self.left_out.append(tool.type)

    def _offer(
        self,
        tool: FunctionTool | CustomToolParam,
        namespace: NamespaceTool | None,
        context: str,
        where: str,
    ) -> None:
        group = namespace.name if namespace else None
        description = tool.description
        if namespace is not None:
            about = f"Part of {namespace.name}" + (f": {context}" if context else "")
            description = f"{description}\n\n{about}" if description else about
        if isinstance(tool, FunctionTool):
            function = tg.FunctionTool(
                upstream_name(tool.name, group), description, tool.parameters, tool.strict
            )
            self._register(function, ClientTool("function", tool.name, group), where)
        else:
            function = tg.FunctionTool(
                upstream_name(tool.name, group), description, _custom_parameters(tool)
            )
            self._register(function, ClientTool("custom", tool.name, group), where)

    def _register(self, function: tg.FunctionTool, tool: ClientTool, where: str) -> None:
        if len(function.name) > 64:
            raise GatewayError(
                400,
                f"The tool name '{function.name}' (namespace and name) is longer than the 64 "
                "characters a function name may have.",
                code="invalid_value",
                param=f"{where}.name",
            )
        if function.name in self.by_name:
            raise GatewayError(
                400,
                f"Two tools are named '{function.name}'.",
                code="invalid_value",
                param=f"{where}.name",
            )
        self.functions.append(function)
        self.by_name[function.name] = tool

    def client_tool(self, name: str) -> ClientTool:
        """The client tool behind an upstream function name (an unknown name stays a
        function of that name, as chat gives it back)."""
        return self.by_name.get(name) or ClientTool("function", name)

    def _named(self, kind: Kind, name: str, param: str) -> str:
        """The upstream name of the `kind` tool the client calls `name` (also its qualified
        `<namespace>__<name>`); a 400 naming `param` when there is none, or more than one."""
        found = [
            upstream
            for upstream, tool in self.by_name.items()
            if tool.kind == kind and (upstream == name or tool.name == name)
        ]
        if len(found) == 1:
            return found[0]
        problem = f"no {kind} tool is named '{name}'" if not found else f"'{name}' is ambiguous"
        raise GatewayError(
            400,
            f"Invalid value for '{param}': {problem}.",
            code="invalid_value",
            param=param,
        )

    def choice(self, choice: ToolChoice | None) -> tg.ToolChoice | None:
        """`tool_choice` in text generation's terms (`any`, another vendor's spelling of
        `required`, as chat takes it).

        A choice that depends on a tool the model is not offered is a 400: one that forces a
        hosted tool, and `required` (or `allowed_tools` in `required` mode) when nothing is
        left to call; a named tool must exist (as chat's)."""
        if choice is None:
            return None
        if isinstance(choice, str):
            if choice in ("required", "any") and not self.functions:
                self._nothing_to_call("tool_choice")
            return "required" if choice == "any" else choice
        if isinstance(choice, HostedToolChoice):
            raise GatewayError(
                400,
                f"The tool_choice forces the hosted tool '{choice.type}', which the gateway "
                "cannot run: Workers AI models call only the tools your code executes "
                "(function, custom, namespace and local_shell tools).",
                code="unsupported_tool_type",
                param="tool_choice",
            )
        if isinstance(choice, FunctionChoice):
            return tg.Named(self._named("function", choice.name, "tool_choice"))
        if isinstance(choice, CustomChoice):
            return tg.Named(self._named("custom", choice.name, "tool_choice"))
        names = frozenset(self._allowed(choice))
        if choice.mode == "required" and not names:
            self._nothing_to_call("tool_choice")
        return tg.Allowed(names, choice.mode)

    def _allowed(self, choice: AllowedToolsParam) -> list[str]:
        names = []
        for index, entry in enumerate(choice.tools):
            kind, name = entry.get("type"), entry.get("name")
            param = f"tool_choice.tools[{index}]"
            if kind == "function" and isinstance(name, str):
                names.append(self._named("function", name, param))
            elif kind == "custom" and isinstance(name, str):
                names.append(self._named("custom", name, param))
            elif kind == "namespace" and isinstance(name, str):
                names += [n for n, tool in self.by_name.items() if tool.namespace == name]
            elif kind == "local_shell" and LOCAL_SHELL in self.by_name:
                names.append(LOCAL_SHELL)
        return names

    def _nothing_to_call(self, param: str) -> None:
        left_out = ", ".join(self.left_out)
        left_out = f" (hosted tools are left out: {left_out})" if left_out else ""
        raise GatewayError(
            400,
            f"Invalid value for '{param}': it requires a tool call, and the request offers no "
            f"tool the model can call{left_out}.",
            code="invalid_value",
            param=param,
        )


def toolset(tools: list[Tool] | None, extra: Sequence[tuple[list[Tool], str]] = ()) -> Toolset:
    """The request's `tools`, and the tools of its `additional_tools` items (with the param
    that names each list)."""
    found = Toolset()
    found.add(tools or [], "tools")
    for listed, param in extra:
        found.add(listed, param)
    return found


# Calls: upstream function calls as the client's items, and back


def call_input(arguments: str) -> str:
    """A custom tool call's free-form input, from the upstream call's JSON arguments (the raw
    arguments when the model did not write the `input` object)."""
    try:
        value = json.loads(arguments)
    except ValueError:
        return arguments
    text = value.get("input") if isinstance(value, dict) else None
    return text if isinstance(text, str) else arguments


def shell_action(arguments: str) -> dict[str, Any]:
    """A `local_shell_call`'s action (OpenAI's `LocalShellExecAction`) from the upstream call's
    JSON arguments; a command written as one string is split as a shell would."""
    try:
        value = json.loads(arguments)
    except ValueError:
        value = {"command": arguments}
    if not isinstance(value, dict):
        value = {}
    command = value.get("command", [])
    if isinstance(command, str):
        try:
            command = shlex.split(command)
        except ValueError:
            command = [command]
    action: dict[str, Any] = {
        "type": "exec",
        "command": [str(part) for part in command] if isinstance(command, list) else [],
        "env": {str(k): str(v) for k, v in (value.get("env") or {}).items()}
        if isinstance(value.get("env"), dict)
        else {},
    }
    for key, kind in (("timeout_ms", int), ("working_directory", str), ("user", str)):
        if isinstance(value.get(key), kind) and not isinstance(value.get(key), bool):
            action[key] = value[key]
    return action


def shell_arguments(action: dict[str, Any]) -> str:
    """The upstream function arguments of a `local_shell_call`'s action (for the history)."""
    return json.dumps({key: value for key, value in action.items() if key != "type"})
