"""Does this notice cut normal power to a watched building? Decisions with auditable reasons.

Pure: a `Notice` in, a `Decision` out. Every rule that fires leaves a `Reason` (a code, a
message and the sentence it fired on), so a maintainer can see why a notice was or was not
announced (`watcloud outage check FILE --explain`). The codes, their descriptions, messages
and patterns, with good and bad examples that are tests, are data: `reasons.yaml`.

The rules, in order:
1. another institution's notice (Wilfrid Laurier shares the city), named in the text (not in an
   e-mail or web address) -> not relevant;
2. a report that power *has been restored* -> not a new outage (and no window);
3. power-off evidence: a clause saying normal electrical power goes off or is interrupted
   (electrical shutdown, power outage/interruption, hydro shutdown, a multi-service shutdown
   listing electrical power, a switch-over with a brief interruption). Noise is removed first
   ("power door operators", power washing, emergency power/generators), and a clause that says
   power is *not* affected ("electrical power is not affected", "no interruption expected",
   "normal power will remain on") cancels the evidence of that clause;
4. place: a watched building (by code or any of its names) in the title, in "Where is this
   happening?", in a power-off clause or in a list of affected buildings ("This will affect
   C2, CPH, DC and MC") - or the outage is campus-wide. A building named only
   in passing elsewhere ("the bridge to CPH stays open", "occupants may use space in CPH") or
   explicitly excepted ("except CPH") does not count;
5. status: cancelled, postponed (no new date), revised (a new date or an update) or scheduled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from watcloud.outage.parse import Notice

DEFAULT_BUILDINGS: dict[str, list[str]] = {
    "CPH": [
        "Carl A. Pollock Hall",
        "Carl Pollock Hall",
        "Carl Pollack Hall",
        "Carl A. Pollack Hall",
        "C. A. Pollock Hall",
        "Pollock Hall",
    ]
}


@dataclass(frozen=True)
class Reason:
    code: str
    message: str
    evidence: str = ""


@dataclass
class Decision:
    relevant: bool
    status: str  # scheduled | revised | cancelled | postponed
    reasons: list[Reason] = field(default_factory=list)
    buildings: list[str] = field(default_factory=list)
    campus_wide: bool = False

    @property
    def label_status(self) -> str:
        """The dataset's two statuses: a postponed notice counts as cancelled."""
        return "cancelled" if self.status in ("cancelled", "postponed") else "scheduled"


# --- the reasons table --------------------------------------------------------------------


@dataclass(frozen=True)
class ReasonRule:
    """One row of `reasons.yaml`: a code, what it means, its patterns and its examples."""

    code: str
    description: str
    message: str
    patterns: tuple[str, ...] = ()
    named_patterns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    good: tuple[str, ...] = ()
    bad: tuple[str, ...] = ()

    def regex(self, name: str | None = None) -> re.Pattern[str]:
        alts = self.named_patterns[name] if name else self.patterns
        return re.compile("|".join(f"(?:{p})" for p in alts), re.I)


def load_reasons(path: Path | None = None) -> tuple[dict[str, ReasonRule], list[tuple[str, str]]]:
    """The reasons table and the noise list from `reasons.yaml` (packaged beside this module)."""
    import yaml

    text = (
        path.read_text(encoding="utf-8")
        if path
        else resources.files("watcloud.outage").joinpath("reasons.yaml").read_text("utf-8")
    )
    raw = yaml.safe_load(text)
    rules = {}
    for row in raw["reasons"]:
        rules[row["code"]] = ReasonRule(
            code=row["code"],
            description=row["description"],
            message=row["message"],
            patterns=tuple(row.get("patterns") or ()),
            named_patterns={k: tuple(v) for k, v in (row.get("named_patterns") or {}).items()},
            good=tuple(row.get("good") or ()),
            bad=tuple(row.get("bad") or ()),
        )
    noise = [(n["name"], n["pattern"]) for n in raw.get("noise") or ()]
    return rules, noise


RULES, _NOISE_TABLE = load_reasons()
_NOISE = [(re.compile(pat, re.I), name) for name, pat in _NOISE_TABLE]
_POSITIVE = [
    (code, re.compile(p, re.I))
    for code in ("power-off", "generator-feed", "switch-over")
    for p in RULES[code].patterns
]
_NEGATION = RULES["negated"].regex()
_EQUIPMENT_ONLY = RULES["equipment-only"].regex()
_RESTORED = RULES["restored"].regex()  # "^" is the start of the title
_OTHER_INSTITUTION = RULES["other-institution"].regex()
_CAMPUS_WIDE = RULES["campus-wide"].regex()
_PASSING = RULES["passing-mention"].regex()
_LISTED = RULES["listed"].regex()
_EXCEPT = "(?:" + "|".join(RULES["excepted"].patterns) + ")"
_CANCELLED = RULES["status"].regex("cancelled")
_POSTPONED = RULES["status"].regex("postponed")
_NEW_DATE = RULES["status"].regex("new-date")
_REVISED = RULES["status"].regex("revised")
# "This will affect the elevators in CPH" lists services, not the buildings that lose power.
_LIST_OF_SERVICES = re.compile(
    r"\b(?:elevators?|lifts?|doors?|access|parking|entrances?|water|heating|cooling|ventilation|"
    r"network|wi-?fi|fume\s*hoods?)\b",
    re.I,
)
# E-mail and web addresses name whoever wrote or serves the notice, not where it happens.
_ADDRESS = re.compile(r"\S+@\S+|\bhttps?://\S+|\bwww\.\S+", re.I)


def reason(code: str, evidence: str = "", message: str | None = None) -> Reason:
    """A `Reason` of a code from the table (an unknown code is a bug, caught by the tests)."""
    return Reason(code, message or RULES[code].message, evidence)


def building_pattern(code: str, names: Sequence[str]) -> re.Pattern[str]:
    """Code as a whole word, or any name with flexible spaces and periods ("Carl A Pollock")."""
    alts = [rf"\b{re.escape(code)}\b"]
    for name in names:
        words = [re.escape(w.strip(".")) for w in re.split(r"[\s.]+", name) if w.strip(".")]
        alts.append(r"\b" + r"\.?\s*".join(words) + r"\b")
    return re.compile("|".join(alts), re.I)


def clauses(text: str) -> list[str]:
    """Sentences, then clauses at ';', ' but ', ' however', ' while ', ' whereas '."""
    out = []
    for para in re.split(r"\n\s*\n|\n(?=\s*[-•*·])", text):
        para = " ".join(para.split())
        for sent in re.split(r"(?<![\s.][A-Z]\.)(?<=[.!?])\s+(?=[A-Z(\"'])", para):
            for cl in re.split(
                r";|\s+but\s+|,?\s+however,?\s+|\s+while\s+|\s+whereas\s+|\s+although\s+"
                r"|,\s+and\s+(?=(?:no|not|there\s+will\s+be\s+no)\b)",
                sent,
                flags=re.I,
            ):
                if cl.strip():
                    out.append(cl.strip())
    return out


def _denoise(text: str) -> str:
    for rx, repl in _NOISE:
        text = rx.sub(repl, text)
    return text


def _short(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# --- the decision -------------------------------------------------------------------------


def classify(
    notice: Notice,
    buildings: Mapping[str, Sequence[str]] | None = None,
    *,
    campus_wide: bool = True,
) -> Decision:
    buildings = DEFAULT_BUILDINGS if buildings is None else buildings
    patterns = {code: building_pattern(code, names) for code, names in buildings.items()}
    reasons: list[Reason] = []
    status, status_reason = detect_status(notice)
    full = f"{notice.title}\n\n{notice.body_without_title()}"

    if m := _OTHER_INSTITUTION.search(_ADDRESS.sub(" ", full)):
        reasons.append(reason("other-institution", _short(m.group(0))))
        return Decision(False, status, reasons)
    head = f"{notice.title}\n{notice.section('what')[:300]}"
    if m := _RESTORED.search(head):
        reasons.append(reason("restored", _short(m.group(0))))
        return Decision(False, status, reasons)

    # Power-off evidence, clause by clause.
    title_clauses = [("title", c) for c in clauses(notice.title)]
    body_clauses = [
        (key, c)
        for key, value in notice.sections.items()
        if key != "contact"
        for c in clauses(value)
    ]
    power_clauses: list[tuple[str, str]] = []
    negated: list[str] = []
    for where, clause in title_clauses + body_clauses:
        clean = _denoise(clause)
        hit = next(((code, m) for code, rx in _POSITIVE if (m := rx.search(clean))), None)
        if hit is None:
            continue
        if _NEGATION.search(clean):
            negated.append(clause)
            continue
        if _EQUIPMENT_ONLY.search(clean) and not re.search(
            r"\b(?:building|entire|whole|all)\b", clean, re.I
        ):
            reasons.append(reason("equipment-only", _short(clause)))
            continue
        power_clauses.append((where, clause))
        reasons.append(reason(hit[0], _short(clause), f"power goes off ({where})"))
    title_category = re.match(
        r"\s*(?:(?:revised|updated?|rescheduled)\s*(?:date)?\s*[-:]\s*)?(?:electrical|electricity|hydro)"
        r"\s*(?:-|–|—|,|:|$)",
        notice.title,
        re.I,
    )
    power_negated = any(
        _NEGATION.search(c) and re.search(r"power|electric|interruption|outage", c, re.I)
        for _, c in title_clauses + body_clauses
    )
    if not power_clauses and title_category and not power_negated:
        power_clauses.append(("title", notice.title))
        reasons.append(reason("electrical-category", _short(notice.title)))
    for clause in negated:
        reasons.append(reason("negated", _short(clause)))
    # "no interruption to CPH", "CPH is not affected": that building is excepted.
    negating = [
        c
        for _, c in body_clauses
        if _NEGATION.search(d := _denoise(c))
        and re.search(
            r"\b(?:power|electric\w*|outages?|interruptions?|shut\s*-?\s*downs?)\b", d, re.I
        )
    ]
    if not power_clauses:
        reasons.append(reason("not-power"))
        return Decision(False, status, reasons)

    # Place.
    where_text = notice.section("where")
    located: list[str] = []
    for code, rx in patterns.items():
        spots: list[tuple[str, str]] = []
        if rx.search(notice.title):
            spots.append(("title", notice.title))
        if where_text and rx.search(where_text):
            spots.append(("where", where_text))
        spots += [(w, c) for w, c in power_clauses if w != "title" and rx.search(c)]
        # "This will affect C2, CPH, DC and MC": the list of affected buildings.
        spots += [
            ("listed", c)
            for w, c in body_clauses
            if rx.search(c)
            and _LISTED.search(c)
            and not _NEGATION.search(c)
            and not _LIST_OF_SERVICES.search(c)
        ]
        if not where_text:
            # No "Where" section (homepage, email, news): an affected list in the same paragraph.
            for key, value in notice.sections.items():
                if key == "contact":
                    continue
                for para in re.split(r"\n\s*\n", value):
                    if rx.search(para) and any(c in para for _, c in power_clauses):
                        spots.append((key, para))
        good = []
        for c in negating:
            if rx.search(c):
                reasons.append(reason("excepted", _short(c), f"{code} is excepted"))
        if any(r.code == "excepted" and r.message.startswith(code) for r in reasons):
            spots = [(w, t) for w, t in spots if w in ("title", "where")]
        for w, text in spots:
            for m in rx.finditer(text):
                ctx = text[max(0, m.start() - 60) : m.end() + 60]
                if re.search(
                    rf"{_EXCEPT}\s+(?:\w+\s+){{0,3}}?$",
                    text[max(0, m.start() - 40) : m.start()],
                    re.I,
                ) or re.search(
                    r"^\W*(?:\([^)]*\)\s*)?(?:will\s+not\s+be|is\s+not|are\s+not|remains?|stays?|"
                    r"will\s+(?:remain|stay))\s+(?:un)?affected|^\W*(?:\([^)]*\)\s*)?"
                    r"(?:is|are|will\s+be)\s+(?:not\s+)?(?:excluded|exempt)",
                    text[m.end() : m.end() + 60],
                    re.I,
                ):
                    reasons.append(reason("excepted", _short(ctx), f"{code} is excepted"))
                    continue
                if w == "listed":
                    if _PASSING.search(text):
                        reasons.append(reason("passing-mention", _short(text)))
                        continue
                elif w != "where" and w != "title" and _PASSING.search(ctx):
                    reasons.append(
                        reason(
                            "passing-mention", _short(ctx), f"{code} is mentioned only in passing"
                        )
                    )
                    continue
                good.append((w, text if w in ("title", "where", "listed") else ctx))
        if good:
            located.append(code)
            w, ctx = good[0]
            if w == "listed":
                reasons.append(
                    reason("listed", _short(ctx), f"{code} is in the list of affected buildings")
                )
            else:
                reasons.append(
                    reason("building", _short(ctx), f"watched building {code} named in {w}")
                )
        else:
            # Mentioned elsewhere only: say so for the audit.
            for key, value in notice.sections.items():
                if m := rx.search(value):
                    ctx = value[max(0, m.start() - 60) : m.end() + 60]
                    reasons.append(
                        reason(
                            "passing-mention",
                            _short(ctx),
                            f"{code} named in {key} but not as a place of the outage",
                        )
                    )
                    break
    wide = False
    excepted = any(r.code == "excepted" for r in reasons)
    if campus_wide and not located and not excepted:
        for w, clause in [*power_clauses, ("where", where_text)]:
            m = _CAMPUS_WIDE.search(clause)
            if m is None:
                continue
            after = clause[m.end() : m.end() + 80]
            if re.search(rf"{_EXCEPT}\b", after, re.I) and any(
                rx.search(after) for rx in patterns.values()
            ):
                reasons.append(
                    reason(
                        "excepted",
                        _short(clause),
                        "campus-wide, but the watched building is excepted",
                    )
                )
                break
            wide = True
            reasons.append(reason("campus-wide", _short(clause), f"campus-wide outage ({w})"))
            break
    if not located and not wide:
        reasons.append(reason("elsewhere"))
        return Decision(False, status, reasons)
    if status_reason:
        reasons.append(status_reason)
    return Decision(True, status, reasons, located, wide)


def detect_status(notice: Notice) -> tuple[str, Reason | None]:
    text = f"{notice.title}\n{notice.body_without_title()}"
    text = re.sub(
        r"\bif\s+(?:the\s+)?(?:work|shutdown|outage)\s+is\s+(?:cancel\w+|postponed)\b",
        "",
        text,
        flags=re.I,
    )
    if m := _CANCELLED.search(text):
        if (n := _NEW_DATE.search(text)) or (
            n := re.search(r"\breschedul\w*\s+(?:to|for)\b", text, re.I)
        ):
            return "revised", Reason("status", "revised: a new date is given", _short(n.group(0)))
        return "cancelled", Reason("status", "cancelled", _short(m.group(0)))
    if m := _POSTPONED.search(text):
        if n := _NEW_DATE.search(text):
            return "revised", Reason(
                "status", "revised: postponed to a new date", _short(n.group(0))
            )
        return "postponed", Reason(
            "status", "postponed with no new date (counts as cancelled)", _short(m.group(0))
        )
    if m := _REVISED.search(text):
        return "revised", Reason("status", "revised", _short(m.group(0)))
    return "scheduled", None
