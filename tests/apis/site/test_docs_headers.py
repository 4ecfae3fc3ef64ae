"""The docs site the app serves itself (the Function URL's copy, with an API-key field) sends the
security headers CloudFront's copy sends: a CSP without inline code, no framing, no sniffing, a
referrer policy, and HSTS where the client came over HTTPS. The page holds no inline code, so
the policy costs it nothing, and its config names no secret ARN."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import httpx
import pytest
from helpers import ROOT

from gateway.apis.site.routes import KEY_COMMAND

SITE = ["/", "/assets/app.js", "/assets/style.css", "/openapi.json", "/config.json"]


@pytest.mark.parametrize("path", SITE)
def test_every_site_file_carries_the_security_headers(gateway, path):
    response = httpx.get(f"{gateway.url}{path}", timeout=10)
    assert response.status_code == 200
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert "strict-transport-security" not in headers, "HSTS over plain HTTP"


@pytest.mark.parametrize("proto", ["https", "HTTPS", "https,http"])
def test_hsts_where_the_client_came_over_https(gateway, proto):
    response = httpx.get(f"{gateway.url}/", headers={"x-forwarded-proto": proto}, timeout=10)
    hsts = response.headers["strict-transport-security"]
    assert int(hsts.split("max-age=")[1].split(";")[0]) >= 31536000


class InlineCode(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{tag} {name}=" for name in names if name == "style" or name[:2] == "on"]


def test_the_page_has_no_inline_scripts_styles_or_handlers():
    parser = InlineCode()
    parser.feed((ROOT / "static" / "index.html").read_text())
    assert parser.found == []
    for script in (ROOT / "static" / "assets").glob("*.js"):
        text = script.read_text()
        for blocked in ("eval(", "new Function(", '.setAttribute("style"', "<style"):
            assert blocked not in text, f"{script.name} uses {blocked}"


def test_config_names_the_stack_not_the_keys_secret(start_gateway):
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:keys-AbCdEf"
    with start_gateway(
        api_keys_secret_arn=arn, stack_name="my-gateway", aws_region="eu-west-1"
    ) as server:
        config = httpx.get(f"{server.url}/config.json", timeout=10).json()
    assert config["key_command"] == KEY_COMMAND.format(region="eu-west-1", stack="my-gateway")
    assert "123456789012" not in json.dumps(config)
