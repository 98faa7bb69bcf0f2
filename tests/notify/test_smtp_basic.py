"""The pool against a real aiosmtpd relay: delivery, pooling, per-recipient results."""

from __future__ import annotations

import math
from email import message_from_bytes
from email.message import Message as EmailMessage

import pytest

from tests.notify.conftest import Sleeps
from watcloud.notify import Message, send_batch
from watcloud.notify.smtp import deliver
from watcloud.notify.testing import RelayBehaviour

pytestmark = pytest.mark.integration


def _msgs(n: int, prefix: str = "m") -> list[Message]:
    return [
        Message(to=[f"user{i}@example.org"], subject=f"{prefix} {i}", text=f"body {i}")
        for i in range(n)
    ]


def test_every_message_delivered_once_over_few_connections(relay_factory, settings_for):
    relay = relay_factory()
    settings = settings_for(relay, pool_size=3, messages_per_connection=10)
    report = deliver(_msgs(60), settings)
    assert [r.status for r in report.results] == ["sent"] * 60
    counts = relay.deliveries_by_id()
    assert len(counts) == 60 and set(counts.values()) == {1}
    # 60 messages, 10 per connection: at least 6 connections; each of the 3 workers may end
    # with one partly used connection, so at most 6 + 3 - 1 (no reconnects were needed).
    assert report.stats.reconnects == 0
    assert relay.connections == report.stats.connections_opened
    assert math.ceil(60 / 10) <= relay.connections <= math.ceil(60 / 10) + 3 - 1


def test_one_worker_opens_exactly_ceil_n_over_k_connections(relay_factory, settings_for):
    relay = relay_factory()
    report = deliver(_msgs(25), settings_for(relay, pool_size=1, messages_per_connection=10))
    assert all(r.status == "sent" for r in report.results)
    assert relay.connections == 3


def test_multipart_headers(relay_factory, settings_for):
    relay = relay_factory()
    settings = settings_for(
        relay, list_unsubscribe="<mailto:unsub@watcloud.test>", list_unsubscribe_post=True
    )
    msg = Message(
        to=["a@example.org"], subject="Ünïcode subject", text="plain ✓", html="<p>html ✓</p>"
    )
    [result] = send_batch([msg], settings)
    assert result.ok and result.recipients == {"a@example.org": "ok"}
    [d] = relay.delivered
    em: EmailMessage = message_from_bytes(d.data)
    assert em.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in em.get_payload()] == ["text/plain", "text/html"]
    assert em["Message-ID"] == f"<{msg.id}@watcloud.test>"
    assert em["Date"]
    assert em["List-Unsubscribe"] == "<mailto:unsub@watcloud.test>"
    assert em["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert d.mail_from == "no-reply@watcloud.test"
    # 7-bit on the wire (no 8BITMIME needed); the text survives decoding.
    assert all(b < 128 for b in d.data)
    assert "plain ✓" in em.get_payload()[0].get_payload(decode=True).decode()


def test_one_recipient_refused_does_not_fail_the_others(relay_factory, settings_for):
    relay = relay_factory(
        RelayBehaviour(rcpt_replies={"ghost@example.org": ("550 5.1.1 no such user", None)})
    )
    sleeps = Sleeps()
    [r] = send_batch(
        [
            Message(
                to=["a@example.org", "ghost@example.org", "b@example.org"], subject="s", text="t"
            )
        ],
        settings_for(relay),
        sleep=sleeps,
    )
    assert r.status == "failed" and not r.ok
    assert r.recipients == {
        "a@example.org": "ok",
        "ghost@example.org": "550 5.1.1 no such user",
        "b@example.org": "ok",
    }
    assert r.attempts == 1 and sleeps.calls == []  # 5xx: no retry
    # One copy per recipient: the refused one does not hold up the others.
    assert sorted(d.rcpt_tos[0] for d in relay.delivered) == ["a@example.org", "b@example.org"]
    assert all(len(d.rcpt_tos) == 1 for d in relay.delivered)


def test_header_injection_is_refused_and_subject_line_breaks_folded(relay_factory, settings_for):
    relay = relay_factory()
    bad = Message(
        to=["a@example.org"], subject="s", text="t", headers={"X-Tag": "a\r\nBcc: evil@example.org"}
    )
    ok = Message(
        to=["b@example.org"],
        subject="two\nlines",
        text="t",
        headers={"Reply-To": "ops@example.org"},
    )
    results = send_batch([bad, ok], settings_for(relay))
    assert results[0].status == "failed" and "line break" in (results[0].error or "")
    assert results[1].status == "sent"
    [d] = relay.delivered
    em = message_from_bytes(d.data)
    assert em["Subject"] == "two lines" and em["Reply-To"] == "ops@example.org"
    assert d.rcpt_tos == ["b@example.org"]


def test_unsendable_addresses_are_refused_locally(relay_factory, settings_for):
    relay = relay_factory()
    [r] = send_batch(
        [Message(to=["ok@example.org", "jörg@exämple.org", "no-at-sign"], subject="s", text="t")],
        settings_for(relay),
    )
    assert r.status == "failed"
    assert r.recipients["ok@example.org"] == "ok"
    assert r.recipients["jörg@exämple.org"].startswith("553 5.6.7")
    assert r.recipients["no-at-sign"].startswith("553 5.1.3")
    [d] = relay.delivered
    assert d.rcpt_tos == ["ok@example.org"]
    # Nobody valid: nothing is sent at all.
    [r2] = send_batch([Message(to=["bad"], subject="s2", text="t")], settings_for(relay))
    assert r2.status == "failed" and r2.attempts == 0 and len(relay.delivered) == 1


def test_connections_send_without_nagle_delay(relay_factory, settings_for):
    """The final "." of DATA is its own small write after the spool's intent: without
    TCP_NODELAY it waits for the relay's delayed ACK (40 ms a message, 11.7x slower in
    benchmarks/smtp_pool.py section 3)."""
    import socket

    from watcloud.notify.smtp import Pool

    relay = relay_factory()
    pool = Pool(settings_for(relay))
    conn = pool._open()
    try:
        assert conn.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
    finally:
        conn.close()
