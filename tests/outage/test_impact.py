"""Outage impact (machines by role, partition capacity, jobs cut, advice) and reservation
planning: the pure parts, with hand-written inventories."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from watcloud.outage import impact as imp
from watcloud.outage import reserve as rsv
from watcloud.outage.classify import DEFAULT_BUILDINGS

TZ = ZoneInfo("America/Toronto")
NOW = datetime(2027, 5, 1, 12, 0, tzinfo=TZ)
OFF = datetime(2027, 5, 9, 7, 0, tzinfo=TZ)
ON = datetime(2027, 5, 9, 13, 0, tzinfo=TZ)
BUILDINGS = {**DEFAULT_BUILDINGS, "E2": ["Engineering 2"]}

INFO = {
    "machines": {
        "slurm_compute_nodes": [
            {"name": "tr-slurm1", "location": "Carl A. Pollock Hall, room 3xxx"},
            {"name": "tr-slurm2", "location": "E2"},
        ],
        "slurm_login_nodes": [{"name": "login1", "location": "CPH"}],
        "bare_metals": [
            {"name": "nas1", "hosted_storage": [{"mountpoint": "/mnt/x"}], "location": "CPH"},
            {"name": "misc1"},
        ],
    }
}
NODES = {
    "tr-slurm1": imp.SlurmNode("tr-slurm1", 32, ("compute", "gpu")),
    "tr-slurm2": imp.SlurmNode("tr-slurm2", 32, ("compute",)),
    "n9": imp.SlurmNode("n9", 64, ("compute",)),
}


def inventory() -> imp.Inventory:
    info, notes = imp.machines_from_info(INFO, BUILDINGS)
    assert notes == []
    return imp.build_inventory(
        config_machines={"CPH": ["n9"]}, roles={"misc1": "other"}, info_machines=info, nodes=NODES
    )


def test_cph_names_exactly_the_machines_mapped_to_cph() -> None:
    impact = imp.affected(inventory(), ["CPH"], campus_wide=False)
    assert impact.by_role() == {
        "compute": ["n9", "tr-slurm1"],
        "login": ["login1"],
        "storage": ["nas1"],
    }
    assert impact.lines()[:3] == ["Compute: n9, tr-slurm1", "Login: login1", "Storage: nas1"]
    by_part = {p.name: p for p in impact.partitions}
    assert (by_part["compute"].cpus_lost, by_part["compute"].cpus_total) == (96, 128)
    assert by_part["compute"].share == 0.75
    assert by_part["gpu"].share == 1.0
    assert impact.lines()[3] == (
        "SLURM partition compute: loses 75% of its CPUs (96 of 128; 2 of 3 nodes)"
    )


def test_campus_wide_takes_every_machine_and_unmapped_building_falls_back() -> None:
    inv = inventory()
    everything = imp.affected(inv, [], campus_wide=True)
    assert {m.name for m in everything.machines} == set(inv.machines)
    nothing = imp.affected(inv, ["DWE"], campus_wide=False)
    assert nothing.machines == [] and nothing.unmapped == ["DWE"]
    assert nothing.lines(["All machines in the CPH server room"]) == [
        "All machines in the CPH server room"
    ]


def test_machine_info_shape_errors_are_notes_or_one_error() -> None:
    with pytest.raises(ValueError, match="machines"):
        imp.machines_from_info({"nodes": []}, BUILDINGS)
    machines, notes = imp.machines_from_info(
        {"machines": {"slurm_compute_nodes": [{"nom": "x"}], "odd": {}}}, BUILDINGS
    )
    assert machines == [] and len(notes) == 2


def test_jobs_cut_per_partition() -> None:
    impact = imp.affected(inventory(), ["CPH"], campus_wide=False)

    def job(jid: str, state: str, start: datetime, hours: float, nodes: tuple[str, ...]) -> imp.Job:
        return imp.Job(jid, "compute", state, start, start + timedelta(hours=hours), nodes)

    jobs = [
        job("1", "RUNNING", NOW, 24 * 9, ("tr-slurm1",)),  # runs past the power-off: cut
        job("2", "RUNNING", NOW, 1, ("tr-slurm1",)),  # ends in time
        job("3", "RUNNING", NOW, 24 * 9, ("tr-slurm2",)),  # E2: not affected
        job("4", "PENDING", OFF - timedelta(hours=2), 4, ()),  # could start, then be cut
        job("5", "PENDING", ON + timedelta(hours=1), 4, ()),  # held until after
    ]
    (risk,) = imp.jobs_at_risk(jobs, impact, OFF, ON)
    assert [j.id for j in risk.running] == ["1"]
    assert [j.id for j in risk.pending] == ["4"]
    assert [j.id for j in risk.held] == ["5"]
    text = imp.advice(
        impact, [risk], power_off=OFF, reserved_from=OFF - timedelta(hours=1), now=NOW,
        data_note="",
    )  # fmt: skip
    assert "Partition compute: 1 running job(s) end after the power goes off" in text
    assert "sbatch --time=7-17:59:00" in text  # ends before the reservation (06:00)
    assert "Storage on nas1 is unreachable" in text


def test_time_limit_before() -> None:
    assert imp.time_limit_before(NOW, NOW + timedelta(hours=2)) == "01:59:00"
    assert imp.time_limit_before(NOW, NOW + timedelta(seconds=30)) is None


# ---- reservations -------------------------------------------------------------------------


def outage(key: str = "plantops:2601", **kw: object) -> rsv.Outage:
    base: dict[str, object] = {
        "key": key,
        "relevant": True,
        "cancelled": False,
        "buildings": ("CPH",),
        "campus_wide": False,
        "windows": ((OFF, ON),),
    }
    base.update(kw)
    return rsv.Outage(**base)  # type: ignore[arg-type]


def want(o: rsv.Outage, nodes: tuple[str, ...] = ("n1", "n2"), now: datetime = NOW) -> list:
    h = timedelta(hours=1)
    return rsv.wanted(o, nodes, now=now, margin_before=h, margin_after=h, unknown_end=12 * h)


def test_reservation_plan_create_noop_update_delete() -> None:
    o = outage()
    (w,) = want(o)
    assert (w.name, w.start, w.end) == (
        "outage-2601",
        OFF - timedelta(hours=1),
        ON + timedelta(hours=1),
    )
    (create,) = rsv.plan([w], [], [o.key], now=NOW)
    assert create.op == "create"
    assert rsv.plan([w], [w], [o.key], now=NOW) == []  # second run: nothing
    moved = outage(windows=((OFF + timedelta(hours=2), ON + timedelta(hours=2)),))
    (update,) = rsv.plan(want(moved), [w], [o.key], now=NOW)
    assert update.op == "update" and update.why == "changed: start, end"
    (delete,) = rsv.plan(want(outage(cancelled=True)), [w], [o.key], now=NOW)
    assert delete.op == "delete" and delete.name == "outage-2601"
    # not ours (another notice, another name): left alone
    other = rsv.Reservation("outage-26010", w.start, w.end, w.nodes)
    assert rsv.plan([], [other, w], ["plantops:2601"], now=NOW)[0].name == "outage-2601"
    assert len(rsv.plan([], [other, w], ["plantops:2601"], now=NOW)) == 1


def test_reservation_windows_names_and_edges() -> None:
    two = outage(windows=((OFF, ON), (OFF + timedelta(days=1), ON + timedelta(days=1))))
    assert [w.name for w in want(two)] == ["outage-2601", "outage-2601-2"]
    assert want(outage(), nodes=()) == []  # no SLURM node affected
    assert want(outage(relevant=False)) == []
    assert want(outage(), now=ON + timedelta(hours=2)) == []  # over
    (unknown,) = want(outage(windows=((OFF, OFF),)))
    assert unknown.end == OFF + timedelta(hours=13)
    assert rsv.base_name("mail:<abc@x>").startswith("outage-mail-")
    # an active reservation whose start passed is not "moved" to a start in the past
    (w,) = want(outage(), now=OFF)
    started = rsv.Reservation(w.name, OFF - timedelta(minutes=30), w.end, w.nodes)
    assert rsv.plan([w], [started], ["plantops:2601"], now=OFF) == []


# ---- bad input through the command ----------------------------------------------------------


def test_reserve_without_a_reachable_slurm_is_one_line_exit_2(tmp_path, run_watcloud) -> None:  # type: ignore[no-untyped-def]
    notice = tmp_path / "n.txt"
    notice.write_text(
        "Electrical Shutdown, CPH\n\nWhere is this happening?\n\nCarl A. Pollock Hall\n\n"
        "What is happening?\n\nElectrical shutdown.\n\nWhen is this happening?\n\n"
        "May 9, 2027, 7:00 a.m. to 1:00 p.m.\n"
    )
    cfg = tmp_path / "o.yaml"
    info = tmp_path / "nope.json"
    cfg.write_text(f"impact: {{machines: {{CPH: [n1]}}, machine_info: {info}, slurm_timeout: 3}}\n")
    env = {"SLURM_CONF": str(tmp_path / "missing-slurm.conf")}
    r = run_watcloud("outage", "reserve", str(notice), "-c", str(cfg), env=env)
    assert r.returncode == 2
    (line,) = r.stderr.splitlines()
    assert line.startswith("watcloud outage: error: SLURM: `scontrol show node --oneliner` ")
    r = run_watcloud("outage", "reserve", "--id", "x", str(notice), "-c", str(cfg), env=env)
    assert r.returncode == 2 and "--id takes a number" in r.stderr
    # check still announces, falling back to the configured text, with notes on stderr
    r = run_watcloud("outage", "check", str(notice), "-c", str(cfg), "--posted", "2027-05-01",
                     env=env)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "  - Other: n1\n" in r.stdout  # mapped by the config; no SLURM to call it compute
    assert "note: machine-info unavailable" in r.stderr and "Traceback" not in r.stderr
