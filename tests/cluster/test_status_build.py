"""Combining machines, checks and SLURM into one state per machine (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.cluster.data import checks_payload, machine_info_payload
from tests.cluster.slurm_text import SINFO, scontrol_nodes, scontrol_reservations
from watcloud.cluster import slurm
from watcloud.cluster.health import parse_checks, parse_machine_info
from watcloud.cluster.status import SourceStatus, StatusReport, build_report, machine_state

NOW = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
OK = [SourceStatus("machine-info", True), SourceStatus("healthchecks", True)]


def report(*, with_slurm: bool = True, show_all: bool = False) -> StatusReport:
    checks, _ = parse_checks(checks_payload())
    nodes = reservations = None
    if with_slurm:
        nodes = slurm.merge_nodes(slurm.parse_sinfo(SINFO), slurm.parse_nodes(scontrol_nodes()))
        reservations = slurm.parse_reservations(scontrol_reservations(NOW))
    return build_report(
        now=NOW,
        machines=parse_machine_info(machine_info_payload()),
        checks=checks,
        nodes=nodes,
        reservations=reservations,
        sources=OK,
        show_all=show_all,
    )


def states(r: StatusReport) -> dict[str, str]:
    return {m.name: m.state for m in r.machines}


def test_health_only() -> None:
    assert states(report(with_slurm=False)) == {
        "alpha-slurm1": "up",
        "beta-slurm1": "degraded",
        "gamma-slurm1": "down",
        "delta-slurm1": "unknown",  # listed in machine-info, no checks: still shown
        "login1": "up",  # "grace" counts as up
        "login2": "unknown",
        "storage1": "up",  # its failing check is not public
        "monitor1": "up",  # only in health checks
    }


def test_all_includes_private_checks() -> None:
    assert states(report(with_slurm=False, show_all=True))["storage1"] == "degraded"


def test_slurm_maintenance_and_reasons() -> None:
    r = report()
    s = states(r)
    assert s["delta-slurm1"] == "maintenance"
    assert s["gamma-slurm1"] == "down"
    assert s["beta-slurm1"] == "degraded"
    by = {m.name: m for m in r.machines}
    delta = by["delta-slurm1"]
    assert delta.maintenance is not None and delta.maintenance.name == "maint-now"
    assert delta.maintenance.reason == "Ceph upgrade"
    # alpha is up but has an upcoming window; the non-MAINT reservation is not maintenance
    alpha = by["alpha-slurm1"]
    assert alpha.state == "up"
    assert alpha.maintenance is not None and alpha.maintenance.name == "maint-later"
    assert [u.name for u in r.upcoming] == ["maint-later"]
    assert by["beta-slurm1"].slurm is not None
    assert by["beta-slurm1"].slurm.reason == (
        "Kernel upgrade pending: gpu temp=95C [root@2026-11-24T09:12:00]"
    )


def test_unlisted_hosts_are_shown_and_named() -> None:
    r = report(with_slurm=False)
    monitor = next(m for m in r.machines if m.name == "monitor1")
    assert monitor.role == "unlisted"
    assert any("monitor1" in n and "machine-info" in n for n in r.notes)


def test_order_is_by_role_then_name() -> None:
    names = [m.name for m in report(with_slurm=False).machines]
    assert names == [
        "alpha-slurm1", "beta-slurm1", "delta-slurm1", "gamma-slurm1",
        "login1", "login2", "storage1", "monitor1",
    ]  # fmt: skip


def test_json_shape() -> None:
    data = report().as_json()
    assert set(data) >= {"generated_at", "machines"}
    delta = next(m for m in data["machines"] if m["name"] == "delta-slurm1")
    assert set(delta) == {"name", "role", "state", "checks", "slurm", "maintenance"}
    assert delta["maintenance"]["active"] is True
    assert delta["maintenance"]["start"].startswith("2026-11-24T12:00:00-05:00")
    alpha = next(m for m in data["machines"] if m["name"] == "alpha-slurm1")
    assert alpha["checks"][0] == {
        "name": "slurm-schedulable", "status": "up", "last_ping": "2026-11-24T17:59:01+00:00",
        "last_ping_age_seconds": 59,
    }  # fmt: skip
    assert alpha["slurm"]["state"] == "MIXED"


def test_machine_state_rules() -> None:
    idle = slurm.NodeState("n", "IDLE")
    drained = slurm.NodeState("n", "IDLE+DRAIN")
    down = slurm.NodeState("n", "DOWN")
    maint_flag = slurm.NodeState("n", "IDLE+MAINT")
    assert machine_state("unknown", idle, None) == "up"
    assert machine_state("unknown", None, None) == "unknown"
    assert machine_state("up", drained, None) == "degraded"
    assert machine_state("degraded", down, None) == "down"
    assert machine_state("down", idle, None) == "down"
    assert machine_state("up", maint_flag, None) == "maintenance"


def test_no_sources_at_all_gives_empty_report() -> None:
    failed = [
        SourceStatus("machine-info", False, "boom"),
        SourceStatus("slurm", False, skipped=True),
    ]
    r = build_report(
        now=NOW, machines=[], checks=None, nodes=None, reservations=None, sources=failed
    )
    assert r.machines == []
    assert [s.name for s in r.failed_sources] == ["machine-info"]


def test_checks_without_host_tag_are_named_in_a_note() -> None:
    checks, _ = parse_checks(
        {"checks": [{"name": "backup-job", "status": "down", "tags": "public=True"}]}
    )
    r = build_report(now=NOW, machines=[], checks=checks, nodes=None, reservations=None, sources=OK)
    assert r.machines == []
    assert r.notes == ["1 health check(s) carry no host= tag and are not shown: backup-job"]


def test_reservation_on_all_nodes_covers_slurm_nodes_only() -> None:
    text = (
        "ReservationName=all-maint StartTime=2026-11-24T12:00:00 EndTime=2026-11-24T14:00:00 "
        "Duration=02:00:00 Nodes=ALL NodeCnt=4 Flags=MAINT,IGNORE_JOBS,ALL_NODES State=ACTIVE\n"
    )
    r = build_report(
        now=NOW,
        machines=parse_machine_info(machine_info_payload()),
        checks=None,
        nodes=slurm.parse_nodes(scontrol_nodes()),
        reservations=slurm.parse_reservations(text),
        sources=OK,
    )
    s = states(r)
    assert {s[n] for n in ("alpha-slurm1", "beta-slurm1", "gamma-slurm1", "delta-slurm1")} == {
        "maintenance"
    }
    assert s["login1"] == "unknown"  # not a SLURM node: the reservation does not cover it


def test_ages_as_people_read_them() -> None:
    from datetime import timedelta

    from watcloud.cluster.render import ago, machine_details

    cases = {
        timedelta(seconds=20): "just now",
        timedelta(minutes=3, seconds=10): "3 min ago",
        timedelta(hours=1, minutes=50): "1 h 50 min ago",
        timedelta(hours=26): "26 h ago",
        timedelta(days=4, hours=3): "4 days ago",
        timedelta(minutes=-5): "in 5 min",
    }
    assert {d: ago(NOW - d, NOW) for d in cases} == cases
    beta = next(m for m in report(with_slurm=False).machines if m.name == "beta-slurm1")
    # the failing check's last ping: the timestamp and, beside it, how long ago
    assert "slurm-schedulable down (last ping 2026-11-24 11:10 EST (1 h 50 min ago))" in (
        machine_details(beta, NOW)
    )
    (check,) = [c for c in beta.as_json(NOW)["checks"] if c["status"] == "down"]
    assert check["last_ping_age_seconds"] == 6600
