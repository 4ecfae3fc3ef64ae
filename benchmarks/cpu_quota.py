"""A CPU quota for child processes through a Linux cgroup, for `make bench`: Lambda's CPU share.

Lambda gives a function CPU in proportion to its memory, one vCPU at 1,769 MB (AWS Lambda
Developer Guide, "Configuring Lambda function memory"), so 512 MB is about 0.29 of a core.
`cpu_quota(share)` makes a cgroup whose processes together get at most `share` of one CPU per
scheduler period (CFS bandwidth control), and removes it afterwards. It uses cgroup v2 when a
v2 hierarchy offers the cpu controller (`cpu.max` = "<quota> <period>", after enabling `cpu` in
the root's `cgroup.subtree_control`), else the v1 cpu hierarchy (`cpu.cfs_quota_us`,
`cpu.cfs_period_us`). A process joins it from its first instruction by being started through
`CpuQuota.argv`: a shell that writes its own pid into `cgroup.procs` and then execs the command.

Needs root and a writable cgroup filesystem with the cpu controller; where that is missing,
`CpuQuotaUnavailable` says which.

    with cpu_quota(lambda_cpu_share(512), "bench-cpu") as quota:
        subprocess.run(quota.argv(["python3", "-c", "..."]))
        print(quota.describe(), quota.stat()["nr_throttled"])
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LAMBDA_MB_PER_VCPU = 1769
"""Memory (MB) at which Lambda gives a function one full vCPU; its CPU scales linearly with it."""
PERIOD_US = 100_000
"""The CFS bandwidth period (µs): the kernel's default; the quota is `share` of it."""
JOIN_AND_EXEC = 'echo $$ > "$1" && shift && exec "$@"'
"""/bin/sh script: move this shell into the cgroup whose cgroup.procs is $1, then exec the rest."""


class CpuQuotaUnavailable(Exception):
    """No cgroup can limit the CPU on this machine; the message says why."""


def lambda_cpu_share(memory_mb: int) -> float:
    """The share of one CPU Lambda gives a function of `memory_mb` MB (1.0 at 1,769 MB)."""
    return memory_mb / LAMBDA_MB_PER_VCPU


@dataclass(frozen=True)
class CpuQuota:
    """A cgroup holding its processes to `share` of one CPU: `path` is its directory, `version`
    the cgroup version (1 or 2)."""

    share: float
    path: Path
    version: int

    @property
    def quota_us(self) -> int:
        """CPU time (µs) the cgroup may use per period of PERIOD_US."""
        return max(1000, round(self.share * PERIOD_US))  # the kernel's minimum quota is 1 ms

    def argv(self, argv: list[str]) -> list[str]:
        """`argv` started through /bin/sh, which joins the cgroup and execs it (same pid): the
        command and whatever it starts run under the quota from their first instruction."""
        procs = str(self.path / "cgroup.procs")
        return ["/bin/sh", "-c", JOIN_AND_EXEC, "join-cgroup", procs, *argv]

    def stat(self) -> dict[str, int]:
        """The cgroup's cpu.stat so far: nr_periods, nr_throttled (periods in which it ran out of
        quota), and throttled_time (ns, v1) or throttled_usec and usage_usec (v2)."""
        lines = (self.path / "cpu.stat").read_text().splitlines()
        return {key: int(value) for key, value in (line.split() for line in lines)}

    def describe(self) -> str:
        """The mechanism in one line: the cgroup and the values written."""
        if self.version == 2:
            return f'cgroup v2: {self.path}/cpu.max = "{self.quota_us} {PERIOD_US}"'
        return (
            f"cgroup v1: {self.path}/cpu.cfs_quota_us = {self.quota_us}, "
            f"cpu.cfs_period_us = {PERIOD_US}"
        )


def cgroup_mounts() -> list[tuple[str, Path, set[str]]]:
    """The cgroup filesystems mounted here: (type, mount point, mount options), from
    /proc/self/mounts; type is "cgroup2" or "cgroup" (v1, one hierarchy per mount)."""
    try:
        text = Path("/proc/self/mounts").read_text()
    except OSError:
        return []
    mounts = []
    for line in text.splitlines():
        _, point, kind, options, *_ = line.split()
        if kind in {"cgroup", "cgroup2"}:
            mounts.append((kind, Path(point), set(options.split(","))))
    return mounts


def choose_hierarchy() -> tuple[int, Path]:
    """(version, root) of the hierarchy to use: a cgroup v2 mount whose root offers the cpu
    controller, else a v1 mount of the cpu controller. Raises CpuQuotaUnavailable when neither
    exists, naming what was found."""
    mounts = cgroup_mounts()
    found = []
    for kind, point, _ in mounts:
        if kind == "cgroup2":
            controllers = (point / "cgroup.controllers").read_text().split()
            if "cpu" in controllers:
                return 2, point
            found.append(f"cgroup v2 at {point} without the cpu controller ({controllers})")
    for kind, point, options in mounts:
        if kind == "cgroup" and "cpu" in options:
            return 1, point
    found.append("no cgroup v1 hierarchy with the cpu controller")
    raise CpuQuotaUnavailable("; ".join(found) if mounts else "no cgroup filesystem is mounted")


def create(version: int, root: Path, name: str, share: float) -> CpuQuota:
    """Make the cgroup `root/name` and set its quota (the cpu controller must be enabled for the
    children of `root` on v2); OSError when the kernel refuses, with nothing left behind."""
    quota = CpuQuota(share, root / name, version)
    quota.path.mkdir()
    try:
        if version == 2:
            (quota.path / "cpu.max").write_text(f"{quota.quota_us} {PERIOD_US}")
        else:
            (quota.path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (quota.path / "cpu.cfs_quota_us").write_text(str(quota.quota_us))
    except OSError:
        quota.path.rmdir()
        raise
    return quota


def remove(path: Path) -> None:
    """Remove the cgroup once its processes are gone (they may take a moment to leave it)."""
    deadline = time.monotonic() + 5
    while True:
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as error:
            if time.monotonic() > deadline:
                print(f"could not remove the cgroup {path}: {error.strerror}", file=sys.stderr)
                return
            time.sleep(0.05)


@contextlib.contextmanager
def cpu_quota(share: float, name: str) -> Iterator[CpuQuota]:
    """A cgroup named `name` at the root of the hierarchy, limiting its processes to `share` of
    one CPU, removed when the block ends (it must have no processes left by then). Raises
    CpuQuotaUnavailable, before the block runs, when it cannot be made: not root, no cpu
    controller, or the kernel refused (read-only cgroup filesystem, controller busy)."""
    if os.geteuid() != 0:
        raise CpuQuotaUnavailable(f"not root (uid {os.geteuid()}): making a cgroup needs root")
    version, root = choose_hierarchy()
    subtree = root / "cgroup.subtree_control"
    enable_cpu = version == 2 and "cpu" not in subtree.read_text().split()
    try:
        try:
            if enable_cpu:
                subtree.write_text("+cpu")
            quota = create(version, root, name, share)
        except OSError as error:
            where = error.filename or root
            raise CpuQuotaUnavailable(f"cgroup v{version}: {where}: {error.strerror}") from error
        try:
            yield quota
        finally:
            remove(quota.path)
    finally:
        if enable_cpu:  # as it was, unless other cgroups have come to use the controller
            with contextlib.suppress(OSError):
                subtree.write_text("-cpu")
