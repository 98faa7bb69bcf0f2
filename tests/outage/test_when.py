"""Windows from the forms notices use (fixtures written for the project)."""

from __future__ import annotations

from datetime import UTC, date

import pytest

from watcloud.outage.parse import parse_text
from watcloud.outage.when import extract, format_duration, windows_from

POSTED = date(2025, 5, 20)


def iso(text: str, posted: date = POSTED) -> list[tuple[str, str]]:
    ws, _ = windows_from(text, posted)
    return [(w.iso()["start"], w.iso()["end"]) for w in ws]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Saturday, June 21st between 7:00am-1:00pm",
         [("2025-06-21T07:00-04:00", "2025-06-21T13:00-04:00")]),
        ("June 21, 2025 from 8:00 a.m. to 10:00 a.m.",
         [("2025-06-21T08:00-04:00", "2025-06-21T10:00-04:00")]),
        ("Tue., Jun. 24, 8 a.m. to noon", [("2025-06-24T08:00-04:00", "2025-06-24T12:00-04:00")]),
        ("July 3, 7:30 AM – 3:30 PM", [("2025-07-03T07:30-04:00", "2025-07-03T15:30-04:00")]),
        ("June 21 starting at 7:00 am lasting 6 hours",
         [("2025-06-21T07:00-04:00", "2025-06-21T13:00-04:00")]),
        ("June 21 at 6 a.m. for approximately 4.5 hours",
         [("2025-06-21T06:00-04:00", "2025-06-21T10:30-04:00")]),
        ("June 21 at 9:00 pm for 8hrs", [("2025-06-21T21:00-04:00", "2025-06-22T05:00-04:00")]),
        ("the night of August 29th 7:00pm to 3:00am",
         [("2025-08-29T19:00-04:00", "2025-08-30T03:00-04:00")]),
        ("from Saturday July 26 at 7:00 a.m. to Sunday July 27 at 6:00 p.m.",
         [("2025-07-26T07:00-04:00", "2025-07-27T18:00-04:00")]),
        ("Saturday, March 21 and Sunday, March 22, 7:00 a.m. to 5:00 p.m. each day",
         [("2026-03-21T07:00-04:00", "2026-03-21T17:00-04:00"),
          ("2026-03-22T07:00-04:00", "2026-03-22T17:00-04:00")]),
        ("June 3-5, 9-11 a.m. daily",
         [("2025-06-03T09:00-04:00", "2025-06-03T11:00-04:00"),
          ("2025-06-04T09:00-04:00", "2025-06-04T11:00-04:00"),
          ("2025-06-05T09:00-04:00", "2025-06-05T11:00-04:00")]),
        ("Sat June 28, 7-11 a.m. and Sun June 29, 1-5 p.m.",
         [("2025-06-28T07:00-04:00", "2025-06-28T11:00-04:00"),
          ("2025-06-29T13:00-04:00", "2025-06-29T17:00-04:00")]),
        ("Today, from 1:00 p.m. to 3:00 p.m.",
         [("2025-05-20T13:00-04:00", "2025-05-20T15:00-04:00")]),
        ("The shutdown will begin at 6:30 am on June 5 and end at 12:30 pm",
         [("2025-06-05T06:30-04:00", "2025-06-05T12:30-04:00")]),
        ("June 14", [("2025-06-14T00:00-04:00", "2025-06-15T00:00-04:00")]),
    ],
)  # fmt: skip
def test_forms(text: str, expected: list[tuple[str, str]]) -> None:
    assert iso(text) == expected


def test_rain_and_alternate_dates_are_not_windows() -> None:
    assert iso("Saturday, June 21, 7 a.m. to 11 a.m. (rain date: Saturday, June 28)") == [
        ("2025-06-21T07:00-04:00", "2025-06-21T11:00-04:00")
    ]
    assert iso("June 21, 7 a.m. to 11 a.m. Alternate date: June 28.") == [
        ("2025-06-21T07:00-04:00", "2025-06-21T11:00-04:00")
    ]


def test_missing_year_is_the_next_such_date_on_or_after_posting() -> None:
    # Posted in December, event in January: next year.
    assert iso("January 9, 7 a.m. to 9 a.m.", date(2025, 12, 15)) == [
        ("2026-01-09T07:00-05:00", "2026-01-09T09:00-05:00")
    ]
    # Posted the same day: this year.
    assert iso("May 20, 7 a.m. to 9 a.m.", date(2025, 5, 20))[0][0].startswith("2025-05-20")


def test_dst_fall_back_duration_is_elapsed_time() -> None:
    # 22:00 EDT + 8 h of real time crosses the 02:00 -> 01:00 change: ends 05:00 EST.
    assert iso("Saturday, November 1, 2025, starting at 10 pm lasting 8 hours") == [
        ("2025-11-01T22:00-04:00", "2025-11-02T05:00-05:00")
    ]


def test_dst_spring_forward_wall_clock_range() -> None:
    # A stated range keeps the wall clock: 00:00 EST to 06:00 EDT is 5 hours of real time.
    ws, _ = windows_from("March 8, 2026 from midnight to 6:00 a.m.", POSTED)
    assert ws[0].iso() == {"start": "2026-03-08T00:00-05:00", "end": "2026-03-08T06:00-04:00"}
    assert format_duration(ws[0].duration) == "5 hours"


def test_revised_old_date_is_ignored() -> None:
    assert iso("Saturday, June 28 from 7 a.m. to 11 a.m. (originally scheduled for June 21)") == [
        ("2025-06-28T07:00-04:00", "2025-06-28T11:00-04:00")
    ]


NOTICE = """Service Interruption Notice

Electrical Shutdown, Sunday, June 15, 2025 between 7:00am-1:00pm, CPH

When is this happening?

June 15, 2025

How does this affect the UW community?

Normal power will be off. Starting at 7:00 am lasting {hours} hours.
"""


def test_title_supplies_the_time_and_the_duration_agrees() -> None:
    n = parse_text(NOTICE.format(hours=6))
    r = extract(n, POSTED)
    assert [w.iso() for w in r.windows] == [
        {"start": "2025-06-15T07:00-04:00", "end": "2025-06-15T13:00-04:00"}
    ]
    assert r.warnings == []


def test_contradicting_duration_is_flagged() -> None:
    r = extract(parse_text(NOTICE.format(hours=4)), POSTED)
    assert len(r.windows) == 1
    assert any("contradicts" in w for w in r.warnings)


def test_title_and_when_disagree_is_flagged() -> None:
    text = NOTICE.format(hours=6).replace(
        "\nJune 15, 2025\n", "\nJune 22, 2025, 7 a.m. to 1 p.m.\n"
    )
    r = extract(parse_text(text), POSTED)
    assert r.windows[0].start.date() == date(2025, 6, 22)
    assert any("title" in w for w in r.warnings)


def test_no_date_gives_a_warning_not_a_window() -> None:
    r = extract(
        parse_text("Electrical Shutdown - CPH\n\nWhat is happening?\n\nPower off soon."), POSTED
    )
    assert r.windows == []
    assert r.warnings == ["no date found in the notice"]


# --- property: whatever way a window is written, it reads back the same -------------------

from datetime import datetime, time, timedelta  # noqa: E402
from zoneinfo import ZoneInfo  # noqa: E402

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

TZ = ZoneInfo("America/Toronto")
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]  # fmt: skip


def say_time(t: time, style: int) -> str:
    h12 = t.hour % 12 or 12
    ap = "am" if t.hour < 12 else "pm"
    if t == time(12) and style == 3:
        return "noon"
    if style == 0:
        return f"{h12}:{t.minute:02d}{ap}"
    if style == 1:
        return f"{h12}:{t.minute:02d} {ap[0]}.m."
    if style == 2 and t.minute == 0:
        return f"{h12} {ap[0]}.m."
    return f"{h12}:{t.minute:02d} {ap.upper()}"


def say_date(d: date, style: int, year: bool) -> str:
    y = f", {d.year}" if year else ""
    wd = d.strftime("%A")
    m = MONTHS[d.month - 1]
    suffix = "th" if 11 <= d.day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d.day % 10, "th")
    return [f"{wd}, {m} {d.day}{y}", f"{m} {d.day}{suffix}{y}", f"{wd} {m} {d.day}{y}"][style]


@settings(max_examples=300, deadline=None)
@given(
    day=st.dates(min_value=date(2022, 1, 1), max_value=date(2028, 12, 31)),
    start_q=st.integers(min_value=0, max_value=95),
    length_q=st.integers(min_value=1, max_value=60),
    tstyle=st.integers(0, 3),
    dstyle=st.integers(0, 2),
    year=st.booleans(),
    sep=st.sampled_from(["-", " – ", " to ", " until "]),
    form=st.integers(0, 2),
    lead=st.integers(0, 60),
)
def test_written_windows_read_back(
    day: date,
    start_q: int,
    length_q: int,
    tstyle: int,
    dstyle: int,
    year: bool,
    sep: str,
    form: int,
    lead: int,
) -> None:
    start = time(start_q // 4, (start_q % 4) * 15)
    posted = day - timedelta(days=lead)
    begin = datetime.combine(day, start, tzinfo=TZ)
    dt = say_date(day, dstyle, year)
    if form == 2:
        hours = length_q / 4
        text = f"{dt}, starting at {say_time(start, tstyle)} lasting {hours:g} hours"
        end = (begin.astimezone(UTC) + timedelta(hours=hours)).astimezone(TZ)
    else:
        end_wall = datetime.combine(day, start) + timedelta(minutes=15 * length_q)
        end = datetime.combine(end_wall.date(), end_wall.time(), tzinfo=TZ)
        span = f"{say_time(start, tstyle)}{sep}{say_time(end_wall.time(), tstyle)}"
        text = f"{dt} between {span}" if form == 0 else f"{dt}, {span}"
    ws, _ = windows_from(text, posted)
    assert [(w.start, w.end) for w in ws] == [(begin, end)], text
