"""The fallback policy: which upstream failures move on to the backup, and which do not."""

from __future__ import annotations

import httpx
import openai
import pytest
from helpers import BACKUP, PRIMARY, post, upstream_runs

HELLO = [{"role": "user", "content": "hello"}]


def post_chat(gateway, **body) -> httpx.Response:
    return post(gateway, "/v1/chat/completions", body)


def models_tried(emulator) -> list[str]:
    return [r["model"] for r in upstream_runs(emulator)]


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 429, "code": 3040},  # out of capacity
        {"status": 408, "code": 3007},  # timeout upstream
        {"status": 400, "code": 5007},  # no such model
        {"status": 404, "code": 3042},  # invalid model id
        {"status": 403, "code": 5035},  # paid plan needed
        {"status": 500},
        {"status": 503},
        {"raw_status_body": "upstream connect error"},
        {"connection_reset": True},
    ],
    ids=lambda f: "-".join(str(v) for v in f.values()),
)
def test_retryable_failures_fall_back_to_the_backup(client, emulator, fault):
    emulator.add_fault(model=PRIMARY, **fault)
    raw = client.chat.completions.with_raw_response.create(model="gpt-4", messages=HELLO)
    assert raw.parse().model == "gpt-4", "the model field echoes the name asked for"
    assert raw.headers["x-gateway-model"] == BACKUP
    assert models_tried(emulator) == [PRIMARY, BACKUP]


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [
        ({"status": 429, "code": 4006, "retry_after": 3600}, 429, "daily_quota_exceeded"),
        ({"status": 429, "code": 3036}, 429, "daily_quota_exceeded"),
        ({"status": 401, "code": 10000}, 502, "upstream_auth_failed"),
        ({"status": 413, "code": 3006}, 413, "request_too_large"),
        ({"status": 400, "code": 5004}, 400, "upstream_invalid_request"),
        ({"status": 400, "code": 3003}, 400, "upstream_invalid_request"),
    ],
    ids=lambda v: str(v) if not isinstance(v, dict) else str(v.get("code")),
)
def test_final_failures_do_not_fall_back(gateway, emulator, fault, status, code):
    emulator.add_fault(model=PRIMARY, **fault)
    response = post_chat(gateway, model="gpt-4", messages=HELLO)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert set(error) == {"message", "type", "param", "code"}
    assert models_tried(emulator) == [PRIMARY]
    if "retry_after" in fault:
        assert response.headers["retry-after"] == "3600"


def test_reject_if_busy_only_where_a_backup_follows(client, emulator):
    emulator.add_fault(model=PRIMARY, status=429, code=3040, only_if_reject_if_busy=True)
    client.chat.completions.create(model="gpt-4", messages=HELLO)
    primary, backup = upstream_runs(emulator)
    assert primary["body"]["options"] == {"rejectIfBusy": True}
    assert "options" not in backup["body"]


def test_the_backup_alone_has_no_fallback(client, emulator):
    emulator.add_fault(model=BACKUP, status=500)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model="gpt-3.5-turbo", messages=HELLO)
    assert caught.value.status_code == 502
    assert models_tried(emulator) == [BACKUP]


def test_when_every_model_fails_the_client_gets_the_last_error(client, emulator):
    emulator.add_fault(model="*", status=429, code=3040, retry_after=7, times=None)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="gpt-4", messages=HELLO)
    assert caught.value.body["code"] == "model_busy"
    assert caught.value.response.headers["retry-after"] == "7"
    assert models_tried(emulator) == [PRIMARY, BACKUP]


def test_upstream_5xx_everywhere_is_a_502(client, emulator):
    emulator.add_fault(model="*", status=500, times=None)
    with pytest.raises(openai.APIStatusError) as caught:
        client.chat.completions.create(model="gpt-4", messages=HELLO)
    assert caught.value.status_code == 502
    assert caught.value.body["type"] == "api_error"


def test_images_are_dropped_for_a_text_only_backup(client, emulator):
    emulator.add_fault(model=PRIMARY, status=429, code=3040)
    uri = "data:image/png;base64,iVBORw0KGgo="
    client.chat.completions.create(
        model="gpt-4",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "describe"},
                    {"type": "image_url", "image_url": {"url": uri}},
                ],
            }
        ],
    )
    primary, backup = upstream_runs(emulator)
    assert primary["body"]["messages"][0]["content"][1]["image_url"]["url"] == uri
    assert backup["body"]["messages"][0]["content"] == "describe"


def test_streams_fall_back_before_the_first_byte(gateway, emulator):
    emulator.add_fault(model=PRIMARY, status=503)
    response = post_chat(gateway, model="gpt-4", messages=HELLO, stream=True)
    body = response.text
    assert response.status_code == 200
    assert response.headers["x-gateway-model"] == BACKUP
    assert '"model":"gpt-4"' in body, "every chunk echoes the name asked for"
    assert body.endswith("data: [DONE]\n\n")
    assert models_tried(emulator) == [PRIMARY, BACKUP]


def test_a_stream_cut_before_its_first_event_falls_back(gateway, emulator):
    emulator.add_fault(model=PRIMARY, cut_after_chunks=0)
    response = post_chat(gateway, model="gpt-4", messages=HELLO, stream=True)
    body = response.text
    assert response.headers["x-gateway-model"] == BACKUP
    assert '"error"' not in body


def test_a_failed_stream_with_no_backup_left_is_an_http_error(gateway, emulator):
    emulator.add_fault(model="*", status=500, times=None)
    response = post_chat(gateway, model="gpt-4", messages=HELLO, stream=True)
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "upstream_error"


def test_a_slow_primary_times_out_and_the_backup_answers(start_gateway, emulator):
    emulator.add_fault(model=PRIMARY, delay_ms=3000)
    with start_gateway(attempt_timeout=0.5) as gateway:
        completion = openai.OpenAI(
            base_url=f"{gateway.url}/v1", api_key=gateway.api_key, max_retries=0
        ).chat.completions.with_raw_response.create(model="gpt-4", messages=HELLO)
    assert completion.headers["x-gateway-model"] == BACKUP


def test_the_overall_deadline_bounds_the_chain(start_gateway, emulator):
    emulator.add_fault(model="*", delay_ms=3000, times=None)
    with start_gateway(attempt_timeout=0.6, request_deadline=0.8) as gateway:
        response = httpx.post(
            f"{gateway.url}/v1/chat/completions",
            headers={"authorization": f"Bearer {gateway.api_key}"},
            json={"model": "gpt-4", "messages": HELLO},
            timeout=30,
        )
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "upstream_timeout"


def test_a_failing_model_cools_down(start_gateway, emulator):
    emulator.add_fault(model=PRIMARY, status=500, times=2)
    with start_gateway(cooldown_failures=2, cooldown_seconds=60) as gateway:
        client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=gateway.api_key)
        for _ in range(3):
            raw = client.chat.completions.with_raw_response.create(model="gpt-4", messages=HELLO)
            assert raw.headers["x-gateway-model"] == BACKUP
    assert models_tried(emulator) == [PRIMARY, BACKUP, PRIMARY, BACKUP, BACKUP]


def test_final_errors_do_not_cool_a_model_down(start_gateway, emulator):
    emulator.add_fault(model=PRIMARY, status=400, code=5004, times=2)
    with start_gateway(cooldown_failures=1, cooldown_seconds=60) as gateway:
        client = openai.OpenAI(base_url=f"{gateway.url}/v1", api_key=gateway.api_key, max_retries=0)
        for _ in range(2):
            with pytest.raises(openai.BadRequestError):
                client.chat.completions.create(model="gpt-4", messages=HELLO)
        raw = client.chat.completions.with_raw_response.create(model="gpt-4", messages=HELLO)
        assert raw.headers["x-gateway-model"] == PRIMARY


def test_completions_fall_back_too(client, emulator):
    emulator.add_fault(model=PRIMARY, status=429, code=3040)
    raw = client.completions.with_raw_response.create(
        model="gpt-4", prompt="Once upon", max_tokens=200
    )
    assert raw.headers["x-gateway-model"] == BACKUP
    assert raw.parse().model == "gpt-4"
    backup = upstream_runs(emulator)[-1]
    assert backup["body"]["messages"] == [{"role": "user", "content": "Once upon"}]
    assert raw.parse().choices[0].text
