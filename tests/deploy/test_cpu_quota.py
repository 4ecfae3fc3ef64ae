"""benchmarks/cpu_quota.py on this machine's own cgroups: a process started through the quota's
argv runs in the cgroup, is held to its share (the kernel throttles it), and the cgroup is gone
afterwards; without root it says so instead. Skips where no cgroup CPU quota can be made."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.cpu_quota import CpuQuota, CpuQuotaUnavailable, cpu_quota, lambda_cpu_share

ROOT = Path(__file__).resolve().parents[2]
NOBODY = 65534


@pytest.fixture
def quota() -> Iterator[CpuQuota]:
    """A cgroup at a tenth of a CPU, or a skip naming why there can be none here."""
    try:
        with cpu_quota(0.1, f"test-cpu-quota-{os.getpid()}") as made:
            yield made
    except CpuQuotaUnavailable as error:
        pytest.skip(f"no cgroup CPU quota here: {error}")


def test_lambda_gives_one_cpu_at_1769_mb_and_proportionally_less_below():
    assert lambda_cpu_share(1769) == 1.0
    assert lambda_cpu_share(512) == pytest.approx(0.2894, abs=1e-4)


def test_a_command_started_through_the_quota_runs_in_its_cgroup(quota):
    out = subprocess.run(
        quota.argv([sys.executable, "-c", "print(open('/proc/self/cgroup').read())"]),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert any(line.endswith(f"/{quota.path.name}") for line in out.splitlines()), out


def test_the_cgroup_is_made_with_the_quota_and_removed_afterwards():
    try:
        with cpu_quota(0.25, f"test-cpu-quota-{os.getpid()}") as made:
            assert made.path.is_dir()
            written = "cpu.max" if made.version == 2 else "cpu.cfs_quota_us"
            assert (made.path / written).read_text().split()[0] == "25000"
    except CpuQuotaUnavailable as error:
        pytest.skip(f"no cgroup CPU quota here: {error}")
    assert not made.path.exists()


def test_a_busy_command_is_throttled_to_the_share(quota):
    # 50 ms of CPU at 10 ms per 100 ms period cannot finish without being throttled.
    busy = "import time\nwhile time.process_time() < 0.05: pass"
    subprocess.run(quota.argv([sys.executable, "-c", busy]), check=True)
    assert quota.stat()["nr_throttled"] >= 1


@pytest.mark.skipif(os.geteuid() != 0, reason="this user is the one that is not root")
def test_without_root_it_says_why_there_is_no_quota():
    # The interpreter lives under /root: load the module first, then become nobody.
    code = (
        "import os\n"
        "from benchmarks.cpu_quota import CpuQuotaUnavailable, cpu_quota\n"
        f"os.setgroups([]); os.setgid({NOBODY}); os.setuid({NOBODY})\n"
        "try:\n    cpu_quota(0.5, 'test-not-root').__enter__()\n"
        "except CpuQuotaUnavailable as error:\n    print(error)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.startswith(f"not root (uid {NOBODY})"), out
