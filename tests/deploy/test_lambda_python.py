"""scripts/lambda_python.sh, through which `sam build` finds a Python 3.13 to precompile the
bundle with: python3.13 on PATH or pyenv's 3.13, and a warning (not a failure) with neither."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import ROOT

SCRIPT = ROOT / "scripts" / "lambda_python.sh"


def run(bin_dir: Path) -> subprocess.CompletedProcess:
    path = os.pathsep.join([str(bin_dir), "/usr/bin", "/bin"])
    return subprocess.run(
        ["sh", str(SCRIPT)], capture_output=True, text=True, check=False, env={"PATH": path}
    )


def script(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)


def test_without_a_python_313_the_build_is_warned_of_a_slower_cold_start(tmp_path):
    # A pyenv shim that answers for another version only, and a pyenv with no 3.13: the machine
    # of a user whose pyenv holds 3.11 and 3.12.
    script(tmp_path / "python3.13", "echo 'pyenv: python3.13: command not found' >&2; exit 127")
    script(tmp_path / "pyenv", 'case "$1" in versions) printf "3.11.7\\n3.12.1\\n";; esac')
    result = run(tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "no Python 3.13 found" in result.stderr
    assert "cold start" in result.stderr


def test_pyenv_s_313_is_found_when_its_shim_does_not_answer(tmp_path):
    # pyenv's 3.13 stands in for this test's own interpreter, whatever its version: the script
    # must take what `PYENV_VERSION=3.13.x pyenv which python3.13` names and probe it.
    script(tmp_path / "python3.13", "exit 127")
    fake = tmp_path / "versions" / "python3.13"
    fake.parent.mkdir()
    script(fake, f'exec {sys.executable} -c "print(\\"{fake}\\")"')
    script(
        tmp_path / "pyenv",
        'case "$1" in versions) printf "3.12.1\\n3.13.0\\n";; '
        f'which) [ "$PYENV_VERSION" = 3.13.0 ] && echo {fake};; esac',
    )
    result = run(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(fake)
