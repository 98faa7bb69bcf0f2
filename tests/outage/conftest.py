"""Real servers on loopback for the outage tests: an SMTP server (aiosmtpd) and a PlantOps-like
HTTP site (listing + notice pages with ETags, editable between polls, plus a webhook sink)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Mail:
    rcpt: list[str]
    msg: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.msg["Subject"])

    def body(self, subtype: str = "plain") -> str:
        part = self.msg.get_body(preferencelist=(subtype,))
        return "" if part is None else str(part.get_content())


class SmtpServer:
    """aiosmtpd on 127.0.0.1, ephemeral port, in a thread; collects what it receives."""

    def __init__(self) -> None:
        self.received: list[Mail] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def start(self) -> SmtpServer:
        from aiosmtpd.smtp import SMTP

        server_self = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
                assert isinstance(msg, EmailMessage)
                with server_self.lock:
                    server_self.received.append(Mail(list(envelope.rcpt_tos), msg))
                return "250 OK"

        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            srv = loop.run_until_complete(
                loop.create_server(lambda: SMTP(Handler(), hostname="test"), "127.0.0.1", 0)
            )
            self.port = srv.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            srv.close()
            loop.run_until_complete(srv.wait_closed())
            loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert ready.wait(10), "SMTP server did not start"
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def take(self) -> list[Mail]:
        with self.lock:
            out, self.received = self.received, []
        return out


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
    server = SmtpServer().start()
    yield server
    server.stop()


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
