"""Issue 16: each wording class that real notices use, with sentences written for these tests.

Every test here failed on the code before the fix (checked against the parent commit)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from watcloud.core.timez import CLUSTER_TZ
from watcloud.outage.analysis import analyze
from watcloud.outage.decide import plan
from watcloud.outage.parse import parse_text


def _windows(text: str, posted: date, title: str | None = None) -> list[tuple[str, str]]:
    a = analyze(parse_text(text, title=title), posted)
    return [(f"{w.start:%Y-%m-%d %H:%M}", f"{w.end:%Y-%m-%d %H:%M}") for w in a.windows]


def _codes(text: str) -> list[str]:
    return [r.code for r in analyze(parse_text(text), date(2026, 6, 1)).decision.reasons]


PAGE_2021 = (
    "Service Interruption Notice\n\nElectricity - CPH, E3 - June 19th, 2021\n\n"
    "What is happening?\n\nElectrical shutdown of normal power at CPH and E3.\n\n"
    "When is this happening?\n\nSaturday, June 19th between 7:00am-7:00pm\n\n"
    "Where is this happening?\n\nCPH and E3\n"
)


# --- year-less dates ----------------------------------------------------------------------


def test_yearless_date_takes_the_title_year_not_next_year() -> None:
    # Read on the crawl date, years later: the title says 2021, so the event was in 2021.
    a = analyze(parse_text(PAGE_2021), date(2026, 12, 3))
    assert [(w.start.isoformat(), w.end.isoformat()) for w in a.windows] == [
        ("2021-06-19T07:00:00-04:00", "2021-06-19T19:00:00-04:00")
    ]
    assert not any("title" in w for w in a.when.warnings), a.when.warnings


def test_yearless_date_takes_the_year_of_another_date_in_the_notice() -> None:
    text = (
        "Panel replacement - CPH\n\nWhat is happening? Normal power to CPH will be shut off. "
        "This replaces our notice of May 30, 2024.\n\n"
        "When is this happening? Sunday, June 9 from 8:00 am to 11:00 am"
    )
    assert _windows(text, date(2026, 12, 3)) == [("2024-06-09 08:00", "2024-06-09 11:00")]


def test_yearless_date_with_a_weekday_takes_the_year_that_matches_nearest_posted() -> None:
    # No year anywhere; January 8 was a Wednesday in 2025 (and in 2020), not in 2026 or 2027.
    text = "Electrical - CPH\n\nNormal power in CPH will be off Wednesday, January 8, 7-9 a.m."
    assert _windows(text, date(2026, 12, 3)) == [("2025-01-08 07:00", "2025-01-08 09:00")]


def test_yearless_date_without_clues_takes_the_year_nearest_the_posted_date() -> None:
    text = "Electrical - CPH\n\nNormal power in CPH will be off December 20 from 7 to 9 a.m."
    # Posted in March: last December is 80 days away, next December more than 9 months.
    assert _windows(text, date(2026, 3, 10)) == [("2025-12-20 07:00", "2025-12-20 09:00")]
    # Posted in November: the coming December.
    assert _windows(text, date(2026, 11, 20)) == [("2026-12-20 07:00", "2026-12-20 09:00")]


def test_a_notice_whose_event_is_over_is_never_announced() -> None:
    a = analyze(parse_text(PAGE_2021), date(2026, 12, 3))
    assert a.relevant
    at = datetime(2026, 12, 3, 12, 0, tzinfo=CLUSTER_TZ)
    assert plan(a, None, at=at) is None
    # No window lands after the notice's own year.
    assert all(w.start.year <= 2021 for w in a.windows)


# --- the body after a contact line ------------------------------------------------------------


def test_body_after_a_contact_line_is_read() -> None:
    text = (
        "Campus electrical maintenance\n\n"
        "Please direct any questions or concerns to the service desk at ext. 33793.\n\n"
        "A campus-wide power shutdown will take place on Sunday, August 2, 2026 "
        "from 6:00 a.m. to 10:00 a.m."
    )
    a = analyze(parse_text(text), date(2026, 7, 20))
    assert a.relevant, a.decision.reasons
    assert a.decision.campus_wide
    assert [(w.start.hour, w.end.hour) for w in a.windows] == [(6, 10)]


def test_a_contact_heading_keeps_only_its_paragraph() -> None:
    text = (
        "Electrical Shutdown - CPH\n\nWhat is happening?\n\nPanel work.\n\n"
        "Who to contact for more information?\n\nSam Ode, ext. 1234\n\n"
        "Normal power will be off in CPH on Saturday, May 2, 2026 from 7:00 am to 9:00 am."
    )
    n = parse_text(text)
    assert n.sections["contact"] == "Sam Ode, ext. 1234"
    assert "Normal power will be off" in n.sections["more"]
    assert analyze(n, date(2026, 4, 20)).relevant


# --- CPH in a list ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "listing",
    [
        "This will affect E2, CPH, DWE and RCH.",
        "Buildings affected: E2, E3, CPH and DWE.",
        "The outage will affect CPH, E2 and E3.",
    ],
)
def test_cph_in_the_list_of_affected_buildings_counts(listing: str) -> None:
    text = (
        "South loop shutdown\n\nThere will be an electrical shutdown of the south feeder loop "
        f"on Saturday, October 3, 2026 from 6:00 pm to 2:00 am.\n\n{listing}"
    )
    a = analyze(parse_text(text), date(2026, 9, 20))
    assert a.relevant, a.decision.reasons
    assert "listed" in [r.code for r in a.decision.reasons]


def test_a_list_that_leaves_cph_out_does_not_count() -> None:
    text = (
        "South loop shutdown\n\nThere will be an electrical shutdown of the south feeder loop "
        "on Saturday, October 3, 2026.\n\nThis will affect E2, E3 and DWE. CPH is not affected."
    )
    assert not analyze(parse_text(text), date(2026, 9, 20)).relevant


# --- each date keeps its own time range ----------------------------------------------------


def test_each_date_keeps_its_own_range() -> None:
    text = (
        "Power work - CPH\n\nWhat is happening? Normal power in CPH will be shut off on:\n\n"
        "Monday, July 6 (all day)\n\nTuesday, July 7 (all day)\n\nWednesday, July 8\n\n"
        "Thursday, July 9, 7:00 pm to 3:00 am"
    )
    assert _windows(text, date(2026, 6, 20)) == [
        ("2026-07-06 00:00", "2026-07-07 00:00"),
        ("2026-07-07 00:00", "2026-07-08 00:00"),
        ("2026-07-08 00:00", "2026-07-09 00:00"),
        ("2026-07-09 19:00", "2026-07-10 03:00"),
    ]


def test_dates_in_one_run_still_share_the_range() -> None:
    text = (
        "Power work - CPH\n\n"
        "Normal power in CPH will be off July 6, July 7 and July 8 from 7 to 9 a.m."
    )
    assert _windows(text, date(2026, 6, 20)) == [
        ("2026-07-06 07:00", "2026-07-06 09:00"),
        ("2026-07-07 07:00", "2026-07-07 09:00"),
        ("2026-07-08 07:00", "2026-07-08 09:00"),
    ]


# --- durations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "end"),
    [
        ("The shutdown (5 hours) starting at 3:00 am.", "08:00"),
        ("A 3-hour power outage starting at 3:00 am.", "06:00"),
        ("Starting at 3:00 am (approximately 2.5 hours).", "05:30"),
        ("Power goes off at 3:00 am and should be back by 4:15 am.", "04:15"),
    ],
)
def test_duration_phrases_give_the_end(phrase: str, end: str) -> None:
    text = (
        "Electrical Shutdown - CPH\n\nWhat is happening?\n\nNormal power will be off in CPH. "
        f"{phrase}\n\nWhen is this happening?\n\nSunday, November 8, 2026"
    )
    assert _windows(text, date(2026, 10, 30)) == [("2026-11-08 03:00", f"2026-11-08 {end}")]


def test_a_start_with_no_end_is_never_an_empty_window() -> None:
    text = "Electrical Shutdown - CPH\n\nNormal power in CPH goes off at 9:00 am on June 20, 2026."
    a = analyze(parse_text(text), date(2026, 6, 1))
    [w] = a.windows
    assert w.end > w.start and not w.end_stated
    assert (w.end - w.start) == timedelta(hours=15)
    assert any("no end time" in m for m in a.when.warnings)


# --- "today (June 9)" ---------------------------------------------------------------------


def test_today_with_a_date_is_that_date_not_the_posted_date() -> None:
    text = (
        "Short power outages in CPH today\n\n"
        "Because of urgent repairs, CPH will have short power outages today (June 9) "
        "between 5:00 pm and 6:00 pm."
    )
    assert _windows(text, date(2026, 6, 11)) == [("2026-06-09 17:00", "2026-06-09 18:00")]


# --- after-the-fact reports ---------------------------------------------------------------


def test_a_restored_report_has_no_invented_window() -> None:
    text = (
        "CPH power update\n\nPower to CPH was restored at 2:20 a.m. on Friday, March 6 after "
        "an unplanned outage that started at 11:05 p.m."
    )
    a = analyze(parse_text(text), date(2026, 3, 6))
    assert not a.relevant
    assert "restored" in [r.code for r in a.decision.reasons]
    assert a.windows == []


# --- right answers for the right reasons -------------------------------------------------


def test_another_universitys_email_domain_is_not_another_institutions_notice() -> None:
    text = (
        "Electrical Shutdown - CPH - June 20, 2026\n\nWhat is happening?\n\nNormal power off in "
        "CPH.\n\nWho to contact for more information?\n\nConsultant: r.cho@wlu.ca"
    )
    codes = _codes(text)
    assert "other-institution" not in codes and "building" in codes


def test_a_laurier_notice_is_rejected_for_its_place_not_its_email() -> None:
    text = (
        "Waterloo campus power shutdown\n\nPower will be shut off to the Arts building on the "
        "Waterloo campus on Saturday, May 2, 2026. Questions: facilities@wlu.ca"
    )
    codes = _codes(text)
    assert "other-institution" not in codes and "elsewhere" in codes


def test_campus_wide_power_shutdown_is_a_power_off_clause() -> None:
    text = (
        "Substation work\n\nA campus-wide power shutdown is planned for Sunday, May 3, 2026, "
        "and no interruption to the residences is expected."
    )
    codes = _codes(text)
    assert "power-off" in codes and "campus-wide" in codes and "not-power" not in codes


def test_no_interruption_to_cph_excepts_cph() -> None:
    text = (
        "Substation work\n\nA campus-wide power shutdown is planned for Sunday, May 3, 2026, "
        "and there will be no power interruption to Carl Pollock Hall."
    )
    a = analyze(parse_text(text), date(2026, 4, 20))
    assert not a.relevant
    assert "excepted" in [r.code for r in a.decision.reasons]


def test_headings_without_question_mark_or_with_markup_still_split() -> None:
    n = parse_text(
        "Electrical - CPH\n\nWhat is happening?\nNormal power off in CPH.\n\n"
        "Questions or concerns\nCall ext. 1.\n\n**When is this happening?** June 3, 2026\n\n"
        "Please direct any questions or concerns\nto ext. 2."
    )
    assert n.sections["contact"] == "Call ext. 1."
    assert n.sections["when"].startswith("June 3, 2026")
    assert "Please direct any questions or concerns" in n.sections["when"]
