"""`make dev` (scripts/dev.py) prints a key it generated in full, since the user needs it, and a
key the user supplied only masked, since terminals and CI logs keep what they show. The generated
key is kept across runs (stored responses belong to it), and each run has its own emulator."""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
from pathlib import Path

import httpx
import openai
from helpers import dev_process, make_dev, wait_ready


def generated_key(line: str) -> str:
    key = re.search(r"(sk-local-\S+)", line)
    assert key, line
    return key.group(1)


def chat(base_url: str, key: str) -> str:
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key=key, max_retries=0, timeout=10)
    reply = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "hi"}], max_tokens=5
    )
    return reply.choices[0].message.content or ""


def test_a_generated_key_is_printed_in_full_and_works(tmp_path):
    with make_dev(tmp_path) as (line, base_url, _):
        key = generated_key(line)
        wait_ready(base_url)
        headers = {"authorization": f"Bearer {key}"}
        assert httpx.get(f"{base_url}/v1/models", headers=headers, timeout=10).status_code == 200


def test_the_generated_key_is_kept_so_stored_responses_outlive_a_restart(tmp_path):
    with make_dev(tmp_path) as (line, base_url, _):
        key = generated_key(line)
        wait_ready(base_url)
        client = openai.OpenAI(base_url=f"{base_url}/v1", api_key=key, max_retries=0)
        stored = client.responses.create(model="gpt-4o", input="remember me", store=True)
    key_file = tmp_path / "dev-api-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with make_dev(tmp_path) as (line, base_url, _):
        assert generated_key(line) == key
        wait_ready(base_url)
        client = openai.OpenAI(base_url=f"{base_url}/v1", api_key=key, max_retries=0)
        assert client.responses.retrieve(stored.id).output_text == stored.output_text


def test_a_supplied_key_is_masked_and_wins_over_the_kept_one(tmp_path):
    supplied = "sk-my-own-secret-key-wxyz"
    with make_dev(tmp_path, WORKER_API_KEY=f"{supplied}, sk-second-key-abcd") as (line, _, _):
        assert supplied not in line
        assert "sk-…wxyz" in line
        assert "sk-…abcd" in line
        assert "secret" not in line
        assert "sk-local-" not in line
    assert not (tmp_path / "dev-api-key").exists()


def test_two_runs_each_answer_from_their_own_emulator(tmp_path):
    with make_dev(tmp_path / "a") as (_, base_a, first):
        wait_ready(base_a)
        with make_dev(tmp_path / "b") as (line_b, base_b, _):
            wait_ready(base_b)
            assert chat(base_b, generated_key(line_b))
            first.send_signal(signal.SIGTERM)
            first.wait(timeout=15)
            assert chat(base_b, generated_key(line_b))


def test_an_emulator_port_in_use_fails_loudly(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = dev_process(tmp_path, EMULATOR_PORT=str(port))
        output, _ = process.communicate(timeout=30)
    assert process.returncode != 0
    assert f"EMULATOR_PORT {port} is not free" in output


def test_the_gateway_stops_when_its_emulator_dies(tmp_path):
    with make_dev(tmp_path) as (_, base_url, process):
        wait_ready(base_url)
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        assert len(children) == 1, children
        os.kill(int(children[0]), signal.SIGKILL)
        assert process.wait(timeout=15) == 1
        output = process.stdout.read()
    assert "The Workers AI emulator exited" in output
