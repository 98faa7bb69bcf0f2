"""Real HTTP servers on loopback for the external checker: a small website with every
behaviour the checker must handle, and a stand-in for the GitHub REST API that follows its
documented response shapes (JSON bodies, `x-ratelimit-*` headers, 401/404 messages)."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

PAGE = b"""<!DOCTYPE html><html><head><title>t</title></head><body>
<h1 id="intro">Intro</h1><a name="old-anchor"></a><p id="caf\xc3\xa9">x</p></body></html>"""
GH_PAGE = b"""<!DOCTYPE html><html><body><article class="markdown-body">
<h2 id="user-content-install">Install</h2></article></body></html>"""


@dataclass
class Site:
    base: str
    hits: Counter[str] = field(default_factory=Counter)
    methods: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    inflight: int = 0
    max_inflight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return self.base + path

    def record(self, request: BaseHTTPRequestHandler, path: str) -> int:
        """Note one request (method, path, headers); how many times `path` was asked for."""
        with self.lock:
            self.hits[path] += 1
            self.methods.append((request.command, path))
            self.headers[path] = {k.lower(): v for k, v in request.headers.items()}
            return self.hits[path]


def _handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def send(
            self,
            code: int,
            body: bytes = b"",
            headers: dict[str, str] | None = None,
            ctype: str = "text/html; charset=utf-8",
        ) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def do_HEAD(self) -> None:
            self.route()

        def do_GET(self) -> None:
            self.route()

        def route(self) -> None:
            path = urlsplit(self.path).path
            n = site.record(self, path)
            if path == "/ok":
                self.send(200, PAGE)
            elif path == "/gh-readme":
                self.send(200, GH_PAGE)
            elif path == "/moved":
                self.send(301, headers={"Location": "/ok"})
            elif path == "/moved308":
                self.send(308, headers={"Location": "/ok"})
            elif path == "/temporary":
                self.send(302, headers={"Location": "/ok"})
            elif path == "/loop":
                self.send(301, headers={"Location": "/loop"})
            elif path == "/gone-404":
                self.send(404, b"not found")
            elif path == "/gone-410":
                self.send(410, b"gone")
            elif path == "/ratelimited":
                if n == 1:
                    self.send(429, b"slow down", {"Retry-After": "2"})
                else:
                    self.send(200, PAGE)
            elif path == "/ratelimited-long":
                self.send(429, b"slow down", {"Retry-After": "3600"})
            elif path == "/flaky":
                self.send(503 if n == 1 else 200, PAGE)
            elif path == "/down":
                self.send(503, b"down")
            elif path == "/no-head":
                self.send(405 if self.command == "HEAD" else 200, PAGE)
            elif path == "/slow":
                time.sleep(1.5)
                self.send(200, PAGE)
            elif path == "/login":
                self.send(401, b"login", {"WWW-Authenticate": 'Basic realm="x"'})
            elif path == "/members":
                token = self.headers.get("X-Member-Token")
                self.send(200 if token == "s3cret" else 403, PAGE)
            elif path.startswith("/concurrent/"):
                with site.lock:
                    site.inflight += 1
                    site.max_inflight = max(site.max_inflight, site.inflight)
                time.sleep(0.15)
                with site.lock:
                    site.inflight -= 1
                self.send(200, PAGE)
            else:
                self.send(404, b"no such route")

    return Handler


GH_TOKEN = "ghp_test_token"
GH_PRIVATE = {"/repos/WATonomous/infra-config"}
GH_OK = {
    "/repos/WATonomous/infra-config",
    "/repos/WATonomous/infra-config/contents/README.md?ref=main",
    "/repos/WATonomous/infra-config/contents/docs/setup.md?ref=feature%2Fnew-docs",
    "/repos/WATonomous/infra-config/commits/main",
    "/repos/WATonomous/infra-config/issues/5",
    "/repos/WATonomous/infra-config/pulls/7",
    "/repos/WATonomous/wato_monorepo",
    "/users/WATonomous",
}


def _github_handler(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def reply(
            self,
            code: int,
            payload: dict[str, Any],
            extra: dict[str, str] | None = None,
            remaining: int = 4999,
        ) -> None:
            body = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            headers = {
                "x-ratelimit-limit": "5000",
                "x-ratelimit-remaining": str(remaining),
                "x-ratelimit-reset": str(int(time.time()) + 3600),
                "x-ratelimit-used": str(5000 - remaining),
                "x-ratelimit-resource": "core",
                "X-GitHub-Media-Type": "github.v3; format=json",
                **(extra or {}),
            }
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            path = self.path
            n = site.record(self, path)
            auth = self.headers.get("Authorization", "")
            docs = "https://docs.github.com/rest"
            if auth and auth != f"Bearer {GH_TOKEN}":
                self.reply(401, {"message": "Bad credentials", "documentation_url": docs})
                return
            if path == "/repos/WATonomous/rate-limited" and n == 1:
                self.reply(
                    403,
                    {
                        "message": "API rate limit exceeded for user ID 1.",
                        "documentation_url": docs,
                    },
                    {"x-ratelimit-reset": str(int(time.time()) + 1)},
                    remaining=0,
                )
                return
            if path == "/repos/WATonomous/rate-limited":
                path = "/repos/WATonomous/wato_monorepo"
            if path == "/repos/WATonomous/exhausted":
                self.reply(
                    403,
                    {
                        "message": "API rate limit exceeded for user ID 1.",
                        "documentation_url": docs,
                    },
                    {"x-ratelimit-reset": str(int(time.time()) + 7200)},
                    remaining=0,
                )
                return
            if path in GH_OK and (auth or path not in GH_PRIVATE):
                self.reply(200, {"id": 1, "url": f"{site.base}{path}"})
            else:
                self.reply(404, {"message": "Not Found", "documentation_url": docs})

    return Handler


def _serve(handler: Any, site: Site) -> Iterator[Site]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler(site))
    server.daemon_threads = True
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def web() -> Iterator[Site]:
    yield from _serve(_handler, Site(""))


@pytest.fixture
def github_api() -> Iterator[Site]:
    yield from _serve(_github_handler, Site(""))
