"""Config validation and the pure reconciler (no servers)."""

from __future__ import annotations

import pytest

from watcloud.core.config import parse_config
from watcloud.core.errors import ConfigError
from watcloud.dnsfailover.config import CheckConfig, DnsFailoverConfig
from watcloud.dnsfailover.reconcile import Change, Desired, Record, RRSetView, apply_to_view, plan

BASE = "provider: {kind: cloudflare, zone: Example.COM.}\nservices:\n"


def test_defaults_and_normalisation() -> None:
    cfg = parse_config(
        DnsFailoverConfig, BASE + "  - {fqdn: Svc.Example.com., hosts: [10.0.0.1]}\n", "t"
    )
    s = cfg.services[0]
    assert cfg.provider.zone == "example.com" and s.fqdn == "svc.example.com"
    assert (s.type, s.ttl, s.down_after, s.up_after, s.min_records) == ("A", 60, 3, 2, 1)
    assert (s.check.type, s.check.effective_port(), s.check.path) == ("http", 80, "/healthz")
    assert (s.check.timeout, s.check.interval) == (2.0, 10.0)
    assert s.host_header == s.sni == "svc.example.com"
    assert cfg.lock.kind == "file" and cfg.listen_addr() == ("127.0.0.1", 9153)
    assert CheckConfig(type="https").effective_port() == 443


@pytest.mark.parametrize(
    ("spec", "yes", "no"),
    [
        ([200], [200], [201, 302]),
        (["200-299"], [200, 250, 299], [199, 300]),
        (["2xx", 404], [204, 404], [301, 500]),
        (["301"], [301], [302]),
    ],
)
def test_status_specs(spec: list[int | str], yes: list[int], no: list[int]) -> None:
    check = CheckConfig(expected_status=spec)
    assert all(check.status_ok(s) for s in yes)
    assert not any(check.status_ok(s) for s in no)


@pytest.mark.parametrize(
    ("service", "message"),
    [
        ("{fqdn: a.example.com, hosts: []}", "at least 1 item"),
        ("{fqdn: a.example.com, hosts: [10.0.0.1, 10.0.0.1]}", "listed twice"),
        ("{fqdn: 'bad name.example.com', hosts: [10.0.0.1]}", "not a DNS name"),
        ("{fqdn: a.example.com, hosts: [10.0.0.1], check: {path: healthz}}", "must start with"),
        ("{fqdn: a.example.com, hosts: [10.0.0.1], check: {body_match: '('}}", "invalid regular"),
        (
            "{fqdn: a.example.com, hosts: [10.0.0.1], check: {timeout: 5, interval: 1}}",
            "timeout must not exceed interval",
        ),
        (
            "{fqdn: a.example.com, hosts: [10.0.0.1], check: {expected_status: ['300-200']}}",
            "empty range",
        ),
        ("{fqdn: a.example.com, hosts: [10.0.0.1], down_after: 0}", "greater than or equal to 1"),
    ],
)
def test_invalid_services(service: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(DnsFailoverConfig, BASE + f"  - {service}\n", "t")


def test_duplicate_services_and_listen() -> None:
    with pytest.raises(ConfigError, match="listed twice"):
        parse_config(
            DnsFailoverConfig, BASE + "  - {fqdn: a.example.com, hosts: [10.0.0.1]}\n" * 2, "t"
        )
    with pytest.raises(ConfigError, match="expected host:port"):
        parse_config(
            DnsFailoverConfig,
            BASE + "  - {fqdn: a.example.com, hosts: [10.0.0.1]}\nlisten: nowhere\n",
            "t",
        )


K = ("a.example.com", "A")


def rec(content: str, owned: bool = True, ttl: int = 60, rid: str | None = None) -> Record:
    return Record(K[0], K[1], content, ttl, owned, rid)


def test_plan_smallest_change_creates_first() -> None:
    view = RRSetView(*K, (rec("10.0.0.1"), rec("10.0.0.2"), rec("10.0.0.1", rid="dup")))
    out = plan({K: Desired(("10.0.0.1", "10.0.0.3"), 60)}, {K: view})
    assert [(c.action, c.content, c.id, c.reason) for c in out.changes] == [
        ("create", "10.0.0.3", None, ""),
        ("delete", "10.0.0.2", None, ""),
        ("delete", "10.0.0.1", "dup", "duplicate"),
    ]
    assert (
        plan(
            {K: Desired(("10.0.0.1", "10.0.0.2"), 60)},
            {K: RRSetView(*K, (rec("10.0.0.1"), rec("10.0.0.2")))},
        ).changes
        == []
    )


def test_plan_never_touches_foreign_records() -> None:
    view = RRSetView(*K, (rec("10.0.0.1", owned=False, ttl=300), rec("192.0.2.1", owned=False)))
    out = plan({K: Desired(("10.0.0.1",), 60)}, {K: view})
    assert out.changes == []  # present (foreign) counts; wrong TTL on foreign left alone
    assert out.warnings == [
        "a.example.com A 192.0.2.1: record not owned by this tool stays published"
    ]
    unmanaged = RRSetView(*K, (rec("10.0.0.9", owned=False),), manageable=False, note="x")
    out = plan({K: Desired(("10.0.0.1",), 60)}, {K: unmanaged})
    assert out.changes == [] and out.skipped == [K]


def test_apply_to_view_matches_plan() -> None:
    view = {K: RRSetView(*K, (rec("10.0.0.1", rid="1"), rec("10.0.0.2", rid="2", ttl=30)))}
    changes = plan({K: Desired(("10.0.0.2", "10.0.0.3"), 60)}, view).changes
    new = apply_to_view(
        view, [*changes[:0], Change("create", *K, "10.0.0.3", 60, "3"), *changes[1:]]
    )
    assert new[K].published() == {"10.0.0.2", "10.0.0.3"}
    assert {r.content: r.ttl for r in new[K].records} == {"10.0.0.2": 60, "10.0.0.3": 60}
    assert plan({K: Desired(("10.0.0.2", "10.0.0.3"), 60)}, new).changes == []
