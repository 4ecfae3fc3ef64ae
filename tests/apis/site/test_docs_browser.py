"""The docs page at / in headless Chromium, against the gateway running on the emulator.

Needs Debian's `chromium` and `chromium-driver` (.ci/run installs them). Screenshots go to
artifacts/ (desktop 1280 px and phone 390 px wide).
"""

import base64
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from helpers import mint_key, post, upstream_runs, usage_rows
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select, WebDriverWait

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[3] / "artifacts"
CHROME_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
DESKTOP = (1280, 900)
PHONE = (390, 844)
WAIT_S = 20
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

# Records every state of the answer box while a request is in flight, so the test can check
# that text arrived piece by piece without timing anything.
RECORD_PARTIALS = """
window.partials = [];
const answer = document.getElementById("answer");
new MutationObserver(() => {
  if (answer.getAttribute("aria-busy") === "true") window.partials.push(answer.textContent);
}).observe(answer, { childList: true, characterData: true, subtree: true });
"""


def _binaries() -> tuple[str, str]:
    chromium = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    message = "no chromium/chromedriver: apt-get install chromium chromium-driver"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    chromium, driver_path = _binaries()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        for arg in [*CHROME_ARGS, f"--user-data-dir={profile}"]:
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        # An explicit driver path keeps Selenium Manager from looking anything up online.
        driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
        try:
            yield driver
        finally:
            driver.quit()


@pytest.fixture
def page(browser: WebDriver, gateway: Any) -> WebDriver:
    """The docs page, freshly loaded at desktop size with empty session storage."""
    _viewport(browser, *DESKTOP)
    browser.get(f"{gateway.url}/")
    browser.execute_script("sessionStorage.clear()")
    browser.get(f"{gateway.url}/")
    _wait(browser, lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))
    browser.get_log("browser")  # start each test with an empty console log
    return browser


def _wait(driver: WebDriver, condition: Any) -> Any:
    return WebDriverWait(driver, WAIT_S, poll_frequency=0.05).until(condition)


def _viewport(driver: WebDriver, width: int, height: int) -> None:
    # Headless windows cannot be narrower than 500 px; device metrics can.
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def _screenshot(driver: WebDriver, name: str) -> None:
    """Saves the whole page (not just the viewport) to artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    driver.execute_script("window.scrollTo(0, 0)")
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True})
    (ARTIFACTS / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


def _severe(driver: WebDriver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def _text(driver: WebDriver, element_id: str) -> str:
    return driver.find_element(By.ID, element_id).text


def _enter_key(driver: WebDriver, key: str) -> None:
    field = driver.find_element(By.ID, "api-key")
    field.clear()
    field.send_keys(key, Keys.TAB)  # leaving the field lists the live models


def _send(driver: WebDriver, message: str, stream: bool = True) -> None:
    """Fills in the console and presses Send, by keyboard as a keyboard user would."""
    toggle = driver.find_element(By.ID, "stream")
    if toggle.is_selected() != stream:
        toggle.send_keys(Keys.SPACE)
    user = driver.find_element(By.ID, "user")
    user.clear()
    user.send_keys(message)
    driver.find_element(By.ID, "send").send_keys(Keys.ENTER)


def _finished(driver: WebDriver) -> bool:
    return driver.find_element(By.ID, "send").is_enabled()


def test_reference_lists_every_path_without_console_errors(page: WebDriver, gateway: Any) -> None:
    spec = httpx.get(f"{gateway.url}/openapi.json").json()
    documented = {
        (path, method)
        for path, item in spec["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }
    ops = page.find_elements(By.CSS_SELECTOR, "#reference details.op")
    rendered = {(op.get_attribute("data-path"), op.get_attribute("data-method")) for op in ops}
    assert rendered == documented
    reference_text = _text(page, "reference")
    for path in spec["paths"]:
        assert path in reference_text

    base = f"{gateway.url}/v1"
    assert _text(page, "base-url") == base
    assert base in _text(page, "sample-code")
    # The language tabs work from the keyboard: arrow right moves from curl to Python.
    page.find_element(By.ID, "tab-curl").send_keys(Keys.ARROW_RIGHT)
    assert page.find_element(By.ID, "tab-python").get_attribute("aria-selected") == "true"
    assert f'OpenAI(base_url="{base}")' in _text(page, "sample-code")

    _screenshot(page, "docs-desktop")
    _viewport(page, *PHONE)
    assert page.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
    _screenshot(page, "docs-phone")
    assert _severe(page) == []


def test_console_streams_an_answer_token_by_token(
    page: WebDriver, gateway: Any, emulator: Any
) -> None:
    listed = httpx.get(
        f"{gateway.url}/v1/models", headers={"Authorization": f"Bearer {gateway.api_key}"}
    ).json()
    _enter_key(page, gateway.api_key)
    _wait(page, lambda d: _text(d, "models-source").startswith("Live"))
    items = page.find_elements(By.CSS_SELECTOR, "#model-list li")
    assert {li.text.split(" (")[0] for li in items} == {m["id"] for m in listed["data"]}
    options = {
        o.get_property("value") for o in page.find_elements(By.CSS_SELECTOR, "#model option")
    }
    assert "gpt-4o" in options
    assert not {"text-embedding-3-small", "@cf/baai/bge-base-en-v1.5"} & options, "chat models only"

    model = page.find_element(By.ID, "model").get_property("value")
    system = page.find_element(By.ID, "system").get_property("value")
    emulator.add_fault(model="*", chunk_delay_ms=50)
    page.execute_script(RECORD_PARTIALS)
    _send(page, "Hello from the browser test")
    _wait(page, _finished)

    answer = _text(page, "answer")
    expected = httpx.post(
        f"{gateway.url}/v1/chat/completions",
        headers={"Authorization": f"Bearer {gateway.api_key}"},
        json={
            "model": model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": "Hello from the browser test"},
            ],
        },
        timeout=30,
    ).json()["choices"][0]["message"]["content"]
    assert answer == expected
    assert _text(page, "answer-status").startswith("Done")
    partials = page.execute_script("return window.partials")
    assert len(partials) >= 2
    assert all(expected.startswith(p) for p in partials)
    assert any(0 < len(p) < len(expected) for p in partials)

    assert page.execute_script("return sessionStorage.getItem('gateway.apiKey')") == gateway.api_key
    assert page.execute_script("return localStorage.length") == 0
    _screenshot(page, "docs-console-desktop")
    assert _severe(page) == []


def test_wrong_key_shows_a_readable_401(page: WebDriver) -> None:
    _enter_key(page, "not-the-key")
    _wait(page, lambda d: "401" in _text(d, "models-source"))
    _send(page, "Hello")
    error = _wait(page, lambda d: d.find_element(By.ID, "console-error").is_displayed())
    assert error
    message = _text(page, "console-error")
    assert "rejected the API key (401)" in message
    assert "make dev" in message
    # The only console errors are the browser's own notes on the two refused requests.
    logged = _severe(page)
    assert logged
    assert all("401" in line for line in logged)


@pytest.mark.parametrize(
    ("status", "shown"),
    [(503, "upstream is unavailable"), (429, "Too many requests (429)")],
)
def test_upstream_failures_are_shown_readably(
    page: WebDriver, gateway: Any, emulator: Any, status: int, shown: str
) -> None:
    emulator.add_fault(model="*", status=status, times=None)
    _enter_key(page, gateway.api_key)
    _send(page, "Hello", stream=False)
    _wait(page, lambda d: d.find_element(By.ID, "console-error").is_displayed())
    assert shown in _text(page, "console-error")
    assert _text(page, "answer") == ""


def test_stop_button_aborts_the_stream(page: WebDriver, gateway: Any, emulator: Any) -> None:
    emulator.add_fault(model="*", chunk_delay_ms=100)
    _enter_key(page, gateway.api_key)
    _send(page, "Please give me a long answer.")
    _wait(page, lambda d: len(_text(d, "answer").split()) >= 3)
    stop = page.find_element(By.ID, "stop")
    assert stop.is_enabled()
    stop.send_keys(Keys.ENTER)
    _wait(page, lambda d: _text(d, "answer-status") == "Stopped")
    assert _finished(page)
    assert not stop.is_enabled()
    # The emulator's long answer is 400 words; the stopped one stays well short of it.
    assert len(_text(page, "answer").split()) < 400
    assert page.find_element(By.ID, "console-error").is_displayed() is False


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "whole"])
def test_console_speaks_the_responses_api(
    page: WebDriver, gateway: Any, emulator: Any, stream: bool
) -> None:
    _enter_key(page, gateway.api_key)
    # The live models replace the model list's options: choose one once they are in.
    _wait(page, lambda d: _text(d, "models-source").startswith("Live"))
    Select(page.find_element(By.ID, "api")).select_by_value("responses")
    Select(page.find_element(By.ID, "model")).select_by_value("gpt-4o-mini")
    _send(page, "Hello from the Responses console", stream=stream)
    _wait(page, _finished)
    expected = httpx.post(
        f"{gateway.url}/v1/responses",
        headers={"Authorization": f"Bearer {gateway.api_key}"},
        json={"model": "gpt-4o-mini", "input": "Hello from the Responses console"},
        timeout=30,
    ).json()
    assert _text(page, "answer") == expected["output_text"]
    assert _text(page, "answer-status").startswith("Done")
    assert page.find_element(By.ID, "reasoning-box").is_displayed()
    sent = upstream_runs(emulator)[0]["body"]["messages"]
    system = page.find_element(By.ID, "system").get_property("value")
    assert sent[0] == {"role": "system", "content": system}
    Select(page.find_element(By.ID, "sample-api")).select_by_value("responses")
    assert f"{gateway.url}/v1/responses" in _text(page, "sample-code")
    assert _severe(page) == []


def test_console_makes_an_image_and_shows_it(page: WebDriver, gateway: Any, emulator: Any) -> None:
    _enter_key(page, gateway.api_key)
    flux = "@cf/black-forest-labs/flux-1-schnell"
    _wait(
        page,
        lambda d: flux in [o.text for o in Select(d.find_element(By.ID, "image-model")).options],
    )
    chat_models = [o.text for o in Select(page.find_element(By.ID, "model")).options]
    assert flux not in chat_models and "dall-e-3" not in chat_models
    Select(page.find_element(By.ID, "image-model")).select_by_value(flux)
    prompt = page.find_element(By.ID, "image-prompt")
    prompt.clear()
    prompt.send_keys("A lighthouse in the console")
    page.find_element(By.ID, "image-send").send_keys(Keys.ENTER)
    _wait(page, lambda d: _text(d, "image-status").startswith("Done"))
    image = page.find_element(By.ID, "image-result")
    assert image.is_displayed()
    assert page.execute_script("return arguments[0].naturalWidth", image) == 1024
    expected = httpx.post(
        f"{gateway.url}/v1/images/generations",
        headers={"Authorization": f"Bearer {gateway.api_key}"},
        json={
            "model": flux,
            "prompt": "A lighthouse in the console",
            "response_format": "b64_json",
        },
        timeout=30,
    ).json()
    src = image.get_attribute("src")
    assert src == f"data:image/jpeg;base64,{expected['data'][0]['b64_json']}"
    assert _text(page, "image-status") == f"Done · {flux} · 1024x1024 jpeg"
    _screenshot(page, "docs-console-image")
    assert _severe(page) == []


def test_console_explains_a_size_the_model_cannot_make(page: WebDriver, gateway: Any) -> None:
    _enter_key(page, gateway.api_key)
    Select(page.find_element(By.ID, "image-size")).select_by_value("512x512")
    page.find_element(By.ID, "image-send").send_keys(Keys.ENTER)
    _wait(page, lambda d: d.find_element(By.ID, "image-error").is_displayed())
    assert "size" in _text(page, "image-error")
    assert not page.find_element(By.ID, "image-result").is_displayed()


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "whole"])
def test_console_speaks_anthropics_messages_api(
    page: WebDriver, gateway: Any, emulator: Any, stream: bool
) -> None:
    _enter_key(page, gateway.api_key)
    Select(page.find_element(By.ID, "api")).select_by_value("messages")
    Select(page.find_element(By.ID, "model")).select_by_value("gpt-4o-mini")
    _send(page, "Hello from the Messages console", stream=stream)
    _wait(page, _finished)
    system = page.find_element(By.ID, "system").get_property("value")
    expected = httpx.post(
        f"{gateway.url}/v1/messages",
        headers={"x-api-key": gateway.api_key},
        json={
            "model": "gpt-4o-mini",
            "max_tokens": 1024,
            "system": system,
            "messages": [{"role": "user", "content": "Hello from the Messages console"}],
        },
        timeout=30,
    ).json()
    thinking, text = expected["content"]
    assert _text(page, "answer") == text["text"]
    reasoning = page.find_element(By.ID, "reasoning").get_property("textContent")
    assert reasoning == thinking["thinking"]
    status = _text(page, "answer-status")
    assert status.startswith("Done") and "end_turn" in status
    usage = expected["usage"]
    assert f"{usage['input_tokens']} + {usage['output_tokens']} tokens" in status
    run = upstream_runs(emulator)[0]
    assert run["body"]["messages"][0] == {"role": "system", "content": system}
    assert run["body"]["max_tokens"] == 1024


# --- the operator view ------------------------------------------------------------------------


@pytest.fixture
def keys_page(
    browser: WebDriver, start_keys_gateway: Any, emulator: Any
) -> Iterator[tuple[WebDriver, Any]]:
    """The docs page of a gateway with named keys (on its own SQLite file and clock)."""
    with start_keys_gateway() as server:
        _viewport(browser, *DESKTOP)
        browser.get(f"{server.url}/")
        browser.execute_script("sessionStorage.clear()")
        browser.get(f"{server.url}/")
        _wait(browser, lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))
        browser.get_log("browser")
        yield browser, server


def _bars(driver: WebDriver) -> dict[str, int]:
    bars = driver.find_elements(By.CSS_SELECTOR, "#usage-chart g.bar")
    return {bar.get_attribute("data-day"): int(bar.get_attribute("data-tokens")) for bar in bars}


@pytest.mark.parametrize("keys_backend", ["sqlite"], indirect=True)
def test_an_operator_sees_the_keys_and_their_usage_per_day(
    keys_page: tuple[WebDriver, Any], emulator: Any, clock: Any
) -> None:
    page, server = keys_page
    alice, _ = mint_key(server, name="alice", rpm=60, models=["gpt-4o"])
    bob, _ = mint_key(server, name="bob", monthly_token_budget=100_000)
    chat = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    for key in (alice, alice, bob):
        assert post(server, "/v1/chat/completions", chat, key=key).status_code == 200
    usage_rows(server)  # written (on the 15th) before the clock moves on
    clock.advance(86400)
    assert post(server, "/v1/chat/completions", chat, key=bob).status_code == 200
    tokens = [
        r["usage"]["prompt_tokens"] + r["usage"]["completion_tokens"]
        for r in upstream_runs(emulator)
    ]

    assert not page.find_element(By.ID, "keys").is_displayed()
    _enter_key(page, server.api_key)
    _wait(page, lambda d: d.find_element(By.ID, "keys").is_displayed())
    _wait(page, lambda d: len(_bars(d)) == 16)
    rows = {
        row.text.split("\n")[0]: row.text
        for row in page.find_elements(By.CSS_SELECTOR, "#key-rows tr")
    }
    assert set(rows) == {"alice", "bob"}
    assert "60 rpm" in rows["alice"] and "gpt-4o" in rows["alice"]
    assert "100,000 tokens a month" in rows["bob"]
    bars = _bars(page)
    assert list(bars) == [f"2026-12-{day:02d}" for day in range(1, 17)]
    assert bars["2026-12-15"] == sum(tokens[:3])
    assert bars["2026-12-16"] == tokens[3]
    assert sum(bars.values()) == sum(tokens)
    assert "4 requests" in _text(page, "usage-summary")

    Select(page.find_element(By.ID, "usage-key")).select_by_visible_text("alice")
    _wait(page, lambda d: _bars(d)["2026-12-16"] == 0)
    assert _bars(page)["2026-12-15"] == sum(tokens[:2])
    _screenshot(page, "docs-keys-desktop")
    _viewport(page, *PHONE)
    assert page.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]
    _screenshot(page, "docs-keys-phone")
    _viewport(page, *DESKTOP)

    _enter_key(page, alice)  # a named key: no operator view, and no admin call
    _wait(page, lambda d: not d.find_element(By.ID, "keys").is_displayed())
    assert not page.find_element(By.ID, "nav-keys").is_displayed()
    assert _severe(page) == []
