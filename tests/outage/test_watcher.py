"""The poller's bookkeeping with a recording delivery: web and mail copies of one notice,
reminders, a failed channel retried, restarts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.outage.conftest import Site, listing_html, notice_html
from watcloud.outage.announce import Announcement
from watcloud.outage.config import OutageConfig
from watcloud.outage.delivery import Sent
from watcloud.outage.parse import parse_text
from watcloud.outage.sources.plantops import PlantOps
from watcloud.outage.state import OutboxItem, State
from watcloud.outage.watch import Watcher


class Recorder:
    """Stands in for Delivery: records announcements; a channel can be made to fail."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []
        self.fail: set[str] = set()
        self.warnings: list[str] = []

    def channels(self) -> list[str]:
        return ["email", "discord"]

    def items(
        self, ann: Announcement, base_id: str, channel: str, *, key: str, kind: str, fp: str
    ) -> list[OutboxItem]:
        payload = {"status": ann.status}
        return [
            OutboxItem(f"{base_id}-{channel}", key, kind, fp, channel, None, ann.subject, payload)
        ]

    def deliver(self, items: list[OutboxItem], on_done: Callable[[OutboxItem, Sent], None]) -> None:
        for item in items:
            if item.channel in self.fail:
                on_done(item, Sent(item.channel, False, "421 try later", final=False))
                continue
            self.sent.append((item.channel, item.payload["status"], item.subject))
            on_done(item, Sent(item.channel, True, "sent"))

    def warn_admins(self, subject: str, body: str, msg_id: str) -> None:
        self.warnings.append(subject)


TEXT = """{title}

Where is this happening?

Carl A. Pollock Hall

What is happening?

Electrical shutdown.

When is this happening?

January 20, 2030, 7:00 a.m. to 11:00 a.m.

View online: https://plantops.uwaterloo.ca/service-interruptions/notice.php?ID=77
"""


def watcher(tmp_path: Path, rec: Recorder, clock: list[datetime], **cfg: Any) -> Watcher:
    config = OutageConfig.model_validate(cfg)
    state = State(tmp_path / "s.db")
    return Watcher(config, state, rec, clock=lambda: clock[0])  # type: ignore[arg-type]


def test_failed_channel_is_retried_and_others_not_repeated(tmp_path: Path) -> None:
    rec = Recorder()
    rec.fail = {"discord"}
    clock = [datetime(2030, 1, 2, tzinfo=UTC)]
    w = watcher(tmp_path, rec, clock)
    notice = parse_text(TEXT.format(title="Electrical Shutdown - CPH"))
    w.process("plantops:77", "mail", notice, None)
    assert [s[0] for s in rec.sent] == ["email"]
    assert rec.warnings == ["discord delivery failed"]
    rec.fail = set()
    w.process("plantops:77", "mail", notice, None)
    assert [s[0] for s in rec.sent] == ["email", "discord"]
    w.process("plantops:77", "mail", notice, None)
    assert len(rec.sent) == 2


def test_reminder_once_before_the_start(tmp_path: Path) -> None:
    rec = Recorder()
    clock = [datetime(2030, 1, 2, tzinfo=UTC)]
    w = watcher(tmp_path, rec, clock, reminder_hours=24)
    notice = parse_text(TEXT.format(title="Electrical Shutdown - CPH"))
    w.process("plantops:77", "mail", notice, None)
    clock[0] = datetime(2030, 1, 19, 13, tzinfo=UTC)  # 23 h before 07:00 EST on the 20th
    w.process("plantops:77", "mail", notice, None)
    w.process("plantops:77", "mail", notice, None)
    subjects = [s[2] for s in rec.sent if s[0] == "email"]
    assert subjects == ["Power outage in CPH on 2030-01-20",
                        "[Reminder] Power outage in CPH on 2030-01-20"]  # fmt: skip


@pytest.mark.integration
def test_web_and_mail_copies_of_one_notice_announce_once(tmp_path: Path, site: Site) -> None:
    site.set_notice(
        77,
        notice_html(
            "Electrical Shutdown - CPH",
            "Carl A. Pollock Hall",
            "Electrical shutdown.",
            "January 20, 2030, 7:00 a.m. to 11:00 a.m.",
        ),
    )
    site.set_listing(listing_html([(77, "Electrical Shutdown - CPH")]))
    rec = Recorder()
    clock = [datetime(2030, 1, 2, tzinfo=UTC)]
    w = watcher(tmp_path, rec, clock, web={"listing_url": f"{site.base}/service-interruptions/"})
    w.web = PlantOps(w.cfg.web, w.state)
    try:
        w.run()
        mail = parse_text(TEXT.format(title="Electrical Shutdown - CPH"))
        mail.url = "https://plantops.uwaterloo.ca/service-interruptions/notice.php?ID=77"
        w.run(mail=[("plantops:77", mail)])
    finally:
        w.web.close()
    assert [s[:2] for s in rec.sent] == [("email", "scheduled"), ("discord", "scheduled")]


def test_past_notice_on_first_sight_is_not_announced(tmp_path: Path) -> None:
    rec = Recorder()
    clock = [datetime(2030, 3, 1, tzinfo=UTC)]
    w = watcher(tmp_path, rec, clock)
    notice = parse_text(TEXT.format(title="Electrical Shutdown - CPH"))
    notice.posted = datetime(2030, 1, 2).date()
    a = w.process("plantops:77", "mail", notice, None)
    assert a.relevant and rec.sent == []
    assert clock[0] - timedelta(days=1) > a.windows[0].end


@pytest.mark.integration
def test_known_notices_are_asked_again_until_their_event_is_over(
    tmp_path: Path, site: Site
) -> None:
    for nid, day in ((77, 20), (78, 10)):
        site.set_notice(
            nid,
            notice_html(
                f"Electrical Shutdown {nid} - CPH",
                "Carl A. Pollock Hall",
                "Electrical shutdown.",
                f"January {day}, 2030, 7:00 a.m. to 11:00 a.m.",
            ),
        )
    both = listing_html([(77, "Shutdown 77"), (78, "Shutdown 78")])
    rec = Recorder()
    clock = [datetime(2030, 1, 2, tzinfo=UTC)]
    w = watcher(tmp_path, rec, clock, web={"listing_url": f"{site.base}/service-interruptions/"})
    w.web = PlantOps(w.cfg.web, w.state, sleep=lambda _: None)

    def asked(listing: str, at: datetime) -> list[str]:
        site.set_listing(listing)
        clock[0] = at
        before = len(site.log)
        w.run()
        return [r["path"].rsplit("=", 1)[-1] for r in site.log[before:] if "ID=" in r["path"]]

    try:
        assert asked(both, datetime(2030, 1, 2, tzinfo=UTC)) == ["77", "78"]
        # 78 left the listing but is still ahead: asked again (notices are edited in place).
        only_77 = listing_html([(77, "Shutdown 77")])
        assert asked(only_77, datetime(2030, 1, 5, tzinfo=UTC)) == ["77", "78"]
        # 78 ended more than refetch_days_after_event ago: still asked while it is listed
        # (issue 16: a listed notice may be postponed in place), not once it left the listing.
        assert asked(both, datetime(2030, 1, 15, tzinfo=UTC)) == ["77", "78"]
        assert asked(only_77, datetime(2030, 1, 15, tzinfo=UTC)) == ["77"]
    finally:
        w.web.close()


@pytest.mark.integration
def test_listed_notice_postponed_in_place_after_its_date_is_announced(
    tmp_path: Path, site: Site
) -> None:
    """Issue 16: a listed notice whose event date has passed is asked again, so a new date
    written on the same page (an in-place postponement) is caught and announced."""

    def page(when: str) -> str:
        return notice_html("Electrical Shutdown - CPH", "CPH", "Electrical shutdown.", when)

    site.set_notice(90, page("January 10, 2030, 7:00 a.m. to 11:00 a.m."))
    site.set_listing(listing_html([(90, "Electrical Shutdown - CPH")]))
    rec = Recorder()
    clock = [datetime(2030, 1, 2, tzinfo=UTC)]
    w = watcher(tmp_path, rec, clock, web={"listing_url": f"{site.base}/service-interruptions/"})
    w.web = PlantOps(w.cfg.web, w.state, sleep=lambda _: None)
    try:
        w.run()
        assert [s[1] for s in rec.sent] == ["scheduled", "scheduled"]
        # Past the date (and the grace day), PlantOps moves the work to February 7.
        clock[0] = datetime(2030, 1, 20, tzinfo=UTC)
        site.set_notice(90, page("Postponed to February 7, 2030, 7:00 a.m. to 11:00 a.m."))
        w.run()
    finally:
        w.web.close()
    assert [(s[0], s[1]) for s in rec.sent[2:]] == [("email", "updated"), ("discord", "updated")]
    assert "2030-02-07" in rec.sent[2][2]


def test_outbox_is_on_by_default_beside_the_state_db(tmp_path: Path) -> None:
    cfg = OutageConfig.model_validate({"state_db": str(tmp_path / "s" / "outage.db")})
    assert cfg.outbox_path() == tmp_path / "s" / "outage-outbox.sqlite"
    off = OutageConfig.model_validate({"email": {"outbox": False}})
    assert off.outbox_path() is None
    there = OutageConfig.model_validate({"email": {"outbox_path": str(tmp_path / "o.sqlite")}})
    assert there.outbox_path() == tmp_path / "o.sqlite"


def test_a_crashed_pass_is_finished_first_with_the_same_ids(tmp_path: Path) -> None:
    """Messages recorded by a pass that died are handed over by the next pass before anything
    else, with their recorded ids and payload, even if the notice is no longer fetched."""
    rec = Recorder()
    clock = [datetime(2030, 1, 2, tzinfo=UTC)]
    w = watcher(tmp_path, rec, clock)
    subject = "Power outage in CPH on 2030-01-20"
    payload = {"status": "scheduled"}
    item = OutboxItem("m-1", "plantops:9", "scheduled", "fp", "email", None, subject, payload)
    w.state.db.execute(
        "INSERT INTO notices(key, source, first_seen, last_seen) VALUES (?, 'plantops', ?, ?)",
        ("plantops:9", "2030-01-01T00:00:00+00:00", "2030-01-01T00:00:00+00:00"),
    )
    w.state.queue([item])
    w.run()
    assert rec.sent == [("email", "scheduled", "Power outage in CPH on 2030-01-20")]
    assert w.state.sent_channels("plantops:9", "scheduled", "fp") == {"email"}
    w.run()
    assert len(rec.sent) == 1


def test_any_source_is_polled_and_acknowledged_after_its_notice_is_recorded(
    tmp_path: Path,
) -> None:
    """The sources interface (issue 21): the Watcher polls a source of one's own like the
    built-in ones; a source resumed after a `Found` (where IMAP marks the message processed)
    finds the notice already recorded; a `Problem` is a warning; `Fetched` counts pages."""
    from watcloud.outage.sources import Event, Fetched, Found, Problem, Source

    rec = Recorder()
    clock = [datetime(2030, 1, 2, tzinfo=UTC)]
    w = watcher(tmp_path, rec, clock)
    notice = parse_text(TEXT.format(title="Electrical Shutdown - CPH"))
    seen_at_ack: list[bool] = []

    class Own:
        def poll(self, at: datetime) -> Iterator[Event]:
            yield Fetched(changed=False)
            yield Found("plantops:77", "mail", notice, None)
            seen_at_ack.append(w.state.notice("plantops:77") is not None)
            yield Problem("own", "own source unhappy", "details")

    own: Source = Own()
    report = w.run(sources=[own])
    assert seen_at_ack == [True]
    assert (report.fetched, report.not_modified, report.new_versions) == (1, 1, 1)
    assert report.warnings == ["own source unhappy: details"]
    assert [s[0] for s in rec.sent] == ["email", "discord"]
    assert w.run(sources=[own]).new_versions == 0
