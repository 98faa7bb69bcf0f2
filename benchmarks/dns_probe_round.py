"""Benchmark: one probe round over 200 hosts, 50 of which never answer, and failover time.

Part 1 (any user): 200 hosts on loopback addresses 127.A.B.1-200 (all of 127/8 is loopback on
Linux), served by a separate process: 150 answer HTTP 200, 50 accept the connection and never
send a byte. Timeout 2 s. Claim: a round takes at most timeout + 10%. Named peer: the earlier
script's way, one host at a time (a blocking `httpx.Client` loop with the same timeout).

Part 2 (root, iproute2 and knotd): the end-to-end setup of the tests (three hosts in network
namespaces serving HTTP, Knot updated over RFC 2136) with interval 1 s, timeout 0.5 s,
down_after 2: the time from a host's failure (server stopped; link cut) to its record leaving
Knot's answer, against the bound interval x down_after + one round.

Run: .venv/bin/python benchmarks/dns_probe_round.py [--hosts 200] [--silent 50] [--timeout 2]
     [--skip-sequential] [--skip-netns] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import platform
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# -- part 1 ------------------------------------------------------------------------------------
def _serve(
    addresses: list[str],
    silent: set[str],
    port_q: multiprocessing.Queue,  # type: ignore[type-arg]
    stop: multiprocessing.Event,
) -> None:  # type: ignore[valid-type]
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while (await reader.readline()) not in (b"\r\n", b""):
                pass
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
            await writer.drain()
        finally:
            writer.close()

    def hang(addr: str, port: int) -> socket.socket:
        # The kernel completes the handshake into the backlog; nobody ever reads or answers.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((addr, port))
        sock.listen(512)
        return sock

    async def main() -> None:
        port = 0
        servers: list[asyncio.Server] = []
        sockets: list[socket.socket] = []
        for attempt in range(20):
            try:
                for addr in addresses:
                    if addr in silent:
                        sockets.append(hang(addr, port))
                        port = sockets[-1].getsockname()[1]
                        continue
                    srv = await asyncio.start_server(answer, addr, port, backlog=512)
                    port = srv.sockets[0].getsockname()[1]
                    servers.append(srv)
                break
            except OSError:
                for srv in servers:
                    srv.close()
                for sock in sockets:
                    sock.close()
                servers, sockets, port = [], [], 0
                if attempt == 19:
                    raise
        port_q.put(port)
        while not stop.is_set():
            await asyncio.sleep(0.1)

    asyncio.run(main())


def sequential_round(hosts: list[str], port: int, timeout: float) -> float:
    """The peer: one host after the other, as the old script did."""
    import httpx

    start = time.perf_counter()
    with httpx.Client(timeout=timeout) as client:
        for h in hosts:
            with contextlib.suppress(httpx.HTTPError):
                client.get(f"http://{h}:{port}/healthz", headers={"Host": "svc.example.com"})
    return time.perf_counter() - start


def part1(n: int, n_silent: int, timeout: float, repeat: int, skip_seq: bool) -> None:
    from watcloud.dnsfailover.config import ServiceConfig
    from watcloud.dnsfailover.probe import probe_round

    a, b = 100 + os.getpid() % 100, (os.getpid() // 100) % 250
    hosts = [f"127.{a}.{b}.{i}" for i in range(1, n + 1)]
    silent = set(hosts[:: max(1, n // n_silent)][:n_silent])
    q: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    stop = multiprocessing.Event()
    proc = multiprocessing.Process(target=_serve, args=(hosts, silent, q, stop), daemon=True)
    proc.start()
    try:
        port = q.get(timeout=60)
        svc = ServiceConfig.model_validate(
            {
                "fqdn": "svc.example.com",
                "hosts": hosts,
                "check": {
                    "port": port,
                    "path": "/healthz",
                    "timeout": timeout,
                    "interval": max(timeout, 10),
                },
            }
        )
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            results = asyncio.run(probe_round([svc]))
            times.append(time.perf_counter() - start)
            ok = sum(r.ok for r in results)
            timed_out = sum("timeout" in r.detail for r in results)
            assert ok == n - len(silent) and timed_out == len(silent), (ok, timed_out)
        worst = max(times)
        print(f"part 1: {n} hosts on loopback, {len(silent)} never answer, timeout {timeout:g} s")
        print(
            f"  concurrent round (dnsfailover): {', '.join(f'{t:.3f}' for t in times)} s; "
            f"worst {worst:.3f} s; worst / timeout = {worst / timeout:.3f} "
            f"({'within' if worst <= timeout * 1.1 else 'OVER'} the 1.10 claim)"
        )
        print(f"  results per round: {n - len(silent)} ok, {len(silent)} timeouts")
        if not skip_seq:
            seq = sequential_round(hosts, port, timeout)
            print(
                f"  sequential peer (one host at a time, the old script): {seq:.3f} s; "
                f"seq / timeout = {seq / timeout:.1f}"
            )
            print(f"  ratio sequential / concurrent: {seq / statistics.median(times):.1f}x")
    finally:
        stop.set()
        proc.join(5)
        if proc.is_alive():
            proc.kill()


# -- part 2 ------------------------------------------------------------------------------------
def part2(repeat: int) -> None:
    import shutil

    import yaml

    if (
        os.geteuid() != 0
        or shutil.which("ip") is None
        or not (shutil.which("knotd") or os.access("/usr/sbin/knotd", os.X_OK))
    ):
        print("part 2: skipped (needs root, iproute2 and knotd)")
        return
    from tests.dnsfailover.conftest import free_port, run_knot
    from tests.dnsfailover.netlab import PORT, lab, start_daemon

    interval, timeout, down_after = 1.0, 0.5, 2
    bound = interval * down_after + interval
    exe = str(Path(sys.executable).parent / "watcloud")
    with tempfile.TemporaryDirectory(prefix="dnsf-bench-") as tmp:
        work = Path(tmp)
        with (
            run_knot(work / "knot", shutil.which("knotd") or "/usr/sbin/knotd") as knot,
            lab(3, work / "www") as the_lab,
        ):
            port = free_port()
            name = f"web.{knot.zone}"
            cfg = {
                "provider": knot.provider_config(),
                "services": [
                    {
                        "fqdn": name,
                        "ttl": 5,
                        "hosts": [h.address for h in the_lab.hosts],
                        "check": {
                            "port": PORT,
                            "path": "/healthz",
                            "timeout": timeout,
                            "interval": interval,
                        },
                        "down_after": down_after,
                        "up_after": 2,
                    }
                ],
                "listen": f"127.0.0.1:{port}",
                "lock": {"path": str(work / "lock")},
            }
            (work / "c.yaml").write_text(yaml.safe_dump(cfg))
            d = start_daemon(
                exe, work / "c.yaml", port, {"WATCLOUD_DNS_TSIG_SECRET": knot.secret}, work
            )
            addrs = {h.address for h in the_lab.hosts}
            victim = the_lab.hosts[1]

            def wait(cond: object, limit: float = 30) -> float:
                t0 = time.monotonic()
                while not cond(knot.answers(name)):  # type: ignore[operator]
                    if time.monotonic() - t0 > limit:
                        raise RuntimeError(f"timed out; log:\n{d.log()[-2000:]}")
                    time.sleep(0.01)
                return time.monotonic() - t0

            try:
                wait(lambda a: a == addrs)
                figures: dict[str, list[float]] = {"server stopped": [], "link cut": []}
                for i in range(repeat):
                    time.sleep(interval * (0.3 + 0.37 * i) % interval)  # vary the phase
                    victim.stop_server()
                    figures["server stopped"].append(wait(lambda a: victim.address not in a))
                    victim.start_server()
                    wait(lambda a: a == addrs)
                    time.sleep(interval * (0.5 + 0.37 * i) % interval)
                    victim.cut_link()
                    figures["link cut"].append(wait(lambda a: victim.address not in a))
                    victim.restore_link()
                    wait(lambda a: a == addrs)
            finally:
                d.stop()
    print(
        f"part 2: failure -> record gone from Knot's answer (interval {interval:g} s, timeout "
        f"{timeout:g} s, down_after {down_after}; bound interval x down_after + one round = "
        f"{bound:g} s), {repeat} runs each"
    )
    for what, vals in figures.items():
        print(
            f"  {what}: median {statistics.median(vals):.2f} s, max {max(vals):.2f} s; "
            f"max / bound = {max(vals) / bound:.2f}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--silent", type=int, default=50)
    ap.add_argument("--timeout", type=float, default=2.0)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-sequential", action="store_true")
    ap.add_argument("--skip-netns", action="store_true")
    args = ap.parse_args()
    print(
        f"dns_probe_round: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    part1(args.hosts, args.silent, args.timeout, args.repeat, args.skip_sequential)
    if not args.skip_netns:
        part2(args.repeat)


if __name__ == "__main__":
    main()
