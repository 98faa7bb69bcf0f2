"""Issue 15 item 6: the DNS server hangs (SIGSTOP on knotd), probing goes on.

The daemon is the installed `watcloud dns-failover run` against a real Knot server (RFC 2136,
TSIG) and three web servers on 127.x loopback addresses. While knotd is stopped a host fails:
the probe rounds go on, the host's health state flips, /healthz answers, and no record changes
(the provider call that would remove it is still in flight). After SIGCONT the removal reaches
Knot. Every wait is for a state, polled with a generous limit; nothing asserts a duration.
"""

from __future__ import annotations

import os
import signal
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import watcloud_exe
from tests.dnsfailover.conftest import Knot, WebServer, free_port
from tests.dnsfailover.netlab import DaemonProc, start_daemon

pytestmark = pytest.mark.integration

INTERVAL, PROBE_TIMEOUT = 0.5, 0.4
# One provider attempt outlasts the whole hang: a round that waited for the provider would
# wait all of it (the old single loop did).
PROVIDER_TIMEOUT = 60
ROUNDS_WHILE_STOPPED = 8


def wait_until(cond: Callable[[], bool], what: str, d: DaemonProc, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while not cond():
        assert d.proc.poll() is None, d.log()[-3000:]
        assert time.monotonic() < deadline, f"{what}: not reached\n{d.log()[-3000:]}"
        time.sleep(0.05)


def healthz(d: DaemonProc) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{d.port}/healthz", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def launch(
    knot: Knot, hosts: list[WebServer], tmp_path: Path, down_after: int, **top: object
) -> DaemonProc:
    """`watcloud dns-failover run` on service web.<zone> over `hosts`, provider `knot`."""
    port = free_port()
    cfg = {
        "provider": knot.provider_config(timeout=PROVIDER_TIMEOUT, attempts=1),
        "services": [
            {
                "fqdn": f"web.{knot.zone}",
                "ttl": 5,
                "hosts": [h.host for h in hosts],
                "check": {
                    "port": hosts[0].port,
                    "path": "/",
                    "timeout": PROBE_TIMEOUT,
                    "interval": INTERVAL,
                    "body_match": "^ok host=web",
                },
                "down_after": down_after,
                "up_after": 2,
            }
        ],
        "listen": f"127.0.0.1:{port}",
        "lock": {"path": str(tmp_path / "lock")},
        **top,
    }
    path = tmp_path / "dnsfailover.yaml"
    path.write_text(yaml.safe_dump(cfg))
    env = {"WATCLOUD_DNS_TSIG_SECRET": knot.secret}
    return start_daemon(watcloud_exe(), path, port, env, tmp_path)


def metric(d: DaemonProc, metric_name: str, **labels: str) -> float:
    return d.metric(metric_name, **labels) or 0.0


def test_probing_goes_on_while_the_dns_server_hangs(
    knot: Knot, hosts: list[WebServer], tmp_path: Path
) -> None:
    name = f"web.{knot.zone}"
    svc = f"{name}/A"
    addrs = [h.host for h in hosts]
    # The periodic full re-read comes due during the hang as well (the deadlock).
    d = launch(knot, hosts, tmp_path, 2, resync_interval=1)
    stopped = False
    try:
        wait_until(lambda: knot.answers(name) == set(addrs), "initial publication", d)
        victim = addrs[1]
        changes_before = metric(d, "dnsfailover_record_changes_total", action="create") + metric(
            d, "dnsfailover_record_changes_total", action="delete"
        )

        os.kill(knot.proc.pid, signal.SIGSTOP)
        stopped = True
        hosts[1].set(status=503)
        # The host's state flips from the probes alone (down_after = 2 failing rounds) ...
        wait_until(
            lambda: metric(d, "dnsfailover_host_healthy", service=svc, host=victim) == 0,
            "victim seen down while the DNS server is stopped",
            d,
        )
        # ... and the rounds keep coming while the removal waits for the stopped server.
        flipped_at = metric(d, "dnsfailover_rounds_total", service=svc)
        wait_until(
            lambda: (
                metric(d, "dnsfailover_rounds_total", service=svc)
                >= flipped_at + ROUNDS_WHILE_STOPPED
            ),
            f"{ROUNDS_WHILE_STOPPED} rounds while the DNS server is stopped",
            d,
            limit=PROVIDER_TIMEOUT / 3,
        )
        assert metric(d, "dnsfailover_provider_call_seconds") > 0  # the provider call is stuck
        status, body = healthz(d)
        assert (status, body.strip()) == (200, "ok")
        # No record changed while the server hung: nothing counted, the record still published.
        changes = metric(d, "dnsfailover_record_changes_total", action="create") + metric(
            d, "dnsfailover_record_changes_total", action="delete"
        )
        assert changes == changes_before
        assert metric(d, "dnsfailover_record_published", service=svc, host=victim) == 1
        assert f"- remove {name}" not in d.log()
        assert knot.proc.poll() is None  # stopped, not dead

        os.kill(knot.proc.pid, signal.SIGCONT)
        stopped = False
        survivors = {addrs[0], addrs[2]}
        wait_until(lambda: knot.answers(name) == survivors, "removal after SIGCONT", d)
        wait_until(
            lambda: metric(d, "dnsfailover_record_published", service=svc, host=victim) == 0,
            "published metric after SIGCONT",
            d,
        )
        assert f"- remove {name} 5 A {victim} (host down: " in d.log()
        assert metric(d, "dnsfailover_provider_errors_total") == 0  # it waited, nothing failed
        assert d.stop() == 0
    finally:
        if stopped:
            os.kill(knot.proc.pid, signal.SIGCONT)
        d.stop()


def test_first_read_hangs_rounds_replay_onto_the_published_state(
    knot: Knot, hosts: list[WebServer], tmp_path: Path
) -> None:
    """knotd is stopped before the daemon starts: rounds and /healthz do not wait for the
    first read; once it returns, the queued rounds are replayed onto what was published (a
    published host that failed once stays, nothing is flipped by the restart itself)."""
    name = f"web.{knot.zone}"
    svc = f"{name}/A"
    addrs = [h.host for h in hosts]
    # As left by an earlier run: all three published, with our ownership marker.
    knot.nsupdate(
        *(f"add {name} 5 A {a}" for a in addrs),
        f'add _dnsfailover-a.{name} 5 TXT "heritage=watcloud-dnsfailover,owner=default"',
    )
    assert knot.answers(name) == set(addrs)
    hosts[2].set(status=503)
    os.kill(knot.proc.pid, signal.SIGSTOP)
    stopped = True
    d: DaemonProc | None = None
    try:
        # down_after 1000: the failing host never reaches its threshold here.
        d = launch(knot, hosts, tmp_path, 1000)
        wait_until(
            lambda: metric(d, "dnsfailover_rounds_total", service=svc) >= 4,
            "rounds while the first read hangs",
            d,
            limit=PROVIDER_TIMEOUT / 3,
        )
        assert metric(d, "dnsfailover_provider_call_seconds") > 0
        assert healthz(d)[0] == 200
        os.kill(knot.proc.pid, signal.SIGCONT)
        stopped = False
        wait_until(
            lambda: metric(d, "dnsfailover_host_healthy", service=svc, host=addrs[0]) == 1,
            "states built after the first read",
            d,
        )
        # Host 3 failed every round but was published: it is "up (n failing)", not removed.
        assert metric(d, "dnsfailover_host_healthy", service=svc, host=addrs[2]) == 1
        assert knot.answers(name) == set(addrs)
        assert "- remove" not in d.log() and "+ add" not in d.log()
        assert d.stop() == 0
    finally:
        if stopped:
            os.kill(knot.proc.pid, signal.SIGCONT)
        if d is not None:
            d.stop()
