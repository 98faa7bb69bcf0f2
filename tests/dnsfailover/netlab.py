"""Test hosts as network namespaces: one bridge, a veth per host, python http.server inside each.

Needs root and iproute2. Names carry the pid, the addresses are a 10.213.X.0/24 that exists only
on our own bridge and veths (X chosen so it is not in use on this machine). Everything is
removed on exit, also after a failure.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

PORT = 8080


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


@dataclass
class NetHost:
    index: int
    netns: str
    veth_host: str
    address: str
    docroot: Path
    server: subprocess.Popen[bytes] | None = None

    def start_server(self) -> None:
        assert self.server is None
        self.server = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                self.netns,
                sys.executable,
                "-m",
                "http.server",
                str(PORT),
                "--bind",
                self.address,
                "--directory",
                str(self.docroot),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def wait_serving(self, timeout: float = 15) -> None:
        """Until the server answers (a new python process takes a while to listen)."""
        import urllib.request

        deadline = time.monotonic() + timeout
        while True:
            try:
                url = f"http://{self.address}:{PORT}/healthz"
                with urllib.request.urlopen(url, timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.address}: http.server did not come up")
            time.sleep(0.02)

    def stop_server(self) -> None:
        if self.server is not None:
            self.server.terminate()
            try:
                self.server.wait(10)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait()
            self.server = None

    def cut_link(self) -> None:
        ip("link", "set", self.veth_host, "down")

    def restore_link(self) -> None:
        ip("link", "set", self.veth_host, "up")


@dataclass
class Lab:
    bridge: str
    subnet: str
    hosts: list[NetHost] = field(default_factory=list)

    def wait_serving(self, timeout: float = 15) -> None:
        for h in self.hosts:
            h.wait_serving(timeout)


def _free_subnet() -> int:
    used = ip("-4", "addr").stdout + ip("-4", "route").stdout
    start = 20 + os.getpid() % 200
    for k in range(235):
        x = 20 + (start - 20 + k) % 235
        if f"10.213.{x}." not in used:
            return x
    raise RuntimeError("no free 10.213.X.0/24")


@contextlib.contextmanager
def lab(n: int, workdir: Path) -> Iterator[Lab]:
    pid = os.getpid()
    x = _free_subnet()
    the_lab = Lab(bridge=f"dfb{pid}", subnet=f"10.213.{x}")
    created_ns: list[str] = []
    try:
        ip("link", "add", the_lab.bridge, "type", "bridge")
        ip("addr", "add", f"{the_lab.subnet}.1/24", "dev", the_lab.bridge)
        ip("link", "set", the_lab.bridge, "up")
        for i in range(n):
            ns, vh, vn = f"dnsf-{pid}-{i}", f"dfh{pid}{i}", f"dfn{pid}{i}"
            ip("netns", "add", ns)
            created_ns.append(ns)
            ip("link", "add", vh, "type", "veth", "peer", "name", vn)
            ip("link", "set", vn, "netns", ns)
            ip("link", "set", vh, "master", the_lab.bridge)
            ip("link", "set", vh, "up")
            addr = f"{the_lab.subnet}.{11 + i}"
            ip("-n", ns, "addr", "add", f"{addr}/24", "dev", vn)
            ip("-n", ns, "link", "set", vn, "up")
            ip("-n", ns, "link", "set", "lo", "up")
            docroot = workdir / f"host{i}"
            docroot.mkdir(parents=True, exist_ok=True)
            (docroot / "healthz").write_text(f"ok from host {i}\n")
            host = NetHost(i, ns, vh, addr, docroot)
            the_lab.hosts.append(host)
            host.start_server()
        the_lab.wait_serving()
        yield the_lab
    finally:
        for h in the_lab.hosts:
            h.stop_server()
        for ns in created_ns:
            ip("netns", "del", ns, check=False)  # takes its veth end, and so the pair, along
        for i in range(n):
            ip("link", "del", f"dfh{pid}{i}", check=False)
        ip("link", "del", the_lab.bridge, check=False)


@dataclass
class DaemonProc:
    """`watcloud dns-failover run` as a subprocess, with its /metrics read back."""

    proc: subprocess.Popen[str]
    port: int
    log_path: Path

    def metric(self, name: str, **labels: str) -> float | None:
        import urllib.request

        from prometheus_client.parser import text_string_to_metric_families

        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as r:
            text = r.read().decode()
        for fam in text_string_to_metric_families(text):
            for s in fam.samples:
                if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                    return float(s.value)
        return None

    def stop(self) -> int:
        import signal

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_daemon(
    exe: str, config: Path, port: int, env: dict[str, str], workdir: Path
) -> DaemonProc:
    import urllib.request

    log_path = workdir / "daemon.log"
    fh = log_path.open("w")
    proc = subprocess.Popen(
        [exe, "dns-failover", "run", "-c", str(config)],
        stdout=fh,
        stderr=fh,
        text=True,
        env={**os.environ, **env},
    )
    d = DaemonProc(proc, port, log_path)
    deadline = time.monotonic() + 30
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"daemon exited: {d.log()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return d
        except OSError:
            pass
        if time.monotonic() > deadline:
            d.stop()
            raise RuntimeError(f"daemon did not start: {d.log()[-2000:]}")
        time.sleep(0.05)
