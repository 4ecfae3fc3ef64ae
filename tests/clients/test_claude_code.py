"""Claude Code itself (`@anthropic-ai/claude-code`, pinned in tests/claude_code's lockfile and
installed by `make test`), in print mode against the gateway and the emulator: a plain prompt,
and turns where the emulator calls one of Claude Code's tools, Claude Code runs it and sends the
result back.

Claude Code runs offline here: a fresh HOME, `CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1` (no
telemetry, no update check) and no retries. It is its platform package's native binary, called
directly (the npm wrapper is not needed). Running as root, it is given
`--permission-mode acceptEdits`, which lets it run the commands and read the files of its
working directory.
"""

from __future__ import annotations

import json
import platform
import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers import PRIMARY, GatewayServer, upstream_runs

from emulator.testing import EmulatorServer

PACKAGE = Path(__file__).resolve().parents[1] / "claude_code"
ARCH = {"x86_64": "x64", "aarch64": "arm64", "arm64": "arm64"}[platform.machine()]
CLAUDE = PACKAGE / "node_modules" / "@anthropic-ai" / f"claude-code-linux-{ARCH}" / "claude"


def run_claude(
    gateway: GatewayServer, home: Path, prompt: str, *options: str, token: bool = False
) -> dict[str, Any]:
    """`claude -p <prompt> --output-format json` in `home`/work; its JSON result. The key goes
    as ANTHROPIC_API_KEY (`x-api-key`), or with `token` as ANTHROPIC_AUTH_TOKEN (a bearer)."""
    assert (PACKAGE / "node_modules" / ".installed").exists(), (
        "tests/claude_code has no node_modules: `make test` runs npm ci"
    )
    work = home / "work"
    work.mkdir(parents=True, exist_ok=True)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "ANTHROPIC_BASE_URL": gateway.url,
        "ANTHROPIC_AUTH_TOKEN" if token else "ANTHROPIC_API_KEY": gateway.api_key,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "CLAUDE_CODE_MAX_RETRIES": "0",
    }
    command = [str(CLAUDE), "-p", prompt, "--output-format", "json", *options]
    done = subprocess.run(
        [*command, "--permission-mode", "acceptEdits"],
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    result: dict[str, Any] = json.loads(done.stdout)
    assert result["is_error"] is False, result
    return result


def test_a_plain_prompt(gateway: GatewayServer, emulator: EmulatorServer, tmp_path):
    result = run_claude(gateway, tmp_path, "say hi")
    assert result["result"].startswith(f"This is an emulated reply from {PRIMARY}: you said")
    assert result["num_turns"] == 1
    (run,) = upstream_runs(emulator)
    sent = run["body"]
    assert sent["stream"] is True
    # Claude Code's system prompt, and its `role: system` message, are one system message.
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert "Claude Code" in sent["messages"][0]["content"]
    assert sent["messages"][1]["content"].endswith("say hi")
    assert {tool["function"]["name"] for tool in sent["tools"]} >= {"Bash", "Read", "Edit"}
    # The answer's usage is the upstream's, as Claude Code counted it.
    assert result["usage"]["output_tokens"] == len(result["result"].split())


def test_a_tool_call_that_claude_code_runs(
    gateway: GatewayServer, emulator: EmulatorServer, tmp_path
):
    """The emulator calls Bash; Claude Code runs the command (the shell does the sum) and sends
    its output back, which the emulator's second answer quotes."""
    command = {"command": "echo tool-ran-$((6*7))", "description": "Print a marker"}
    result = run_claude(gateway, tmp_path, f"call Bash {json.dumps(command)}")
    assert result["result"] == (
        f'This is an emulated reply from {PRIMARY}: the tool returned "tool-ran-42".'
    )
    assert result["num_turns"] == 2
    first, second = upstream_runs(emulator)
    assert first["body"]["messages"][-1]["role"] == "user"
    call, output = second["body"]["messages"][-2:]
    assert call["tool_calls"][0]["function"]["name"] == "Bash"
    assert json.loads(call["tool_calls"][0]["function"]["arguments"]) == command
    assert output == {
        "role": "tool",
        "tool_call_id": call["tool_calls"][0]["id"],
        "content": "tool-ran-42",
    }


def test_claude_code_reads_a_file_for_the_model(
    gateway: GatewayServer, emulator: EmulatorServer, tmp_path
):
    note = tmp_path / "work" / "note.txt"
    note.parent.mkdir()
    note.write_text("the secret word is pelican\n")
    result = run_claude(gateway, tmp_path, f"call Read {json.dumps({'file_path': str(note)})}")
    assert "pelican" in result["result"]
    assert "pelican" in upstream_runs(emulator)[-1]["body"]["messages"][-1]["content"]


@pytest.mark.parametrize("model", ["claude-haiku-4-5", "@cf/openai/gpt-oss-120b"])
def test_other_models_and_the_auth_token(
    gateway: GatewayServer, emulator: EmulatorServer, tmp_path, model
):
    """`--model` with a Claude name the table maps, or a Workers AI name (the reasoning model,
    whose thinking blocks Claude Code takes too); the key as ANTHROPIC_AUTH_TOKEN."""
    result = run_claude(gateway, tmp_path, "say hi", "--model", model, token=True)
    answered = upstream_runs(emulator)[-1]["model"]
    assert answered == ("@cf/meta/llama-3.3-70b-instruct-fp8-fast" if "haiku" in model else model)
    assert result["result"].startswith(f"This is an emulated reply from {answered}")
