"""Parsing SLURM's output (pure) and running fake SLURM commands placed on PATH."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.cluster.conftest import serve_text, write_exe
from tests.cluster.slurm_text import NO_RESERVATIONS, SINFO, scontrol_nodes, scontrol_reservations
from watcloud.cluster import slurm
from watcloud.core.timez import CLUSTER_TZ

NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ("a1", ["a1"]),
        ("a[1-3]", ["a1", "a2", "a3"]),
        ("a[1,3-4],b", ["a1", "a3", "a4", "b"]),
        ("n[08-10]", ["n08", "n09", "n10"]),
        ("trpro-slurm[1-2],thor-slurm1", ["trpro-slurm1", "trpro-slurm2", "thor-slurm1"]),
        ("r[1-2]-n[1-2]", ["r1-n1", "r1-n2", "r2-n1", "r2-n2"]),
        ("(null)", []),
    ],
)
def test_expand_hostlist(expr: str, names: list[str]) -> None:
    assert slurm.expand_hostlist(expr) == names


def test_expand_hostlist_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        slurm.expand_hostlist("a[x-y]")


def test_oneliner_values_with_spaces() -> None:
    rec = slurm.parse_oneliner("NodeName=n1 OS=Linux 5.15 #129-Ubuntu SMP Reason=Disk bad [a@b]")
    assert rec == {"NodeName": "n1", "OS": "Linux 5.15 #129-Ubuntu SMP", "Reason": "Disk bad [a@b]"}


def test_parse_nodes() -> None:
    nodes = slurm.parse_nodes(scontrol_nodes())
    assert set(nodes) == {"alpha-slurm1", "beta-slurm1", "gamma-slurm1", "delta-slurm1"}
    beta = nodes["beta-slurm1"]
    assert beta.state == "IDLE+DRAIN" and beta.verdict() == "degraded"
    assert beta.reason == "Kernel upgrade pending: gpu temp=95C [root@2026-11-24T09:12:00]"
    assert nodes["gamma-slurm1"].verdict() == "down"
    assert nodes["alpha-slurm1"].verdict() == "up"
    assert nodes["alpha-slurm1"].cpus_alloc == 4 and nodes["alpha-slurm1"].cpus_total == 16
    assert nodes["alpha-slurm1"].reason is None


def test_parse_sinfo_merges_partitions_and_reads_states() -> None:
    nodes = slurm.parse_sinfo(SINFO)
    assert nodes["delta-slurm1"].partitions == ("compute", "debug")
    assert nodes["gamma-slurm1"].verdict() == "down"  # "down*": not responding
    assert nodes["beta-slurm1"].verdict() == "degraded"
    assert nodes["beta-slurm1"].reason == "Kernel upgrade pending: gpu temp=95C"
    assert nodes["alpha-slurm1"].reason is None


def test_parse_sinfo_rejects_other_formats() -> None:
    with pytest.raises(ValueError):
        slurm.parse_sinfo("PARTITION AVAIL TIMELIMIT NODES STATE NODELIST\n")


def test_merge_prefers_scontrol_and_keeps_sinfo_only_nodes() -> None:
    sinfo = slurm.parse_sinfo(SINFO + "epsilon-slurm1|compute*|idle|none\n")
    merged = slurm.merge_nodes(sinfo, slurm.parse_nodes(scontrol_nodes()))
    assert merged["beta-slurm1"].state == "IDLE+DRAIN"
    assert merged["epsilon-slurm1"].state == "idle"


def test_parse_reservations_times_are_cluster_local() -> None:
    res = slurm.parse_reservations(scontrol_reservations(NOW))
    by = {r.name: r for r in res}
    now_maint = by["maint-now"]
    assert now_maint.maintenance and now_maint.active(NOW)
    assert now_maint.start == NOW - timedelta(hours=1)
    assert now_maint.start is not None and now_maint.start.tzinfo == CLUSTER_TZ
    assert now_maint.reason == "Ceph upgrade"
    later = by["maint-later"]
    assert later.nodes == ("alpha-slurm1", "alpha-slurm2")
    assert later.upcoming(NOW) and not later.active(NOW)
    assert not by["course-lab"].maintenance
    assert slurm.parse_reservations(NO_RESERVATIONS) == []


def test_parse_job_alloc_tres() -> None:
    text = (
        "JobId=4242 JobName=bash UserId=alice(1000) GroupId=alice(1000) JobState=RUNNING "
        "NumNodes=1 NumCPUs=4 NumTasks=1 CPUs/Task=4 "
        "ReqTRES=cpu=4,mem=8G,node=1,billing=4,gres/gpu=1,gres/tmpdisk=10240 "
        "AllocTRES=cpu=4,mem=8G,node=1,billing=4,gres/gpu=1,gres/tmpdisk=10240 "
        "TresPerNode=gres/gpu:1,gres/tmpdisk:10240 MinMemoryNode=8G\n"
    )
    job = slurm.parse_job(text)
    assert job == slurm.JobAllocation("4242", 4, 8192, 1, 10240)


def test_parse_job_old_format_tres_per_node() -> None:
    text = "JobId=7 NumCPUs=2 TRES=cpu=2,mem=512M,node=1 TresPerNode=gres:tmpdisk:2048\n"
    job = slurm.parse_job(text)
    assert job == slurm.JobAllocation("7", 2, 512, None, 2048)


@pytest.mark.parametrize(
    ("text", "mib"), [("8G", 8192), ("512M", 512), ("1024", 1024), ("1T", 1048576), ("x", None)]
)
def test_parse_mem(text: str, mib: int | None) -> None:
    assert slurm.parse_mem_mib(text) == mib


@pytest.mark.integration
def test_runner_calls_fake_commands_on_path(fake_bin: Path) -> None:
    serve_text(fake_bin, "scontrol", {"show node --oneliner": scontrol_nodes()})
    out = slurm.run(slurm.NODES_ARGS, timeout=5)
    assert "NodeName=alpha-slurm1" in out


@pytest.mark.integration
def test_runner_reports_failure_and_timeout(fake_bin: Path) -> None:
    write_exe(
        fake_bin, "sinfo", 'echo "sinfo: error: Unable to contact slurm controller" >&2; exit 1\n'
    )
    with pytest.raises(slurm.SlurmError, match="exited 1: sinfo: error: Unable to contact"):
        slurm.run(slurm.SINFO_ARGS, timeout=5)
    write_exe(fake_bin, "scontrol", "exec sleep 30\n")
    with pytest.raises(slurm.SlurmError, match=r"timed out after 0\.3 s"):
        slurm.run(slurm.NODES_ARGS, timeout=0.3)
    with pytest.raises(slurm.SlurmError, match="command not found"):
        slurm.run(("squeue",), timeout=1)


@pytest.mark.parametrize(
    ("tail", "reason", "rest"),
    [
        # Reason last, as `scontrol show node -o` prints it, with '=' and spaces inside
        (
            "Reason=nvidia-smi reported gpu temp=95C [root@2026-11-24T09:12:00]",
            "nvidia-smi reported gpu temp=95C [root@2026-11-24T09:12:00]",
            {},
        ),
        # a field SLURM prints after Reason ends it
        (
            "Reason=ecc errors=3 uncorrected [root@2026-11-24T09:12:00] Comment=see ticket x=1",
            "ecc errors=3 uncorrected [root@2026-11-24T09:12:00]",
            {"Comment": "see ticket x=1"},
        ),
        # no [user@time] stamp: runs to the next key SLURM itself prints
        ("Reason=limit mem=0 exceeded Extra=rack=4", "limit mem=0 exceeded", {"Extra": "rack=4"}),
    ],
)
def test_reason_runs_to_the_end_of_its_field(tail: str, reason: str, rest: dict[str, str]) -> None:
    line = "NodeName=n1 State=IDLE+DRAIN CfgTRES=cpu=16,mem=64000M,gres/gpu=1 " + tail
    rec = slurm.parse_oneliner(line)
    assert rec["Reason"] == reason
    assert rec["CfgTRES"] == "cpu=16,mem=64000M,gres/gpu=1"
    assert {
        k: v for k, v in rec.items() if k not in ("NodeName", "State", "CfgTRES", "Reason")
    } == rest
    assert slurm.parse_nodes(line)["n1"].reason == reason
