"""cgroup v2 limits and usage for this process's user (or SLURM job), read from a
configurable root (`/proc` and `/sys` by default, a temporary tree in tests)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

_STOP = re.compile(r"^(user-\d+\.slice|job_\d+)$")


class CgroupUnavailable(Exception):
    """No cgroup v2 hierarchy for this process (cgroup v1 only, or files missing)."""


@dataclass(frozen=True)
class CgroupLimits:
    path: str  # the cgroup the figures come from, e.g. /user.slice/user-1000.slice
    cpu_limit: float | None  # cores (quota / period); None: no limit on the way up
    cpu_used: float | None  # cores in use, averaged over the sample; None: unknown
    memory_limit: int | None  # bytes
    memory_used: int | None  # bytes


def own_cgroup(proc_root: Path) -> str:
    """The unified-hierarchy path from `<proc>/self/cgroup` (the `0::` line)."""
    try:
        text = (proc_root / "self" / "cgroup").read_text()
    except OSError as exc:
        raise CgroupUnavailable(f"cannot read {proc_root}/self/cgroup: {exc.strerror}") from None
    for line in text.splitlines():
        if line.startswith("0::"):
            return line[3:].strip() or "/"
    raise CgroupUnavailable("no cgroup v2 entry in /proc/self/cgroup (cgroup v1 only)")


def chain(cgroup: str) -> list[str]:
    """Cgroup paths from `cgroup` up to (and including) `user-UID.slice` or `job_N`,
    or up to the top level below the root when neither is on the way."""
    parts = [p for p in cgroup.strip("/").split("/") if p]
    stop = next((i for i in range(len(parts) - 1, -1, -1) if _STOP.match(parts[i])), 0)
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts) - 1, stop - 1, -1)]


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def parse_cpu_max(text: str | None) -> float | None:
    """`"200000 100000"` -> 2.0 cores; `"max 100000"` -> None."""
    if not text:
        return None
    quota, _, period = text.partition(" ")
    if quota == "max":
        return None
    try:
        return int(quota) / int(period or "100000")
    except (ValueError, ZeroDivisionError):
        return None


def parse_int(text: str | None) -> int | None:
    if text is None or text == "max":
        return None
    try:
        return int(text)
    except ValueError:
        return None


def usage_usec(directory: Path) -> int | None:
    text = _read(directory / "cpu.stat")
    for line in (text or "").splitlines():
        key, _, value = line.partition(" ")
        if key == "usage_usec":
            return parse_int(value)
    return None


def read_limits(
    sysfs_root: Path,
    proc_root: Path,
    *,
    sample_seconds: float = 0.25,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> CgroupLimits:
    """The tightest CPU and memory limits on the way up, and usage where they are set."""
    base = sysfs_root / "fs" / "cgroup"
    paths = chain(own_cgroup(proc_root))
    if not paths:
        raise CgroupUnavailable("this process is in the root cgroup: no per-user limits")
    cpu_at = mem_at = None
    cpu_limit: float | None = None
    mem_limit: int | None = None
    found_any = False
    for path in paths:
        d = base / path.lstrip("/")
        if not d.is_dir():
            continue
        found_any = True
        cpu = parse_cpu_max(_read(d / "cpu.max"))
        if cpu is not None and (cpu_limit is None or cpu < cpu_limit):
            cpu_limit, cpu_at = cpu, path
        mem = parse_int(_read(d / "memory.max"))
        if mem is not None and (mem_limit is None or mem < mem_limit):
            mem_limit, mem_at = mem, path
    if not found_any:
        raise CgroupUnavailable(f"cgroup {paths[0]} not found under {base}")
    top = paths[-1]
    cpu_dir = base / (cpu_at or top).lstrip("/")
    mem_dir = base / (mem_at or top).lstrip("/")
    cpu_used = None
    first = usage_usec(cpu_dir)
    if first is not None and sample_seconds > 0:
        t0 = clock()
        sleep(sample_seconds)
        second, t1 = usage_usec(cpu_dir), clock()
        if second is not None and t1 > t0:
            cpu_used = max(0.0, (second - first) / 1e6 / (t1 - t0))
    return CgroupLimits(
        path=mem_at or cpu_at or top,
        cpu_limit=cpu_limit,
        cpu_used=cpu_used,
        memory_limit=mem_limit,
        memory_used=parse_int(_read(mem_dir / "memory.current")),
    )
