"""Engine and daemon against real loopback HTTP servers and the Cloudflare stand-in."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.dnsfailover.conftest import WebServer
from watcloud.dnsfailover.config import AnnounceConfig, DnsFailoverConfig
from watcloud.dnsfailover.daemon import Daemon, Engine
from watcloud.dnsfailover.lease import FileLock
from watcloud.dnsfailover.probe import ProbeResult, probe_round
from watcloud.dnsfailover.providers.cloudflare import CloudflareProvider
from watcloud.dnsfailover.reconcile import Record, RRSetView

pytestmark = pytest.mark.integration
NAME = "svc.example.com"


def config(base: str, hosts: list[WebServer], tmp: Path, **svc: object) -> DnsFailoverConfig:
    return DnsFailoverConfig.model_validate(
        {
            "provider": {
                "kind": "cloudflare",
                "zone": "example.com",
                "token_env": "CF_T",
                "base_url": base,
                "attempts": 2,
                "backoff": 0,
            },
            "services": [
                {
                    "fqdn": NAME,
                    "ttl": 60,
                    "hosts": [h.host for h in hosts],
                    "check": {
                        "port": hosts[0].port,
                        "path": "/",
                        "timeout": 1,
                        "interval": 1,
                        "body_match": "^ok host=svc\\.example\\.com",
                    },
                    "down_after": 2,
                    "up_after": 2,
                    "min_records": 1,
                    **svc,
                }
            ],
            "listen": "127.0.0.1:0",
            "lock": {"path": str(tmp / "lock")},
        }
    )


def test_engine_rounds(
    cf: tuple,
    hosts: list[WebServer],
    tmp_path: Path,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state, base = cf
    monkeypatch.setenv("CF_T", "t0ken")
    cfg = config(base, hosts, tmp_path)
    svc = cfg.services[0]
    engine = Engine(cfg, CloudflareProvider(cfg.provider, sleep=lambda s: None))
    ips = [h.host for h in hosts]

    def round_() -> None:
        engine.observe(svc, asyncio.run(probe_round([svc])))
        out = asyncio.run(engine.sync([svc]))
        assert out.error is None or "HTTP 500" in out.error

    round_()
    assert state.contents(NAME) == ips  # a new service: the first round decides
    hosts[1].set(status=503)
    round_()
    assert state.contents(NAME) == ips  # one failure: below the threshold
    round_()
    assert state.contents(NAME) == [ips[0], ips[2]]
    # A provider outage is reported as such and does not count against any host.
    hosts[1].set(status=200)
    round_()  # first success of host 2: no change yet
    assert state.contents(NAME) == [ips[0], ips[2]] and engine.metrics.provider_errors == 0
    state.inject = [(500, None), (500, None)]
    round_()  # second success: host 2 is up, but the provider fails (twice: all attempts)
    assert engine.metrics.provider_errors == 1 and engine.metrics.provider_up == 0
    assert all(st.up and st.fails == 0 for st in engine.states[svc.key].values())
    assert state.contents(NAME) == [ips[0], ips[2]]
    round_()  # the next round re-reads the provider and publishes host 2
    assert state.contents(NAME) == ips and engine.metrics.provider_up == 1
    # Body mismatch counts as a failure (the ingress answered for another virtual host).
    hosts[2].set(body="default backend")
    round_()
    round_()
    assert state.contents(NAME) == ips[:2]
    # Every host down: fail open, every record stays.
    for h in hosts:
        h.set(status=502)
    for _ in range(4):
        round_()
    assert all(not s.up for s in engine.states[svc.key].values())
    assert state.contents(NAME) == ips
    # Manual drift (someone deleted an owned record) is repaired by the full resync.
    for h in hosts:
        h.set(status=200, body="ok")
    for _ in range(2):
        round_()
    rid = next(r for r, rec in state.records.items() if rec["content"] == ips[1])
    del state.records[rid]
    round_()
    assert state.contents(NAME) == [ips[0], ips[2]]  # cached view: not yet noticed
    engine.stale = True  # what the resync loop does every resync_interval
    round_()
    assert state.contents(NAME) == ips


def test_restart_keeps_published_state(
    cf: tuple,
    hosts: list[WebServer],
    tmp_path: Path,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state, base = cf
    monkeypatch.setenv("CF_T", "t0ken")
    zid = next(iter(state.zones))
    mark = "watcloud-dnsfailover owner=default"
    for h in hosts[:2]:
        state.add_record(zid, NAME, "A", h.host, 60, mark)  # host 3 was removed before
    cfg = config(base, hosts, tmp_path)
    svc = cfg.services[0]
    engine = Engine(cfg, CloudflareProvider(cfg.provider, sleep=lambda s: None))
    asyncio.run(engine.initial_fetch())
    hosts[0].set(status=500)
    engine.observe(svc, asyncio.run(probe_round([svc])))
    asyncio.run(engine.sync([svc]))
    # One round after a restart: host 1 failed once (still up), host 3 succeeded once (still down).
    assert state.contents(NAME) == [hosts[0].host, hosts[1].host]


def _metrics(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def _get(port: int, path: str) -> tuple[int, str]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    data = await reader.read()
    writer.close()
    head, _, body = data.decode().partition("\r\n\r\n")
    return int(head.split()[1]), body


def test_daemon_metrics_health_lock_and_stop(
    cf: tuple,
    hosts: list[WebServer],  # type: ignore[type-arg]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state, base = cf
    monkeypatch.setenv("CF_T", "t0ken")
    cfg = config(
        base,
        hosts,
        tmp_path,
        check={"port": hosts[0].port, "path": "/", "timeout": 0.2, "interval": 0.3},
    )
    hosts[2].set(status=503)
    rounds_wanted = 3

    async def scenario() -> tuple[dict, str, dict, bool]:  # type: ignore[type-arg]
        a = Daemon(cfg, CloudflareProvider(cfg.provider, sleep=lambda s: None))
        b = Daemon(cfg, CloudflareProvider(cfg.provider, sleep=lambda s: None), standby_poll=0.05)
        ta = asyncio.create_task(a.run())
        while a.metrics.rounds.get(cfg.services[0].key, 0) < rounds_wanted:
            await asyncio.sleep(0.05)
        tb = asyncio.create_task(b.run())
        while b.port is None:
            await asyncio.sleep(0.01)
        status_a, metrics_a = await _get(a.port or 0, "/metrics")
        assert status_a == 200
        health_b = await _get(b.port, "/healthz")
        assert (await _get(a.port or 0, "/healthz"))[0] == 200
        assert (await _get(a.port or 0, "/nope"))[0] == 404
        leader_b_before = b.metrics.leader
        a._on_signal(15)  # what SIGTERM does
        await asyncio.wait_for(ta, 10)
        while not b.metrics.leader:  # the standby takes over once the lock is free
            await asyncio.sleep(0.02)
        took_over = True
        b.stop.set()
        await asyncio.wait_for(tb, 10)
        return _metrics(metrics_a), health_b[1], {"leader_b_before": leader_b_before}, took_over

    m, health_b, extra, took_over = asyncio.run(scenario())
    key = "svc.example.com/A"
    assert m[("dnsfailover_probe_success", (("host", hosts[0].host), ("service", key)))] == 1
    assert m[("dnsfailover_probe_success", (("host", hosts[2].host), ("service", key)))] == 0
    assert m[("dnsfailover_record_published", (("host", hosts[2].host), ("service", key)))] == 0
    assert m[("dnsfailover_records_published", (("service", key),))] == 2
    assert m[("dnsfailover_rounds_total", (("service", key),))] >= rounds_wanted
    assert m[("dnsfailover_leader", ())] == 1
    assert m[("dnsfailover_last_successful_sync_timestamp_seconds", ())] > 0
    assert m[("dnsfailover_provider_errors_total", ())] == 0
    assert health_b.startswith("standby") and extra["leader_b_before"] == 0 and took_over
    assert state.contents(NAME) == [hosts[0].host, hosts[1].host]


def test_file_lock_excludes_a_second_holder(tmp_path: Path) -> None:
    a, b = FileLock(tmp_path / "l"), FileLock(tmp_path / "l")
    assert a.try_acquire()
    assert not b.try_acquire()
    assert a.holder() == f"pid {os.getpid()}"
    a.release()
    assert b.try_acquire()
    b.release()


def test_changes_are_announced_by_email(
    caplog: pytest.LogCaptureFixture,
    cf: tuple,
    hosts: list[WebServer],
    tmp_path: Path,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Through watcloud.notify to a real SMTP server (aiosmtpd) on loopback."""
    from tests.conftest import missing

    try:
        from watcloud.notify.testing import SmtpRelay
    except ImportError:
        missing("aiosmtpd / watcloud.notify not installed")
    from watcloud.dnsfailover.daemon import notify_announcer

    relay = SmtpRelay().start()
    stopped = False
    try:
        smtp = tmp_path / "notify.yaml"
        smtp.write_text(
            f"smtp:\n  host: 127.0.0.1\n  port: {relay.port}\n  security: none\n"
            "  from: WATcloud <no-reply@watcloud.test>\n  timeout: 10\n"
            "  max_attempts: 2\n  backoff_base: 0.01\n"
        )
        state, base = cf
        monkeypatch.setenv("CF_T", "t0ken")
        cfg = config(base, hosts, tmp_path).model_copy(
            update={"announce": AnnounceConfig(email_to=["infra@watcloud.test"], smtp_config=smtp)}
        )
        svc = cfg.services[0]
        engine = Engine(
            cfg,
            CloudflareProvider(cfg.provider, sleep=lambda s: None),
            announcer=notify_announcer(cfg),
        )
        engine.observe(svc, asyncio.run(probe_round([svc])))
        asyncio.run(engine.sync([svc]))
        engine.wait_announcements(30)
        assert len(relay.delivered) == 1
        d = relay.delivered[0]
        assert d.rcpt_tos == ["infra@watcloud.test"]
        assert "DNS failover: 3 record change(s) in example.com" in d.subject
        assert f"+ add {NAME} 60 A {hosts[0].host}".encode() in d.data
        # A failing relay never stops failover: the change is applied, the error logged.
        relay.stop()
        stopped = True
        hosts[0].set(status=500)
        for _ in range(2):
            engine.observe(svc, asyncio.run(probe_round([svc])))
            asyncio.run(engine.sync([svc]))
        assert state.contents(NAME) == [hosts[1].host, hosts[2].host]
        engine.wait_announcements(30)
        assert len(relay.delivered) == 1
        # notify's spool is on by default: the announcement waits there for the next one
        assert "announce: email" in caplog.text and "spooled" in caplog.text
    finally:
        if not stopped:
            relay.stop()


class Mem:
    description = "memory"

    def __init__(self) -> None:
        self.records: set[str] = set()

    def fetch(self, keys):  # type: ignore[no-untyped-def]

        return {
            k: RRSetView(*k, tuple(Record(*k, c, 60, True) for c in self.records)) for k in keys
        }

    def apply(self, changes):  # type: ignore[no-untyped-def]
        for c in changes:
            (self.records.add if c.action == "create" else self.records.discard)(c.content)
        return list(changes)

    def close(self) -> None:
        pass


async def all_ok(services):  # type: ignore[no-untyped-def]
    """A probe round in which every host answers."""
    return [ProbeResult(s.key, h, True, 0.0, "ok") for s in services for h in s.hosts]


def mem_config(**extra: object) -> DnsFailoverConfig:
    """One service, two hosts, fast rounds, no lock (for the `Mem` provider)."""
    return DnsFailoverConfig.model_validate(
        {
            "provider": {"kind": "rfc2136", "server": "127.0.0.1", "zone": "example.com"},
            "services": [
                {
                    "fqdn": "a.example.com",
                    "hosts": ["10.0.0.1", "10.0.0.2"],
                    "check": {"interval": 0.05, "timeout": 0.05},
                }
            ],
            "listen": "127.0.0.1:0",
            "lock": {"kind": "none"},
            **extra,
        }
    )


def test_a_failing_round_does_not_stop_the_daemon(tmp_path: Path) -> None:
    """An unexpected error in a round is logged and counted; the next round runs."""
    calls = [0]

    async def probe(services):  # type: ignore[no-untyped-def]
        calls[0] += 1
        if calls[0] == 1:
            raise RuntimeError("boom")
        return await all_ok(services)

    cfg = mem_config()
    provider = Mem()
    d = Daemon(cfg, provider, probe=probe)

    async def scenario() -> None:
        task = asyncio.create_task(d.run())
        while not provider.records:
            await asyncio.sleep(0.01)
        d.stop.set()
        assert await asyncio.wait_for(task, 10) == 0

    asyncio.run(scenario())
    assert d.metrics.internal_errors == 1 and provider.records == {"10.0.0.1", "10.0.0.2"}


def test_periodic_resync_repairs_drift() -> None:
    cfg = mem_config(resync_interval=0.3)
    provider = Mem()
    d = Daemon(cfg, provider, probe=all_ok)

    async def scenario() -> int:
        task = asyncio.create_task(d.run())
        while provider.records != {"10.0.0.1", "10.0.0.2"}:
            await asyncio.sleep(0.01)
        provider.records.discard("10.0.0.2")  # someone deletes a record by hand
        rounds = d.metrics.rounds["a.example.com/A"]
        while provider.records != {"10.0.0.1", "10.0.0.2"}:
            await asyncio.sleep(0.01)
        repaired_after = d.metrics.rounds["a.example.com/A"] - rounds
        d.stop.set()
        await asyncio.wait_for(task, 10)
        return repaired_after

    repaired_after = asyncio.run(scenario())
    # Not noticed by the probe rounds (cached view), repaired by the resync.
    assert repaired_after >= 1 and d.metrics.changes_total["create"] == 3
