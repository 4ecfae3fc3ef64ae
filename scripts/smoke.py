"""Smoke test of a running gateway, local or deployed (the successor of the original's test.sh).

    python scripts/smoke.py --base-url http://127.0.0.1:8787 --api-key KEY
    python scripts/smoke.py --base-url https://xxxx.lambda-url.us-east-1.on.aws --api-key KEY \
        --docs-url https://dxxxx.cloudfront.net

Checks the docs page, the OpenAPI spec, /health, /v1/models, a chat completion plain and
streamed, an image asked for as a link and downloaded, authentication (missing and wrong key)
and error handling (unknown route, bad JSON), prints one PASS/FAIL line per check and exits
non-zero if any failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx


class CheckFailed(Exception):
    """A check's expectation was not met; the message says what was seen."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def error_envelope(response: httpx.Response, status: int) -> str:
    """Assert OpenAI's error envelope with the given status; return its message."""
    expect(response.status_code == status, f"status {response.status_code}, wanted {status}")
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckFailed(f"not OpenAI's error envelope: {response.text[:200]!r}") from exc
    expect(isinstance(error, dict), "error is not an object")
    expect({"message", "type", "param", "code"} <= set(error), f"error fields: {sorted(error)}")
    expect(isinstance(error["message"], str) and error["message"] != "", "empty error message")
    return error["message"]


@dataclass
class Smoke:
    client: httpx.Client
    base_url: str
    api_key: str
    docs_url: str
    model: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def docs_page(self) -> str:
        response = self.client.get(f"{self.docs_url}/")
        expect(response.status_code == 200, f"status {response.status_code}")
        expect("text/html" in response.headers.get("content-type", ""), "not HTML")
        expect("<html" in response.text.lower(), "no <html> in the page")
        return f"{len(response.content)} bytes of HTML"

    def openapi_spec(self) -> str:
        response = self.client.get(f"{self.base_url}/openapi.json")
        expect(response.status_code == 200, f"status {response.status_code}")
        spec = response.json()
        expect(str(spec.get("openapi", "")).startswith("3."), "not an OpenAPI 3 document")
        expect("/v1/chat/completions" in spec.get("paths", {}), "no /v1/chat/completions path")
        return f"OpenAPI {spec['openapi']}, {len(spec['paths'])} paths"

    def health(self) -> str:
        response = self.client.get(f"{self.base_url}/health")
        expect(response.status_code == 200, f"status {response.status_code}")
        return response.text[:120]

    def models(self) -> str:
        response = self.client.get(f"{self.base_url}/v1/models", headers=self.auth)
        expect(response.status_code == 200, f"status {response.status_code}: {response.text[:200]}")
        body = response.json()
        expect(body.get("object") == "list", "object is not 'list'")
        ids = [model["id"] for model in body.get("data", [])]
        expect(bool(ids), "no models listed")
        return f"{len(ids)} models"

    def chat(self) -> str:
        response = self.client.post(
            f"{self.base_url}/v1/chat/completions",
            headers=self.auth,
            json={
                "model": self.model,
                "messages": [{"role": "user", "content": "Reply with the word pong."}],
                "max_tokens": 32,
            },
        )
        expect(response.status_code == 200, f"status {response.status_code}: {response.text[:200]}")
        body = response.json()
        expect(body.get("object") == "chat.completion", f"object {body.get('object')!r}")
        message = body["choices"][0]["message"]
        expect(message.get("role") == "assistant", "no assistant message")
        expect(isinstance(body.get("usage", {}).get("total_tokens"), int), "no usage numbers")
        return f"model {body.get('model')}: {str(message.get('content'))[:60]!r}"

    def chat_streamed(self) -> str:
        request = {
            "model": self.model,
            "messages": [{"role": "user", "content": "Count from one to five."}],
            "max_tokens": 64,
            "stream": True,
        }
        chunks, text, done = 0, "", False
        with self.client.stream(
            "POST", f"{self.base_url}/v1/chat/completions", headers=self.auth, json=request
        ) as response:
            expect(response.status_code == 200, f"status {response.status_code}")
            kind = response.headers.get("content-type", "")
            expect(kind.startswith("text/event-stream"), f"content-type {kind!r}")
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line.removeprefix("data:").strip()
                if data == "[DONE]":
                    done = True
                    break
                chunk = json.loads(data)
                expect(chunk.get("object") == "chat.completion.chunk", "not a completion chunk")
                chunks += 1
                for choice in chunk.get("choices", []):
                    text += choice.get("delta", {}).get("content") or ""
        expect(done, "the stream did not end with data: [DONE]")
        expect(chunks > 0, "no chunks")
        return f"{chunks} chunks: {text[:60]!r}"

    def image_link(self) -> str:
        """An image asked for as a link (in AWS a presigned GET on the images bucket),
        downloaded without the key as any client would."""
        response = self.client.post(
            f"{self.base_url}/v1/images/generations",
            headers=self.auth,
            json={"model": "dall-e-3", "prompt": "A small red lighthouse, flat colours."},
        )
        expect(response.status_code == 200, f"status {response.status_code}: {response.text[:200]}")
        url = response.json()["data"][0]["url"]
        download = self.client.get(url)
        expect(download.status_code == 200, f"the link answered {download.status_code}")
        kind = download.headers.get("content-type", "")
        expect(kind.startswith("image/"), f"the link gave {kind!r}")
        return f"{len(download.content)} bytes of {kind} from {url.split('?')[0][:60]}"

    def missing_key(self) -> str:
        return error_envelope(self.client.get(f"{self.base_url}/v1/models"), 401)

    def wrong_key(self) -> str:
        response = self.client.get(
            f"{self.base_url}/v1/models", headers={"Authorization": "Bearer sk-not-a-real-key"}
        )
        return error_envelope(response, 401)

    def unknown_route(self) -> str:
        response = self.client.get(f"{self.base_url}/v1/no-such-route", headers=self.auth)
        return error_envelope(response, 404)

    def bad_json(self) -> str:
        response = self.client.post(
            f"{self.base_url}/v1/chat/completions",
            headers={**self.auth, "Content-Type": "application/json"},
            content=b'{"model": "gpt-4o", "messages": [',
        )
        return error_envelope(response, 400)

    def checks(self) -> list[tuple[str, Callable[[], str]]]:
        return [
            ("docs page", self.docs_page),
            ("OpenAPI spec", self.openapi_spec),
            ("health", self.health),
            ("models", self.models),
            ("chat", self.chat),
            ("chat, streamed", self.chat_streamed),
            ("image, as a link", self.image_link),
            ("auth: missing key -> 401", self.missing_key),
            ("auth: wrong key -> 401", self.wrong_key),
            ("error: unknown route -> 404", self.unknown_route),
            ("error: bad JSON -> 400", self.bad_json),
        ]


def run(smoke: Smoke) -> int:
    """Run every check, print the report, return the number of failures."""
    failures = 0
    print(f"Smoke test of {smoke.base_url}")
    for name, check in smoke.checks():
        started = time.perf_counter()
        try:
            detail, status = check(), "PASS"
        except (CheckFailed, httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
            detail, status = f"{type(exc).__name__}: {exc}", "FAIL"
            failures += 1
        elapsed = (time.perf_counter() - started) * 1000
        print(f"  {status}  {name:<30} {elapsed:7.0f} ms  {detail}")
    total = len(smoke.checks())
    print(f"{total - failures} passed, {failures} failed")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True, help="the gateway's URL, without /v1")
    parser.add_argument("--api-key", required=True, help="a client API key")
    parser.add_argument("--docs-url", help="where the docs page is (default: the base URL)")
    parser.add_argument("--model", default="gpt-4o", help="model for the chat checks")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per request")
    args = parser.parse_args(argv)
    if not args.api_key:
        parser.error("--api-key is empty (make smoke API_KEY=...)")
    base_url = args.base_url.rstrip("/").removesuffix("/v1")
    with httpx.Client(timeout=args.timeout) as client:
        smoke = Smoke(
            client=client,
            base_url=base_url,
            api_key=args.api_key,
            docs_url=(args.docs_url or base_url).rstrip("/"),
            model=args.model,
        )
        return 1 if run(smoke) else 0


if __name__ == "__main__":
    sys.exit(main())
