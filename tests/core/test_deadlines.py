"""Deadlines after a stream's first byte, and clients that leave before it (issue 7, part 4).

No assertion here measures time: each upstream is made slow enough that only the behaviour
under test (a deadline, a cancellation) can end the request before the test's own bound.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest
from helpers import PRIMARY, gateway_output, stream_events, upstream_runs, wait_until_quiet

LONG = [{"role": "user", "content": "long answer please"}]


def test_the_request_deadline_holds_after_the_first_byte(start_gateway, emulator):
    """Events 0.3 s apart never trip the idle timeout; a ~400-event answer would run for two
    minutes, but the request deadline ends the stream with an error event and [DONE]."""
    emulator.add_fault(model=PRIMARY, chunk_delay_ms=300)
    baseline = len(emulator.running_tasks())
    with start_gateway(request_deadline=1.5, stream_idle_timeout=5.0) as gateway:
        response, events = stream_events(
            gateway, "/v1/chat/completions", {"model": "gpt-4", "messages": LONG}
        )
        assert response.status_code == 200
        assert events[-1] == "[DONE]"
        error = events[-2]["error"]
        assert error["code"] == "upstream_timeout"
        assert "deadline" in error["message"]
        assert events[1]["choices"][0]["delta"]["content"]
        assert [run["model"] for run in upstream_runs(emulator)] == [PRIMARY]
        wait_until_quiet(emulator, baseline)


def leave_early(url: str, key: str, request_id: str, stream: bool) -> None:
    """Send a chat request and hang up after half a second, before any answer."""
    context = json.dumps({"request_id": request_id})
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(
            f"{url}/v1/chat/completions",
            json={"model": "gpt-4", "messages": LONG, "stream": stream},
            headers={"authorization": f"Bearer {key}", "x-amzn-lambda-context": context},
            timeout=httpx.Timeout(5, read=0.5),
        )


def upstream_status(emulator) -> Any:
    runs = upstream_runs(emulator)
    return runs[0]["status"] if runs else None


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "streamed"])
def test_a_client_leaving_before_the_first_byte_cancels_the_upstream_call(
    start_gateway, emulator, stream
):
    """The upstream would answer in 60 s and the attempt may take 60 s: only the cancellation
    can close the upstream call (the emulator logs 499) within the 10 s this test waits."""
    emulator.add_fault(model=PRIMARY, delay_ms=60_000)
    request_id = f"leaves-{uuid.uuid4()}"
    with (
        start_gateway(attempt_timeout=60, request_deadline=120) as gateway,
        gateway_output() as output,
    ):
        baseline = len(gateway.running_tasks())
        leave_early(gateway.url, gateway.api_key, request_id, stream)
        deadline = time.monotonic() + 10
        while upstream_status(emulator) != 499:
            assert time.monotonic() < deadline, (
                f"upstream call not cancelled: {emulator.requests()}"
            )
            time.sleep(0.05)
        logged, _ = output.request(request_id)
        wait_until_quiet(gateway, baseline)
    assert logged["status"] == 499
    assert [run["model"] for run in upstream_runs(emulator)] == [PRIMARY]


def test_a_client_leaving_mid_stream_closes_the_upstream_stream(gateway, emulator):
    """The upstream stream would go on for over a minute; once the client hangs up, the
    gateway closes it, so the emulator's task for it ends, and the request is logged as left
    by the client (499), not as answered."""
    emulator.add_fault(model=PRIMARY, chunk_delay_ms=200, times=None)
    baselines = {server: len(server.running_tasks()) for server in (gateway, emulator)}
    request_id = f"leaves-mid-stream-{uuid.uuid4()}"
    with gateway_output() as output:
        with httpx.stream(
            "POST",
            f"{gateway.url}/v1/chat/completions",
            json={"model": "gpt-4", "messages": LONG, "stream": True},
            headers={
                "authorization": f"Bearer {gateway.api_key}",
                "x-amzn-lambda-context": json.dumps({"request_id": request_id}),
            },
            timeout=30,
        ) as response:
            lines = response.iter_lines()
            assert next(line for line in lines if '"content"' in line)
            assert next(line for line in lines if '"content"' in line)
        for server, baseline in baselines.items():
            wait_until_quiet(server, baseline)
        logged, _ = output.request(request_id)
    assert emulator.faults()[0]["hits"] == 1
    assert logged["status"] == 499
