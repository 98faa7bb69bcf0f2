"""cgroup v2 limits and usage from a tree in a temporary directory (configurable roots)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cluster.cgtree import SESSION, USER, cpu_stat, make_tree
from watcloud.cluster import cgroup


def test_chain_stops_at_user_slice_or_job() -> None:
    assert cgroup.chain(SESSION) == [SESSION, USER]
    job = "/system.slice/slurmstepd.scope/job_42/step_0/user/task_0"
    assert cgroup.chain(job)[-1] == "/system.slice/slurmstepd.scope/job_42"
    assert cgroup.chain("/process_api/abc") == ["/process_api/abc", "/process_api"]
    assert cgroup.chain("/") == []


@pytest.mark.parametrize(
    ("text", "cores"),
    [("200000 100000", 2.0), ("max 100000", None), ("50000 100000", 0.5), ("", None)],
)
def test_parse_cpu_max(text: str, cores: float | None) -> None:
    assert cgroup.parse_cpu_max(text) == cores


class FakeTime:
    """A clock and a sleep that moves it, rewriting cpu.stat as if work was done."""

    def __init__(self, stat: Path, usage_after: int) -> None:
        self.t = 100.0
        self.stat, self.usage_after = stat, usage_after
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds
        self.stat.write_text(cpu_stat(self.usage_after))


def test_tightest_limit_and_usage(tmp_path: Path) -> None:
    sysfs, proc = make_tree(
        tmp_path,
        SESSION,
        {
            USER: {
                "cpu.max": "200000 100000\n",
                "memory.max": "8589934592\n",
                "memory.current": "1073741824\n",
                "cpu.stat": cpu_stat(5_000_000),
            },
            SESSION: {"cpu.max": "max 100000\n", "memory.max": "max\n", "memory.current": "1\n"},
        },
    )
    t = FakeTime(sysfs / "fs/cgroup" / USER.strip("/") / "cpu.stat", 5_000_000 + 375_000)
    got = cgroup.read_limits(sysfs, proc, sample_seconds=0.25, sleep=t.sleep, clock=t.clock)
    assert got.cpu_limit == 2.0 and got.memory_limit == 8 * 2**30
    assert got.memory_used == 2**30  # where the limit is set, not the session's
    assert got.cpu_used == pytest.approx(1.5)  # 0.375 s of CPU in 0.25 s
    assert got.path == USER
    assert t.slept == [0.25]


def test_inner_limit_wins_when_tighter(tmp_path: Path) -> None:
    sysfs, proc = make_tree(
        tmp_path,
        SESSION,
        {
            USER: {"cpu.max": "400000 100000", "memory.max": "max"},
            SESSION: {"cpu.max": "100000 100000", "memory.max": "1000", "memory.current": "500"},
        },
    )
    got = cgroup.read_limits(sysfs, proc, sample_seconds=0)
    assert got.cpu_limit == 1.0 and got.memory_limit == 1000 and got.memory_used == 500
    assert got.cpu_used is None  # no sample taken


def test_no_limits_anywhere(tmp_path: Path) -> None:
    sysfs, proc = make_tree(tmp_path, SESSION, {USER: {"memory.current": "42"}})
    got = cgroup.read_limits(sysfs, proc, sample_seconds=0)
    assert got.cpu_limit is None and got.memory_limit is None and got.memory_used == 42


def test_unavailable_cases(tmp_path: Path) -> None:
    (tmp_path / "p1/self").mkdir(parents=True)
    (tmp_path / "p1/self/cgroup").write_text("4:memory:/x\n1:cpu:/\n")
    with pytest.raises(cgroup.CgroupUnavailable, match="cgroup v1 only"):
        cgroup.read_limits(tmp_path, tmp_path / "p1")
    with pytest.raises(cgroup.CgroupUnavailable, match="cannot read"):
        cgroup.read_limits(tmp_path, tmp_path / "nowhere")
    (tmp_path / "p2/self").mkdir(parents=True)
    (tmp_path / "p2/self/cgroup").write_text("0::/user.slice/user-5.slice\n")
    with pytest.raises(cgroup.CgroupUnavailable, match="not found under"):
        cgroup.read_limits(tmp_path / "nosys", tmp_path / "p2")
