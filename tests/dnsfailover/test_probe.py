"""Probes against real servers on loopback: HTTPS with SNI and Host = the service's name, TCP,
statuses, body match, a host that never answers."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.dnsfailover.conftest import loopback_net
from watcloud.dnsfailover.config import CheckConfig, ServiceConfig
from watcloud.dnsfailover.probe import probe_round

pytestmark = pytest.mark.integration


class _Seen(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.hosts.append(self.headers.get("Host"))  # type: ignore[attr-defined]
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """An HTTPS server on 127.x.y.1 whose certificate names only svc.example.com."""
    ca = trustme.CA()
    cert = ca.issue_cert("svc.example.com")
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    sni: list[str | None] = []
    ctx.sni_callback = lambda sock, name, c: sni.append(name)  # type: ignore[assignment,misc,return-value]
    srv = ThreadingHTTPServer((f"{loopback_net()}.1", 0), _Seen)
    srv.daemon_threads = True
    srv.hosts = []  # type: ignore[attr-defined]
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield {
        "host": srv.server_address[0],
        "port": srv.server_address[1],
        "ca": ca_file,
        "sni": sni,
        "hosts": srv.hosts,
    }  # type: ignore[attr-defined]
    srv.shutdown()
    srv.server_close()


def svc(fqdn: str, hosts: list[str], **check: Any) -> ServiceConfig:
    return ServiceConfig(fqdn=fqdn, hosts=hosts, check=CheckConfig(**check))


def test_https_sends_the_service_name_as_sni_and_host(tls_server: dict[str, Any]) -> None:
    s = svc(
        "svc.example.com",
        [tls_server["host"]],
        type="https",
        port=tls_server["port"],
        path="/",
        ca_file=tls_server["ca"],
    )
    (r,) = asyncio.run(probe_round([s]))
    assert r.ok, r.detail
    assert tls_server["sni"] == ["svc.example.com"]
    assert tls_server["hosts"] == ["svc.example.com"]


def test_https_certificate_for_another_name_fails(tls_server: dict[str, Any]) -> None:
    s = svc(
        "other.example.com",
        [tls_server["host"]],
        type="https",
        port=tls_server["port"],
        path="/",
        ca_file=tls_server["ca"],
    )
    (r,) = asyncio.run(probe_round([s]))
    assert not r.ok and r.detail.startswith("TLS")
    assert tls_server["sni"] == ["other.example.com"]
    # Explicit sni/host_header override the name, and verify_tls: false skips verification.
    s = svc(
        "other.example.com",
        [tls_server["host"]],
        type="https",
        port=tls_server["port"],
        path="/",
        verify_tls=False,
        host_header="vhost.example.com",
    )
    (r,) = asyncio.run(probe_round([s]))
    assert r.ok and tls_server["hosts"] == ["vhost.example.com"]


def test_tcp_check(web: list[Any]) -> None:
    from tests.dnsfailover.conftest import start_web

    w = start_web(f"{loopback_net()}.1")
    web.append(w)
    s = svc("svc.example.com", [w.host, f"{loopback_net()}.2"], type="tcp", port=w.port)
    ok, refused = asyncio.run(probe_round([s]))
    assert ok.ok and ok.detail == "connected"
    assert not refused.ok and refused.detail == "connection refused"


def test_statuses_and_body(web: list[Any]) -> None:
    from tests.dnsfailover.conftest import start_web

    net = loopback_net()
    a = start_web(f"{net}.1")
    b = start_web(f"{net}.2", a.port, status=302)
    c = start_web(f"{net}.3", a.port, status=404)
    web.extend([a, b, c])
    hosts = [a.host, b.host, c.host]
    r = asyncio.run(probe_round([svc("svc.example.com", hosts, port=a.port, path="/")]))
    assert [x.ok for x in r] == [True, True, False]  # default 200-399; redirects not followed
    assert [x.status for x in r] == [200, 302, 404]
    r = asyncio.run(
        probe_round(
            [svc("svc.example.com", hosts, port=a.port, path="/", expected_status=[200, "4xx"])]
        )
    )
    assert [x.ok for x in r] == [True, False, True]
    r = asyncio.run(
        probe_round(
            [
                svc(
                    "svc.example.com",
                    [a.host],
                    port=a.port,
                    path="/",
                    body_match=r"host=svc\.example\.com$",
                )
            ]
        )
    )
    assert r[0].ok and "body matches" in r[0].detail
    r = asyncio.run(
        probe_round(
            [svc("svc.example.com", [a.host], port=a.port, path="/", body_match="^maintenance")]
        )
    )
    assert not r[0].ok and "does not match" in r[0].detail


def test_a_silent_host_delays_nobody(web: list[Any]) -> None:
    from tests.dnsfailover.conftest import start_web

    net = loopback_net()
    a = start_web(f"{net}.1")
    web.append(a)
    silent = socket.socket()
    silent.bind((f"{net}.2", a.port))
    silent.listen(16)  # accepts (in the kernel), never answers
    try:
        s = svc("svc.example.com", [f"{net}.2", a.host], port=a.port, path="/", timeout=1)
        hung, ok = asyncio.run(probe_round([s]))
    finally:
        silent.close()
    assert not hung.ok and hung.detail == "timeout after 1s"
    assert ok.ok
    assert ok.latency < hung.latency  # finished on its own, not after the silent host


def test_ipv6_host() -> None:
    """An AAAA service: the URL brackets the address; the Host header is still the name."""

    class V6Server(ThreadingHTTPServer):
        address_family = socket.AF_INET6

    try:
        srv = V6Server(("::1", 0), _Seen)
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    srv.daemon_threads = True
    srv.hosts = []  # type: ignore[attr-defined]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        s = ServiceConfig(
            fqdn="svc.example.com",
            type="AAAA",
            hosts=["::1"],
            check=CheckConfig(port=srv.server_address[1], path="/"),
        )
        (r,) = asyncio.run(probe_round([s]))
        assert r.ok, r.detail
        assert srv.hosts == ["svc.example.com"]  # type: ignore[attr-defined]
    finally:
        srv.shutdown()
        srv.server_close()
