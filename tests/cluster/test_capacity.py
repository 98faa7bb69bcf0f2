"""`watcloud slurm capacity`: free resources from `scontrol show node` and `squeue` output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.conftest import serve_text, write_config, write_exe
from tests.cluster.slurm_text import capacity_nodes
from watcloud.cluster import capacity

PENDING = "compute\ncompute,debug\ncompute\n"


def test_free_resources_per_node_and_partition() -> None:
    cap = capacity.capacity(capacity_nodes(), capacity.parse_pending(PENDING))
    nodes = {n.name: n for n in cap.nodes}
    alpha = nodes["alpha-slurm1"]
    assert (alpha.cpus_free, alpha.mem_free_mib, alpha.gpus_free) == (4, 52000, 0)
    assert alpha.usable
    assert not nodes["beta-slurm1"].usable
    assert nodes["beta-slurm1"].why_not == (
        "IDLE+DRAIN: nvidia-smi gpu temp=95C [root@2026-11-24T09:12:00]"
    )
    assert not nodes["gamma-slurm1"].usable
    assert nodes["eps-slurm1"].why_not == "IDLE+MAINT+RESERVED (maint, reserved)"
    parts = {p.name: p.as_json() for p in cap.partitions}
    assert parts["compute"]["usable_nodes"] == 2 and parts["compute"]["nodes"] == 5
    assert parts["compute"]["cpus_free"] == 4 + 16 and parts["compute"]["gpus_free"] == 4
    assert parts["compute"]["pending_jobs"] == 3 and parts["debug"]["pending_jobs"] == 1
    # the largest one-node job: delta (4 GPUs, 16 CPUs), not the sum over nodes
    assert parts["compute"]["can_start_now"] == {
        "node": "delta-slurm1", "cpus": 16, "memory_mib": 64000, "gpus": 4,
    }  # fmt: skip
    lines = capacity.summary_lines(cap)
    assert lines[0] == (
        "compute: a one-node job of up to 16 CPUs, 62.5 GiB and 4 GPU(s) can start now on "
        "delta-slurm1; 3 job(s) pending there"
    )


def test_nothing_can_start() -> None:
    from tests.cluster.slurm_text import _node

    text = _node("a1", "ALLOCATED", None, alloc=16) + "\n" + _node("a2", "DOWN", "dead") + "\n"
    cap = capacity.capacity(text, {})
    assert capacity.summary_lines(cap) == [
        "compute: nothing can start now (no node takes new jobs)"
    ]
    assert cap.nodes[0].why_not == "all CPUs allocated"


@pytest.mark.integration
def test_cli_text_and_json(run_watcloud: Any, fake_bin: Path, tmp_path: Path) -> None:
    serve_text(fake_bin, "scontrol", {"show node --oneliner": capacity_nodes()})
    serve_text(fake_bin, "squeue", {" ".join(capacity.SQUEUE_PENDING_ARGS[1:]): PENDING})
    cfg = write_config(tmp_path, None)
    data = json.loads(run_watcloud("slurm", "capacity", "-c", str(cfg), "-o", "json").stdout)
    assert [p["name"] for p in data["partitions"]] == ["compute", "debug"]
    assert data["partitions"][1]["can_start_now"]["node"] == "delta-slurm1"
    assert data["notes"] == []
    proc = run_watcloud("slurm", "capacity", "-c", str(cfg), "--nodes", env={"COLUMNS": "200"})
    assert proc.returncode == 0, proc.stderr
    assert "Can start now:" in proc.stdout and "16 CPUs" in proc.stdout
    assert "all CPUs" not in proc.stdout and "maint, reserved" in proc.stdout
    assert all(line == line.rstrip() for line in proc.stdout.splitlines())


@pytest.mark.integration
def test_cli_squeue_failing_and_scontrol_missing(
    run_watcloud: Any, fake_bin: Path, tmp_path: Path
) -> None:
    serve_text(fake_bin, "scontrol", {"show node --oneliner": capacity_nodes()})
    write_exe(fake_bin, "squeue", 'echo "squeue: error: Unable to contact slurm" >&2; exit 1\n')
    cfg = write_config(tmp_path, None)
    data = json.loads(run_watcloud("slurm", "capacity", "-c", str(cfg), "-o", "json").stdout)
    assert data["notes"] == ["pending jobs unknown (squeue failed)"]
    (fake_bin / "scontrol").unlink()
    proc = run_watcloud("slurm", "capacity", "-c", str(cfg))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "cannot read the SLURM nodes: scontrol: command not found" in proc.stderr
