"""Benchmark: the DNS server hangs (knotd stopped with SIGSTOP) for 30 s while a host fails.

Setup: a real Knot server on loopback (RFC 2136 with TSIG, the tests' `run_knot`), three web
servers on 127.x loopback addresses (the tests' `start_web`), and the daemon as a subprocess
(`watcloud dns-failover run`) with the settings of the issue's report: interval 0.5 s, probe
timeout 0.4 s, provider timeout 2 s with 3 tries, and a periodic full re-read every 5 s (so it
comes due during the hang). After a warm-up knotd gets SIGSTOP; 2 s later the second host
starts answering 503 (a record removal is now due); after `--hang` seconds, SIGCONT.

Measured from the daemon's /metrics and /healthz, polled every 50 ms, and Knot's answer:
- probe rounds completed during the hang, against hang / interval;
- the longest time between the ends of two rounds during the hang (seen by the poller, and the
  daemon's own `dnsfailover_round_gap_max_seconds`), against the bound interval + probe timeout;
- the slowest /healthz answer during the hang, against Kubernetes' default probe timeout (1 s);
- record changes during the hang (the claim: none);
- the time from SIGCONT until Knot's answer no longer holds the failed host, against one
  interval.

Named peer: the single-loop daemon of commit 488423d (before issue 15 item 6, where a round
waited for its own provider call), run from that commit's source in the same run.

Run (root not needed; knotd must be installed):
    .venv/bin/python benchmarks/dns_provider_hang.py [--hang 30] [--peer 488423d | --no-peer]
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

INTERVAL, PROBE_TIMEOUT = 0.5, 0.4
PROVIDER_TIMEOUT, PROVIDER_ATTEMPTS, RESYNC = 2.0, 3, 5.0
K8S_PROBE_TIMEOUT = 1.0  # Kubernetes' default timeoutSeconds of a liveness probe


@dataclass
class Sample:
    t: float
    rounds: float
    changes: float
    health_status: int
    health_seconds: float


@dataclass
class Poller:
    port: int
    service: str
    samples: list[Sample] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        from prometheus_client.parser import text_string_to_metric_families

        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as r:
            text = r.read().decode()
        out = {}
        for fam in text_string_to_metric_families(text):
            for s in fam.samples:
                out[(s.name, tuple(sorted(s.labels.items())))] = float(s.value)
        return out

    def health(self) -> tuple[int, float]:
        start = time.monotonic()
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=10) as r:
                status = r.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0
        return status, time.monotonic() - start

    def run(self) -> None:
        svc = (("service", self.service),)
        while not self.stop.is_set():
            m = self.metrics()
            changes = sum(v for (n, _l), v in m.items() if n == "dnsfailover_record_changes_total")
            status, secs = self.health()
            rounds = m.get(("dnsfailover_rounds_total", svc), 0.0)
            self.samples.append(Sample(time.monotonic(), rounds, changes, status, secs))
            time.sleep(0.05)


@dataclass
class Outcome:
    label: str
    rounds_in_hang: float
    longest_gap: float
    own_gap: float | None
    own_round: float | None
    slowest_health: float
    health_not_ok: int
    changes_in_hang: float
    reconcile: float | None


def scenario(label: str, exe: str, hang: float, work: Path) -> Outcome:
    import yaml
    from tests.dnsfailover.conftest import free_port, run_knot, start_web
    from tests.dnsfailover.netlab import start_daemon

    knotd = shutil.which("knotd") or "/usr/sbin/knotd"
    net = f"127.{200 + os.getpid() % 50}.{(os.getpid() // 50) % 250}"
    first = start_web(f"{net}.1")
    webs = [first] + [start_web(f"{net}.{i}", first.port) for i in (2, 3)]
    try:
        with run_knot(work / "knot", knotd) as knot:
            name = f"web.{knot.zone}"
            port = free_port()
            cfg = {
                "provider": knot.provider_config(
                    timeout=PROVIDER_TIMEOUT, attempts=PROVIDER_ATTEMPTS
                ),
                "services": [
                    {
                        "fqdn": name,
                        "ttl": 5,
                        "hosts": [w.host for w in webs],
                        "check": {
                            "port": first.port,
                            "path": "/",
                            "timeout": PROBE_TIMEOUT,
                            "interval": INTERVAL,
                            "body_match": "^ok host=web",
                        },
                        "down_after": 2,
                        "up_after": 2,
                    }
                ],
                "resync_interval": RESYNC,
                "listen": f"127.0.0.1:{port}",
                "lock": {"path": str(work / "lock")},
            }
            path = work / "dnsfailover.yaml"
            path.write_text(yaml.safe_dump(cfg))
            env = {"WATCLOUD_DNS_TSIG_SECRET": knot.secret}
            d = start_daemon(exe, path, port, env, work)
            poller = Poller(port, f"{name}/A")
            thread = threading.Thread(target=poller.run, daemon=True)
            stopped = False
            try:
                everyone = {w.host for w in webs}
                deadline = time.monotonic() + 30
                while knot.answers(name) != everyone:
                    assert time.monotonic() < deadline, d.log()[-2000:]
                    time.sleep(0.05)
                thread.start()
                time.sleep(3)  # warm-up
                t0 = time.monotonic()
                os.kill(knot.proc.pid, signal.SIGSTOP)
                stopped = True
                time.sleep(2)
                webs[1].set(status=503)
                time.sleep(max(0.0, hang - 2))
                svc_label = (("service", f"{name}/A"),)
                final = poller.metrics()
                own_gap = final.get(("dnsfailover_round_gap_max_seconds", svc_label))
                own_round = final.get(("dnsfailover_round_duration_max_seconds", svc_label))
                t1 = time.monotonic()
                os.kill(knot.proc.pid, signal.SIGCONT)
                stopped = False
                survivors = everyone - {webs[1].host}
                reconcile: float | None = None
                while time.monotonic() - t1 < 60:
                    if knot.answers(name, timeout=1) == survivors:
                        reconcile = time.monotonic() - t1
                        break
                    time.sleep(0.01)
                time.sleep(0.5)
                poller.stop.set()
                thread.join(15)
            finally:
                if stopped:
                    os.kill(knot.proc.pid, signal.SIGCONT)
                d.stop()
            if "Traceback" in d.log():
                print(d.log()[-3000:])
    finally:
        for w in webs:
            w.server.shutdown()
            w.server.server_close()

    hang_samples = [s for s in poller.samples if t0 <= s.t <= t1]
    before = [s for s in poller.samples if s.t < t0]
    ends: list[float] = []  # time each new round was first seen
    last = before[-1].rounds if before else 0.0
    prev_t = before[-1].t if before else t0
    for s in poller.samples:
        if s.t < t0 or s.t > t1:
            continue
        if s.rounds > last:
            ends.append(s.t)
            last = s.rounds
    points = [prev_t, *ends, t1]
    return Outcome(
        label,
        rounds_in_hang=(hang_samples[-1].rounds - before[-1].rounds) if hang_samples else 0.0,
        longest_gap=max(b - a for a, b in itertools.pairwise(points)),
        own_gap=own_gap,
        own_round=own_round,
        slowest_health=max((s.health_seconds for s in hang_samples), default=0.0),
        health_not_ok=sum(1 for s in hang_samples if s.health_status != 200),
        changes_in_hang=(hang_samples[-1].changes - before[-1].changes) if hang_samples else 0.0,
        reconcile=reconcile,
    )


def peer_command(commit: str, work: Path) -> str:
    """A `watcloud` wrapper that runs the source of `commit` (with this venv's packages)."""
    src = work / "src"
    src.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "src/watcloud"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(work)], input=archive, check=True)
    exe = work / "watcloud-peer"
    code = (
        f"import sys; sys.path.insert(0, {str(src)!r}); import watcloud; "
        f"assert watcloud.__file__.startswith({str(src)!r}), watcloud.__file__; "
        "from watcloud.cli import app; sys.argv[0] = 'watcloud'; app()"
    )
    exe.write_text(f'#!/bin/sh\nexec {sys.executable} -c "{code}" "$@"\n')
    exe.chmod(0o755)
    return str(exe)


def report(o: Outcome, hang: float) -> None:
    bound = INTERVAL + PROBE_TIMEOUT
    own = "n/a (no such metric)" if o.own_gap is None else f"{o.own_gap:.3f} s"
    rec = "not within 60 s" if o.reconcile is None else f"{o.reconcile:.3f} s"
    rec_ratio = "" if o.reconcile is None else f"; / interval = {o.reconcile / INTERVAL:.2f}"
    print(f"  {o.label}:")
    print(
        f"    rounds during the hang: {o.rounds_in_hang:.0f} "
        f"(hang / interval = {hang / INTERVAL:.0f})"
    )
    print(
        f"    longest gap between rounds (poller): {o.longest_gap:.3f} s; "
        f"/ bound {bound:.1f} s = {o.longest_gap / bound:.2f}; daemon's own gauge: {own}"
    )
    print(
        f"    slowest /healthz: {o.slowest_health * 1000:.1f} ms "
        f"(/ {K8S_PROBE_TIMEOUT:.0f} s = {o.slowest_health / K8S_PROBE_TIMEOUT:.3f}); "
        f"answers other than 200: {o.health_not_ok}"
    )
    if o.own_round is not None:
        print(
            f"    daemon's longest round (probes and decision, whole run): {o.own_round:.3f} s "
            f"(/ probe timeout = {o.own_round / PROBE_TIMEOUT:.2f})"
        )
    print(f"    record changes during the hang: {o.changes_in_hang:.0f}")
    print(f"    SIGCONT -> failed host gone from Knot's answer: {rec}{rec_ratio}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--hang", type=float, default=30.0)
    ap.add_argument("--peer", default="488423d", help="commit of the single-loop daemon")
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args()
    if not (shutil.which("knotd") or os.access("/usr/sbin/knotd", os.X_OK)):
        print("error: knotd is not installed (Debian package knot)", file=sys.stderr)
        return 2
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"dns_provider_hang: {now}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"knotd stopped for {args.hang:.0f} s; interval {INTERVAL} s, probe timeout "
        f"{PROBE_TIMEOUT} s, provider timeout {PROVIDER_TIMEOUT} s x {PROVIDER_ATTEMPTS} tries, "
        f"resync every {RESYNC:.0f} s; host 2 fails 2 s into the hang"
    )
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="dnsf-hang-") as tmp:
        exe = str(Path(sys.executable).parent / "watcloud")
        outcomes.append(scenario("dnsfailover (separate loops)", exe, args.hang, Path(tmp) / "a"))
        report(outcomes[-1], args.hang)
        if not args.no_peer:
            peer = peer_command(args.peer, Path(tmp) / "peer")
            label = f"peer: single loop (commit {args.peer})"
            outcomes.append(scenario(label, peer, args.hang, Path(tmp) / "b"))
            report(outcomes[-1], args.hang)
    if len(outcomes) == 2:
        new, old = outcomes
        print(
            f"  ratio peer / dnsfailover: longest gap {old.longest_gap / new.longest_gap:.1f}x, "
            f"rounds during the hang {new.rounds_in_hang / max(old.rounds_in_hang, 1):.1f}x more"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
