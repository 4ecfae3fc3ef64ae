"""Codex CLI (`@openai/codex` 0.171.0, its native binary from tests/codex's lockfile) in
`codex exec` mode against `make dev` on the emulator: a plain prompt, a turn that runs one of
Codex's own tools (`exec_command`) and sends its output back, a call routed into one of its
`namespace` tools, and the reasoning it shows.

Codex is configured as a user would point it at the gateway: a custom model provider with
`wire_api = "responses"` and the key in an environment variable; its default request then
carries function tools, a `namespace` tool, the hosted `web_search`, `reasoning.summary`,
`include: ["reasoning.encrypted_content"]`, `store: false`, `client_metadata` and
`prompt_cache_key`. Everything it would fetch from elsewhere is off (plugins, analytics), so
nothing leaves loopback, and a dead gateway fails it at once instead of retrying for ever.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import ROOT, free_port, make_dev, wait_ready

from emulator.text import REASONING

PACKAGES = ROOT / "tests" / "codex" / "node_modules"
TARGETS = {
    ("Linux", "x86_64"): ("codex-linux-x64", "x86_64-unknown-linux-musl"),
    ("Linux", "aarch64"): ("codex-linux-arm64", "aarch64-unknown-linux-musl"),
    ("Darwin", "x86_64"): ("codex-darwin-x64", "x86_64-apple-darwin"),
    ("Darwin", "arm64"): ("codex-darwin-arm64", "aarch64-apple-darwin"),
}
KEY = "sk-codex-test-key"


def codex_binary() -> Path:
    """The platform's native binary inside the npm package (bin/codex.js only spawns it)."""
    installed = PACKAGES / ".installed"
    assert installed.exists(), "tests/codex has no node_modules: `make test` runs npm ci"
    package, triple = TARGETS[platform.system(), platform.machine()]
    binary = PACKAGES / "@openai" / package / "vendor" / triple / "bin" / "codex"
    assert binary.exists(), binary
    return binary


@pytest.fixture(scope="module")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`make dev` with its own emulator on a known port: (the gateway's URL, the emulator's)."""
    emulator_port = free_port()
    data = tmp_path_factory.mktemp("dev")
    env = {"WORKER_API_KEY": KEY, "EMULATOR_PORT": str(emulator_port), "LOG_LEVEL": "WARNING"}
    with make_dev(data, **env) as (_, base_url, _process):
        wait_ready(base_url)
        yield base_url, f"http://127.0.0.1:{emulator_port}"


def codex(base_url: str, home: Path, prompt: str, model: str = "gpt-4o") -> list[dict[str, Any]]:
    """`codex exec --json` in a fresh home; the JSONL events it printed (it must exit 0)."""
    (home / ".codex").mkdir(parents=True)
    (home / "work").mkdir()
    provider = (
        f'{{name="Gateway", base_url="{base_url}/v1", env_key="GATEWAY_KEY", '
        'wire_api="responses", request_max_retries=0, stream_max_retries=0}'
    )
    command = [
        str(codex_binary()),
        "exec",
        "--json",
        "--skip-git-repo-check",
        "--ephemeral",
        "--sandbox",
        "danger-full-access",
        "--disable",
        "plugins",
        "--disable",
        "unbounded_connection_retries",
        "-c",
        "analytics.enabled=false",
        "-c",
        f"model={model}",
        "-c",
        "model_provider=gateway",
        "-c",
        f"model_providers.gateway={provider}",
        prompt,
    ]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "CODEX_HOME": str(home / ".codex"),
        "GATEWAY_KEY": KEY,
    }
    done = subprocess.run(
        command,
        cwd=home / "work",
        env=env,
        stdin=subprocess.DEVNULL,  # codex exec reads stdin until EOF when it is not a TTY
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def completed(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [
        event["item"]
        for event in events
        if event["type"] == "item.completed" and event["item"]["type"] == kind
    ]


def upstream_requests(emulator_url: str) -> list[dict[str, Any]]:
    requests = httpx.get(f"{emulator_url}/_emulator/requests", timeout=10).json()["requests"]
    return [request for request in requests if request["route"] == "run"]


def test_a_plain_prompt_is_answered(dev, tmp_path):
    base_url, emulator_url = dev
    httpx.delete(f"{emulator_url}/_emulator/requests", timeout=10)
    events = codex(base_url, tmp_path, "Say hello")
    [message] = completed(events, "agent_message")
    assert message["text"].endswith('you said "Say hello".')
    assert events[-1]["type"] == "turn.completed"
    assert events[-1]["usage"]["output_tokens"] > 0
    [request] = upstream_requests(emulator_url)
    offered = {tool["function"]["name"] for tool in request["body"]["tools"]}
    assert {"exec_command", "multi_agent_v1__spawn_agent"} <= offered
    assert "web_search" not in offered, "a hosted tool is left out, not offered"


def test_a_tool_round_trip_runs_the_command_and_sends_its_output_back(dev, tmp_path):
    base_url, emulator_url = dev
    httpx.delete(f"{emulator_url}/_emulator/requests", timeout=10)
    events = codex(base_url, tmp_path, 'Run exec_command {"cmd": "echo codex-round-trip"}')
    [command] = completed(events, "command_execution")
    assert command["aggregated_output"] == "codex-round-trip\n"
    assert command["exit_code"] == 0
    [message] = completed(events, "agent_message")
    assert "the tool returned" in message["text"]
    _, second = upstream_requests(emulator_url)
    tool_message = second["body"]["messages"][-1]
    assert tool_message["role"] == "tool"
    assert "codex-round-trip" in tool_message["content"]
    assistant = second["body"]["messages"][-2]
    assert assistant["tool_calls"][0]["function"]["name"] == "exec_command"
    assert assistant["tool_calls"][0]["id"] == tool_message["tool_call_id"]


def test_a_namespace_call_reaches_codexs_own_tool(dev, tmp_path):
    """The call comes back as `wait_agent` in the `multi_agent_v1` namespace, which Codex runs
    (its own error about the made-up agent id proves it: a call it cannot route is answered
    `unsupported call`)."""
    base_url, emulator_url = dev
    httpx.delete(f"{emulator_url}/_emulator/requests", timeout=10)
    prompt = 'Use multi_agent_v1__wait_agent {"targets": ["nobody"], "timeout_ms": 10}'
    codex(base_url, tmp_path, prompt)
    _, second = upstream_requests(emulator_url)
    output = second["body"]["messages"][-1]
    assert output["role"] == "tool"
    assert "unsupported call" not in output["content"]
    assert "nobody" in output["content"]


def test_a_reasoning_model_shows_its_reasoning(dev, tmp_path):
    base_url, _ = dev
    events = codex(base_url, tmp_path, "Think, then say hi", model="gpt-4o-mini")
    [reasoning] = completed(events, "reasoning")
    assert reasoning["text"] == REASONING
    [message] = completed(events, "agent_message")
    assert message["text"].endswith('you said "Think, then say hi".')
