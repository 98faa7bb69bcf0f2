"""End to end: the installed `watcloud quota list` with a cgroup tree, fake tools and a
loopback machine-info."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.cgtree import SESSION, USER, make_tree
from tests.cluster.conftest import FakeSite, serve_text, write_config
from tests.cluster.test_quota import QUOTA_OVER, SMI
from watcloud.cluster.quota import NVIDIA_ARGS

pytestmark = pytest.mark.integration


def test_text_and_json(run_watcloud: Any, tmp_path: Path, fake_bin: Path) -> None:
    serve_text(fake_bin, "quota", {"--no-wrap": QUOTA_OVER}, code=1)  # quota exits 1 when over
    serve_text(fake_bin, "nvidia-smi", {" ".join(NVIDIA_ARGS[1:]): SMI})
    sysfs, proc = make_tree(
        tmp_path / "cg",
        SESSION,
        {
            USER: {
                "cpu.max": "200000 100000",
                "memory.max": "8589934592",
                "memory.current": "6442450944",
            }
        },
    )
    cfg = write_config(
        tmp_path, None, sysfs_root=sysfs, proc_root=proc, home=tmp_path, cpu_sample_seconds=0
    )
    out = run_watcloud("quota", "list", "-c", str(cfg), env={"COLUMNS": "200"})
    assert out.returncode == 0, out.stderr
    memory = next(line for line in out.stdout.splitlines() if line.lstrip().startswith("memory"))
    assert "6.0 GiB" in memory and "8.0 GiB" in memory and "75.0%" in memory
    assert "2.00 cores" in out.stdout
    assert "/dev/mapper/vg-scratch" in out.stdout
    data = json.loads(run_watcloud("quota", "list", "-c", str(cfg), "-o", "json").stdout)
    rows = {r["resource"]: r for r in data["rows"]}
    assert rows["memory"]["percent"] == 75.0 and rows["memory"]["limit"] == 8 * 2**30
    assert rows["cpu"]["used"] is None and rows["cpu"]["percent"] is None  # not sampled
    assert rows["disk: /dev/mapper/vg-scratch"]["used"] == 1100000 * 1024
    assert rows["gpu 1 memory (NVIDIA GeForce RTX 3090)"]["used"] == 0
    assert set(rows["cpu"]) == {
        "resource",
        "used",
        "limit",
        "unlimited",
        "unit",
        "percent",
        "source",
    }


def test_login_node_fallback_from_loopback_machine_info(
    run_watcloud: Any, site: FakeSite, tmp_path: Path, fake_bin: Path
) -> None:
    sysfs, proc = make_tree(tmp_path / "cg", SESSION, {USER: {"memory.current": "1073741824"}})
    cfg = write_config(
        tmp_path, site, sysfs_root=sysfs, proc_root=proc, home=tmp_path, hostname="login1",
        cpu_sample_seconds=0,
    )  # fmt: skip
    data = json.loads(run_watcloud("quota", "list", "-c", str(cfg), "-o", "json").stdout)
    rows = {r["resource"]: r for r in data["rows"]}
    assert rows["cpu"]["limit"] == 1.5
    assert rows["memory"]["percent"] == 25.0
    assert rows["memory"]["source"] == "machine-info (login node login1) + cgroup usage"
    # the home quota the cluster publishes, usage unknown here (not CephFS): never a percentage
    disk = rows["disk: home"]
    assert disk["limit"] == 20 * 2**30 and disk["used"] is None and disk["percent"] is None
    assert disk["source"] == "machine-info global_user_disk_quotas (ceph)"
    text = run_watcloud("quota", "list", "-c", str(cfg)).stdout
    assert "no quota found" not in text and "20.0 GiB" in text


def test_quota_without_subcommand_shows_usage(run_watcloud: Any) -> None:
    proc = run_watcloud("quota")
    assert proc.returncode == 2 and "list" in proc.stdout + proc.stderr
