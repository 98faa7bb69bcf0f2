"""No recipient sees another's address; every message is marked automatic (RFC 3834).

Against a real aiosmtpd relay on loopback: the relay's stored bytes are what a recipient gets.
"""

from __future__ import annotations

import email
import email.policy
from email.parser import BytesHeaderParser

import pytest

from watcloud.notify import Message, deliver, load_notify_config, send_batch

pytestmark = pytest.mark.integration

PEOPLE = [
    "alice@example.org",
    "Bob Builder <bob@example.org>",
    '"Carol, PhD" <carol@lab.example.org>',
    "dave@example.org",
    "Érica Souza <erica@example.org>",
]
ADDRS = ["alice@example.org", "bob@example.org", "carol@lab.example.org", "dave@example.org",
         "erica@example.org"]  # fmt: skip


def _headers(data: bytes) -> str:
    """Every header of the message, decoded (RFC 2047), as one lower-case string."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    return "\n".join(f"{k}: {v}" for k, v in msg.items()).lower()


def test_each_recipient_gets_a_copy_with_only_their_own_address(relay_factory, settings_for):
    relay = relay_factory()
    msg = Message(to=PEOPLE, subject="Scratch clean-up", text="Your files go on Friday.")
    [r] = send_batch([msg], settings_for(relay))
    assert r.status == "sent" and r.id == msg.id
    assert r.recipients == dict.fromkeys(ADDRS, "ok")
    assert sorted(d.rcpt_tos for d in relay.delivered) == [[a] for a in sorted(ADDRS)]
    for d in relay.delivered:
        [own] = d.rcpt_tos
        headers = _headers(d.data)
        for other in ADDRS:
            if other != own:
                assert other not in headers, f"{own}'s copy shows {other}"
                assert other.encode() not in d.data.lower()
        assert own in BytesHeaderParser().parsebytes(d.data)["To"]
    # Each copy is its own message: distinct Message-IDs, so each is delivered exactly once.
    assert len({d.message_id for d in relay.delivered}) == len(ADDRS)


def test_bcc_is_one_message_with_the_addresses_only_in_the_envelope(relay_factory, settings_for):
    relay = relay_factory()
    msg = Message(to=PEOPLE, subject="Cluster news", text="t", bcc=True)
    [r] = send_batch([msg], settings_for(relay, list_address="announce@watcloud.test"))
    assert r.status == "sent" and r.recipients == dict.fromkeys(ADDRS, "ok")
    [d] = relay.delivered
    assert sorted(d.rcpt_tos) == sorted(ADDRS)
    headers = _headers(d.data)
    assert not any(a in headers for a in ADDRS)
    assert not any(a.encode() in d.data.lower() for a in ADDRS)
    assert BytesHeaderParser().parsebytes(d.data)["To"] == "announce@watcloud.test"
    # Without a list address, To: is the sender.
    relay2 = relay_factory()
    send_batch([Message(to=ADDRS, subject="x", text="t", bcc=True)], settings_for(relay2))
    [d2] = relay2.delivered
    assert BytesHeaderParser().parsebytes(d2.data)["To"] == "WATcloud <no-reply@watcloud.test>"


def test_a_copy_refused_or_delayed_does_not_affect_the_others(relay_factory, settings_for):
    from watcloud.notify.testing import RelayBehaviour

    relay = relay_factory(
        RelayBehaviour(rcpt_replies={"dave@example.org": ("452 4.2.2 mailbox full", 1)})
    )
    msg = Message(to=ADDRS, subject="s", text="t")
    report = deliver([msg], settings_for(relay, max_attempts=3))
    [r] = report.results
    assert r.status == "sent" and r.attempts == 2  # dave's copy: the second attempt
    assert sorted(d.rcpt_tos[0] for d in relay.delivered) == sorted(ADDRS)


def test_automatic_mail_headers_from_the_config_file(relay_factory, tmp_path):
    relay = relay_factory()
    cfg = tmp_path / "notify.yaml"
    cfg.write_text(
        "smtp:\n"
        "  host: 127.0.0.1\n"
        f"  port: {relay.port}\n"
        "  security: none\n"
        "  from: WATcloud <no-reply@watcloud.test>\n"
        "  reply_to: WATcloud admins <admins@watcloud.test>\n"
        "  list_address: announce@watcloud.test\n"
        "  spool: false\n"
    )
    settings = load_notify_config(cfg)
    send_batch([Message(to=["a@example.org"], subject="s", text="t")], settings)
    [d] = relay.delivered
    h = BytesHeaderParser().parsebytes(d.data)
    assert h["Auto-Submitted"] == "auto-generated"
    assert h["Reply-To"] == "WATcloud admins <admins@watcloud.test>"
    assert h["List-Id"] == "<announce.watcloud.test>"
    assert h["List-Unsubscribe"] == "<mailto:announce@watcloud.test?subject=unsubscribe>"


def test_defaults_mark_every_message_automatic_and_add_no_list_headers(relay_factory, settings_for):
    relay = relay_factory()
    msgs = [
        Message(to=["a@example.org", "b@example.org"], subject="s", text="t"),
        Message(to=["c@example.org"], subject="h", html="<p>x</p>"),
        Message(to=["d@example.org", "e@example.org"], subject="b", text="t", bcc=True),
    ]
    send_batch(msgs, settings_for(relay))
    assert len(relay.delivered) == 4
    for d in relay.delivered:
        h = BytesHeaderParser().parsebytes(d.data)
        assert h["Auto-Submitted"] == "auto-generated"
        assert h["Reply-To"] is None and h["List-Id"] is None and h["List-Unsubscribe"] is None


def test_header_config_is_validated(tmp_path):
    from watcloud.core.errors import ConfigError

    cfg = tmp_path / "notify.yaml"
    cfg.write_text("smtp:\n  reply_to: not an address\n")
    with pytest.raises(ConfigError, match="reply_to"):
        load_notify_config(cfg)
    cfg.write_text("smtp:\n  list_id: WATcloud news <news.watcloud.test>\n")
    assert load_notify_config(cfg).list_id_header == "WATcloud news <news.watcloud.test>"
