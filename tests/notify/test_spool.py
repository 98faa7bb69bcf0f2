"""The SQLite outbox: undeliverable messages go out on the next run, exactly once."""

from __future__ import annotations

import pytest

from tests.notify.conftest import Sleeps
from watcloud.notify import Message, send_batch
from watcloud.notify.outbox import Outbox, Spooled
from watcloud.notify.smtp import deliver
from watcloud.notify.testing import RelayBehaviour

pytestmark = pytest.mark.integration


def test_spooled_message_goes_out_on_the_next_run_exactly_once(
    relay_factory, settings_for, tmp_path
):
    spool = tmp_path / "outbox.sqlite"
    busy = relay_factory(
        RelayBehaviour(rcpt_replies={"b@example.org": ("452 4.2.2 mailbox full", None)})
    )
    msg = Message(to=["a@example.org", "b@example.org"], subject="hello", text="t")
    [r1] = send_batch([msg], settings_for(busy, spool=spool, max_attempts=2), sleep=Sleeps())
    assert r1.status == "spooled" and not r1.ok
    assert r1.recipients == {"a@example.org": "ok", "b@example.org": "452 4.2.2 mailbox full"}
    box = Outbox(spool)
    [row] = box.list_outbox()
    box.close()
    assert row["id"] == msg.id and row["pending"] == ["b@example.org"] and row["attempts"] == 2

    # Next run, the relay is fine: only b gets it, and it is reported as drained.
    healthy = relay_factory()
    report = deliver([], settings_for(healthy, spool=spool), sleep=Sleeps())
    assert report.results == []
    [d] = report.drained
    assert d.id == msg.id and d.status == "sent" and d.attempts == 3
    assert d.recipients == {"a@example.org": "ok", "b@example.org": "ok"}
    assert [x.rcpt_tos for x in healthy.delivered] == [["b@example.org"]]
    assert [x.rcpt_tos for x in busy.delivered] == [["a@example.org"]]
    # The spooled copy is byte-identical (same Message-ID and Date) to the first attempt.
    assert healthy.delivered[0].data == busy.delivered[0].data

    # Sending the same message again: a duplicate, nothing goes out.
    [r3] = send_batch([msg], settings_for(healthy, spool=spool), sleep=Sleeps())
    assert r3.status == "duplicate" and r3.ok and r3.attempts == 0
    assert len(healthy.delivered) == 1
    box = Outbox(spool)
    assert box.list_outbox() == []
    box.close()


def test_input_message_already_in_the_spool_is_sent_once(relay_factory, settings_for, tmp_path):
    spool = tmp_path / "outbox.sqlite"
    down = relay_factory(
        RelayBehaviour(rcpt_replies={"a@example.org": ("421 4.3.2 not now", None)})
    )
    msg = Message(to=["a@example.org"], subject="retry me", text="t", id="notice-42")
    [r1] = send_batch([msg], settings_for(down, spool=spool, max_attempts=1), sleep=Sleeps())
    assert r1.status == "spooled"
    healthy = relay_factory()
    # The caller sends it again itself (say, the cron job ran twice): one delivery in all.
    report = deliver([msg], settings_for(healthy, spool=spool), sleep=Sleeps())
    assert [r.status for r in report.results] == ["sent"]
    assert [d.id for d in report.drained] == ["notice-42"]
    assert len(healthy.delivered) == 1


def test_same_id_twice_in_one_batch(relay_factory, settings_for, tmp_path):
    relay = relay_factory()
    a = Message(to=["a@example.org"], subject="x", text="t", id="same")
    b = Message(to=["a@example.org"], subject="x", text="t", id="same")
    results = send_batch([a, b], settings_for(relay, spool=tmp_path / "s.sqlite"))
    assert [r.status for r in results] == ["sent", "duplicate"]
    assert len(relay.delivered) == 1
    # Without a spool, duplicates inside one batch are still sent once.
    relay2 = relay_factory()
    results = send_batch([a, b], settings_for(relay2))
    assert [r.status for r in results] == ["sent", "duplicate"] and len(relay2.delivered) == 1


def test_permanent_failure_is_remembered(relay_factory, settings_for, tmp_path):
    spool = tmp_path / "s.sqlite"
    relay = relay_factory(
        RelayBehaviour(rcpt_replies={"ghost@example.org": ("550 5.1.1 no such user", None)})
    )
    msg = Message(to=["ghost@example.org", "a@example.org"], subject="x", text="t")
    [r1] = send_batch([msg], settings_for(relay, spool=spool))
    assert r1.status == "failed"
    [r2] = send_batch([msg], settings_for(relay, spool=spool))
    # Not sent again (a@ already has it); still reported as a failure.
    assert r2.status == "failed" and r2.attempts == 0 and "earlier run" in (r2.error or "")
    assert len(relay.delivered) == 1


def test_crashed_run_leaves_a_lease_the_next_run_respects(relay_factory, settings_for, tmp_path):
    spool = tmp_path / "s.sqlite"
    relay = relay_factory()
    settings = settings_for(relay, spool=spool)
    from watcloud.notify import mime

    msg = Message(to=["a@example.org"], subject="crash", text="t")
    raw = mime.to_bytes(mime.build(msg, settings))
    # A run wrote the message to the outbox (leased for an hour) and died before sending.
    box = Outbox(spool, lease_seconds=3600)
    box.add(
        [Spooled(msg.key, "no-reply@watcloud.test", ["a@example.org"], {}, raw, "crash", 0, None)]
    )
    box.close()
    # Another run while the lease holds: it neither sends it nor claims it is sent.
    [r] = send_batch([msg], settings)
    assert r.status == "spooled" and relay.delivered == []
    # The lease runs out: the next run sends it, once.
    box = Outbox(spool)
    box.db.execute("UPDATE outbox SET lease_until = 0")
    box.close()
    report = deliver([], settings)
    assert [d.status for d in report.drained] == ["sent"] and len(relay.delivered) == 1
    [r] = send_batch([msg], settings)
    assert r.status == "duplicate" and len(relay.delivered) == 1


def test_two_outboxes_never_claim_the_same_row(tmp_path):
    spool = tmp_path / "s.sqlite"
    box = Outbox(spool, lease_seconds=0)
    box.add([Spooled(f"id{i}", "s@x", ["a@x"], {}, b"raw", "subj", 0, None) for i in range(5)])
    box.db.execute("UPDATE outbox SET lease_until = 0")
    first = Outbox(spool)
    second = Outbox(spool)
    claimed1 = first.claim_pending()
    claimed2 = second.claim_pending()
    assert len(claimed1) == 5 and claimed2 == []
    for b in (box, first, second):
        b.close()


def test_old_done_entries_are_pruned(tmp_path):
    spool = tmp_path / "s.sqlite"
    box = Outbox(spool)
    box.finish("old", "sent", {"a@x": "ok"}, 1, "s")
    box.finish("new", "sent", {"a@x": "ok"}, 1, "s")
    box.db.execute("UPDATE done SET finished_at = '2020-01-01T00:00:00+00:00' WHERE id = 'old'")
    box.close()
    box = Outbox(spool, keep_days=30)
    assert box.done("old") is None and box.done("new") is not None
    box.close()
