"""When is the outage? Dates, times and durations -> aware windows in America/Toronto.

Pure: the notice's posting date stands in for "now" (missing years and "today" are read from it).

What is understood (the forms PlantOps notices use):
- dates: "September 14, 2025", "Sat., June 19th", "14 September", "Dec 18", "2025-09-14",
  "today", "tonight", "tomorrow"; day ranges "June 3-5", "March 21 and 22";
- times: "7:00am", "8:00 a.m.", "8 a.m.", "noon", "midnight", "19:00";
- ranges: "7:00am-1:00pm", "8:00 a.m. to 10:00 a.m.", "8 a.m. to noon", en/em dashes,
  "between 7 and 11 a.m.";
- durations: "starting at 7:00 am lasting 6 hours", "for approximately 4.5 hours", "for 8hrs",
  "no longer than an hour";
- windows across midnight ("7:00pm to 3:00am"), spans ("from Saturday July 29 at 7:00 a.m. to
  Sunday July 30 at 6:00 p.m."), several dates sharing one range ("... each day"), one range per
  date ("Saturday June 6, 7-11 a.m. and Sunday June 7, 1-5 p.m.").

A missing year comes from the notice itself: the year of the nearest date that states one (the
title's "June 19th, 2021", another date in the body), with the weekday ("Saturday, June 19th")
deciding between neighbouring years; with no dated anchor, the year whose date falls on the
stated weekday nearest the posting date; else the year nearest the posting date. "today" and
"tomorrow" count only when the notice gives no calendar date ("today (June 9)" is June 9).
A date with no time is a whole-day window (00:00 to 00:00 the next day); a start with no end
and no duration runs to the next midnight (with a warning): a window is never empty. Dates on
separate lines or items keep their own times. Durations are elapsed time, so a window that
crosses a DST change ends at the right wall-clock time.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from watcloud.core.timez import CLUSTER_TZ
from watcloud.outage.parse import Notice

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
}  # fmt: skip
WEEKDAYS = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
}  # fmt: skip
NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "an": 1, "a": 1, "half an": 0.5,
    "half a": 0.5,
}  # fmt: skip

_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"  # noqa: E501
_WDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?"
_ORD = r"(?:st|nd|rd|th)?"
DATE_RE = re.compile(
    rf"(?:(?P<wd>{_WDAY})\s*,?\s*(?:the\s+)?)?"
    rf"(?:(?P<mon>{_MONTH})\.?\s+(?P<day>\d{{1,2}}){_ORD}"
    rf"(?:\s*(?:-|–|—|to|and|&)\s*(?:(?:{_WDAY})\s*,?\s*)?(?P<day_to>\d{{1,2}}){_ORD}(?!\s*:|\d|\s*(?:a\.?m|p\.?m|hrs?\b|hours?\b)))?"
    rf"|(?P<day2>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<mon2>{_MONTH})\.?)"
    rf"(?:\s*,?\s*(?P<year>(?:19|20)\d\d))?\b"
    rf"|(?P<iso>(?:19|20)\d\d-\d\d-\d\d)"
    rf"|\b(?P<rel>today|tonight|tomorrow)\b",
    re.IGNORECASE,
)
_AMPM = r"(?P<ap{n}>[ap])\.?\s?m\b\.?"
_CLOCK = r"(?P<h{n}>\d{{1,2}})(?:[:.](?P<m{n}>\d{{2}}))?"


def _time_alt(n: int, need_ampm: bool) -> str:
    ampm = _AMPM.format(n=n)
    clock = _CLOCK.format(n=n)
    named = rf"(?P<named{n}>noon|midday|midnight)"
    if need_ampm:
        return rf"(?:{clock}\s*{ampm}|(?:12\s*)?{named}|(?P<h24_{n}>[01]?\d|2[0-3]):(?P<m24_{n}>\d\d)(?!\s*[ap]\.?\s?m))"  # noqa: E501
    return rf"(?:{clock}\s*(?:{ampm})?|(?:12\s*)?{named})"


_SEP = r"\s*(?:-|–|—|to|until|till|and|through|thru)\s*"
RANGE_RE = re.compile(
    rf"(?<![\d:])(?:{_time_alt(1, False)}){_SEP}(?:{_time_alt(2, True)})", re.IGNORECASE
)
TIME_RE = re.compile(rf"(?<![\d:])(?:{_time_alt(1, True)})", re.IGNORECASE)
_NUM = r"(?P<n>\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|half an?|an?)"  # noqa: E501
_UNIT = r"(?P<unit>hours?|hrs?|h\b|minutes?|mins?)"
_HALF = r"(?:\s*(?:-|–)?\s*(?P<half>and\s+a\s+half))?"
_DUR_APPROX = r"(?:(?:approximately|approx\.?|about|roughly|up\s+to|an?\s+estimated|estimated)\s+)?"
DUR_RES = [
    re.compile(
        rf"\b(?:for|lasting|last|of|approximately|approx\.?|about|roughly|up\s+to|than)\s+"
        rf"{_DUR_APPROX}{_NUM}{_HALF}\s*-?\s*{_UNIT}",
        re.IGNORECASE,
    ),
    # "(5 hours)", "(approx. 4 hrs)"
    re.compile(rf"\(\s*{_DUR_APPROX}{_NUM}{_HALF}\s*-?\s*{_UNIT}\s*\)", re.IGNORECASE),
    # "a 4-hour shutdown", "an 8 hour power outage"
    re.compile(
        rf"\b(?:an?\s+)?{_DUR_APPROX}{_NUM}[- ]{_UNIT}"
        r"(?=\s+(?:\w+\s+){0,2}(?:shutdown|shut-?off|outage|interruption|window|work)\b)",
        re.IGNORECASE,
    ),
]
EACH_DAY_RE = re.compile(
    r"\b(?:each|every|both|per)\s+(?:day|night|date)s?\b|\bdaily\b|\bnightly\b", re.I
)
# Words that put an old date out of play in a revised notice.
OLD_DATE_RE = re.compile(
    r"\((?:was|previously|originally|formerly)[^)]*\)"
    r"|\b(?:originally|previously|formerly)\s+(?:scheduled|planned|announced|posted)\s+(?:for|on)\s+[^.;\n]*?(?=[.;\n]|\s+(?:has|have|is|will|and)\b|$)"
    r"|\b(?:postponed|rescheduled|moved|changed|deferred)\s+from\s+[^.;\n]*?(?=\s+to\b|[.;\n]|$)"
    r"|\binstead\s+of\s+[^.;\n]*?(?=[.;,\n]|$)"
    r"|\((?:in\s+case\s+of\s+rain,?\s*)?(?:rain|alternate|alternative|backup|back-up|contingency)"
    r"\s+dates?[^)]*\)"
    r"|\b(?:rain|alternate|alternative|backup|back-up|contingency)\s+dates?\s*(?:is|:|-)?\s*[^.;\n]*"
    r"|\b(?:was|had\s+been)\s+(?:scheduled|planned)\s+(?:for|on)\s+[^.;\n]*?(?=[.;\n]|$)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    end_stated: bool = True  # False: no end in the notice; `end` is the next midnight

    def iso(self) -> dict[str, str]:
        return {
            "start": self.start.isoformat(timespec="minutes"),
            "end": self.end.isoformat(timespec="minutes"),
        }

    @property
    def duration(self) -> timedelta:
        return self.end.astimezone(UTC) - self.start.astimezone(UTC)


@dataclass
class WhenResult:
    windows: list[Window] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)


@dataclass
class _Tok:
    kind: str  # D date | R range | T time | U duration
    start: int
    end: int
    value: object


def _clock(m: re.Match[str], n: int, inherit_ap: str | None = None) -> time | None:
    g = m.groupdict()
    named = g.get(f"named{n}")
    if named:
        return time(0, 0) if named.lower() == "midnight" else time(12, 0)
    if g.get(f"h24_{n}") is not None:
        return time(int(g[f"h24_{n}"]), int(g[f"m24_{n}"]))
    if g.get(f"h{n}") is None:
        return None
    h = int(g[f"h{n}"])
    mi = int(g.get(f"m{n}") or 0)
    ap = (g.get(f"ap{n}") or inherit_ap or "").lower()
    if h > 23 or mi > 59:
        return None
    if ap:
        if h > 12 or h == 0:
            return None
        h = h % 12 + (12 if ap == "p" else 0)
    return time(h, mi)


def _weekday_of(text: str | None) -> int | None:
    return WEEKDAYS.get(text.lower()[:3]) if text else None


def _year_for(
    month: int, day: int, posted: date, weekday: int | None = None, anchors: tuple[date, ...] = ()
) -> date | None:
    """The year of a year-less date: from the notice's own dated anchors (nearest one, the
    weekday breaking ties between neighbouring years), else the weekday nearest the posted
    date, else the year nearest the posted date (a later one on a tie)."""

    def on(year: int) -> date | None:
        try:
            return date(year, month, day)
        except ValueError:
            return None

    def nearest(cands: list[date], ref: date) -> date | None:
        return min(cands, key=lambda d: (abs((d - ref).days), d < ref)) if cands else None

    def fits(d: date) -> bool:
        return weekday is None or d.weekday() == weekday

    if anchors:
        best: tuple[int, date] | None = None
        for a in anchors:
            cands = [d for y in (a.year - 1, a.year, a.year + 1) if (d := on(y)) is not None]
            exact = [d for d in cands if fits(d)] or cands
            d = nearest(exact, a)
            if d is not None and (best is None or abs((d - a).days) < best[0]):
                best = (abs((d - a).days), d)
        if best is not None and best[0] <= 200:
            return best[1]
    span = range(posted.year - 12, posted.year + 13) if weekday is not None else ()
    by_weekday = [d for y in span if (d := on(y)) is not None and fits(d)]
    if by_weekday:
        return nearest(by_weekday, posted)
    return nearest(
        [d for y in (posted.year - 1, posted.year, posted.year + 1) if (d := on(y))], posted
    )


def _dates(m: re.Match[str], posted: date, anchors: tuple[date, ...] = ()) -> list[date]:
    g = m.groupdict()
    if g["rel"]:
        rel = g["rel"].lower()
        return [posted + timedelta(days=1 if rel == "tomorrow" else 0)]
    if g["iso"]:
        try:
            return [date.fromisoformat(g["iso"])]
        except ValueError:
            return []
    mon = g["mon"] or g["mon2"]
    day = g["day"] or g["day2"]
    month = MONTHS.get(mon.lower().rstrip("."), 0)
    if not month:
        return []
    days = [int(day)]
    if g.get("day_to"):
        last = int(g["day_to"])
        if last > days[0] and last - days[0] <= 14:
            sep = m.group(0)
            days = (
                [days[0], last] if re.search(r"\band\b|&", sep) else list(range(days[0], last + 1))
            )
    out = []
    for d in days:
        if g["year"]:
            try:
                out.append(date(int(g["year"]), month, d))
            except ValueError:
                continue
        else:
            weekday = _weekday_of(g["wd"]) if len(days) == 1 else None
            found = _year_for(month, d, posted, weekday, anchors)
            if found:
                out.append(found)
    return out


def anchors_in(text: str) -> tuple[date, ...]:
    """Every full date (with its year) the text states: what year-less dates are read against."""
    out: list[date] = []
    for m in DATE_RE.finditer(text):
        if m.group("year") or m.group("iso"):
            out += _dates(m, date(2000, 1, 1))
    return tuple(dict.fromkeys(out))


def _tokens(text: str, posted: date, anchors: tuple[date, ...] = ()) -> list[_Tok]:
    toks: list[_Tok] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for m in RANGE_RE.finditer(text):
        second = _clock(m, 2)
        if second is None:
            continue
        ap2 = (m.group("ap2") or "").lower() or None
        first = _clock(m, 1)
        if first is not None and m.group("ap1") is None and m.group("named1") is None and ap2:
            first = _clock(m, 1, ap2)
            if first is not None and first > second and ap2 == "p":
                first = _clock(m, 1, "a")
        elif (
            first is not None
            and m.group("ap1") is None
            and m.group("named1") is None
            and m.group("m1") is None
        ):
            continue  # "3 to 19:00" is not a range we trust
        if first is None:
            continue
        toks.append(_Tok("R", m.start(), m.end(), (first, second)))
        taken.append((m.start(), m.end()))
    relative: list[_Tok] = []
    for m in DATE_RE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        ds = _dates(m, posted, anchors)
        if ds:
            tok = _Tok("D", m.start(), m.end(), ds)
            (relative if m.group("rel") else toks).append(tok)
            taken.append((m.start(), m.end()))
    if not any(t.kind == "D" for t in toks):
        toks.extend(relative)  # "today (June 9)": the explicit date wins
    for m in TIME_RE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        t = _clock(m, 1)
        if t is not None:
            toks.append(_Tok("T", m.start(), m.end(), t))
            taken.append((m.start(), m.end()))
    durs = sorted((m for rx in DUR_RES for m in rx.finditer(text)), key=lambda m: m.start())
    seen_end = -1
    for m in durs:
        if m.start() < seen_end:
            continue
        seen_end = m.end()
        n = m.group("n").lower()
        value = float(NUMBER_WORDS[n]) if n in NUMBER_WORDS else float(n)
        if m.groupdict().get("half"):
            value += 0.5
        unit = m.group("unit").lower()
        minutes = value if unit.startswith("m") else value * 60
        toks.append(_Tok("U", m.start(), m.end(), timedelta(minutes=minutes)))
    toks.sort(key=lambda t: t.start)
    return toks


def _at(d: date, t: time) -> datetime:
    return datetime.combine(d, t, tzinfo=CLUSTER_TZ)


def _window(d: date, t1: time, t2: time) -> Window:
    start = _at(d, t1)
    end_day = d + timedelta(days=1) if t2 <= t1 else d
    return Window(start, _at(end_day, t2))


def _after(start: datetime, dur: timedelta) -> datetime:
    return (start.astimezone(UTC) + dur).astimezone(CLUSTER_TZ)


_END_WORDS = re.compile(
    r"\b(?:end|ends|ending|finish\w*|conclud\w*|until|till|to|through|restored|back\s+on|"
    r"back\s+(?:up\s+)?by|return\w*)\b",
    re.I,
)
_CONNECT_RE = re.compile(
    r"^\W*(?:at\s+)?(?:-|–|—|to|until|till|through|thru)\b|^\s*(?:-|–|—)", re.I
)


def _spans(text: str, toks: list[_Tok]) -> list[Window]:
    """Explicit multi-day spans: D T to D T, or T D to T D."""
    seq = [t for t in toks if t.kind in "DTR"]
    out = []
    for i in range(len(seq) - 3):
        a, b, c, d = seq[i : i + 4]
        kinds = a.kind + b.kind + c.kind + d.kind
        if kinds not in ("DTDT", "TDTD"):
            continue
        gap = text[b.end : c.start]
        if not _CONNECT_RE.search(gap) or len(gap) > 25:
            continue
        if kinds == "DTDT":
            d1, t1, d2, t2 = a.value, b.value, c.value, d.value
        else:
            t1, d1, t2, d2 = a.value, b.value, c.value, d.value
        assert isinstance(d1, list) and isinstance(d2, list)
        assert isinstance(t1, time) and isinstance(t2, time)
        if len(d1) == 1 and len(d2) == 1 and d2[0] > d1[0]:
            out.append(Window(_at(d1[0], t1), _at(d2[0], t2)))
    return out


def windows_from(text: str, posted: date) -> tuple[list[Window], list[_Tok]]:
    """Windows stated by one piece of text on its own (dates and times both in it)."""
    clean = OLD_DATE_RE.sub(" ", text)
    toks = _tokens(clean, posted, anchors_in(text))
    return _assemble(clean, toks, [])


_RUN_GAP = re.compile(r"^[\s,]*(?:(?:and|&|or)\s*)?[\s,]*$", re.I)
_SPAN_GAP = re.compile(r"^\s*(?:-|–|—|to|until|through|thru)\s*$", re.I)
# A line that starts with the date: a schedule entry ("- Tuesday, May 5", "M3 – Thursday, ...").
_SCHEDULE_ENTRY = re.compile(r"^\s*(?:[-•*·]\s*)?(?:[A-Z][A-Za-z0-9]{0,5}\s*[–—:-]\s*)?$")
_WHOLE_DAY = re.compile(
    r"^\W{0,3}(?:\(?\s*(?:all|full|whole|entire)\s+day|\(\s*\d+\s+days?\s*\))", re.I
)


def _runs(text: str, date_toks: list[_Tok]) -> list[list[_Tok]]:
    """Date tokens grouped into runs that share their times: "May 5, May 6 and May 7 from 7 to
    9 p.m." is one run; dates on separate lines, or with their own times between them, are not."""
    runs: list[list[_Tok]] = [[date_toks[0]]]
    for prev, cur in itertools.pairwise(date_toks):
        gap = text[prev.end : cur.start]
        if (_RUN_GAP.match(gap) or _SPAN_GAP.match(gap)) and "\n" not in gap:
            runs[-1].append(cur)
        else:
            runs.append([cur])
    return runs


def _own_times(
    text: str, toks: list[_Tok], date_toks: list[_Tok]
) -> list[tuple[list[_Tok], list[_Tok], bool]] | None:
    """(run, its time tokens, whole day) for each run, when several runs each keep their own
    times; None when the notice states one set of times for all its dates."""
    if EACH_DAY_RE.search(text) or len(date_toks) < 2:
        return None
    runs = _runs(text, date_toks)
    if len(runs) < 2:
        return None
    out = []
    first = runs[0][0].start
    for i, run in enumerate(runs):
        lo = run[-1].end
        hi = runs[i + 1][0].start if i + 1 < len(runs) else len(text)
        own = [t for t in toks if t.kind in "RTU" and lo <= t.start < hi]
        if not any(t.kind in "RT" for t in own):
            own = []  # a duration alone is no time of this date's own
        if i == 0:
            before = [t for t in toks if t.kind in "RTU" and t.start < first]
            if before:
                return None  # times stated before every date: shared
        whole = bool(_WHOLE_DAY.match(text[lo:hi]))
        out.append((run, own, whole))
    if not any(own for _, own, _ in out):
        return None
    return out


def _assemble(
    text: str, toks: list[_Tok], extra_time_toks: list[_Tok]
) -> tuple[list[Window], list[_Tok]]:
    spans = _spans(text, toks)
    if spans:
        return spans, toks
    date_toks = [t for t in toks if t.kind == "D"]
    if not date_toks:
        return [], toks
    ranges = [t for t in toks if t.kind == "R"]
    # One range per date, interleaved: "Sat June 6, 7-11 a.m. and Sun June 7, 1-5 p.m."
    if len(ranges) == len(date_toks) > 1:
        paired = []
        seq = [t for t in toks if t.kind in "DR"]
        if all(seq[i].kind != seq[i + 1].kind for i in range(len(seq) - 1)):
            firsts = seq[0::2]
            seconds = seq[1::2]
            for x, y in zip(firsts, seconds, strict=True):
                dt, rt = (x, y) if x.kind == "D" else (y, x)
                assert isinstance(dt.value, list) and isinstance(rt.value, tuple)
                for d in dt.value:
                    paired.append(_window(d, rt.value[0], rt.value[1]))
            return paired, toks
    # Dates on their own lines (or with their own times) keep their own times.
    per_run = _own_times(text, toks, date_toks)
    if per_run is not None:
        out: list[Window] = []
        used = {id(t) for _, own, _ in per_run for t in own}
        spare = [t for t in toks if t.kind == "U" and id(t) not in used]
        for run, own, whole in per_run:
            line = text[text.rfind("\n", 0, run[0].start) + 1 : run[0].start]
            if not own and not whole and not _SCHEDULE_ENTRY.match(line):
                # A bare date inside a sentence ("after an issue on Saturday, June 7") while
                # other dates have times: history or context, not a window of its own.
                continue
            if len(spare) == 1 and [t.kind for t in own] == ["T"]:
                # "after 6:30 p.m." here, "no longer than an hour" in a later paragraph.
                own = [*own, _Tok("U", own[0].end, own[0].end, spare[0].value)]
            sub = sorted(run + ([] if whole else own), key=lambda t: t.start)
            lo, hi = run[0].start, max(t.end for t in sub)
            ws, _ = _assemble_one(text[lo:hi], [_shift(t, lo) for t in sub], [])
            out += [w for w in ws if w not in out]
        return out, toks
    return _assemble_one(text, toks, extra_time_toks)


def _shift(t: _Tok, by: int) -> _Tok:
    return _Tok(t.kind, t.start - by, t.end - by, t.value)


def _assemble_one(
    text: str, toks: list[_Tok], extra_time_toks: list[_Tok]
) -> tuple[list[Window], list[_Tok]]:
    date_toks = [t for t in toks if t.kind == "D"]
    dates: list[date] = []
    for t in date_toks:
        assert isinstance(t.value, list)
        for d in t.value:
            if d not in dates:
                dates.append(d)
    # "Tuesday, August 21 to Wednesday, August 29" with no time: one span of whole days.
    if (
        len(date_toks) == 2
        and len(dates) == 2
        and dates[1] > dates[0]
        and not any(t.kind in "RT" for t in toks)
        and not extra_time_toks
        and _SPAN_GAP.match(text[date_toks[0].end : date_toks[1].start])
    ):
        return [Window(_at(dates[0], time(0)), _at(dates[1] + timedelta(days=1), time(0)))], toks
    time_toks = [t for t in toks if t.kind in "RTU"] or extra_time_toks
    rng = next((t for t in time_toks if t.kind == "R"), None)
    single = next((t for t in time_toks if t.kind == "T"), None)
    dur = next((t for t in time_toks if t.kind == "U"), None)
    # Two dates joined by "to" with no "each day": one span from the first to the last.
    out: list[Window] = []
    if rng is not None:
        assert isinstance(rng.value, tuple)
        t1, t2 = rng.value
        if (
            len(dates) == 2
            and len(date_toks) == 2
            and not EACH_DAY_RE.search(text)
            and re.search(
                r"^\s*(?:-|–|—|to|until|through|thru)\s*$",
                text[date_toks[0].end : date_toks[1].start],
                re.I,
            )
            and rng.start > date_toks[1].end
            and re.search(r"\b(?:from|starting|beginning)\b", text[: date_toks[0].start], re.I)
        ):
            return [Window(_at(dates[0], t1), _at(dates[1], t2))], toks
        for d in dates:
            out.append(_window(d, t1, t2))
        return out, toks
    if single is not None:
        t1 = single.value
        assert isinstance(t1, time)
        # "begin at 6:30 am on September 5 and end at 12:30 pm": two times make a range.
        later = [t for t in time_toks if t.kind == "T" and t.start > single.start]
        if later and dur is None:
            gap = text[single.end : later[0].start] if text else ""
            if not text or _END_WORDS.search(gap):
                t2 = later[0].value
                assert isinstance(t2, time)
                return [_window(d, t1, t2) for d in dates], toks
        for d in dates:
            start = _at(d, t1)
            if dur is not None:
                assert isinstance(dur.value, timedelta)
                out.append(Window(start, _after(start, dur.value)))
            else:
                out.append(Window(start, start))
        return out, toks
    for d in dates:
        out.append(Window(_at(d, time(0)), _at(d + timedelta(days=1), time(0))))
    return out, toks


def _has_explicit_date(toks: list[_Tok], text: str) -> bool:
    return any(
        t.kind == "D" and not re.fullmatch(r"today|tonight|tomorrow", text[t.start : t.end], re.I)
        for t in toks
    )


def extract(notice: Notice, posted: date) -> WhenResult:
    """Every outage window the notice states, with warnings for what did not add up."""
    res = WhenResult()
    when = OLD_DATE_RE.sub(" ", notice.section("when"))
    title = OLD_DATE_RE.sub(" ", notice.title)
    others = [
        OLD_DATE_RE.sub(" ", notice.section(k)) for k in ("what", "how", "where", "todo", "more")
    ]
    sources = [("when", when), ("title", title)] + [("body", o) for o in others]
    # The notice's own years: every full date it states (the title's, an update line's, ...).
    anchors = anchors_in("\n".join([notice.title, *notice.sections.values()]))

    def tokens(text: str) -> list[_Tok]:
        return _tokens(text, posted, anchors)

    date_src = None
    # A calendar date anywhere beats "today" in an earlier place ("... today" in the title,
    # "today (June 9)" in the body); "today" alone is the posted date.
    for explicit in (True, False):
        for name, text in sources:
            toks = tokens(text)
            if _has_explicit_date(toks, text) if explicit else any(t.kind == "D" for t in toks):
                date_src = (name, text, toks)
                break
        if date_src is not None:
            break
    if date_src is None:
        res.warnings.append("no date found in the notice")
        return res
    name, text, toks = date_src
    res.evidence.append(f"dates from {name}: {text.strip()[:160]!r}")
    extra: list[_Tok] = []
    if not any(t.kind in "RT" for t in toks):
        # The date came without a time: take the time from the title or the other sections.
        date_set = {d for t in toks if t.kind == "D" for d in t.value}  # type: ignore[attr-defined]
        for other_name, other in sources:
            if other is text:
                continue
            otoks = tokens(other)
            odates = {d for t in otoks if t.kind == "D" for d in t.value}  # type: ignore[attr-defined]
            if odates and not (odates & date_set):
                continue  # times that belong to another date
            if any(t.kind in "RT" for t in otoks):
                extra = [t for t in otoks if t.kind in "RTU"]
                ts = [t for t in extra if t.kind == "T"]
                if (
                    len(ts) >= 2
                    and not any(t.kind in "RU" for t in extra)
                    and _END_WORDS.search(other[ts[0].end : ts[1].start])
                ):
                    # "goes off at 3:00 am and should be back by 4:15 am": a range.
                    extra = [_Tok("R", ts[0].start, ts[1].end, (ts[0].value, ts[1].value))]
                res.evidence.append(f"times from {other_name}: {other.strip()[:160]!r}")
                break
        if extra and not any(t.kind == "U" for t in extra):
            # "Starting at 7:00 am lasting 6 hours" may sit in another section than the time.
            for _, other in sources:
                durs = [t for t in tokens(other) if t.kind == "U"]
                if durs:
                    extra.append(durs[0])
                    break
    elif not any(t.kind in "RU" for t in toks) and sum(t.kind == "T" for t in toks) == 1:
        # "beginning at 6 a.m." here, "for about 2 hours" in another section.
        for other_name, other in sources:
            if other is text:
                continue
            durs = [t for t in tokens(other) if t.kind == "U"]
            if durs:
                toks = sorted(
                    [*toks, _Tok("U", len(text), len(text), durs[0].value)], key=lambda t: t.start
                )
                res.evidence.append(f"duration from {other_name}: {other.strip()[:160]!r}")
                break
    windows, _ = _assemble(text, toks, extra)
    # Reconcile: a stated duration that contradicts the range, and title vs sections.
    all_text = "\n".join(t for _, t in sources)
    stated = [t.value for t in tokens(all_text) if t.kind == "U"]
    for w in windows:
        for dur in stated:
            assert isinstance(dur, timedelta)
            if any(abs(x.duration - dur) <= timedelta(minutes=15) for x in windows):
                continue  # the duration of one of the windows ("for 8hrs" of the night one)
            if abs(w.duration - dur) > timedelta(minutes=15):
                res.warnings.append(
                    f"stated duration {_fmt_td(dur)} contradicts the window "
                    f"{w.start:%Y-%m-%d %H:%M}-{w.end:%H:%M} ({_fmt_td(w.duration)})"
                )
                break
    if name == "when":
        title_windows, _ = _assemble(title, tokens(title), [])
        tdates = {w.start.date() for w in title_windows}
        wdates = {w.start.date() for w in windows}
        if tdates and wdates and not (tdates & wdates):
            res.warnings.append(
                "the title's date ("
                + ", ".join(sorted(str(d) for d in tdates))
                + ") differs from the 'When' section ("
                + ", ".join(sorted(str(d) for d in wdates))
                + "); using the 'When' section"
            )
    # A window is never empty or backwards: a start with no end runs to the next midnight.
    fixed = []
    for w in windows:
        if w.end <= w.start:
            end = _at(w.start.date() + timedelta(days=1), time(0))
            res.warnings.append(
                f"no end time stated for the window starting {w.start:%Y-%m-%d %H:%M}; "
                "assumed to last until midnight"
            )
            w = Window(w.start, end, end_stated=False)
        fixed.append(w)
    res.windows = fixed
    return res


def _fmt_td(td: timedelta) -> str:
    minutes = int(td.total_seconds() // 60)
    h, m = divmod(minutes, 60)
    if m == 0:
        return f"{h} h"
    return f"{h} h {m:02d} min"


def format_duration(td: timedelta) -> str:
    """'6 hours', '4 hours 30 minutes', '45 minutes'."""
    minutes = int(td.total_seconds() // 60)
    h, m = divmod(minutes, 60)
    parts = []
    if h:
        parts.append(f"{h} hour{'s' if h != 1 else ''}")
    if m or not h:
        parts.append(f"{m} minute{'s' if m != 1 else ''}")
    return " ".join(parts)
