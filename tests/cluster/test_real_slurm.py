"""`watcloud status` and `watcloud quota list` against a real slurmctld (tests/slurmlab.py),
not hand-written command output: the drained, down, not-responding and reserved states below
are SLURM's own.

What stays hand-written in the other cluster tests, because a one-machine SLURM cannot show it:
GPUs and `gres/gpu` allocations (no GPU here), `gres/tmpdisk` (needs a GRES plugin with real
disks), nodes in FAIL/FAILING/INVAL/REBOOT states, `ALL_NODES` reservations, a cgroup-v2
limited job (the container has no cgroup plugin), and a slurmctld that hangs or prints
garbage (the timeout and parse-error paths).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import watcloud_exe
from tests.slurmlab import SlurmLab

MACHINE_INFO = {
    "machines": {
        "slurm_compute_nodes": [{"name": n} for n in ("n1", "n2", "n3", "n4", "n5")],
        "slurm_login_nodes": [],
    }
}


def config(tmp_path: Path) -> Path:
    info = tmp_path / "machine-info.json"
    info.write_text(json.dumps(MACHINE_INFO))
    cfg = tmp_path / "cluster.yaml"
    cfg.write_text(f"machine_info_url: file://{info}\ncache_ttl: 0\nsource_timeout: 20\n")
    return cfg


def test_status_shows_the_real_node_states_and_reservations(
    slurm: SlurmLab, tmp_path: Path, run_watcloud: Any
) -> None:
    cfg = config(tmp_path)
    slurm.wait_not_responding("n5")
    # n2 in maintenance now; an outage reserved later on n1 (as `watcloud outage reserve` does)
    slurm.run("scontrol", "create", "reservation", "reservationname=firmware", "starttime=now",
              "duration=60", "nodes=n2", "flags=maint,ignore_jobs", "users=root")  # fmt: skip
    slurm.run("scontrol", "create", "reservation", "reservationname=outage-2601",
              "starttime=now+3hours", "duration=120", "nodes=n1", "flags=maint,ignore_jobs",
              "users=root")  # fmt: skip
    r = run_watcloud("status", "-o", "json", "-c", str(cfg), env=slurm.env)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    state = {m["name"]: m["state"] for m in out["machines"]}
    assert state == {
        "n1": "up",
        "n2": "maintenance",
        "n3": "degraded",  # drained by `scontrol update state=drain`
        "n4": "down",  # State=DOWN, never answers
        "n5": "down",  # never answered: UNKNOWN*
    }
    slurm_of = {m["name"]: m["slurm"] for m in out["machines"]}
    # scontrol appends who drained it and when: "disk replacement [root@2026-12-03T05:19:05]"
    assert slurm_of["n3"]["reason"].startswith("disk replacement [root@")
    assert slurm_of["n5"]["state"] == "UNKNOWN+NOT_RESPONDING"
    assert slurm_of["n1"]["partitions"] == ["compute", "small"]
    upcoming = {u["reservation"]: u for u in out["upcoming_maintenance"]}
    assert list(upcoming) == ["outage-2601"] and upcoming["outage-2601"]["nodes"] == ["n1"]
    n1 = next(m for m in out["machines"] if m["name"] == "n1")
    assert n1["maintenance"]["reservation"] == "outage-2601"

    text = run_watcloud("status", "-c", str(cfg), env={**slurm.env, "COLUMNS": "200"})
    assert text.returncode == 0, text.stderr
    assert "SLURM IDLE+DRAIN: disk replacement [root@" in text.stdout
    assert "SLURM UNKNOWN+NOT_RESPONDING" in text.stdout
    (line,) = [ln for ln in text.stdout.splitlines() if ln.startswith("  outage-2601")]
    assert line.endswith("  n1 (power outage, PlantOps notice 2601)")


def test_status_reads_reservation_times_right_whatever_the_local_zone(
    slurm: SlurmLab, tmp_path: Path, run_watcloud: Any
) -> None:
    """scontrol prints local times without a zone; a UTC container must not shift them."""
    start = datetime.now(ZoneInfo("America/Toronto")).replace(microsecond=0, second=0)
    start += timedelta(hours=3)
    slurm.run("scontrol", "create", "reservation", "reservationname=outage-9",
              f"starttime={start:%Y-%m-%dT%H:%M:%S}", "duration=60", "nodes=n1",
              "flags=maint,ignore_jobs", "users=root")  # fmt: skip
    for tz in ("UTC", "Asia/Tokyo", "America/Toronto"):
        r = run_watcloud("status", "-o", "json", "-c", str(config(tmp_path)),
                         env={**slurm.env, "TZ": tz})  # fmt: skip
        assert r.returncode == 0, r.stderr
        (res,) = json.loads(r.stdout)["upcoming_maintenance"]
        assert datetime.fromisoformat(res["start"]) == start, tz


def test_quota_list_inside_a_real_job(slurm: SlurmLab, tmp_path: Path) -> None:
    cfg = config(tmp_path)
    out = tmp_path / "quota.json"
    jid = slurm.run(
        "sbatch", "--parsable", "-p", "small", "-c", "2", "--mem=512", "-t", "5",
        f"--output={out}", "--wrap", f"{watcloud_exe()} quota list -o json -c {cfg}",
    ).strip()  # fmt: skip
    deadline = time.monotonic() + 60
    while slurm.run("squeue", "-j", jid, "--noheader", check=False).strip():
        assert time.monotonic() < deadline, out.read_text() if out.exists() else "no output"
        time.sleep(0.3)
    rows = {r["resource"]: r for r in json.loads(out.read_text())["rows"]}
    assert rows["cpu"]["limit"] == 2
    assert rows["memory"]["limit"] == 512 * 2**20
    assert rows["cpu"]["source"].startswith(f"SLURM job {jid}")
