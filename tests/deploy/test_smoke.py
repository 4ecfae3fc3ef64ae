"""scripts/smoke.py, the deploy-time smoke command, run as users run it against a real gateway
(on the emulator): it passes on a healthy gateway and fails loudly with a wrong key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "scripts" / "smoke.py"


def smoke(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SMOKE), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_smoke_passes_against_a_healthy_gateway(gateway):
    result = smoke("--base-url", gateway.url, "--api-key", gateway.api_key)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert sum(line.strip().startswith("PASS") for line in lines) == 11
    assert lines[-1] == "11 passed, 0 failed"


def test_smoke_accepts_the_openai_base_url_form(gateway):
    result = smoke("--base-url", f"{gateway.url}/v1/", "--api-key", gateway.api_key)

    assert result.returncode == 0, result.stdout + result.stderr


def test_smoke_fails_and_says_what_failed_with_a_wrong_key(gateway):
    result = smoke("--base-url", gateway.url, "--api-key", "sk-wrong")

    assert result.returncode == 1
    failed = [line for line in result.stdout.splitlines() if line.strip().startswith("FAIL")]
    assert any("models" in line and "401" in line for line in failed), result.stdout
    assert any(line.strip().startswith("PASS  health") for line in result.stdout.splitlines())
    assert result.stdout.splitlines()[-1].endswith("failed") and " 0 failed" not in result.stdout
