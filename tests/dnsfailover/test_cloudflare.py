"""The Cloudflare provider, driven through the official SDK, against the v4 API stand-in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dnsfailover.cf_standin import CloudflareState, serve
from watcloud.dnsfailover.config import CloudflareConfig
from watcloud.dnsfailover.providers.cloudflare import CloudflareProvider, RateBudget
from watcloud.dnsfailover.reconcile import Desired, ProviderError, apply_to_view, plan

pytestmark = pytest.mark.integration
ZONE = "example.com"
NAME = "svc.example.com"
MARK = "watcloud-dnsfailover owner=default"


@pytest.fixture
def cf() -> Iterator[tuple[CloudflareState, str, str]]:
    state = CloudflareState(token="t0ken")
    zid = state.add_zone(ZONE)
    state.add_zone("other.org")
    srv, base = serve(state)
    yield state, base, zid
    srv.shutdown()
    srv.server_close()


def make(
    base: str,
    monkeypatch: pytest.MonkeyPatch,
    sleeps: list[float] | None = None,
    token: str = "t0ken",
    **kw: object,
) -> CloudflareProvider:
    monkeypatch.setenv("CF_TEST_TOKEN", token)
    cfg = CloudflareConfig.model_validate(
        {
            "kind": "cloudflare",
            "zone": ZONE,
            "token_env": "CF_TEST_TOKEN",
            "base_url": base,
            "attempts": 3,
            "backoff": 0.5,
            **kw,
        }
    )
    return CloudflareProvider(cfg, sleep=(sleeps.append if sleeps is not None else lambda s: None))


def test_create_delete_and_comment_marker(cf: tuple, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[type-arg]
    state, base, _zid = cf
    p = make(base, monkeypatch)
    key = (NAME, "A")
    views = p.fetch([key])
    assert views[key].records == ()
    applied = p.apply(plan({key: Desired(("10.0.0.1", "10.0.0.2", "10.0.0.3"), 60)}, views).changes)
    assert state.contents(NAME) == ["10.0.0.1", "10.0.0.2", "10.0.0.3"]
    assert {r["comment"] for r in state.records.values()} == {MARK}
    assert all(c.id in state.records for c in applied)
    views = apply_to_view(views, applied)
    assert views[key].published() == p.fetch([key])[key].published()
    ch = plan({key: Desired(("10.0.0.1", "10.0.0.3"), 60)}, p.fetch([key])).changes
    assert [(c.action, c.content) for c in ch] == [("delete", "10.0.0.2")]
    p.apply(ch)
    assert state.contents(NAME) == ["10.0.0.1", "10.0.0.3"]
    # A TTL drift on an owned record is repaired in place (PUT), not by delete + create.
    ch = plan({key: Desired(("10.0.0.1", "10.0.0.3"), 120)}, p.fetch([key])).changes
    assert [c.action for c in ch] == ["update", "update"]
    p.apply(ch)
    assert {r["ttl"] for r in state.records.values()} == {120}
    assert [m for m, _ in state.log].count("DELETE") == 1


def test_foreign_records_are_never_touched(cf: tuple, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[type-arg]
    state, base, zid = cf
    state.add_record(zid, NAME, "A", "10.0.0.1", 300, None)  # manual, same address as a host
    state.add_record(zid, NAME, "A", "192.0.2.7", 300, "added by hand")  # manual, not a host
    state.add_record(zid, NAME, "A", "10.0.0.9", 60, "watcloud-dnsfailover owner=blue")
    p = make(base, monkeypatch)
    key = (NAME, "A")
    views = p.fetch([key])
    assert not any(r.owned for r in views[key].records)
    out = plan({key: Desired(("10.0.0.1", "10.0.0.2"), 60)}, views)
    assert [(c.action, c.content) for c in out.changes] == [("create", "10.0.0.2")]
    assert any("192.0.2.7" in w for w in out.warnings)
    p.apply(out.changes)
    assert state.contents(NAME) == ["10.0.0.1", "10.0.0.2", "10.0.0.9", "192.0.2.7"]


def test_pagination_reads_every_page(cf: tuple, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[type-arg]
    state, base, zid = cf
    for i in range(230):
        state.add_record(zid, NAME, "A", f"10.1.{i // 250}.{i % 250}", 60, MARK)
    state.add_record(zid, "other.example.com", "A", "10.9.9.9", 60, MARK)
    p = make(base, monkeypatch)
    views = p.fetch([(NAME, "A")])
    assert len(views[(NAME, "A")].records) == 230
    lists = [path for m, path in state.log if m == "GET" and "dns_records" in path]
    assert len(lists) == 3 and "page=3" in lists[-1] and "name.exact=svc.example.com" in lists[0]


def test_429_waits_for_retry_after(cf: tuple, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[type-arg]
    state, base, _zid = cf
    sleeps: list[float] = []
    p = make(base, monkeypatch, sleeps)
    p.zone_id()
    state.inject = [(429, 7.0)]
    assert p.fetch([(NAME, "A")])[(NAME, "A")].records == ()
    assert sleeps == [7.0] and p.rate_limited == 1


def test_server_errors_retried_then_reported(cf: tuple, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[type-arg]
    state, base, _zid = cf
    sleeps: list[float] = []
    p = make(base, monkeypatch, sleeps)
    p.zone_id()
    state.inject = [(500, None), (502, None), (503, None)]
    before = len(state.log)
    with pytest.raises(ProviderError, match="HTTP 503"):
        p.fetch([(NAME, "A")])
    assert len(state.log) - before == 3 and len(sleeps) == 2
    # backoff: base 0.5 then 1.0, each with +-50% jitter
    assert 0.25 <= sleeps[0] <= 0.75 and 0.5 <= sleeps[1] <= 1.5
    state.inject = [(500, None)]
    assert p.fetch([(NAME, "A")])[(NAME, "A")].records == ()  # recovered on the second try


def test_bad_token_fails_at_once_with_the_api_message(
    cf: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[type-arg]
    state, base, _zid = cf
    sleeps: list[float] = []
    p = make(base, monkeypatch, sleeps, token="wrong")
    with pytest.raises(ProviderError, match="HTTP 403: 9109: Invalid access token"):
        p.fetch([(NAME, "A")])
    assert len(state.log) == 1 and sleeps == []


def test_identical_record_error_is_reported(cf: tuple, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[type-arg]
    _state, base, _zid = cf
    p = make(base, monkeypatch)
    changes = plan({(NAME, "A"): Desired(("10.0.0.1",), 60)}, {}).changes
    p.apply(changes)
    with pytest.raises(ProviderError, match="81058: An identical record already exists"):
        p.apply(changes)


def test_unknown_zone(cf: tuple, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[type-arg]
    state, base, zid = cf
    state.zones.pop(zid)
    with pytest.raises(ProviderError, match="zone not found"):
        make(base, monkeypatch).fetch([(NAME, "A")])


def test_rate_budget_sliding_window() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    budget = RateBudget(3, 10.0, clock=lambda: now[0], sleep=sleep)
    for t in (0.0, 1.0, 2.0):
        now[0] = t
        budget.acquire()
    assert slept == []
    budget.acquire()  # 4th request within 10 s: waits until the first leaves the window
    assert slept == [8.0] and now[0] == 10.0
    now[0] = 30.0
    budget.acquire()
    assert slept == [8.0]


def test_provider_respects_its_budget(cf: tuple, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[type-arg]
    _state, base, _zid = cf
    sleeps: list[float] = []
    p = make(base, monkeypatch, sleeps, rate_limit=2, rate_window=300)
    p.budget.clock = lambda: 100.0 + sum(sleeps)
    p.fetch([(NAME, "A")])  # zone lookup + one list = 2 requests
    assert sleeps == []
    p.fetch([("www.example.com", "A")])
    assert sleeps == [300.0]
