"""The Kubernetes Lease lock against a stand-in of the Lease API (resourceVersion, 409)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dnsfailover.k8s_standin import KubeState, serve
from watcloud.core.errors import ConfigError
from watcloud.dnsfailover.config import LockConfig
from watcloud.dnsfailover.lease import LeaseLock, make_lock

pytestmark = pytest.mark.integration


@pytest.fixture
def kube(tmp_path: Path) -> Iterator[tuple[KubeState, str, Path]]:
    state = KubeState(token="sa-token")
    srv, url = serve(state)
    token = tmp_path / "token"
    token.write_text("sa-token\n")
    yield state, url, token
    srv.shutdown()
    srv.server_close()


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def lease(url: str, token: Path, who: str, clock: Clock) -> LeaseLock:
    return LeaseLock(
        api_url=url,
        namespace="infra",
        name="dnsf",
        identity=who,
        lease_duration=15,
        renew_every=5,
        token_file=token,
        monotonic=clock,
    )


def test_one_holder_then_takeover_after_expiry(kube: tuple) -> None:  # type: ignore[type-arg]
    state, url, token = kube
    ca, cb = Clock(), Clock()
    a, b = lease(url, token, "pod-a", ca), lease(url, token, "pod-b", cb)
    assert a.try_acquire()
    assert state.writes == [("POST", "pod-a")]
    assert not b.try_acquire() and b.holder() == "pod-a"
    # a renews: b sees the object change, so b's expiry clock restarts
    ca.t += 5
    cb.t += 14
    assert a.renew() == "ok"
    assert not b.try_acquire()
    cb.t += 14  # 14 s since b saw the renewal: not yet expired
    assert not b.try_acquire()
    cb.t += 2  # a stopped renewing 16 s ago (by b's own clock): expired
    assert b.try_acquire()
    spec = state.leases[("infra", "dnsf")]["spec"]
    assert spec["holderIdentity"] == "pod-b" and spec["leaseTransitions"] == 1
    assert a.renew() == "lost"


def test_race_for_an_expired_lease_has_one_winner(kube: tuple) -> None:  # type: ignore[type-arg]
    state, url, token = kube
    clock = Clock()
    old = lease(url, token, "pod-old", clock)
    assert old.try_acquire()
    b, c = lease(url, token, "pod-b", clock), lease(url, token, "pod-c", clock)
    assert not b.try_acquire() and not c.try_acquire()  # both observe the current version
    clock.t += 20
    # Both read the same expired version; whoever writes second gets 409 Conflict.
    import httpx

    real_get = httpx.Client.get
    seen: list[dict] = []  # type: ignore[type-arg]

    def get_then_let_c_win(self: httpx.Client, *a: object, **kw: object) -> httpx.Response:
        r = real_get(self, *a, **kw)  # type: ignore[arg-type]
        if not seen:
            seen.append(r.json())
            assert c.try_acquire()  # c sneaks in between b's read and b's write
        return r

    httpx.Client.get = get_then_let_c_win  # type: ignore[method-assign]
    try:
        won_b = b.try_acquire()
    finally:
        httpx.Client.get = real_get  # type: ignore[method-assign]
    assert not won_b
    assert state.leases[("infra", "dnsf")]["spec"]["holderIdentity"] == "pod-c"


def test_release_lets_a_standby_in_at_once(kube: tuple) -> None:  # type: ignore[type-arg]
    _state, url, token = kube
    a, b = lease(url, token, "pod-a", Clock()), lease(url, token, "pod-b", Clock())
    assert a.try_acquire()
    assert not b.try_acquire()
    a.release()
    assert b.try_acquire()


def test_api_errors_are_not_fatal(kube: tuple, tmp_path: Path) -> None:  # type: ignore[type-arg]
    _state, url, token = kube
    bad = tmp_path / "bad"
    bad.write_text("nope")
    a = LeaseLock(api_url=url, namespace="infra", name="dnsf", identity="a", token_file=bad)
    assert not a.try_acquire()  # 401: no lease, no crash
    dead = LeaseLock(
        api_url="http://127.0.0.1:9",
        namespace="infra",
        name="dnsf",
        identity="a",
        token_file=token,
        timeout=1,
    )
    assert not dead.try_acquire() and dead.renew() == "error"


def test_make_lock_needs_a_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(ConfigError, match="KUBERNETES_SERVICE_HOST"):
        make_lock(LockConfig(kind="kubernetes-lease"))
    with pytest.raises(ValueError, match="renew_every must be shorter"):
        LockConfig(kind="kubernetes-lease", lease_duration=5, renew_every=5)


def test_daemons_share_one_lease(kube: tuple, tmp_path: Path) -> None:  # type: ignore[type-arg]
    """Two daemons, one Lease: one works, one waits; SIGTERM hands over; a stolen Lease stops
    the holder with exit code 1."""
    from watcloud.dnsfailover.config import DnsFailoverConfig
    from watcloud.dnsfailover.daemon import Daemon
    from watcloud.dnsfailover.reconcile import RRSetView

    state, url, token = kube

    class NullProvider:
        description = "null"

        def fetch(self, keys):  # type: ignore[no-untyped-def]
            return {k: RRSetView(*k) for k in keys}

        def apply(self, changes):  # type: ignore[no-untyped-def]
            return list(changes)

        def close(self) -> None:
            pass

    async def probe(services):  # type: ignore[no-untyped-def]
        from watcloud.dnsfailover.probe import ProbeResult

        return [ProbeResult(s.key, h, True, 0.0, "ok") for s in services for h in s.hosts]

    cfg = DnsFailoverConfig.model_validate(
        {
            "provider": {"kind": "rfc2136", "server": "127.0.0.1", "zone": "example.com"},
            "services": [
                {
                    "fqdn": "a.example.com",
                    "hosts": ["10.0.0.1"],
                    "check": {"interval": 0.05, "timeout": 0.05},
                }
            ],
            "listen": "127.0.0.1:0",
        }
    )

    def mk(who: str) -> Daemon:
        lock = LeaseLock(
            api_url=url,
            namespace="infra",
            name="dnsf",
            identity=who,
            lease_duration=1.0,
            renew_every=0.1,
            token_file=token,
        )
        return Daemon(cfg, NullProvider(), probe=probe, lock=lock, standby_poll=0.05)

    async def scenario() -> tuple[int, int]:
        a, b = mk("pod-a"), mk("pod-b")
        ta = asyncio.create_task(a.run())
        while not a.metrics.leader:
            await asyncio.sleep(0.02)
        tb = asyncio.create_task(b.run())
        await asyncio.sleep(0.3)
        assert a.metrics.leader == 1 and b.metrics.leader == 0
        a._on_signal(15)
        code_a = await asyncio.wait_for(ta, 10)
        while not b.metrics.leader:  # released on shutdown: b takes over well before expiry
            await asyncio.sleep(0.02)
        # Someone else takes the Lease from b (an operator, a split brain): b must stop.
        with state.lock:
            lease_obj = state.leases[("infra", "dnsf")]
            lease_obj["spec"]["holderIdentity"] = "pod-intruder"
            state.version += 1
            lease_obj["metadata"]["resourceVersion"] = str(state.version)
        code_b = await asyncio.wait_for(tb, 10)
        return code_a, code_b

    code_a, code_b = asyncio.run(scenario())
    assert code_a == 0 and code_b == 1
    holders = [h for _m, h in state.writes]
    assert holders[0] == "pod-a" and "pod-b" in holders
