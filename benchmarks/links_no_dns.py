"""Benchmark: `watcloud links external` on a CI runner without DNS (issue 22's goal: under 2 s,
valid JSON).

Each run happens in a mount namespace (`unshare -m`, root) whose /etc/resolv.conf names a
resolver on loopback, in two kinds:
  refused  nothing listens at the resolver's address (a runner with no resolver at all)
  silent   a UDP socket reads every query and never answers (a resolver that hangs)
Measured in the same run, with the same resolv.conf:
  watcloud  `watcloud links external URL... -o json --if-no-dns skip` over N hosts,
            `timeout: 1` in the config (the timeout also bounds each name lookup)
  getent    `getent ahosts HOST` for one host: glibc's own cost for one lookup (what any tool
            that calls getaddrinfo without a bound pays per host: 5 s x 2 tries when silent)
  floor     `watcloud links external --help`: the command's start-up, the least a run can take
Nothing leaves the machine: every query goes to 127.8.8.8 or 127.8.8.9.

Run: sudo .venv/bin/python benchmarks/links_no_dns.py [--hosts N] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOSTS = [f"site{i}.example.org" for i in range(200)]


def in_namespace(resolv: Path, cmd: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    script = 'mount --bind "$0" /etc/resolv.conf && exec "$@"'
    start = time.perf_counter()
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, str(resolv), *cmd],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return time.perf_counter() - start, proc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hosts", type=int, default=40, help="distinct host names (default 40)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per kind (best is kept)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root (unshare -m, a socket on port 53)", file=sys.stderr)
        return 2
    exe = shutil.which("watcloud") or str(Path(sys.executable).parent / "watcloud")
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.8.8.8", 53))
    tmp = Path(tempfile.mkdtemp(prefix="links-no-dns-"))
    conf = tmp / "links.yaml"
    conf.write_text("external:\n  timeout: 1\n  attempts: 1\n")
    urls = [f"https://{h}/docs" for h in HOSTS[: args.hosts]]
    print(f"{args.hosts} hosts, timeout 1 s, best of {args.repeat}")
    for kind, addr in (("refused", "127.8.8.9"), ("silent", "127.8.8.8")):
        resolv = tmp / f"resolv-{kind}.conf"
        resolv.write_text(f"nameserver {addr}\n")
        cmd = [exe, "links", "external", *urls, "--config", str(conf)]
        cmd += ["--state", str(tmp / "state.db"), "-o", "json", "--if-no-dns", "skip"]
        best = min((in_namespace(resolv, cmd) for _ in range(args.repeat)), key=lambda r: r[0])
        wall, proc = best
        doc = json.loads(proc.stdout)  # the goal: a valid document, whatever happened
        assert doc["outcome"] == "no-dns-skipped" and proc.returncode == 0, proc.stderr
        peer, _ = in_namespace(resolv, ["getent", "ahosts", HOSTS[0]])
        floor = min(
            in_namespace(resolv, [exe, "links", "external", "--help"])[0]
            for _ in range(args.repeat)
        )
        print(
            f"{kind:8} watcloud {wall:5.2f} s (exit {proc.returncode}, {doc['outcome']}, "
            f"{len(doc['hosts_unresolved'])} hosts)  floor {floor:5.2f} s  getent one host "
            f"{peer:5.2f} s  ratio watcloud/floor {wall / floor:4.2f}x  "
            f"getent-one-host/watcloud {peer / wall:5.2f}x"
        )
    silent.close()
    shutil.rmtree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
