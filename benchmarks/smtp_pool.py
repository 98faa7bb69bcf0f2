"""Benchmark: the notify SMTP pool against a local aiosmtpd relay (in its own process).

1. 1,000 messages through the pool (4 connections, 100 messages each) vs one connection per
   message, one at a time (the earlier Terraform provider's way), same code and relay.
   Target: the pool at least 5x faster. Three relays: plain SMTP on loopback (no network
   latency at all), the same with 5 ms before every reply (a relay across a network: every
   command of a new connection pays it), and STARTTLS + AUTH on loopback. The relay's CPU time
   is read from /proc: a single-threaded relay bounds what any client can gain (printed as the
   peer's time over the relay's CPU time during the pool run).
2. 1,000 messages to a relay that answers `421` and closes above R messages per second
   (sliding one-second window): all delivered, none twice, total time within 1.2x of 1000/R.
3. The spool's cost (on by default since issue 15): the pool with its SQLite outbox (a message
   written before its first attempt, the intent committed after its final ".", moved to `done`
   after the reply) against the same pool without it, plain SMTP on loopback.

Sections 1 and 2 measure the pool alone (`spool: false`), as they always did.

    .venv/bin/python benchmarks/smtp_pool.py [--messages 1000] [--rate 100] [--sections 1,2,3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from watcloud.notify import Message, SmtpSettings
from watcloud.notify.smtp import BatchReport, deliver
from watcloud.notify.testing import self_signed_cert


class RelayProcess:
    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "watcloud.notify.testing", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    def ask(self, cmd: str) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        return json.loads(line) if line.startswith("{") else line.strip()

    def cpu(self) -> float:
        """CPU seconds the relay process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("quit\n")
        self.proc.stdin.close()
        self.proc.wait(10)


def messages(n: int, tag: str) -> list[Message]:
    return [
        Message(
            to=[f"user{i}@example.org"],
            subject=f"[{tag}] notification {i}",
            text=f"Hello user {i},\n\nThis is notification {i} of {n}.\n",
            html=f"<p>Hello user {i},</p><p>This is notification <b>{i}</b> of {n}.</p>",
        )
        for i in range(n)
    ]


def run(relay: RelayProcess, n: int, tag: str, **settings: Any) -> tuple[float, BatchReport, Any]:
    relay.ask("reset")
    base: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": relay.port,
        "security": "none",
        "sender": "WATcloud <no-reply@watcloud.test>",
        "spool": False,
    }
    s = SmtpSettings(**{**base, **settings})
    msgs = messages(n, tag)
    cpu0 = relay.cpu()
    t0 = time.perf_counter()
    report = deliver(msgs, s)
    elapsed = time.perf_counter() - t0
    stats = relay.ask("stats")
    stats["relay_cpu"] = relay.cpu() - cpu0
    return elapsed, report, stats


def line(name: str, elapsed: float, n: int, report: BatchReport, stats: Any) -> str:
    sent = sum(r.status == "sent" for r in report.results)
    return (
        f"  {name:<42} {elapsed:7.2f} s  {n / elapsed:7.0f} msg/s  sent {sent}/{n}"
        f"  connections {stats['connections']}  421s {stats['replies_421']}"
        f"  retries {report.stats.retries}  max copies {stats['max_copies']}"
        f"  relay CPU {stats['relay_cpu']:.2f} s"
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--rate", type=int, default=100, help="R: the relay's limit, msg/s")
    ap.add_argument("--repeat", type=int, default=3, help="repeats of the loopback comparisons")
    ap.add_argument("--sections", default="1,2,3", help="which sections to run (default: all)")
    args = ap.parse_args()
    sections = {int(x) for x in args.sections.split(",")}
    n, rate = args.messages, args.rate
    print(
        f"smtp_pool benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores,"
        f" Python {platform.python_version()}, relay: aiosmtpd in a separate process"
    )

    ratios: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        cert, key = self_signed_cert(Path(tmp))
        tls_relay = ("--tls-cert", str(cert), "--tls-key", str(key), "--user", "watcloud:s3cret")
        tls = {
            "security": "starttls",
            "ca_file": cert,
            "username": "watcloud",
            "password": "s3cret",
        }
        scenarios: list[tuple[str, tuple[str, ...], dict[str, Any], int]] = [
            ("plain SMTP on loopback", (), {}, args.repeat),
            ("plain SMTP, 5 ms emulated latency per reply", ("--latency", "0.005"), {}, 1),
            ("STARTTLS + AUTH (production setup)", tls_relay, tls, args.repeat),
        ]
        for label, relay_args, extra, repeat in scenarios if 1 in sections else []:
            print(f"1) {n} messages, no rate limit, {label}")
            relay = RelayProcess(*relay_args)
            runs: list[float] = []
            bounds: list[float] = []
            try:
                for _ in range(repeat):
                    t_single, r_single, s_single = run(
                        relay, n, "single", pool_size=1, messages_per_connection=1, **extra
                    )
                    t_pool, r_pool, s_pool = run(
                        relay, n, "pool", pool_size=4, messages_per_connection=100, **extra
                    )
                    print(
                        line("one connection per message (peer)", t_single, n, r_single, s_single)
                    )
                    print(line("pool: 4 connections x 100 messages", t_pool, n, r_pool, s_pool))
                    runs.append(t_single / t_pool)
                    bounds.append(t_single / s_pool["relay_cpu"])
            finally:
                relay.close()
            ratios[label] = ratio = statistics.median(runs)
            each = ", ".join(f"{r:.1f}x" for r in runs)
            print(
                f"  ratio: pool is {ratio:.1f}x faster than one connection per message"
                + (f" (median of {repeat}: {each})" if repeat > 1 else "")
            )
            # The relay is one single-threaded Python process: the pool cannot finish before the
            # relay has done its own work for every message, however fast the client is.
            print(
                "  upper bound for any client against this relay: the peer's time / the relay's"
                f" CPU time during the pool run = {statistics.median(bounds):.1f}x"
            )
    rate_limited = section_rate_limited(n, rate) if 2 in sections else None
    if 3 in sections:
        section_spool(n, args.repeat)
    print("targets:")
    for label, r in ratios.items():
        print(f"  pool >= 5x faster, {label}: {r:.1f}x {'met' if r >= 5 else 'NOT met'}")
    if rate_limited is None:
        return 0
    all_in, t_rl, ideal, r_rl = rate_limited
    in_time = t_rl <= 1.2 * ideal
    print(
        f"  rate-limited: all delivered once: {'met' if all_in else 'NOT met'};"
        f" within 1.2x of ideal: {t_rl / ideal:.2f}x {'met' if in_time else 'NOT met'}"
    )
    # The exit code reports correctness (nothing lost or doubled), not the speed targets.
    ok = all_in and all(r.status == "sent" for r in r_rl.results)
    return 0 if ok else 1


def section_rate_limited(n: int, rate: int) -> tuple[bool, float, float, BatchReport]:
    relay = RelayProcess("--window-limit", str(rate), "--window-seconds", "1")
    try:
        t_rl, r_rl, s_rl = run(
            relay,
            n,
            "limited",
            pool_size=4,
            messages_per_connection=100,
            rate_per_second=float(rate),
            backoff_base=0.25,
            backoff_cap=2.0,
            max_attempts=8,
        )
        t_naive, r_naive, s_naive = run(
            relay,
            n,
            "naive",
            pool_size=4,
            messages_per_connection=100,
            backoff_base=0.25,
            backoff_cap=2.0,
            max_attempts=8,
        )
    finally:
        relay.close()
    ideal = n / rate
    print(f"2) {n} messages to a relay that answers 421 above {rate} msg/s (ideal {ideal:.1f} s)")
    print(line(f"pool with rate_per_second={rate}", t_rl, n, r_rl, s_rl))
    print(line("pool without a rate limit (peer)", t_naive, n, r_naive, s_naive))
    all_in = s_rl["distinct"] == n and s_rl["max_copies"] == 1
    print(
        f"  rate-limited: {s_rl['distinct']}/{n} delivered, max copies {s_rl['max_copies']},"
        f" time {t_rl / ideal:.2f}x ideal (target <= 1.2x): {'OK' if all_in else 'LOST/DUPLICATED'}"
    )
    return all_in, t_rl, ideal, r_rl


def section_spool(n: int, repeat: int) -> None:
    print(f"3) {n} messages, plain SMTP on loopback: the pool with and without its spool")
    relay = RelayProcess()
    costs: list[float] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(repeat):
                spool = Path(tmp) / f"outbox-{i}.sqlite"  # fresh: nothing is a duplicate
                t_off, r_off, s_off = run(relay, n, f"nospool{i}", pool_size=4)
                t_on, r_on, s_on = run(relay, n, f"spool{i}", pool_size=4, spool=spool)
                print(line("pool without the spool (peer)", t_off, n, r_off, s_off))
                print(line("pool with the spool", t_on, n, r_on, s_on))
                costs.append(t_on / t_off)
    finally:
        relay.close()
    each = ", ".join(f"{c:.2f}x" for c in costs)
    print(
        f"  the spool costs {statistics.median(costs):.2f}x the time of the pool alone"
        f" (median of {repeat}: {each})"
    )


if __name__ == "__main__":
    sys.exit(main())
