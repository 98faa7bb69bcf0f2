"""A local SMTP relay (aiosmtpd) that misbehaves like real relays do, for tests, the benchmark
and the demo: `421` and close above a rate, dropped connections mid-transaction, `452`/`550`
for chosen recipients, slow replies, STARTTLS/implicit TLS and AUTH.

aiosmtpd is a test dependency: it is imported when a relay starts, never by the notify API.
"""

from __future__ import annotations

import asyncio
import collections
import email.policy
import ssl
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass
class Delivered:
    """One DATA transaction the relay accepted: the envelope and the bytes as received."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    message_id: str
    watcloud_id: str
    raw_subject: str  # as on the wire (RFC 2047 encoded words, folding)

    @property
    def subject(self) -> str:
        """The subject decoded (RFC 2047) and unfolded (parsed on use: the relay's reply
        timing stays what it was, which the crash tests depend on)."""
        return _decoded_subject(self.data)

    @property
    def message(self) -> EmailMessage:
        """The message parsed with the modern email policy (decoded headers, `get_body`)."""
        msg = BytesParser(policy=email.policy.default).parsebytes(self.data)
        assert isinstance(msg, EmailMessage)
        return msg

    def body(self, subtype: str = "plain") -> str:
        """The text of the `text/<subtype>` part ("" when there is none)."""
        part = self.message.get_body(preferencelist=(subtype,))
        return "" if part is None else str(part.get_content())


@dataclass
class RelayBehaviour:
    """What the relay does. Everything defaults to a well-behaved server."""

    # `421` + close when more than `window_limit` messages were accepted in the last
    # `window_seconds` (sliding window across all connections), checked at MAIL FROM.
    window_limit: int | None = None
    window_seconds: float = 1.0
    # `421` + close on a connection's MAIL FROM after it already carried this many messages.
    per_connection_limit: int | None = None
    # Drop the connection (no reply) at DATA for the first N messages whose subject contains
    # the key (the message is not delivered): a connection lost mid-transaction.
    drop_at_data: dict[str, int] = field(default_factory=dict)
    # Drop the connection at RCPT TO for these recipients, the first N times.
    drop_at_rcpt: dict[str, int] = field(default_factory=dict)
    # recipient -> (reply, times): the reply for the first `times` RCPTs (None = always).
    rcpt_replies: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    # subject substring -> (reply, times): the final DATA reply.
    data_replies: dict[str, tuple[str, int | None]] = field(default_factory=dict)
    # Seconds before each reply to MAIL, RCPT and DATA (a slow relay); only the first
    # `delay_times` such replies when set.
    delay: float = 0.0
    delay_times: int | None = None
    # Seconds before every reply, greeting and EHLO included (a relay far away on the network).
    latency: float = 0.0
    # Seconds a connection may sit idle before the relay closes it.
    idle_timeout: float = 30.0
    # AUTH: username -> password (None: no AUTH offered).
    users: dict[str, str] | None = None
    # Called on the relay's thread at each stage: "MAIL", "RCPT", "DATA" (the message is
    # stored, its 250 not yet sent) and "REPLIED" (right after that 250 was written). Tests use
    # it to kill the client at exact points of the protocol.
    on_event: Callable[[str], None] | None = None


def _decoded_subject(data: bytes) -> str:
    headers = BytesParser(policy=email.policy.default).parsebytes(data, headersonly=True)
    return str(headers.get("Subject", ""))


def _close_after_reply(server: Any) -> None:
    # The reply is written when the hook returns; close the channel right after it, as a
    # relay does after `421`.
    asyncio.get_running_loop().call_soon(server.transport.close)


class _Handler:
    def __init__(self, relay: SmtpRelay) -> None:
        self.relay = relay

    async def _slow(self) -> None:
        b = self.relay.behaviour
        if not b.delay:
            return
        with self.relay.lock:
            if b.delay_times is not None:
                if b.delay_times <= 0:
                    return
                b.delay_times -= 1
        await asyncio.sleep(b.delay)

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        await self._slow()
        relay, b = self.relay, self.relay.behaviour
        if b.on_event is not None:
            b.on_event("MAIL")
        with relay.lock:
            per_conn = getattr(session, "watcloud_messages", 0)
            if b.per_connection_limit is not None and per_conn >= b.per_connection_limit:
                relay.replies_421 += 1
                _close_after_reply(server)
                return "421 4.7.0 Too many messages on this connection, closing"
            if b.window_limit is not None:
                now = time.monotonic()
                q = relay.window
                while q and q[0] <= now - b.window_seconds:
                    q.popleft()
                if len(q) >= b.window_limit:
                    relay.replies_421 += 1
                    _close_after_reply(server)
                    return "421 4.7.0 Rate limit exceeded, try again later"
                q.append(now)
            session.watcloud_messages = per_conn + 1
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        await self._slow()
        relay, b = self.relay, self.relay.behaviour
        if b.on_event is not None:
            b.on_event("RCPT")
        with relay.lock:
            left = b.drop_at_rcpt.get(address, 0)
            if left > 0:
                b.drop_at_rcpt[address] = left - 1
                relay.drops += 1
                server.transport.abort()
                return "250 2.1.5 (never sent)"
            if address in b.rcpt_replies:
                reply, times = b.rcpt_replies[address]
                if times is None or times > 0:
                    if times is not None:
                        b.rcpt_replies[address] = (reply, times - 1)
                    relay.rcpt_refusals.append((address, reply))
                    return reply
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await self._slow()
        relay, b = self.relay, self.relay.behaviour
        data: bytes = envelope.original_content or envelope.content
        msg = BytesHeaderParser().parsebytes(data)  # headers are all the relay looks at
        subject = str(msg.get("Subject", ""))
        with relay.lock:
            for key, left in b.drop_at_data.items():
                if key in subject and left > 0:
                    b.drop_at_data[key] = left - 1
                    relay.drops += 1
                    server.transport.abort()
                    return "250 (never sent)"
            for key, (reply, times) in b.data_replies.items():
                if key in subject and (times is None or times > 0):
                    if times is not None:
                        b.data_replies[key] = (reply, times - 1)
                    return reply
            relay.delivered.append(
                Delivered(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    data,
                    str(msg.get("Message-ID", "")),
                    str(msg.get("X-Watcloud-Id", "")),
                    subject,
                )
            )
        if b.on_event is not None:
            b.on_event("DATA")
            # Runs after the reply below has been written (as `_close_after_reply` does).
            asyncio.get_running_loop().call_soon(b.on_event, "REPLIED")
        return "250 2.0.0 Message accepted for delivery"


class SmtpRelay:
    """An aiosmtpd server on 127.0.0.1, on an ephemeral port, in a background thread.

    security: "none" (STARTTLS offered when `tls_context` is given) or "tls" (implicit TLS).
    """

    def __init__(
        self,
        behaviour: RelayBehaviour | None = None,
        *,
        security: str = "none",
        tls_context: ssl.SSLContext | None = None,
        require_starttls: bool = False,
    ) -> None:
        self.behaviour = behaviour or RelayBehaviour()
        self.security = security
        self.tls_context = tls_context
        self.require_starttls = require_starttls
        self.lock = threading.Lock()
        self.delivered: list[Delivered] = []
        self.connections = 0
        self.replies_421 = 0
        self.drops = 0
        self.rcpt_refusals: list[tuple[str, str]] = []
        self.auth_ok: list[str] = []
        self.window: collections.deque[float] = collections.deque()
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None

    # Counting helpers for tests ------------------------------------------------------------
    def deliveries_by_id(self) -> collections.Counter[str]:
        """X-Watcloud-Id -> how many DATA transactions carried it (1 = exactly once)."""
        with self.lock:
            return collections.Counter(d.watcloud_id for d in self.delivered)

    def deliveries_by_recipient(self) -> collections.Counter[tuple[str, str]]:
        """(X-Watcloud-Id, recipient) -> copies delivered."""
        with self.lock:
            return collections.Counter(
                (d.watcloud_id, r) for d in self.delivered for r in d.rcpt_tos
            )

    def take(self) -> list[Delivered]:
        """The messages delivered since the last `take` (or the start), oldest first."""
        with self.lock:
            out, self.delivered = self.delivered, []
        return out

    # Lifecycle ---------------------------------------------------------------------------
    def _factory(self) -> Any:
        from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

        relay = self

        def authenticator(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> Any:
            users = relay.behaviour.users or {}
            if isinstance(data, LoginPassword):
                user, pw = data.login.decode(), data.password.decode()
                if users.get(user) == pw:
                    with relay.lock:
                        relay.auth_ok.append(user)
                    return AuthResult(success=True, auth_data=user)
            return AuthResult(success=False, handled=False)

        class CountingSMTP(SMTP):  # type: ignore[misc]
            def connection_made(self, transport: Any) -> None:
                # aiosmtpd calls this again on the same connection after STARTTLS (then
                # `_tls_protocol` is set): count each TCP connection once.
                if getattr(self, "_tls_protocol", None) is None:
                    with relay.lock:
                        relay.connections += 1
                super().connection_made(transport)

            async def push(self, status: Any) -> None:
                if relay.behaviour.latency:
                    await asyncio.sleep(relay.behaviour.latency)
                await super().push(status)

        kwargs: dict[str, Any] = {"hostname": "relay.test", "timeout": self.behaviour.idle_timeout}
        if self.security == "none" and self.tls_context is not None:
            kwargs["tls_context"] = self.tls_context
            kwargs["require_starttls"] = self.require_starttls
        if self.behaviour.users is not None:
            kwargs["authenticator"] = authenticator
            kwargs["auth_required"] = True
            kwargs["auth_require_tls"] = self.tls_context is not None
        handler = _Handler(self)
        return lambda: CountingSMTP(handler, **kwargs)

    def start(self) -> SmtpRelay:
        import logging

        # aiosmtpd logs a deprecation warning on every successful AUTH (its own code).
        logging.getLogger("mail.log").setLevel(logging.ERROR)
        factory = self._factory()
        started = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                ssl_ctx = self.tls_context if self.security == "tls" else None
                server = loop.run_until_complete(
                    loop.create_server(factory, "127.0.0.1", 0, ssl=ssl_ctx, backlog=256)
                )
                self._server = server
                self.port = server.sockets[0].getsockname()[1]
            except BaseException as exc:
                errors.append(exc)
                started.set()
                return
            started.set()
            loop.run_forever()
            server.close()
            loop.run_until_complete(server.wait_closed())
            loop.close()

        self._thread = threading.Thread(target=run, name="smtp-relay", daemon=True)
        self._thread.start()
        started.wait(10)
        if errors:
            raise errors[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> SmtpRelay:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def self_signed_cert(directory: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1/localhost made with the `openssl` command."""
    import subprocess

    cert, key = directory / "relay-cert.pem", directory / "relay-key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


def main(argv: list[str] | None = None) -> int:
    """Run a relay in its own process (benchmark, demo): prints its port, then answers
    `stats` (one JSON line of counters) and `reset` on stdin; exits on EOF or `quit`."""
    import argparse
    import json
    import sys

    ap = argparse.ArgumentParser(prog="python -m watcloud.notify.testing")
    ap.add_argument("--window-limit", type=int, default=None, help="421 above N per window")
    ap.add_argument("--window-seconds", type=float, default=1.0)
    ap.add_argument("--per-connection-limit", type=int, default=None)
    ap.add_argument(
        "--delay", type=float, default=0.0, help="seconds before MAIL/RCPT/DATA replies"
    )
    ap.add_argument("--latency", type=float, default=0.0, help="seconds before every reply")
    ap.add_argument("--refuse", action="append", default=[], help="RCPT answered 550")
    ap.add_argument("--tls-cert", type=Path, help="offer STARTTLS with this certificate")
    ap.add_argument("--tls-key", type=Path)
    ap.add_argument("--user", action="append", default=[], help="USER:PASSWORD (AUTH required)")
    args = ap.parse_args(argv)
    behaviour = RelayBehaviour(
        window_limit=args.window_limit,
        window_seconds=args.window_seconds,
        per_connection_limit=args.per_connection_limit,
        delay=args.delay,
        latency=args.latency,
        rcpt_replies={r: ("550 5.1.1 no such user here", None) for r in args.refuse},
        users=dict(u.split(":", 1) for u in args.user) or None,
    )
    tls = server_tls_context(args.tls_cert, args.tls_key) if args.tls_cert else None
    relay = SmtpRelay(behaviour, tls_context=tls).start()
    print(relay.port, flush=True)
    for line in sys.stdin:
        cmd = line.strip()
        if cmd == "stats":
            by_rcpt = relay.deliveries_by_recipient()
            print(
                json.dumps(
                    {
                        "delivered": len(relay.delivered),
                        "distinct": len(by_rcpt),
                        "max_copies": max(by_rcpt.values(), default=0),
                        "connections": relay.connections,
                        "replies_421": relay.replies_421,
                        "refused": len(relay.rcpt_refusals),
                    }
                ),
                flush=True,
            )
        elif cmd == "reset":
            with relay.lock:
                relay.delivered.clear()
                relay.connections = 0
                relay.replies_421 = 0
                relay.rcpt_refusals.clear()
                relay.window.clear()
            print("ok", flush=True)
        elif cmd == "quit":
            break
    relay.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
