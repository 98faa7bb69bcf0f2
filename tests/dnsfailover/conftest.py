"""Fixtures for dns-failover: a real Knot DNS server on loopback, tiny HTTP servers."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import require_binary
from tests.dnsfailover.cf_standin import CloudflareState, serve

ZONE = "test.watcloud"
KEY_NAME = "dnsfailover-key"


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1 (tiny race, acceptable in tests)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                try:
                    u.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return int(port)
    raise RuntimeError("no free port")


@dataclass
class Knot:
    port: int
    zone: str
    key_name: str
    secret: str
    workdir: Path
    proc: subprocess.Popen[bytes]

    def answers(self, name: str, rtype: str = "A", timeout: float = 3) -> set[str]:
        """The server's answer for `name` (queried with dnspython over UDP)."""
        import dns.message
        import dns.query
        import dns.rcode

        q = dns.message.make_query(name, rtype)
        resp = dns.query.udp(q, "127.0.0.1", port=self.port, timeout=timeout)
        if resp.rcode() == dns.rcode.NXDOMAIN:
            return set()
        out: set[str] = set()
        for rrset in resp.answer:
            out.update(r.to_text() for r in rrset)
        return out

    def provider_config(self, **extra: object) -> dict[str, object]:
        """The daemon's `provider:` mapping for this server (the secret comes from the
        environment: `WATCLOUD_DNS_TSIG_SECRET` unless `tsig_secret_env` is given)."""
        return {
            "kind": "rfc2136",
            "server": "127.0.0.1",
            "port": self.port,
            "zone": self.zone,
            "tsig_key_name": self.key_name,
            **extra,
        }

    def nsupdate(self, *lines: str) -> None:
        """Apply an update signed with the key (as an operator would with nsupdate)."""
        import dns.query
        import dns.rcode
        import dns.tsigkeyring
        import dns.update

        upd = dns.update.UpdateMessage(
            self.zone,
            keyring=dns.tsigkeyring.from_text({self.key_name: self.secret}),
            keyname=self.key_name,
            keyalgorithm="hmac-sha256",
        )
        for line in lines:
            op, name, *rest = line.split(maxsplit=3)
            name = name if name.endswith(".") else name + "."
            if op == "add":
                ttl, rtype, data = rest[0], *rest[1].split(maxsplit=1)
                upd.add(name, int(ttl), rtype, data)
            else:
                rtype, data = rest
                upd.delete(name, rtype, data)
        resp = dns.query.tcp(upd, "127.0.0.1", port=self.port, timeout=3)
        assert resp.rcode() == dns.rcode.NOERROR, dns.rcode.to_text(resp.rcode())


@contextlib.contextmanager
def run_knot(work: Path, knotd: str = "knotd") -> Iterator[Knot]:
    """Start Knot on 127.0.0.1 (ephemeral port) with zone test.watcloud and a TSIG key."""
    (work / "db").mkdir(parents=True)
    port = free_port()
    secret = base64.b64encode(secrets.token_bytes(32)).decode()
    (work / f"{ZONE}.zone").write_text(
        f"$ORIGIN {ZONE}.\n$TTL 60\n"
        "@ SOA ns1 hostmaster 1 60 60 3600 60\n"
        "@ NS ns1\n"
        "ns1 A 127.0.0.1\n"
        "manual A 192.0.2.10\n"
    )
    (work / "knot.conf").write_text(
        f"""server:
    rundir: "{work}"
    listen: 127.0.0.1@{port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: warning
database:
    storage: "{work}/db"
control:
    listen: "{work}/knot.sock"
key:
  - id: {KEY_NAME}
    algorithm: hmac-sha256
    secret: {secret}
acl:
  - id: tsig_update
    key: {KEY_NAME}
    action: update
template:
  - id: default
    storage: "{work}"
    file: "%s.zone"
    zonefile-sync: -1
    journal-content: changes
zone:
  - domain: {ZONE}.
    acl: tsig_update
"""
    )
    log = (work / "knotd.log").open("wb")
    proc = subprocess.Popen([knotd, "-c", str(work / "knot.conf")], stdout=log, stderr=log)
    server = Knot(port, ZONE, KEY_NAME, secret, work, proc)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if server.answers(f"ns1.{ZONE}", timeout=0.2) == {"127.0.0.1"}:
                    break
            except Exception:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log_text = (work / "knotd.log").read_text()[-2000:]
                raise RuntimeError(f"knotd did not start: {log_text}")
            time.sleep(0.05)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture
def knot(tmp_path: Path) -> Iterator[Knot]:
    (knotd,) = require_binary("knotd")
    with run_knot(tmp_path / "knot", knotd) as server:
        yield server


class _Handler(BaseHTTPRequestHandler):
    status = 200
    body = "ok\n"

    def do_GET(self) -> None:
        srv = self.server
        body = f"{srv.body} host={self.headers.get('Host')}\n".encode()  # type: ignore[attr-defined]
        self.send_response(srv.status)  # type: ignore[attr-defined]
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class WebServer:
    host: str
    port: int
    server: ThreadingHTTPServer

    def set(self, status: int | None = None, body: str | None = None) -> None:
        if status is not None:
            self.server.status = status  # type: ignore[attr-defined]
        if body is not None:
            self.server.body = body  # type: ignore[attr-defined]


def start_web(host: str = "127.0.0.1", port: int = 0, status: int = 200) -> WebServer:
    srv = ThreadingHTTPServer((host, port), _Handler)
    srv.daemon_threads = True
    srv.status = status  # type: ignore[attr-defined]
    srv.body = "ok"  # type: ignore[attr-defined]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return WebServer(host, srv.server_address[1], srv)


@pytest.fixture
def web() -> Iterator[list[WebServer]]:
    """Call `web.append(start_web(...))`; all are shut down at teardown."""
    servers: list[WebServer] = []
    yield servers
    for s in servers:
        s.server.shutdown()
        s.server.server_close()


@pytest.fixture
def pid_tag() -> str:
    return str(os.getpid())


def loopback_net() -> str:
    """A 127.a.b.0/24 of our own (all of 127/8 is loopback on Linux, no config needed)."""
    pid = os.getpid()
    return f"127.{200 + pid % 50}.{(pid // 50) % 250}"


@pytest.fixture
def hosts() -> Iterator[list[WebServer]]:
    net = loopback_net()
    first = start_web(f"{net}.1")
    servers = [first] + [start_web(f"{net}.{i}", first.port) for i in (2, 3)]
    yield servers
    for s in servers:
        s.server.shutdown()
        s.server.server_close()


@pytest.fixture
def cf() -> Iterator[tuple[CloudflareState, str]]:
    """The Cloudflare v4 stand-in with zone example.com (token "t0ken"): (state, base URL)."""
    state = CloudflareState(token="t0ken")
    state.add_zone("example.com")
    srv, base = serve(state)
    yield state, base
    srv.shutdown()
    srv.server_close()
