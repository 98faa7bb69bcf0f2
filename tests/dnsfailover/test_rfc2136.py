"""The RFC 2136 provider against a real Knot DNS server with TSIG-signed updates."""

from __future__ import annotations

import pytest

from tests.dnsfailover.conftest import Knot, free_port
from watcloud.dnsfailover.config import Rfc2136Config
from watcloud.dnsfailover.providers.rfc2136 import Rfc2136Provider
from watcloud.dnsfailover.reconcile import Desired, ProviderError, apply_to_view, plan

pytestmark = pytest.mark.integration


def provider(
    knot: Knot,
    monkeypatch: pytest.MonkeyPatch,
    *,
    secret: str | None = None,
    owner: str = "default",
    port: int | None = None,
    sleeps: list[float] | None = None,
) -> Rfc2136Provider:
    monkeypatch.setenv("TEST_TSIG", secret or knot.secret)
    cfg = Rfc2136Config(
        kind="rfc2136",
        server="127.0.0.1",
        port=port or knot.port,
        zone=knot.zone,
        tsig_key_name=knot.key_name,
        tsig_secret_env="TEST_TSIG",
        timeout=2,
        attempts=3,
    )
    sleep = sleeps.append if sleeps is not None else (lambda s: None)
    return Rfc2136Provider(cfg, owner_id=owner, sleep=sleep)


def test_create_then_shrink_and_ownership_txt(knot: Knot, monkeypatch: pytest.MonkeyPatch) -> None:
    p = provider(knot, monkeypatch)
    key = (f"svc.{knot.zone}", "A")
    views = p.fetch([key])
    assert views[key].manageable and views[key].records == ()
    want = {key: Desired(("10.1.0.1", "10.1.0.2", "10.1.0.3"), 30)}
    changes = plan(want, views).changes
    assert [c.action for c in changes] == ["create"] * 3
    p.apply(changes)
    assert knot.answers(key[0]) == {"10.1.0.1", "10.1.0.2", "10.1.0.3"}
    assert knot.answers(f"_dnsfailover-a.svc.{knot.zone}", "TXT") == {
        '"heritage=watcloud-dnsfailover,owner=default"'
    }
    # A fresh provider reads the RRset back as ours, and removes just one record.
    p2 = provider(knot, monkeypatch)
    views = p2.fetch([key])
    assert all(r.owned for r in views[key].records) and len(views[key].records) == 3
    assert views[key].records[0].ttl == 30
    changes = plan({key: Desired(("10.1.0.1", "10.1.0.3"), 30)}, views).changes
    assert [(c.action, c.content) for c in changes] == [("delete", "10.1.0.2")]
    p2.apply(changes)
    assert knot.answers(key[0]) == {"10.1.0.1", "10.1.0.3"}
    assert apply_to_view(views, changes)[key].published() == {"10.1.0.1", "10.1.0.3"}


def test_foreign_rrset_is_left_alone(knot: Knot, monkeypatch: pytest.MonkeyPatch) -> None:
    p = provider(knot, monkeypatch)
    key = (f"manual.{knot.zone}", "A")
    views = p.fetch([key])
    assert not views[key].manageable
    out = plan({key: Desired(("10.1.0.9",), 60)}, views)
    assert out.changes == [] and out.skipped == [key]
    assert "without ownership TXT" in out.warnings[0]
    assert knot.answers(key[0]) == {"192.0.2.10"}


def test_other_owner_is_left_alone(knot: Knot, monkeypatch: pytest.MonkeyPatch) -> None:
    key = (f"svc.{knot.zone}", "A")
    mine = provider(knot, monkeypatch, owner="blue")
    mine.apply(plan({key: Desired(("10.1.0.1",), 60)}, mine.fetch([key])).changes)
    other = provider(knot, monkeypatch, owner="green")
    views = other.fetch([key])
    assert not views[key].manageable and "owner=blue" in views[key].note
    # Even a blind write from the other owner is refused by the prerequisites.
    with pytest.raises(ProviderError, match=r"YXRRSET|NXRRSET|YXDOMAIN"):
        other.apply(plan({key: Desired(("10.1.0.2",), 60)}, {}).changes)
    assert knot.answers(key[0]) == {"10.1.0.1"}


def test_concurrent_change_refused_by_prerequisite(
    knot: Knot, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = (f"svc.{knot.zone}", "A")
    p = provider(knot, monkeypatch)
    p.apply(plan({key: Desired(("10.1.0.1", "10.1.0.2"), 60)}, p.fetch([key])).changes)
    views = p.fetch([key])
    # Someone removes our ownership TXT behind our back: our next update must not go through.
    knot.nsupdate(
        f'delete _dnsfailover-a.svc.{knot.zone} TXT "heritage=watcloud-dnsfailover,owner=default"'
    )
    assert knot.answers(f"_dnsfailover-a.svc.{knot.zone}", "TXT") == set()
    with pytest.raises(ProviderError, match="concurrently"):
        p.apply(plan({key: Desired(("10.1.0.1",), 60)}, views).changes)
    assert knot.answers(key[0]) == {"10.1.0.1", "10.1.0.2"}


def test_wrong_tsig_secret_is_a_provider_error(knot: Knot, monkeypatch: pytest.MonkeyPatch) -> None:
    key = (f"svc.{knot.zone}", "A")
    p = provider(knot, monkeypatch, secret="c2VjcmV0IHRoYXQgaXMgd3Jvbmc=")
    with pytest.raises(ProviderError, match="TSIG refused"):
        p.apply(plan({key: Desired(("10.1.0.1",), 60)}, p.fetch([key])).changes)
    assert knot.answers(key[0]) == set()


def test_dead_server_retries_with_backoff(knot: Knot, monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []
    p = provider(knot, monkeypatch, port=free_port(), sleeps=sleeps)
    with pytest.raises(ProviderError, match="after 3 tries"):
        p.fetch([(f"svc.{knot.zone}", "A")])
    assert len(sleeps) == 2 and all(s > 0 for s in sleeps)


def test_leaving_fail_open_churns_no_record(knot: Knot, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 15 item 7 through the engine and a real Knot server: all hosts down (fail open),
    then they recover one round apart. The recovering hosts are never removed and re-added;
    only the host that is still failing leaves."""
    import asyncio

    from watcloud.dnsfailover.config import DnsFailoverConfig
    from watcloud.dnsfailover.daemon import Engine
    from watcloud.dnsfailover.probe import ProbeResult

    monkeypatch.setenv("TEST_TSIG", knot.secret)
    name = f"svc.{knot.zone}"
    hosts = ["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4"]
    cfg = DnsFailoverConfig.model_validate(
        {
            "provider": knot.provider_config(tsig_secret_env="TEST_TSIG", timeout=2),
            "services": [
                {"fqdn": name, "hosts": hosts, "down_after": 2, "up_after": 2, "min_records": 1}
            ],
            "lock": {"kind": "none"},
        }
    )
    svc = cfg.services[0]
    engine = Engine(cfg, provider(knot, monkeypatch))
    script = [
        "",  # the hosts failing in each round: all four answer at first
        "",
        "1234",
        "1234",  # all down: fail open
        "234",  # 1 recovering
        "4",  # 1 up (leaving fail open); 2 and 3 recovering; 4 still failing
        "4",  # 2 and 3 up
        "4",
    ]
    answers = []
    for failing in script:
        fail = {h: h[-1] in failing for h in hosts}
        engine.observe(svc, [ProbeResult(svc.key, h, not fail[h], 0.0, "") for h in hosts])
        out = asyncio.run(engine.sync([svc]))
        assert out.error is None
        answers.append(knot.answers(name))
    assert answers[3] == set(hosts)  # fail open
    assert answers[4] == set(hosts)
    assert answers[5] == {"10.1.0.1", "10.1.0.2", "10.1.0.3"}  # 4 (still failing) removed
    assert answers[-1] == {"10.1.0.1", "10.1.0.2", "10.1.0.3"}
    # Hosts 2 and 3 stayed published through the whole recovery: no remove-then-add.
    assert all({"10.1.0.2", "10.1.0.3"} <= a for a in answers[3:])
    assert engine.metrics.changes_total == {"create": 4, "delete": 1}


def test_hung_server_times_out_without_backoff_sleeps(
    knot: Knot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that takes the connection and never answers (a stopped knotd): each try costs
    its timeout and the next starts at once (no backoff sleep after a timeout), so a server
    that resumes always finds a query waiting. A refused connection still backs off (above)."""
    import os
    import signal

    sleeps: list[float] = []
    p = provider(knot, monkeypatch, sleeps=sleeps)
    p.cfg = p.cfg.model_copy(update={"timeout": 0.3})
    os.kill(knot.proc.pid, signal.SIGSTOP)
    try:
        with pytest.raises(ProviderError, match=r"Timeout.*after 3 tries"):
            p.fetch([(f"svc.{knot.zone}", "A")])
    finally:
        os.kill(knot.proc.pid, signal.SIGCONT)
    assert sleeps == []
    assert p.fetch([(f"svc.{knot.zone}", "A")])  # answers again after SIGCONT


def test_a_refused_rrset_does_not_hold_back_another_service(
    knot: Knot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One update per RRset: when someone changed service a's RRset behind our back, its
    update is refused (and re-read next time), and service b's removal still goes through."""
    import asyncio

    from watcloud.dnsfailover.config import DnsFailoverConfig
    from watcloud.dnsfailover.daemon import Engine
    from watcloud.dnsfailover.probe import ProbeResult

    monkeypatch.setenv("TEST_TSIG", knot.secret)
    names = [f"a.{knot.zone}", f"b.{knot.zone}"]
    hosts = ["10.1.0.1", "10.1.0.2"]
    cfg = DnsFailoverConfig.model_validate(
        {
            "provider": knot.provider_config(tsig_secret_env="TEST_TSIG", timeout=2),
            "services": [
                {"fqdn": n, "hosts": hosts, "down_after": 1, "up_after": 1} for n in names
            ],
            "lock": {"kind": "none"},
        }
    )
    engine = Engine(cfg, provider(knot, monkeypatch))

    def round_(ok: dict[str, bool]) -> str | None:
        for svc in cfg.services:
            engine.observe(svc, [ProbeResult(svc.key, h, ok[h], 0.0, "") for h in hosts])
        return asyncio.run(engine.sync(cfg.services)).error

    assert round_({h: True for h in hosts}) is None
    assert [knot.answers(n) for n in names] == [set(hosts)] * 2
    knot.nsupdate(
        f'delete _dnsfailover-a.{names[0]} TXT "heritage=watcloud-dnsfailover,owner=default"'
    )
    error = round_({"10.1.0.1": True, "10.1.0.2": False})
    assert error is not None and "concurrently" in error
    assert knot.answers(names[0]) == set(hosts)  # refused: left as it was
    assert knot.answers(names[1]) == {"10.1.0.1"}  # not held back
    assert engine.metrics.provider_errors == 1
