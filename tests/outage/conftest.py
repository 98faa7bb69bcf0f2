"""Real servers on loopback for the outage tests: an SMTP server (aiosmtpd) and a PlantOps-like
HTTP site (listing + notice pages with ETags, editable between polls, plus a webhook sink)."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from watcloud.notify.testing import SmtpRelay as SmtpServer


@dataclass
class Site:
    """A PlantOps-like site: `pages` maps a path+query to HTML; ETags are content hashes."""

    pages: dict[str, str] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0
    status_override: dict[str, int] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_notice(self, nid: int, html: str) -> None:
        self.pages[f"/service-interruptions/notice.php?ID={nid}"] = html

    def set_listing(self, html: str) -> None:
        self.pages["/service-interruptions/"] = html

    def requests_for(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.log if r["path"] == path]


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """notify's test relay (aiosmtpd on 127.0.0.1); `take()` returns what it received."""
    with SmtpServer() as server:
        yield server


@pytest.fixture
def site() -> Iterator[Site]:
    state = Site()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            entry = {
                "path": self.path,
                "ua": self.headers.get("User-Agent", ""),
                "inm": self.headers.get("If-None-Match"),
            }
            state.log.append(entry)
            if self.path in state.redirects:
                self.send_response(301)
                self.send_header("Location", state.redirects[self.path])
                self.end_headers()
                return
            if self.path in state.status_override:
                self.send_response(state.status_override[self.path])
                self.end_headers()
                return
            body = state.pages.get(self.path)
            if body is None:
                self.send_response(404)
                self.end_headers()
                return
            etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                entry["status"] = 304
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            data = body.encode()
            entry["status"] = 200
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            payload = json.loads(self.rfile.read(length) or b"{}")
            state.webhooks.append({"path": self.path, "json": payload})
            self.send_response(204)
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def listing_html(items: list[tuple[int, str]]) -> str:
    rows = "".join(
        f'<a class="w3-bar-item w3-leftbar w3-hover-border-gold" href="notice.php?ID={nid}">'
        f"{title}</a>"
        for nid, title in items
    )
    return (
        "<!DOCTYPE html><html><head><title>Service Interruptions</title></head><body>"
        f'<div class="w3-bar-block">{rows}</div><a href="/other">About</a></body></html>'
    )


def notice_html(title: str, where: str, what: str, when: str, how: str = "") -> str:
    sections = [
        ("Where is this happening?", where),
        ("What is happening?", what),
        ("When is this happening?", when),
        ("How does this affect the UW community?", how or "Normal power will be off."),
        ("Who to contact for more information?", "Facilities desk, ext. 30000"),
    ]
    body = "".join(f"<h4>{q}</h4><p>{a}</p>" for q, a in sections)
    return (
        "<!DOCTYPE html><html><body><div class='w3-container'>"
        f"<h2>Service Interruption Notice</h2><h3>{title}</h3>{body}</div></body></html>"
    )
