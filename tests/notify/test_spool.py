"""The SQLite outbox: undeliverable messages go out on the next run, exactly once."""

from __future__ import annotations

import os

import pytest

from tests.notify.conftest import Sleeps
from watcloud.notify import Message, send_batch
from watcloud.notify.outbox import Outbox, Spooled
from watcloud.notify.smtp import copy_id, deliver
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
    assert r1.status == "spooled" and not r1.ok and r1.id == msg.id
    assert r1.recipients == {"a@example.org": "ok", "b@example.org": "452 4.2.2 mailbox full"}
    box = Outbox(spool)
    [row] = box.list_outbox()
    box.close()
    # Only b's own copy waits (a got theirs).
    assert row["id"] == copy_id(msg.key, "b@example.org") and row["pending"] == ["b@example.org"]
    assert row["attempts"] == 2 and row["held_by"] is None

    # Next run, the relay is fine: only b gets it, and it is reported as drained.
    healthy = relay_factory()
    report = deliver([], settings_for(healthy, spool=spool), sleep=Sleeps())
    assert report.results == []
    [d] = report.drained
    assert d.id == row["id"] and d.status == "sent" and d.attempts == 3
    assert d.recipients == {"b@example.org": "ok"}
    assert [x.rcpt_tos for x in healthy.delivered] == [["b@example.org"]]
    assert [x.rcpt_tos for x in busy.delivered] == [["a@example.org"]]
    # The spooled copy is byte-identical (same Message-ID and Date) to what was first built.
    box = Outbox(spool)
    assert box.done(row["id"]) is not None
    box.close()

    # Sending the same message again: a duplicate, nothing goes out.
    [r3] = send_batch([msg], settings_for(healthy, spool=spool), sleep=Sleeps())
    assert r3.status == "duplicate" and r3.ok and r3.attempts == 0
    assert len(healthy.delivered) == 1
    box = Outbox(spool)
    assert box.list_outbox() == []
    box.close()


def test_spooled_copy_is_byte_identical(relay_factory, settings_for, tmp_path):
    spool = tmp_path / "outbox.sqlite"
    down = relay_factory(RelayBehaviour(data_replies={"same": ("451 4.3.0 try later", 1)}))
    msg = Message(to=["a@example.org"], subject="same bytes", text="t")
    [r1] = send_batch([msg], settings_for(down, spool=spool, max_attempts=1), sleep=Sleeps())
    assert r1.status == "spooled"
    box = Outbox(spool)
    [row] = box.claim_pending()
    box.close()
    healthy = relay_factory()
    report = deliver([], settings_for(healthy, spool=spool), sleep=Sleeps())
    assert [d.status for d in report.drained] == ["sent"]
    # Same Date, same Message-ID (the relay keeps the CRLF that ends the last line).
    assert healthy.delivered[0].data == row.raw + b"\r\n"


def test_input_message_already_in_the_spool_is_sent_once(relay_factory, settings_for, tmp_path):
    spool = tmp_path / "outbox.sqlite"
    down = relay_factory(
        RelayBehaviour(rcpt_replies={"a@example.org": ("421 4.3.2 not now", None)})
    )
    msg = Message(to=["a@example.org"], subject="retry me", text="t", id="notice-42")
    [r1] = send_batch([msg], settings_for(down, spool=spool, max_attempts=1), sleep=Sleeps())
    assert r1.status == "spooled"
    healthy = relay_factory()
    # The caller sends it again itself (say, the cron job ran twice): one delivery in all, and
    # it is reported once: as this batch's result, not again as drained from the spool.
    report = deliver([msg], settings_for(healthy, spool=spool), sleep=Sleeps())
    assert [r.status for r in report.results] == ["sent"]
    assert report.drained == []
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


def _crash(box: Outbox) -> None:
    """What kill -9 leaves: the rows still name this run, its lock is gone with the process."""
    box.db.close()
    assert box._owner.fd is not None
    os.close(box._owner.fd)  # the kernel drops the flock; the lock file stays behind
    box._owner.fd = None


def test_a_dead_runs_rows_are_taken_over_at_once_a_live_runs_never(
    relay_factory, settings_for, tmp_path
):
    spool = tmp_path / "s.sqlite"
    relay = relay_factory()
    settings = settings_for(relay, spool=spool)
    from watcloud.notify import mime

    msg = Message(to=["a@example.org"], subject="crash", text="t")
    raw = mime.to_bytes(mime.build(msg, settings))
    row = Spooled(msg.key, "no-reply@watcloud.test", ["a@example.org"], {}, raw, "crash", 0, None)
    # A live run owns the row (written before its first attempt).
    live = Outbox(spool)
    live.add([row])
    [r] = send_batch([msg], settings)
    assert r.status == "spooled" and "another run" in (r.error or "") and relay.delivered == []
    assert deliver([], settings).drained == [] and relay.delivered == []
    # The owner dies without releasing anything: the next run sends it at once, exactly once.
    _crash(live)
    report = deliver([], settings)
    assert [d.status for d in report.drained] == ["sent"] and len(relay.delivered) == 1
    [r] = send_batch([msg], settings)
    assert r.status == "duplicate" and len(relay.delivered) == 1
    box = Outbox(spool)
    assert box.list_outbox() == []
    box.close()
    assert list((tmp_path / "s.sqlite.owners").iterdir()) == []  # no lock file left behind


def test_a_row_the_dead_run_was_finishing_is_not_sent_again(relay_factory, settings_for, tmp_path):
    spool = tmp_path / "s.sqlite"
    relay = relay_factory()
    settings = settings_for(relay, spool=spool)
    rows = [
        Spooled(f"id{i}", "no-reply@watcloud.test", [f"u{i}@example.org"], {}, b"x", "s", 1, None)
        for i in range(2)
    ]
    box = Outbox(spool)
    box.add(rows)
    box.mark_sending("id0", ["u0@example.org"])  # its final "." going out, then the crash
    _crash(box)
    report = deliver([], settings)
    by_id = {d.id: d for d in report.drained}
    assert by_id["id0"].status == "sent" and by_id["id0"].note and by_id["id0"].attempts == 1
    assert by_id["id1"].status == "sent" and by_id["id1"].note is None
    assert [d.rcpt_tos for d in relay.delivered] == [["u1@example.org"]]


def test_two_outboxes_never_claim_the_same_row(tmp_path):
    spool = tmp_path / "s.sqlite"
    box = Outbox(spool)
    box.add([Spooled(f"id{i}", "s@x", ["a@x"], {}, b"raw", "subj", 0, None) for i in range(5)])
    box.close()  # released: free for the next run
    first = Outbox(spool)
    second = Outbox(spool)
    claimed1 = first.claim_pending()
    claimed2 = second.claim_pending()
    assert len(claimed1) == 5 and claimed2 == []
    first.close()  # released again: the other run may now take them
    assert len(second.claim_pending()) == 5
    second.close()


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
