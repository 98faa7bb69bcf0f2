from __future__ import annotations

import asyncio
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from tests.conftest import require_binary
from watcloud.core.http import (
    make_async_client,
    make_client,
    request_with_retries,
    retry_after_seconds,
)


class Flaky(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Flaky.hits.append(self.headers["User-Agent"])
        if len(Flaky.hits) < 3:
            self.send_response(503)
            self.send_header("Retry-After", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Flaky.hits = []
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def test_retries_then_succeeds_with_user_agent(server: str) -> None:
    slept: list[float] = []
    with make_client("testtool") as client:
        resp = request_with_retries(client, "GET", server + "/x", attempts=3, sleep=slept.append)
    assert resp.status_code == 200 and resp.text == "ok"
    assert len(Flaky.hits) == 3 and slept == [0.0, 0.0]
    assert Flaky.hits[0].startswith("watcloud-testtool/")


def test_gives_up_and_returns_last_response(server: str) -> None:
    with make_client("t") as client:
        resp = request_with_retries(client, "GET", server, attempts=2, sleep=lambda _: None)
    assert resp.status_code == 503


def test_transport_error_raised_after_attempts() -> None:
    with (
        make_client("t", timeout=0.5, connect_retries=0) as client,
        pytest.raises(httpx.ConnectError),
    ):
        request_with_retries(client, "GET", "http://127.0.0.1:9/", attempts=2, sleep=lambda _: None)


def test_retry_after_forms() -> None:
    req = httpx.Request("GET", "http://x")
    assert (
        retry_after_seconds(httpx.Response(429, headers={"Retry-After": "7"}, request=req), 1) == 7
    )
    assert retry_after_seconds(httpx.Response(429, request=req), 1.5) == 1.5
    past = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert (
        retry_after_seconds(httpx.Response(429, headers={"Retry-After": past}, request=req), 1) == 0
    )


class Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"hello")

    def log_message(self, *_: object) -> None:
        pass


def test_pool_options_reach_the_transport(tmp_path: Path) -> None:
    """`verify=` (and the other pool options) must not be dropped because a transport is set."""
    (openssl,) = require_binary("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    req = ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"]
    san = ["-addext", "subjectAltName=IP:127.0.0.1"]
    subprocess.run(
        [openssl, *req, *san, "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"https://127.0.0.1:{server.server_address[1]}/"
    trust = ssl.create_default_context(cafile=str(cert))
    try:
        with make_client("test", verify=trust, limits=httpx.Limits(max_connections=1)) as c:
            assert c.get(url).text == "hello"
        with make_client("test", connect_retries=0) as c, pytest.raises(httpx.ConnectError):
            c.get(url)  # the default trust store does not know this certificate

        async def fetch() -> str:
            async with make_async_client("test", verify=trust) as ac:
                return (await ac.get(url)).text

        assert asyncio.run(fetch()) == "hello"
    finally:
        server.shutdown()
        server.server_close()


def test_a_given_transport_reaches_the_client() -> None:
    """The docstring says extra arguments reach the client: `transport=` raised TypeError
    (given twice); now the client uses it, with the factory's headers and timeout."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    with make_client("test", transport=httpx.MockTransport(handler), timeout=3) as client:
        assert client.get("http://example.invalid/x").status_code == 204
        assert client.timeout.read == 3
    assert seen[0].headers["User-Agent"].startswith("watcloud-test/")

    async def go() -> int:
        transport = httpx.MockTransport(handler)
        async with make_async_client("test", transport=transport) as client:
            return (await client.get("http://example.invalid/y")).status_code

    assert asyncio.run(go()) == 204
    with pytest.raises(TypeError, match="verify: options of the connection pool"):
        make_client("test", transport=httpx.MockTransport(handler), verify=False)
