"""Discord webhook delivery against a local HTTP server playing the webhook."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from watcloud.notify import render, send_discord
from watcloud.notify.discord import embed_for
from watcloud.notify.model import DeliveryError

pytestmark = pytest.mark.integration


class Webhook:
    """Replies from a script: each entry is (status, json body or None, headers)."""

    def __init__(self) -> None:
        self.script: list[tuple[int, Any, dict[str, str]]] = []
        self.requests: list[dict[str, Any]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                hook.requests.append(
                    {
                        "path": self.path,
                        "json": json.loads(body),
                        "ua": self.headers.get("User-Agent"),
                    }
                )
                status, payload, headers = hook.script.pop(0) if hook.script else (204, None, {})
                data = json.dumps(payload).encode() if payload is not None else b""
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if data:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/webhooks/1/token"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


def test_posts_content_and_embeds(webhook: Webhook):
    r = render("outage", {"title": "Power work", "status": "scheduled", "start": "s", "end": "e"})
    embed = embed_for(r, url="https://example.org/n", status="scheduled")
    send_discord(webhook.url, content="Heads up", embeds=[embed])
    [req] = webhook.requests
    assert req["path"].endswith("?wait=true")
    assert req["json"]["content"] == "Heads up"
    assert req["json"]["allowed_mentions"] == {"parse": []}  # no accidental @everyone
    [e] = req["json"]["embeds"]
    assert (
        e["title"] == "Power outage scheduled: Power work" and e["url"] == "https://example.org/n"
    )
    assert e["color"] == 0x1D4ED8 and "Starts:" in e["description"]
    assert req["ua"].startswith("watcloud-notify/")


def test_429_waits_retry_after_from_the_body(webhook: Webhook):
    webhook.script = [
        (429, {"message": "You are being rate limited.", "retry_after": 1.25, "global": False}, {}),
        (429, {"message": "slow down", "retry_after": 0.5}, {"Retry-After": "1"}),
        (204, None, {}),
    ]
    waits: list[float] = []
    send_discord(webhook.url, content="hi", sleep=waits.append)
    assert waits == [1.25, 0.5]
    assert len(webhook.requests) == 3


def test_429_header_only_and_5xx_backoff(webhook: Webhook):
    webhook.script = [
        (429, None, {"Retry-After": "2"}),
        (429, None, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),  # HTTP date, past
        (502, None, {}),
        (204, None, {}),
    ]
    waits: list[float] = []
    send_discord(webhook.url, content="hi", sleep=waits.append, backoff=1.0)
    assert waits[:2] == [2.0, 0.0]
    assert 2.0 <= waits[2] <= 6.0  # backoff with jitter for the 502 (third attempt)
    assert len(webhook.requests) == 4


def test_gives_up_and_raises(webhook: Webhook):
    webhook.script = [(429, {"retry_after": 0.1}, {})] * 3
    waits: list[float] = []
    with pytest.raises(DeliveryError, match="gave up after 3 attempt"):
        send_discord(webhook.url, content="hi", sleep=waits.append, attempts=3)
    assert waits == [0.1, 0.1]


def test_4xx_is_not_retried(webhook: Webhook):
    webhook.script = [(404, {"message": "Unknown Webhook", "code": 10015}, {})]
    waits: list[float] = []
    with pytest.raises(DeliveryError, match="404"):
        send_discord(webhook.url, content="hi", sleep=waits.append)
    assert waits == [] and len(webhook.requests) == 1


def test_dead_webhook_and_empty_message():
    waits: list[float] = []
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(DeliveryError, match="ConnectError"):
        send_discord(f"http://127.0.0.1:{port}/x", content="hi", sleep=waits.append, attempts=2)
    assert len(waits) == 1
    with pytest.raises(ValueError):
        send_discord("http://127.0.0.1:1/x")
