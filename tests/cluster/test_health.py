"""Roll-up and parsing of healthchecks.io checks and machine-info (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cluster.data import check, checks_payload, machine_info_payload
from watcloud.cluster.health import (
    Check,
    SourceDataError,
    checks_by_host,
    parse_checks,
    parse_machine_info,
    parse_tags,
    rollup,
)


def _c(status: str) -> Check:
    return Check("h", "x", status, True, None)


def test_parse_tags_keeps_key_values_and_ignores_bare_words() -> None:
    tags = parse_tags("_terraform_provisioned host=wato-x check=ceph-health public=True")
    assert tags == {"host": "wato-x", "check": "ceph-health", "public": "True"}


@pytest.mark.parametrize(
    ("statuses", "state", "failing"),
    [
        (["up", "up"], "up", 0),
        (["up", "grace"], "up", 0),
        (["down", "down"], "down", 2),
        (["up", "down"], "degraded", 1),
        (["grace", "down", "paused"], "degraded", 1),
        (["down", "paused"], "down", 1),
        (["new", "paused"], "unknown", 0),
        ([], "unknown", 0),
    ],
)
def test_rollup(statuses: list[str], state: str, failing: int) -> None:
    got_state, got_failing = rollup(_c(s) for s in statuses)
    assert got_state == state
    assert len(got_failing) == failing


def test_parse_checks_reads_host_name_public_and_last_ping() -> None:
    checks, notes = parse_checks(checks_payload())
    assert notes == []
    beta = [c for c in checks if c.host == "beta-slurm1"]
    assert {(c.name, c.status) for c in beta} == {
        ("slurm-schedulable", "down"),
        ("cluster-connection", "up"),
    }
    down = next(c for c in beta if c.status == "down")
    assert down.last_ping is not None and down.last_ping.isoformat() == "2026-11-24T16:10:00+00:00"
    private = [c for c in checks if not c.public]
    assert {c.host for c in private} == {"login1", "storage1"}


def test_public_filter_and_all() -> None:
    checks, _ = parse_checks(checks_payload())
    public = checks_by_host(checks, show_all=False)
    everything = checks_by_host(checks, show_all=True)
    assert len(public["storage1"]) == 1 and len(everything["storage1"]) == 2
    assert rollup(public["storage1"])[0] == "up"
    assert rollup(everything["storage1"])[0] == "degraded"


def test_check_name_falls_back_to_name_without_host_prefix() -> None:
    item = check("node9", "disk")
    item["tags"] = "host=node9 public=True"
    (c,), _ = parse_checks({"checks": [item]})
    assert c.name == "disk"


def test_check_without_host_tag_is_kept_but_belongs_to_no_host() -> None:
    item = check("node9", "disk")
    item["tags"] = "public=True"
    checks, _ = parse_checks({"checks": [item]})
    assert checks[0].host is None
    assert checks_by_host(checks, show_all=True) == {}


@pytest.mark.parametrize("payload", [[], {"checks": {}}, {"nope": []}, "text", None])
def test_parse_checks_rejects_wrong_shape(payload: Any) -> None:
    with pytest.raises(SourceDataError):
        parse_checks(payload)


def test_parse_checks_skips_garbled_items_with_a_note() -> None:
    good = check("a", "b")
    bad_ping = {**check("a", "c"), "last_ping": "yesterday"}
    checks, notes = parse_checks({"checks": [good, 42, {"name": "x", "status": 3}, bad_ping]})
    assert [c.name for c in checks] == ["b", "c"]
    assert checks[1].last_ping is None
    assert len(notes) == 3 and "yesterday" in notes[2]


def test_parse_machine_info_roles() -> None:
    machines = parse_machine_info(machine_info_payload())
    roles = {m.name: m.role for m in machines}
    assert roles["alpha-slurm1"] == "compute"
    assert roles["login2"] == "login"
    assert roles["storage1"] == "other"
    assert len(machines) == 7


@pytest.mark.parametrize(
    "payload",
    [{}, {"machines": []}, {"machines": {"x": {}}}, {"machines": {"x": [{"nom": "a"}]}}, 7],
)
def test_parse_machine_info_rejects_wrong_shape(payload: Any) -> None:
    with pytest.raises(SourceDataError):
        parse_machine_info(payload)
