"""Maintenance reservations and outage impact against a real slurmctld (tests/slurmlab.py).

The notices are written for a window a few hours from now, so SLURM's own scheduler decides
what may start before it."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tests.slurmlab import SlurmLab
from watcloud.outage.config import OutageConfig
from watcloud.outage.oncluster import ClusterView
from watcloud.outage.parse import parse_text
from watcloud.outage.slurmctl import parse_time

TZ = ZoneInfo("America/Toronto")
CONFIG = """\
impact:
  machines:
    CPH: [n1, n2, n4, cph-login1, cph-nas]
    E2: [n3, n5]
  roles: {cph-login1: login, cph-nas: storage}
email: {to: []}
state_db: %s
"""


def _hm(d: datetime) -> str:
    return d.strftime("%-I:%M ") + ("a.m." if d.hour < 12 else "p.m.")


def notice(start: datetime, end: datetime, *, cancelled: bool = False, nid: int = 77) -> str:
    title = f"Electrical Shutdown, {start:%A, %B %-d, %Y}, CPH"
    what = "Electrical shutdown. Normal power will be off."
    if cancelled:
        title = "CANCELLED: " + title
        what = "This electrical shutdown has been cancelled."
    return (
        f"{title}\n\nWhere is this happening?\n\nCarl A. Pollock Hall\n\n"
        f"What is happening?\n\n{what}\n\nWhen is this happening?\n\n"
        f"{start:%B %-d, %Y}, {_hm(start)} to {_hm(end)}\n\n"
        f"View online: https://plantops.uwaterloo.ca/service-interruptions/notice.php?ID={nid}\n"
    )


def soon(hours: int = 3) -> datetime:
    """A whole hour `hours` from now, in Toronto (the power-off time of the test notices)."""
    return datetime.now(TZ).replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours)


def reservations(lab: SlurmLab) -> dict[str, dict[str, str]]:
    out = {}
    for line in lab.run("scontrol", "show", "reservation", "--oneliner").splitlines():
        if line.startswith("ReservationName="):
            rec = dict(w.split("=", 1) for w in line.split() if "=" in w)
            out[rec["ReservationName"]] = rec
    return out


def setup(tmp_path: Path, off: datetime) -> tuple[Path, Path]:
    """(config, notice file for a 2-hour outage from `off`)."""
    cfg = tmp_path / "outage.yaml"
    cfg.write_text(CONFIG % (tmp_path / "state.db"))
    f = tmp_path / "notice.txt"
    f.write_text(notice(off, off + timedelta(hours=2)))
    return cfg, f


def test_reserve_plan_apply_noop_revise_cancel(
    slurm: SlurmLab, tmp_path: Path, run_watcloud: Any
) -> None:
    off = soon(3)
    cfg, f = setup(tmp_path, off)
    today = off.date().isoformat()

    def reserve(*extra: str) -> Any:
        r = run_watcloud(
            "outage", "reserve", str(f), "-c", str(cfg), "--posted", today, *extra, env=slurm.env
        )
        assert r.returncode == 0, r.stdout + r.stderr
        return r

    plan = reserve()
    assert plan.stdout.startswith("create outage-77 ")
    assert "(plan only" in plan.stdout
    assert reservations(slurm) == {}  # a plan changes nothing
    reserve("--apply")
    res = reservations(slurm)["outage-77"]
    assert parse_time(res["StartTime"]) == off - timedelta(hours=1)
    assert parse_time(res["EndTime"]) == off + timedelta(hours=3)
    assert res["Nodes"] == "n[1-2,4]"  # exactly the CPH nodes
    assert "MAINT" in res["Flags"].split(",")
    again = reserve("--apply", "-o", "json")
    assert json.loads(again.stdout)["actions"] == []
    assert reservations(slurm)["outage-77"] == res  # the second run changed nothing

    f.write_text(notice(off + timedelta(hours=1), off + timedelta(hours=4)))  # revised
    revised = reserve("--apply")
    assert revised.stdout.startswith("update outage-77 ")
    res = reservations(slurm)["outage-77"]
    assert parse_time(res["StartTime"]) == off
    assert parse_time(res["EndTime"]) == off + timedelta(hours=5)

    f.write_text(notice(off + timedelta(hours=1), off + timedelta(hours=4), cancelled=True))
    assert reserve("--apply").stdout.startswith("delete outage-77 ")
    assert reservations(slurm) == {}
    assert reserve("--apply").stdout.strip() == "nothing to change"


def test_a_job_crossing_the_reservation_does_not_start_inside_it(
    slurm: SlurmLab, tmp_path: Path, run_watcloud: Any
) -> None:
    off = soon(3)
    cfg, f = setup(tmp_path, off)
    r = run_watcloud(
        "outage", "reserve", str(f), "-c", str(cfg), "--posted", off.date().isoformat(),
        "--apply", env=slurm.env,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    reserved = reservations(slurm)["outage-77"]
    start, end = parse_time(reserved["StartTime"]), parse_time(reserved["EndTime"])
    assert start is not None and end is not None
    # partition small = n1, n2, both reserved; the time limit (3 h) runs into the reservation
    long_id = slurm.run("sbatch", "--parsable", "-p", "small", "-t", "180", "--output=/dev/null",
                        "--wrap", "sleep 600").strip()  # fmt: skip
    short_id = slurm.run("sbatch", "--parsable", "-p", "small", "-t", "20", "--output=/dev/null",
                         "--wrap", "sleep 600").strip()  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        jobs = {
            line.split("|")[0]: line.split("|")
            for line in slurm.run("squeue", "--noheader", "--format=%i|%T|%S|%r").splitlines()
        }
        # wait for the backfill scheduler to have placed the long job (its expected start)
        if jobs[short_id][1] == "RUNNING" and parse_time(jobs[long_id][2]) is not None:
            break
        assert time.monotonic() < deadline, jobs
        time.sleep(0.5)
    _, state, expected_start, reason = jobs[long_id]
    assert state == "PENDING"
    assert "Reserved for maintenance" in reason
    begins = parse_time(expected_start)
    assert begins is not None and begins >= end  # SLURM holds it until after the outage


def test_announcement_for_cph_names_the_cph_machines_and_the_jobs_cut(
    slurm: SlurmLab, tmp_path: Path, run_watcloud: Any
) -> None:
    off = soon(3)
    cfg, f = setup(tmp_path, off)
    # a job already running on a CPH node, whose time limit passes the power-off
    jid = slurm.run("sbatch", "--parsable", "-p", "small", "-w", "n1", "-t", "600",
                    "--output=/dev/null", "--wrap", "sleep 600").strip()  # fmt: skip
    deadline = time.monotonic() + 30
    while "RUNNING" not in slurm.run("squeue", "-j", jid, "--noheader", "--format=%T"):
        assert time.monotonic() < deadline
        time.sleep(0.3)
    r = run_watcloud("outage", "check", str(f), "-c", str(cfg), "--posted",
                     off.date().isoformat(), "-o", "json", env=slurm.env)  # fmt: skip
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["impact"]["machines"] == {
        "compute": ["n1", "n2", "n4"],
        "login": ["cph-login1"],
        "storage": ["cph-nas"],
    }
    shares = {p["partition"]: p["share_lost"] for p in out["impact"]["partitions"]}
    # compute: n1, n2 (2 CPUs each) and n4 (4) of 2+2+2+4+4 = 14 CPUs; small: all of it
    assert shares == {"compute": round(8 / 14, 4), "small": 1.0}
    assert out["impact"]["jobs"] == [
        {"partition": "small", "running_cut": [jid], "pending_at_risk": [], "pending_held": []}
    ]
    machines = out["announcement"]["machines_affected"]
    assert machines[:3] == ["Compute: n1, n2, n4", "Login: cph-login1", "Storage: cph-nas"]
    assert not any(n in " ".join(machines) for n in ("n3", "n5"))
    info = out["announcement"]["additional_info"]
    assert "Partition small: 1 running job(s) end after the power goes off." in info
    assert "sbatch --time=" in info


def test_watcher_keeps_the_reservation_in_step(slurm: SlurmLab, tmp_path: Path) -> None:
    from tests.outage.test_watcher import Recorder
    from watcloud.core.config import parse_config
    from watcloud.outage.state import State
    from watcloud.outage.watch import Watcher

    cfg = parse_config(
        OutageConfig, CONFIG % (tmp_path / "state.db") + "reserve: {enabled: true}\n", "cfg"
    )

    class Keep(Recorder):
        def __init__(self) -> None:
            super().__init__()
            self.anns: list[Any] = []

        def items(self, ann: Any, base_id: str, channel: str, **kw: Any) -> Any:
            self.anns.append(ann)
            return super().items(ann, base_id, channel, **kw)

    state = State(cfg.db_path())
    rec = Keep()
    w = Watcher(cfg, state, rec)  # type: ignore[arg-type]
    off = soon(4)
    w.run([("plantops:88", parse_text(notice(off, off + timedelta(hours=2), nid=88)))])
    res = reservations(slurm)
    assert list(res) == ["outage-88"] and res["outage-88"]["Nodes"] == "n[1-2,4]"
    assert rec.sent and all(status == "scheduled" for _, status, _ in rec.sent)
    ann = rec.anns[0]
    assert ann.machines_affected[:3] == ["Compute: n1, n2, n4", "Login: cph-login1",
                                         "Storage: cph-nas"]  # fmt: skip
    # reserved before it was announced, so the announcement names the reservation's start
    start = parse_time(res["outage-88"]["StartTime"])
    assert start is not None
    assert f"SLURM maintenance reservation from {start:%Y-%m-%d %H:%M} ET" in ann.additional_info
    text = parse_text(notice(off, off + timedelta(hours=2), nid=88, cancelled=True))
    w.run([("plantops:88", text)])
    assert reservations(slurm) == {}
    assert [status for _, status, _ in rec.sent][-1] == "cancelled"
    state.close()


def test_view_reads_the_real_inventory(slurm: SlurmLab) -> None:
    view = ClusterView(OutageConfig())
    inv = view.inventory()
    assert {n: inv.nodes[n].cpus for n in inv.nodes} == {
        "n1": 2, "n2": 2, "n3": 2, "n4": 4, "n5": 4
    }  # fmt: skip
    assert inv.nodes["n1"].partitions == ("compute", "small")
    assert view.notes == []


def test_machine_info_down_keeps_reservations_as_they_are(
    slurm: SlurmLab, tmp_path: Path, run_watcloud: Any
) -> None:
    off = soon(3)
    _, f = setup(tmp_path, off)
    info = tmp_path / "machine-info.json"  # here the building map comes from machine-info only
    info.write_text(json.dumps({"machines": {"slurm_compute_nodes": [
        {"name": "n1", "location": "CPH"}, {"name": "n2", "location": "Carl A. Pollock Hall"},
        {"name": "n3", "location": "E2"}]}}))  # fmt: skip
    cfg = tmp_path / "info.yaml"
    cfg.write_text(f"impact: {{machine_info: {info}}}\nstate_db: {tmp_path / 's.db'}\n")
    args = ("outage", "reserve", str(f), "-c", str(cfg), "--posted", off.date().isoformat())
    assert run_watcloud(*args, "--apply", env=slurm.env).returncode == 0
    before = reservations(slurm)
    assert before["outage-77"]["Nodes"] == "n[1-2]"
    info.unlink()  # machine-info cannot be read: no node would map to CPH
    r = run_watcloud(*args, "--apply", env=slurm.env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "nothing to change"
    assert "plantops:77: machine-info unavailable; its reservations are kept as is" in r.stderr
    assert reservations(slurm) == before


def test_reserve_from_the_watchers_state_campus_wide_and_cph(
    slurm: SlurmLab, tmp_path: Path, run_watcloud: Any
) -> None:
    from tests.outage.test_watcher import Recorder
    from watcloud.core.config import parse_config
    from watcloud.outage.state import State
    from watcloud.outage.watch import Watcher

    off = soon(5)
    cfg_file, _ = setup(tmp_path, off)
    cfg = parse_config(OutageConfig, cfg_file.read_text(), str(cfg_file))
    campus = (
        notice(off, off + timedelta(hours=2), nid=92)
        .replace("Carl A. Pollock Hall", "All main campus buildings")
        .replace(", CPH\n", ", campus-wide\n")
        .replace("Normal power will be off.", "Normal power will be off in all campus buildings.")
    )
    state = State(cfg.db_path())
    w = Watcher(cfg, state, Recorder())  # type: ignore[arg-type]
    w.run([
        ("plantops:91", parse_text(notice(off, off + timedelta(hours=1), nid=91))),
        ("plantops:92", parse_text(campus)),
        ("plantops:93", parse_text(notice(off, off + timedelta(hours=1), nid=93).replace(
            "Carl A. Pollock Hall", "Davis Centre").replace(", CPH\n", ", DC\n"))),
    ])  # fmt: skip
    r = run_watcloud("outage", "reserve", "-c", str(cfg_file), "--apply", env=slurm.env)
    assert r.returncode == 0, r.stderr
    res = reservations(slurm)
    assert {name: rec["Nodes"] for name, rec in res.items()} == {
        "outage-91": "n[1-2,4]",  # CPH
        "outage-92": "n[1-5]",  # campus-wide: every node
    }  # (93 is in another building: not relevant, nothing reserved)
    w.run([("plantops:91", parse_text(notice(off, off + timedelta(hours=1), nid=91,
                                              cancelled=True)))])  # fmt: skip
    state.close()
    r = run_watcloud("outage", "reserve", "-c", str(cfg_file), "--apply", env=slurm.env)
    assert r.stdout.startswith("delete outage-91 "), r.stdout + r.stderr
    assert list(reservations(slurm)) == ["outage-92"]
