"""Web source politeness, the crawler, and the exactly-once announcement plan."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.outage.conftest import Site, listing_html, notice_html
from watcloud.outage.analysis import analyze
from watcloud.outage.config import WebSource
from watcloud.outage.decide import plan
from watcloud.outage.parse import parse_text
from watcloud.outage.sources.plantops import PlantOps, SourceError, parse_listing
from watcloud.outage.state import State


class FakeClock:
    """Time that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.t += s


def test_parse_listing_takes_only_leftbar_notice_anchors() -> None:
    html = listing_html([(7, "Power - CPH"), (9, "Water &amp; steam")]) + (
        '<a class="w3-leftbar" href="notice.php?ID=7">dup</a>'
        '<a class="other" href="notice.php?ID=11">not in the list</a>'
    )
    got = parse_listing(html, "https://plantops.example/service-interruptions/")
    assert [(x.id, x.title, x.url) for x in got] == [
        ("7", "Power - CPH", "https://plantops.example/service-interruptions/notice.php?ID=7"),
        ("9", "Water & steam", "https://plantops.example/service-interruptions/notice.php?ID=9"),
    ]


@pytest.mark.integration
def test_listing_base_follows_redirect(site: Site, tmp_path: Path) -> None:
    site.set_listing(listing_html([(3, "A")]))
    site.redirects["/service-interruptions"] = "/service-interruptions/"
    state = State(tmp_path / "s.db")
    cfg = WebSource(listing_url=f"{site.base}/service-interruptions")
    src = PlantOps(cfg, state)
    try:
        for _ in range(2):  # 200, then 304
            _, listed = src.listing()
            assert listed[0].url == f"{site.base}/service-interruptions/notice.php?ID=3"
            assert src.notice_url("4") == f"{site.base}/service-interruptions/notice.php?ID=4"
    finally:
        src.close()
        state.close()


@pytest.mark.integration
def test_web_source_conditional_get_and_retry_backoff(site: Site, tmp_path: Path) -> None:
    site.set_listing(listing_html([(1, "A")]))
    state = State(tmp_path / "s.db")
    clock = FakeClock()
    cfg = WebSource(listing_url=f"{site.base}/service-interruptions/", attempts=3, backoff=0.1)
    src = PlantOps(cfg, state, sleep=clock.sleep, clock=clock)
    try:
        page, listed = src.listing()
        assert page.status == 200 and [x.id for x in listed] == ["1"]
        page, _ = src.listing()
        assert page.status == 304 and "notice.php?ID=1" in page.body  # cached body
        assert site.log[-1]["inm"], "sent If-None-Match"
        site.status_override["/service-interruptions/notice.php?ID=1"] = 503
        with pytest.raises(SourceError, match="HTTP 503"):
            src.get(src.notice_url("1"))
        assert len(site.requests_for("/service-interruptions/notice.php?ID=1")) == 3
        # Every wait, retries included, is at least the 1 s politeness interval.
        assert clock.sleeps and min(clock.sleeps) >= 1.0
    finally:
        src.close()
        state.close()


@pytest.mark.integration
def test_history_fetch_is_resumable(site: Site, tmp_path: Path, run_watcloud: Any) -> None:
    for nid in (5, 6, 8):
        site.set_notice(nid, notice_html(f"Notice {nid}", "CPH", "Water shutdown.", "June 1, 2024"))
    site.set_notice(7, "<html><body>nothing here</body></html>")
    out = tmp_path / "history.jsonl"
    cfg = tmp_path / "c.yaml"
    cfg.write_text(json.dumps({"web": {"listing_url": f"{site.base}/service-interruptions/"}}))

    def fetch(last: int, *extra: str) -> Any:
        return run_watcloud(
            "outage", "history", "fetch", "--first-id", "4", "--last-id", str(last),
            "--out", str(out), "--config", str(cfg), *extra,
        )  # fmt: skip

    r = fetch(6)
    assert r.returncode == 0, r.stderr
    assert [json.loads(x)["id"] for x in out.read_text().splitlines()] == ["5", "6"]
    # Simulate a crash mid-line, then resume over a wider range.
    with out.open("a") as fh:
        fh.write('{"id": "9", "tit')
    n_before = len(site.log)
    r = fetch(8, "--output", "json")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [x["id"] for x in rows] == ["5", "6", "8"]
    assert rows[-1]["title"] == "Notice 8" and "html" in rows[-1]
    fetched = {x["path"].rsplit("=", 1)[1] for x in site.log[n_before:]}
    assert fetched == {"7", "8"}, "4 (404 before) and 5, 6 (written) were not fetched again"
    report = json.loads(r.stdout)
    assert report["written"] == 1 and report["skipped_known"] == 3
    r = run_watcloud("outage", "eval", str(out), "--output", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["notices"] == 3


@pytest.mark.integration
def test_history_fetch_retries_a_garbled_page(
    site: Site, tmp_path: Path, run_watcloud: Any
) -> None:
    """A binary page is an error asked again on the next run, not a notice ruled missing."""
    junk = "".join(chr(c) for c in range(1, 32) if chr(c) not in "\n\r\t") * 20
    site.set_notice(3, notice_html("Electrical - CPH", "CPH", junk, "June 1, 2024"))
    out = tmp_path / "history.jsonl"
    cfg = tmp_path / "c.yaml"
    cfg.write_text(json.dumps({"web": {"listing_url": f"{site.base}/service-interruptions/"}}))
    args = ["outage", "history", "fetch", "--first-id", "3", "--last-id", "3", "--out", str(out)]
    r = run_watcloud(*args, "--config", str(cfg), "--output", "json")
    assert r.returncode == 1 and json.loads(r.stdout)["errors"] == 1
    site.set_notice(3, notice_html("Electrical - CPH", "CPH", "Power off.", "June 1, 2024"))
    r = run_watcloud(*args, "--config", str(cfg), "--output", "json")
    assert r.returncode == 0 and json.loads(r.stdout)["written"] == 1


# --- the announcement plan ----------------------------------------------------------------

NOTICE = """Electrical Shutdown - CPH

Where is this happening?

CPH

What is happening?

Electrical shutdown.{extra}

When is this happening?

{when}
"""
POSTED = date(2030, 1, 2)
NOW = datetime(2030, 1, 3, 12, tzinfo=UTC)


def a_of(when: str = "January 20, 2030, 7 a.m. to 11 a.m.", extra: str = "") -> Any:
    return analyze(parse_text(NOTICE.format(when=when, extra=extra)), POSTED)


def test_plan_exactly_once_then_update_then_cancel() -> None:
    a = a_of()
    p = plan(a, None, at=NOW)
    assert p is not None and p.kind == "scheduled"
    assert plan(a, ("scheduled", p.fingerprint), at=NOW) is None, "same facts: nothing"
    moved = a_of("January 27, 2030, 7 a.m. to 11 a.m.")
    p2 = plan(moved, ("scheduled", p.fingerprint), at=NOW)
    assert p2 is not None and p2.kind == "updated"
    cancelled = a_of("January 27, 2030, 7 a.m. to 11 a.m.", " This work has been cancelled.")
    p3 = plan(cancelled, ("updated", p2.fingerprint), at=NOW)
    assert p3 is not None and p3.kind == "cancelled"
    assert plan(cancelled, ("cancelled", p3.fingerprint), at=NOW) is None


def test_plan_skips_past_events_and_first_seen_cancellations() -> None:
    assert plan(a_of(), None, at=datetime(2030, 2, 1, tzinfo=UTC)) is None
    assert plan(a_of(extra=" This work has been cancelled."), None, at=NOW) is None


def test_plan_reminder_once_inside_the_window() -> None:
    a = a_of()
    p = plan(a, None, at=NOW)
    assert p is not None
    last = ("scheduled", p.fingerprint)
    early = datetime(2030, 1, 18, 12, tzinfo=UTC)
    assert plan(a, last, at=early, reminder_hours=24) is None
    soon = datetime(2030, 1, 19, 13, tzinfo=UTC)  # 07:00 EST is 12:00 UTC on the 20th
    r = plan(a, last, at=soon, reminder_hours=24)
    assert r is not None and r.kind == "reminder"
    assert plan(a, last, at=soon, reminder_hours=24, reminded=True) is None


def test_state_records_versions_once(tmp_path: Path) -> None:
    st = State(tmp_path / "s.db")
    a = a_of()
    assert st.record("plantops:1", "plantops", None, "t", "body", a, at=NOW)
    assert not st.record("plantops:1", "plantops", None, "t", "body", a, at=NOW + timedelta(1))
    assert st.record("plantops:1", "plantops", None, "t", "body v2", a, at=NOW)
    n = st.db.execute("SELECT COUNT(*) FROM decisions").fetchone()[0]
    assert n == 2
    st.mark_sent("plantops:1", "scheduled", "fp", "email", "sent")
    st.mark_sent("plantops:1", "scheduled", "fp", "email", "sent")
    assert len(st.announcements()) == 1
    assert st.last_announced("plantops:1") == ("scheduled", "fp")
    st.close()
