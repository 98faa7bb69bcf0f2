"""End to end, as root: three hosts in network namespaces serving HTTP, Knot updated over RFC 2136.

The daemon is the installed `watcloud dns-failover run`; the judge is Knot's answer, read with
dnspython. Bounds are asserted in probe rounds (read from /metrics), not in seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import require_binary, require_root, watcloud_exe
from tests.dnsfailover.conftest import Knot, free_port
from tests.dnsfailover.netlab import PORT, DaemonProc, Lab, lab, start_daemon

pytestmark = [pytest.mark.integration, pytest.mark.root]
DOWN_AFTER, UP_AFTER = 2, 2


@pytest.fixture
def netlab(tmp_path: Path) -> Iterator[Lab]:
    require_root()
    require_binary("ip")
    with lab(3, tmp_path / "www") as the_lab:
        yield the_lab


@pytest.fixture
def daemon(netlab: Lab, knot: Knot, tmp_path: Path) -> Iterator[DaemonProc]:
    port = free_port()
    cfg = {
        "provider": knot.provider_config(timeout=2),
        "services": [
            {
                "fqdn": f"web.{knot.zone}",
                "ttl": 5,
                "hosts": [h.address for h in netlab.hosts],
                "check": {
                    "type": "http",
                    "port": PORT,
                    "path": "/healthz",
                    "timeout": 0.4,
                    "interval": 0.5,
                    "body_match": "^ok from host",
                },
                "down_after": DOWN_AFTER,
                "up_after": UP_AFTER,
                "min_records": 1,
            }
        ],
        "listen": f"127.0.0.1:{port}",
        "lock": {"path": str(tmp_path / "lock")},
    }
    path = tmp_path / "dnsfailover.yaml"
    path.write_text(yaml.safe_dump(cfg))
    d = start_daemon(
        watcloud_exe(), path, port, {"WATCLOUD_DNS_TSIG_SECRET": knot.secret}, tmp_path
    )
    yield d
    d.stop()


def rounds(d: DaemonProc, knot: Knot) -> int:
    return int(d.metric("dnsfailover_rounds_total", service=f"web.{knot.zone}/A") or 0)


def change_round(d: DaemonProc, change: str, after: int) -> int:
    """The round number the daemon logged for `change` (e.g. "- remove web... A 10.x"), the
    first one after round `after`. The line is written just after the update reaches the
    server, so it may lag the DNS answer by a moment."""
    import re

    deadline = time.monotonic() + 10
    while True:
        for m in re.finditer(r"DNS change: (.*) \[round (\d+)\]", d.log()):
            if m.group(1).startswith(change) and int(m.group(2)) > after:
                return int(m.group(2))
        assert time.monotonic() < deadline, f"no {change!r} after round {after}:\n{d.log()}"
        time.sleep(0.02)


def wait_for(
    d: DaemonProc, knot: Knot, cond: Callable[[set[str]], bool], what: str, limit: float = 60
) -> tuple[int, set[str]]:
    """Poll Knot until `cond(answers)`; returns the round count read just before the answer."""
    deadline = time.monotonic() + limit
    while True:
        r = rounds(d, knot)
        ans = knot.answers(f"web.{knot.zone}")
        if cond(ans):
            return r, ans
        assert d.proc.poll() is None, d.log()[-3000:]
        assert time.monotonic() < deadline, f"{what}: still {ans}\n{d.log()[-3000:]}"
        time.sleep(0.05)


def test_failover_in_namespaces(netlab: Lab, knot: Knot, daemon: DaemonProc) -> None:
    addrs = {h.address for h in netlab.hosts}
    victim = netlab.hosts[1]
    wait_for(daemon, knot, lambda a: a == addrs, "initial publication")
    assert knot.answers(f"_dnsfailover-a.web.{knot.zone}", "TXT")  # ownership marker

    # 1. The victim's web server stops: connection refused. Rounds are counted from the moment
    # the failure is in effect (the process has exited).
    victim.stop_server()
    r0 = rounds(daemon, knot)
    _, ans = wait_for(daemon, knot, lambda a: victim.address not in a, "removal (refused)")
    assert ans == addrs - {victim.address}
    removal = f"- remove web.{knot.zone} 5 A {victim.address}"
    addition = f"+ add web.{knot.zone} 5 A {victim.address}"
    # Removed in the down_after-th failing round; the round in flight at the failure may still
    # have seen the host answer: at most down_after + 1 rounds after the failure.
    assert change_round(daemon, removal, r0) - r0 <= DOWN_AFTER + 1

    victim.start_server()
    victim.wait_serving()  # a new python process takes a moment to listen
    r0 = rounds(daemon, knot)
    wait_for(daemon, knot, lambda a: a == addrs, "recovery after restart")
    assert change_round(daemon, addition, r0) - r0 <= UP_AFTER + 1

    # 2. The victim's link is cut: probes time out instead of being refused.
    victim.cut_link()
    r0 = rounds(daemon, knot)
    _, ans = wait_for(daemon, knot, lambda a: victim.address not in a, "removal (link cut)")
    assert ans == addrs - {victim.address}
    assert change_round(daemon, removal, r0) - r0 <= DOWN_AFTER + 1
    assert "timeout after 0.4s" in daemon.log() or "No route to host" in daemon.log()

    victim.restore_link()
    r0 = rounds(daemon, knot)  # `ip link set up` is in effect when it returns
    wait_for(daemon, knot, lambda a: a == addrs, "recovery after link restored")
    assert change_round(daemon, addition, r0) - r0 <= UP_AFTER + 1

    # 3. Every host down: fail open, all records stay, for many rounds.
    for h in netlab.hosts:
        h.cut_link()
    start = rounds(daemon, knot)
    while rounds(daemon, knot) < start + DOWN_AFTER + 3:
        assert knot.answers(f"web.{knot.zone}") == addrs
        time.sleep(0.05)
    healthy = [
        daemon.metric("dnsfailover_host_healthy", service=f"web.{knot.zone}/A", host=h.address)
        for h in netlab.hosts
    ]
    assert healthy == [0, 0, 0]  # it did notice: they are down, and published anyway
    assert knot.answers(f"web.{knot.zone}") == addrs
    assert "every host is down: failing open" in daemon.log()
    assert "HTTP Request:" not in daemon.log()  # no line per probe

    assert daemon.stop() == 0
    assert knot.answers(f"web.{knot.zone}") == addrs  # stopping changes nothing
