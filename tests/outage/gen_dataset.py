# ruff: noqa: E501, SIM108
"""Generate the bundled labelled dataset (written for this project, not copied from PlantOps).

Run: `python tests/outage/gen_dataset.py` -> src/watcloud/outage/data/{dev,test}.jsonl

Every notice is composed from phrase banks written for WATcloud in the style PlantOps uses
(the question headings, building codes, "a.m."/"am" times). Labels come from the scenario
parameters (what the generator put in), never from the classifier. The split is fixed by a hash
of the id, made before any tuning: dev is for tuning, test is not looked at while tuning.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

try:
    from tests.outage.handwritten import NOTICES
except ImportError:  # run as a script: python tests/outage/gen_dataset.py
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from tests.outage.handwritten import NOTICES

TZ = ZoneInfo("America/Toronto")
OUT = Path(__file__).resolve().parents[2] / "src" / "watcloud" / "outage" / "data"
R = random.Random(20261124)

CPH_NAMES = [
    "CPH", "Carl A. Pollock Hall", "Carl Pollock Hall", "Carl Pollack Hall", "Carl A. Pollock Hall (CPH)",
    "CPH (Carl A. Pollock Hall)", "Carl A Pollock Hall",
]  # fmt: skip
OTHER = {
    "DWE": "Douglas Wright Engineering", "E2": "Engineering 2", "E3": "Engineering 3",
    "E5": "Engineering 5", "E6": "Engineering 6", "E7": "Engineering 7", "RCH": "J.R. Coutts Engineering Lecture Hall",
    "DC": "William G. Davis Computer Research Centre", "MC": "Mathematics & Computer", "M3": "Mathematics 3",
    "PHY": "Physics", "ESC": "Earth Sciences & Chemistry", "B1": "Biology 1", "B2": "Biology 2",
    "C2": "Chemistry 2", "EIT": "Centre for Environmental and Information Technology", "QNC": "Mike & Ophelia Lazaridis Quantum-Nano Centre",
    "SLC": "Student Life Centre", "PAC": "Physical Activities Complex", "DP": "Dana Porter Library",
    "NH": "Needles Hall", "HH": "Hagey Hall", "EV1": "Environment 1", "EV2": "Environment 2",
    "AL": "Arts Lecture Hall", "ML": "Modern Languages", "STC": "Science Teaching Complex",
    "TC": "Tatham Centre", "GSC": "General Services Complex", "PHR": "Pharmacy", "BMH": "B.C. Matthews Hall",
    "RAC1": "Research Advancement Centre 1", "RAC2": "Research Advancement Centre 2", "OPT": "Optometry",
    "SCH": "South Campus Hall", "COM": "Commissary", "AHS": "Applied Health Sciences", "EXP": "Energy Research Centre",
}  # fmt: skip
OTHER_CODES = list(OTHER)
PEOPLE = [
    "Dana Whitfield",
    "Marco Ruiz",
    "Priya Natarajan",
    "Owen Kowalczyk",
    "Leah Fontaine",
    "Samir Haddad",
    "Grace Liu",
    "Tom Brennan",
    "Ines Carvalho",
    "Jonah Weiss",
]
REASONS_POWER = [
    "replacement of the main switchgear", "annual maintenance of the building substation",
    "installation of a new transformer", "repairs to a medium voltage feeder",
    "connection of new electrical panels for the lab renovation", "thermographic repairs to the main breaker",
    "replacement of a failed bus duct", "infrared scanning follow-up repairs",
    "upgrades to the building's electrical distribution", "utility work by the local hydro provider",
]  # fmt: skip

WDAY = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MON = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
       "October", "November", "December"]  # fmt: skip
MON_ABBR = [
    "Jan.",
    "Feb.",
    "Mar.",
    "Apr.",
    "May",
    "Jun.",
    "Jul.",
    "Aug.",
    "Sept.",
    "Oct.",
    "Nov.",
    "Dec.",
]


def ordinal(n: int) -> str:
    suf = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suf}"


def fdate(d: date, style: int, year: bool) -> str:
    y = f", {d.year}" if year else ""
    wd, m, day = WDAY[d.weekday()], MON[d.month - 1], d.day
    return [
        f"{wd}, {m} {day}{y}",
        f"{wd}, {m} {ordinal(day)}{y}",
        f"{m} {day}{y}",
        f"{wd[:3]}., {MON_ABBR[d.month - 1]} {day}{y}",
        f"{wd} {m} {day}{y}",
        f"{m} {ordinal(day)}{y}",
        f"{day} {m} {d.year}" if year else f"{m} {day}",
    ][style % 7]


def ftime(t: time, style: int) -> str:
    if t == time(12, 0) and style % 5 == 4:
        return "noon"
    h12 = t.hour % 12 or 12
    ap = "am" if t.hour < 12 else "pm"
    mm = f"{t.minute:02d}"
    return [
        f"{h12}:{mm}{ap}",
        f"{h12}:{mm} {ap[0]}.m.",
        f"{h12} {ap[0]}.m." if t.minute == 0 else f"{h12}:{mm} {ap[0]}.m.",
        f"{h12}:{mm} {ap.upper()}",
        f"{h12}:{mm} {ap}",
    ][style % 5]


@dataclass
class Scn:
    """A scenario: what happens, where, when, and its ground-truth label."""

    kind: str
    relevant: bool
    title: str
    where: str
    what: str
    when: str
    how: str
    posted: date
    windows: list[tuple[datetime, datetime]] = field(default_factory=list)
    status: str = "scheduled"
    extra_sections: dict[str, str] = field(default_factory=dict)


def at(d: date, t: time) -> datetime:
    return datetime.combine(d, t, tzinfo=TZ)


def plus(dt: datetime, hours: float) -> datetime:
    return (dt.astimezone(UTC) + timedelta(hours=hours)).astimezone(TZ)


def rand_date(lo: int = 2022, hi: int = 2026) -> date:
    start = date(lo, 1, 1)
    return start + timedelta(days=R.randrange((date(hi, 12, 1) - start).days))


def weekend(d: date) -> date:
    while d.weekday() < 5 and R.random() < 0.8:
        d += timedelta(days=1)
    return d


def posted_before(d: date) -> date:
    return d - timedelta(days=R.choice([1, 3, 5, 7, 10, 14, 20]))


# ---- "when" phrasing: (when text, title time text or None, how-extra, windows) --------------


def when_single(
    d: date, t1: time, t2: time, posted: date, title_ok: bool = True
) -> tuple[str, str | None, str, list[tuple[datetime, datetime]]]:
    ds = R.randrange(7)
    ts = R.randrange(5)
    year = R.random() < 0.5
    dtext = fdate(d, ds, year)
    a, b = ftime(t1, ts), ftime(t2, ts)
    end_day = d + timedelta(days=1) if t2 <= t1 else d
    win = [(at(d, t1), at(end_day, t2))]
    hours = (win[0][1].astimezone(UTC) - win[0][0].astimezone(UTC)).total_seconds() / 3600
    hstr = f"{hours:g}"
    form = R.randrange(9)
    while form == 4 and not title_ok:
        form = R.randrange(9)
    if form == 0:
        return f"{dtext} between {a}-{b}", None, "", win
    if form == 1:
        return f"{dtext} from {a} to {b}", None, "", win
    if form == 2:
        return f"{dtext}, {a} – {b}", None, "", win
    if form == 3:
        return f"{dtext}. Starting at {a}, lasting {hstr} hours.", None, "", win
    if form == 4:
        return f"{dtext}", f"between {a}-{b}", f"Starting at {a} lasting {hstr} hours.", win
    if form == 5:
        return f"{dtext}, starting at {a} for approximately {hstr} hours", None, "", win
    if form == 6:
        return f"{dtext} at {a} for {hstr}hrs", None, "", win
    if form == 7:
        return f"The shutdown will begin at {a} on {dtext} and end at {b}", None, "", win
    return f"{dtext}\n\n{a} until {b}", None, "", win


def when_for(
    kind: str, d: date, posted: date, title_ok: bool = True
) -> tuple[str, str | None, str, list[tuple[datetime, datetime]]]:
    starts = [time(6), time(7), time(7, 30), time(8), time(9), time(5, 30), time(6, 30)]
    if kind == "single":
        t1 = R.choice(starts)
        t2 = time(min(23, t1.hour + R.choice([2, 3, 4, 5, 6, 8, 10])), R.choice([0, 0, 30]))
        if R.random() < 0.15:
            t2 = time(12, 0)
        return when_single(d, t1, t2, posted, title_ok)
    if kind == "overnight":
        t1 = R.choice([time(22), time(23), time(21), time(19)])
        t2 = R.choice([time(3), time(5), time(6), time(2)])
        return when_single(d, t1, t2, posted, title_ok)
    if kind == "twodays":
        d2 = d + timedelta(days=1)
        t1, t2 = R.choice([(time(7), time(17)), (time(8), time(16)), (time(6), time(14))])
        ts = R.randrange(5)
        a, b = ftime(t1, ts), ftime(t2, ts)
        y = R.random() < 0.5
        win = [(at(d, t1), at(d, t2)), (at(d2, t1), at(d2, t2))]
        form = R.randrange(3)
        if form == 0:
            return f"{fdate(d, 0, y)} and {fdate(d2, 0, y)}, {a} to {b} each day", None, "", win
        if form == 1:
            return (
                (
                    f"{WDAY[d.weekday()]} {MON[d.month - 1]} {d.day} and {WDAY[d2.weekday()]} "
                    f"{MON[d2.month - 1]} {d2.day} between {a} and {b} (both days)"
                ),
                None,
                "",
                win,
            )
        return f"{MON[d.month - 1]} {d.day}-{d2.day}, from {a} to {b} daily", None, "", win
    if kind == "span":
        d2 = d + timedelta(days=R.choice([1, 2]))
        t1, t2 = R.choice([(time(7), time(18)), (time(19), time(6)), (time(6), time(12))])
        ts = R.randrange(5)
        y = R.random() < 0.5
        win = [(at(d, t1), at(d2, t2))]
        form = R.randrange(2)
        if form == 0:
            return (
                (
                    f"From {fdate(d, 4, y)} at {ftime(t1, ts)} to {fdate(d2, 4, y)} at "
                    f"{ftime(t2, ts)}"
                ),
                None,
                "",
                win,
            )
        return (
            (
                f"Power will be off from {ftime(t1, ts)} on {fdate(d, 0, y)} until "
                f"{ftime(t2, ts)} on {fdate(d2, 0, y)}"
            ),
            None,
            "",
            win,
        )
    if kind == "dst":
        # A window that crosses a DST change, stated as start + duration.
        year = R.choice([2023, 2024, 2025, 2026])
        if R.random() < 0.5:  # fall back: first Sunday of November
            d0 = date(year, 11, 1)
        else:  # spring forward: second Sunday of March
            d0 = date(year, 3, 8)
        while d0.weekday() != 6:
            d0 += timedelta(days=1)
        sat = d0 - timedelta(days=1)
        t1 = time(22)
        hours = R.choice([6, 8, 7])
        start = at(sat, t1)
        win = [(start, plus(start, hours))]
        return (
            (
                f"{fdate(sat, 0, True)}, starting at {ftime(t1, R.randrange(4))} and lasting "
                f"{hours} hours (overnight)"
            ),
            None,
            "",
            win,
        )
    if kind == "today":
        t1, t2 = R.choice(
            [(time(13), time(15)), (time(14), time(16, 30)), (time(18, 30), time(19, 30))]
        )
        ts = R.randrange(4)
        win = [(at(d, t1), at(d, t2))]
        return f"Today, from {ftime(t1, ts)} to {ftime(t2, ts)}", None, "", win
    if kind == "words":
        t1 = R.choice(starts)
        n, word = R.choice([(4, "four"), (6, "six"), (8, "eight"), (3, "three")])
        start = at(d, t1)
        return (
            (
                f"{fdate(d, R.randrange(7), R.random() < 0.5)} beginning at "
                f"{ftime(t1, R.randrange(4))} for about {word} hours"
            ),
            None,
            "",
            [(start, plus(start, n))],
        )
    raise ValueError(kind)


WHEN_KINDS = ["single"] * 6 + ["overnight", "twodays", "span", "dst", "words", "single"]

# ---- building phrasing -------------------------------------------------------------------


def others(k: int) -> list[str]:
    return R.sample([c for c in OTHER_CODES if c not in ("CPH",)], k)


def where_text(codes: list[str], with_cph: bool, style: int) -> tuple[str, str]:
    """(where section text, title building text)."""
    names = []
    title_codes = []
    if with_cph:
        cph = R.choice(CPH_NAMES)
        names.append(cph)
        title_codes.append("CPH")
    for c in codes:
        names.append(OTHER[c] if style % 2 else c)
        title_codes.append(c)
    R.shuffle(names)
    if len(names) == 1:
        where = names[0]
    else:
        where = ", ".join(names[:-1]) + " and " + names[-1]
    if style % 3 == 2 and with_cph:
        where += R.choice([", 3rd floor", " (entire building)", " - all floors", ""])
    return where, ", ".join(title_codes)


# ---- scenarios ---------------------------------------------------------------------------

POWER_WHAT = [
    "Electrical Shutdown",
    "Electrical shutdown of normal power. Reason: {reason}.",
    "Power interruption to the building for {reason}.",
    "A planned power outage is required for {reason}.",
    "Hydro shutdown: {reason}.",
    "Normal power will be shut off to allow {reason}.",
    "Electricity will be turned off in the building for {reason}.",
    "The building will be de-energized for {reason}.",
]
POWER_HOW = [
    "Normal power, elevators included, is off for the whole window; only emergency power stays on.",
    "The whole building loses normal power while the work is under way. Elevators and power door "
    "operators stop working. Please shut computers down cleanly beforehand.",
    "There will be no power in the building except emergency lighting. Please turn off sensitive "
    "equipment and unplug it.",
    "All electrical equipment will lose power. Fridges and freezers should be kept closed.",
    "Occupants should save their work and power down computers. Emergency lights will remain on.",
]


def contact() -> str:
    p = R.choice(PEOPLE)
    user = p.split()[0][0].lower() + p.split()[1].lower()[:7]
    return (
        f"{p}: {user}@uwaterloo.ca"
        if R.random() < 0.6
        else f"{p}, ext. {R.randrange(30000, 49999)}"
    )


def power_scn(where_cph: bool, when_kind: str, *, campus: bool = False) -> Scn:
    d = weekend(rand_date())
    posted = posted_before(d)
    if when_kind == "today":
        posted = d
    when, title_time, how_extra, wins = when_for(when_kind, d, posted)
    n_other = R.choice([0, 0, 1, 2, 3]) if where_cph else R.choice([1, 1, 2, 3])
    codes = others(n_other)
    where, tcodes = where_text(codes, where_cph, R.randrange(6))
    if campus:
        where = R.choice(["All buildings on main campus", "Campus-wide", "Entire main campus"])
        tcodes = "Campus-wide"
    reason = R.choice(REASONS_POWER)
    what = R.choice(POWER_WHAT).format(reason=reason)
    if campus:
        what = R.choice(
            [
                f"Campus-wide hydro shutdown for {reason}.",
                f"A campus-wide power outage is required for {reason}.",
                f"Power to all buildings on main campus will be shut off for {reason}.",
            ]
        )
    how = R.choice(POWER_HOW) + (" " + how_extra if how_extra else "")
    label = R.choice(
        [
            "Electrical Shutdown",
            "Power Outage",
            "Electricity",
            "Electrical Power Shutdown",
            "Power Interruption",
        ]
    )
    dtitle = fdate(d, R.randrange(7), R.random() < 0.6)
    tt = f" {title_time}" if title_time else ""
    title = R.choice(
        [
            f"{label}, {dtitle}{tt}, {tcodes}",
            f"{label} - {tcodes} - {dtitle}{tt}",
            f"{label} - {tcodes}",
        ]
    )
    if title_time and title_time not in title:
        title = f"{label}, {dtitle}{tt}, {tcodes}"
    return Scn("power", where_cph or campus, title, where, what, when, how, posted, wins)


def multi_service_scn(with_power: bool, cph: bool) -> Scn:
    d = weekend(rand_date())
    posted = posted_before(d)
    when, _, _, wins = when_for("single", d, posted, title_ok=False)
    codes = others(R.choice([0, 1])) if cph else others(R.choice([1, 2]))
    where, tcodes = where_text(codes, cph, R.randrange(6))
    services = R.sample(
        [
            "heating",
            "cooling",
            "ventilation",
            "domestic water",
            "compressed air",
            "steam",
            "chilled water",
        ],
        3,
    )
    if with_power:
        services.insert(R.randrange(3), "electrical power")
    what = (
        f"{', '.join(services[:-1]).capitalize()} and {services[-1]} will be shut off "
        f"to {R.choice(['install a new transformer', 'tie in new mechanical services', 'replace a riser'])}."
    )
    title = f"Multiple Service Shutdown - {tcodes} - {fdate(d, 2, False)}"
    how = "Building occupants should expect no ventilation during the work."
    return Scn("multi", with_power and cph, title, where, what, when, how, posted, wins)


NONPOWER = [
    # (title label, what, how, category)
    (
        "Water Shutdown",
        "Domestic cold water will be shut off for a valve replacement.",
        "Washrooms and kitchens will have no water. Electrical power is not affected.",
    ),
    (
        "Domestic Hot Water Shutdown",
        "Hot water will be unavailable while the heater is serviced.",
        "Cold water remains available.",
    ),
    (
        "Steam Shutdown",
        "Steam will be shut down for maintenance of the steam tunnel.",
        "Heating and humidification will be unavailable. No interruption to electrical power is expected.",
    ),
    (
        "Natural Gas Shutdown",
        "Natural gas supply will be isolated to lab benches.",
        "Bunsen burners will not work during this time.",
    ),
    ("Heating Shutdown", "Heating will be turned off to replace a pump.", "Rooms may become cool."),
    (
        "Cooling Shutdown",
        "Air conditioning will be unavailable while the chiller is serviced.",
        "Rooms may become warm. Liebert units in server rooms will be on backup cooling.",
    ),
    (
        "Chilled Water Shutdown",
        "Chilled water will be shut off to lab equipment.",
        "Lab equipment that uses chilled water must be turned off.",
    ),
    (
        "Elevator Shutdown",
        "The elevator will be out of service for maintenance.",
        "Please use the stairs or the elevator in the adjacent building.",
    ),
    (
        "Network Outage",
        "IST will be upgrading network switches; wired and wireless network will be unavailable.",
        "Network services will be interrupted; electrical power is not affected.",
    ),
    (
        "Fire Alarm Testing",
        "Annual fire alarm testing. Alarms will sound intermittently.",
        "Occupants do not need to evacuate during testing.",
    ),
    (
        "Sprinkler System Shutdown",
        "The sprinkler system will be drained for repairs.",
        "A fire watch will be in place.",
    ),
    (
        "Compressed Air Shutdown",
        "Compressed air will be shut off to the labs.",
        "Lab equipment using compressed air will not operate.",
    ),
    (
        "De-ionized Water Shutdown",
        "De-ionized water will be unavailable for filter changes.",
        "Please plan lab work accordingly.",
    ),
    (
        "Fumehood Exhaust Shutdown",
        "Fume hood exhausts will be shut off for maintenance.",
        "Ensure all fume hoods are closed and chemicals sealed.",
    ),
    (
        "Power Door Operators Out of Service",
        "Power door operators at the main entrance will be out of service.",
        "Individuals who require the power door operators should use the north entrance.",
    ),
    (
        "Power Washing",
        "Power washing of the exterior walls and windows.",
        "Some windows and the east entrance may be blocked.",
    ),
    (
        "Emergency Generator Test",
        "Testing of the emergency generator under load.",
        "Normal power will remain on; emergency power may flicker briefly during the test.",
    ),
    (
        "Custodial Services",
        "Limited custodial services in effect; the compactor is inoperative.",
        "Please hold garbage until the compactor is repaired.",
    ),
    (
        "Building Access",
        "The north entrance will be closed for repairs.",
        "Please use another entrance.",
    ),
    (
        "Parking Lot Closure",
        "Parking lot closure for paving.",
        "Vehicles must be moved before 7:00 a.m.",
    ),
    (
        "Electrical Panel Inspection",
        "Electrical panels will be inspected by a contractor.",
        "No interruption expected; electrical power will remain on throughout.",
    ),
    (
        "Ventilation Shutdown",
        "General exhaust and fresh air supply will be shut down.",
        "Some fume hoods will be unavailable.",
    ),
    (
        "Swimming Pool Closure",
        "The pool will be drained for maintenance.",
        "Lessons are cancelled.",
    ),
    (
        "Emergency Power Shutdown",
        "The emergency generator will be taken offline for repair; emergency power will be unavailable.",
        "Normal power is not affected. Emergency lighting will be on battery.",
    ),
]


def nonpower_scn(cph: bool) -> Scn:
    d = rand_date()
    posted = posted_before(d)
    when, _, _, _ = when_for(R.choice(["single", "single", "twodays"]), d, posted)
    label, what, how = R.choice(NONPOWER)
    codes = others(R.choice([0, 0, 1])) if cph else others(R.choice([1, 2]))
    where, tcodes = where_text(codes, cph, R.randrange(6))
    title = R.choice(
        [f"{label} - {tcodes} - {fdate(d, 2, False)}", f"{label}, {fdate(d, 0, True)}, {tcodes}"]
    )
    return Scn("nonpower", False, title, where, what, when, how, posted)


PASSING = [
    "Occupants of {b} may use space in Carl A. Pollock Hall during the shutdown.",
    "The bridge to CPH stays open; use it to reach the rest of campus.",
    "Staff may relocate to study space in CPH for the day.",
    "The tunnel between {b} and CPH will remain open.",
    "Deliveries should use the CPH loading dock instead.",
]


def passing_scn() -> Scn:
    s = power_scn(False, "single")
    b = s.where.split(",")[0].split(" and ")[0]
    s.how = s.how + " " + R.choice(PASSING).format(b=b)
    s.kind = "passing"
    s.relevant = False
    return s


def excepted_scn() -> Scn:
    s = power_scn(False, "single")
    s.where = R.choice(
        ["All buildings on main campus except CPH", "Campus-wide, except Carl A. Pollock Hall"]
    )
    s.what = "Campus-wide power shutdown for utility work, with the exception of Carl A. Pollock Hall, which is on a separate feeder."
    s.kind = "excepted"
    s.relevant = False
    return s


def restored_scn() -> Scn:
    d = rand_date()
    s = Scn(
        "restored",
        False,
        f"Power Restored - CPH - {fdate(d, 2, False)}",
        "Carl A. Pollock Hall",
        "Power has been restored to Carl A. Pollock Hall after this morning's unplanned outage.",
        f"{fdate(d, 0, True)}",
        "All building systems are operating normally.",
        d,
    )
    return s


def switchover_scn() -> Scn:
    d = weekend(rand_date())
    posted = posted_before(d)
    when, _, _, wins = when_for("single", d, posted, title_ok=False)
    s = Scn(
        "switchover",
        True,
        f"Electrical Switch-over - CPH - {fdate(d, 2, R.random() < 0.5)}",
        R.choice(CPH_NAMES),
        "Electrical switch-over to the new transformer. There will be a brief interruption of power "
        "during the transfer and again when switching back.",
        when,
        "Sensitive equipment should be shut down before the switch-over.",
        posted,
        wins,
    )
    return s


def cancel_scn(postponed: bool) -> Scn:
    s = power_scn(True, R.choice(["single", "single", "overnight"]))
    s.kind = "postponed" if postponed else "cancelled"
    s.status = "cancelled"
    if postponed:
        s.title = "POSTPONED - " + s.title
        s.what = (
            s.what
            + " This shutdown has been postponed until further notice. A new date will be announced."
        )
    else:
        s.title = R.choice(["CANCELLED: ", "Cancelled - ", "CANCELLATION - "]) + s.title
        s.what = s.what + " This work has been cancelled and will not take place."
    return s


def revised_scn() -> Scn:
    s = power_scn(True, "single")
    old = s.windows[0][0].date()
    new = old + timedelta(days=R.choice([7, 14, 21]))
    delta = new - old
    s.windows = [(a + delta, b + delta) for a, b in s.windows]
    # Rewrite the When text to the new date and note the old date.
    when, _, _, wins = when_single(
        new, s.windows[0][0].time(), s.windows[0][1].time(), s.posted, title_ok=False
    )
    s.windows = wins
    s.when = when + f" (originally scheduled for {fdate(old, 2, False)})"
    s.title = R.choice(["REVISED DATE - ", "Rescheduled: ", "UPDATED - "]) + R.choice(
        [
            f"Electrical Shutdown - CPH - {fdate(new, 2, False)}",
            f"Power Outage - Carl A. Pollock Hall - {fdate(new, 5, False)}",
        ]
    )
    s.kind = "revised"
    return s


def other_building_cancel() -> Scn:
    s = cancel_scn(False)
    codes = others(2)
    s.where = f"{OTHER[codes[0]]} and {codes[1]}"
    s.title = s.title.replace("CPH", codes[0])
    for n in CPH_NAMES:
        s.title = s.title.replace(n, codes[0])
    s.relevant = False
    s.kind = "cancel-elsewhere"
    return s


# ---- rendering ---------------------------------------------------------------------------

Q = {
    "where": "Where is this happening?",
    "what": "What is happening?",
    "when": "When is this happening?",
    "how": "How does this affect the UW community?",
    "contact": "Who to contact for more information?",
}


def render_page(s: Scn) -> str:
    order = ["where", "what", "when", "how", "contact"]
    if R.random() < 0.4:
        order = ["what", "when", "where", "how", "contact"]
    vals = {"where": s.where, "what": s.what, "when": s.when, "how": s.how, "contact": contact()}
    parts = ["Service Interruption Notice", s.title]
    for k in order:
        parts += [Q[k], vals[k]]
    if R.random() < 0.5:
        parts.append("The timing of this work is fixed.")
    return "\n\n".join(parts)


def render_homepage(s: Scn) -> str:
    p = s.posted
    stamp = f"{MON_ABBR[p.month - 1]} {p.day}, {p.year}"
    where = s.where
    what = s.what
    if "{" not in what and where and where.split(",")[0] not in what:
        what = f"{what.rstrip('.')} in {where}."
    parts = [
        f"{stamp}{s.title}",
        f"What is happening? {what}",
        f"When is this happening? {s.when.replace(chr(10), ' ')}",
    ]
    if s.how:
        parts.append(f"What do I have to do? {s.how}")
    parts.append(
        f"Questions or concerns? Contact {R.choice(PEOPLE)} at ext. {R.randrange(30000, 39999)}."
    )
    return "\n\n".join(parts)


def render_email(s: Scn, nid: int) -> str:
    vals = {"where": s.where, "what": s.what, "when": s.when, "how": s.how, "contact": contact()}
    parts = [s.title, "Service Interruption Notice"]
    for k in ["where", "what", "when", "how", "contact"]:
        parts += [Q[k], vals[k]]
    parts.append(
        f"View this notice online: https://plantops.uwaterloo.ca/service-interruptions/notice.php?ID={nid}"
    )
    parts.append(
        "You are receiving this message because you subscribed to Plant Operations service "
        "interruption notices. To change your subscription, visit the Plant Operations website."
    )
    return "\n\n".join(parts)


def render_html(s: Scn) -> str:
    order = ["where", "what", "when", "how", "contact"]
    R.shuffle(order[:4])
    vals = {"where": s.where, "what": s.what, "when": s.when, "how": s.how, "contact": contact()}
    body = "".join(
        f'<div class="w3-container"><h4>{Q[k]}</h4><p>{vals[k].replace(chr(10), "<br>")}</p></div>'
        for k in order
    )
    return (
        "<!DOCTYPE html><html><head><title>Service Interruptions | Plant Operations</title>"
        '<style>.x{color:red}</style></head><body><div class="w3-content">'
        "<h2>Service Interruption Notice</h2>"
        f"<h3>{s.title}</h3>{body}</div></body></html>"
    )


def label_of(s: Scn) -> dict[str, object]:
    if not s.relevant:
        return {"relevant": False}
    return {
        "relevant": True,
        "status": s.status,
        "windows": [
            {
                "start": a.astimezone(TZ).strftime("%Y-%m-%dT%H:%M"),
                "end": b.astimezone(TZ).strftime("%Y-%m-%dT%H:%M"),
            }
            for a, b in s.windows
        ],
    }


def build() -> list[dict[str, object]]:
    scns: list[Scn] = []
    for _ in range(44):
        scns.append(power_scn(True, R.choice(WHEN_KINDS)))
    for _ in range(4):
        scns.append(power_scn(True, "today"))
    for _ in range(6):
        scns.append(power_scn(False, "single", campus=True))
        scns[-1].relevant = True
    for _ in range(30):
        scns.append(power_scn(False, R.choice(WHEN_KINDS)))
    for _ in range(5):
        scns.append(multi_service_scn(True, True))
    for _ in range(5):
        scns.append(multi_service_scn(True, False))
    for _ in range(4):
        scns.append(multi_service_scn(False, True))
    for _ in range(len(NONPOWER)):
        scns.append(nonpower_scn(True))
    for _ in range(16):
        scns.append(nonpower_scn(R.random() < 0.5))
    for _ in range(8):
        scns.append(passing_scn())
    for _ in range(3):
        scns.append(excepted_scn())
    for _ in range(3):
        scns.append(restored_scn())
    for _ in range(5):
        scns.append(switchover_scn())
    for _ in range(6):
        scns.append(cancel_scn(False))
    for _ in range(5):
        scns.append(cancel_scn(True))
    for _ in range(7):
        scns.append(revised_scn())
    for _ in range(3):
        scns.append(other_building_cancel())
    # NONPOWER in CPH once each, deterministic coverage of every category.
    for i, (label, what, how) in enumerate(NONPOWER):
        s = nonpower_scn(True)
        s.title = f"{label} - CPH - {s.title.split(' - ')[-1]}"
        s.what, s.how, s.where = what, how, R.choice(CPH_NAMES)
        scns.append(s)
        del i
    rows = []
    for i, s in enumerate(scns):
        nid = 3000 + i
        style = R.choices(["page", "homepage", "email", "html"], weights=[5, 2, 2, 1])[0]
        rec: dict[str, object] = {
            "id": f"wc-{nid}-{s.kind}-{style}",
            "posted": s.posted.isoformat(),
            "title": s.title,
        }
        if style == "page":
            rec["text"] = render_page(s)
        elif style == "homepage":
            rec["text"] = render_homepage(s)
        elif style == "email":
            rec["text"] = render_email(s, nid)
        else:
            rec["html"] = render_html(s)
        rec["label"] = label_of(s)
        rows.append(rec)
    for i, (style, posted, title, body, label) in enumerate(NOTICES):
        rows.append(
            {
                "id": f"hw-{i:02d}-{style}",
                "posted": posted,
                "title": title,
                "text": body,
                "label": label,
            }
        )
    return rows


def main() -> None:
    rows = build()
    OUT.mkdir(parents=True, exist_ok=True)
    split: dict[str, list[str]] = {"dev": [], "test": []}
    for rec in rows:
        h = int(hashlib.sha256(str(rec["id"]).encode()).hexdigest(), 16)
        split["test" if h % 2 else "dev"].append(json.dumps(rec, ensure_ascii=False))
    for name, lines in split.items():
        (OUT / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(name, len(lines))


if __name__ == "__main__":
    main()
