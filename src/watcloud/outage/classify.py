"""Does this notice cut normal power to a watched building? Decisions with auditable reasons.

Pure: a `Notice` in, a `Decision` out. Every rule that fires leaves a `Reason` (a code, a
message and the sentence it fired on), so a maintainer can see why a notice was or was not
announced (`watcloud outage check FILE --explain`).

The rules, in order:
1. another institution's notice (Wilfrid Laurier shares the city) -> not relevant;
2. a report that power *has been restored* -> not a new outage;
3. power-off evidence: a clause saying normal electrical power goes off or is interrupted
   (electrical shutdown, power outage/interruption, hydro shutdown, a multi-service shutdown
   listing electrical power, a switch-over with a brief interruption). Noise is removed first
   ("power door operators", power washing, emergency power/generators), and a clause that says
   power is *not* affected ("electrical power is not affected", "no interruption expected",
   "normal power will remain on") cancels the evidence of that clause;
4. place: a watched building (by code or any of its names) in the title, in "Where is this
   happening?", or in a power-off clause - or the outage is campus-wide. A building named only
   in passing elsewhere ("the bridge to CPH stays open", "occupants may use space in CPH") or
   explicitly excepted ("except CPH") does not count;
5. status: cancelled, postponed (no new date), revised (a new date or an update) or scheduled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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


# --- text helpers -------------------------------------------------------------------------

_NOISE = [
    (re.compile(r"\bpower(?:ed)?[- ]?(?:assisted\s+)?doors?(?:\s+(?:operators?|openers?))?", re.I),
     "door-operators"),
    (re.compile(r"\bpower[- ]?wash\w*", re.I), "pressure-washing"),
    (re.compile(r"\b(?:emergency|standby|backup|back-up)\s+(?:power|generators?|electrical)"
                r"(?:\s+(?:system|supply|generator))?", re.I), "standby-supply"),
    (re.compile(r"\bpower\s+(?:bars?|cords?|tools?|outlets?\s+(?:in|on)\s+the\s+bridge)\b", re.I),
     "equipment"),
    (re.compile(r"\bUPS\b"), "battery-unit"),
    # "power down your computers": an instruction to occupants, not an outage.
    (re.compile(r"\bpower(?:ed)?\s+(?:off|down|up|cycle)\s+(?:\w+\s+){0,2}?(?:your|the|all|any|"
                r"their|computers?|equipment|devices?|workstations?|servers?|machines?|"
                r"instruments?|systems?|pcs?)\b", re.I), "switch-off-your-equipment"),
]  # fmt: skip

_POWER_NOUN = r"(?:power|electricity|hydro|electrical\s+(?:power|service|services|supply|feed)|electrical(?=\s*(?:,|and\b|&)))"  # noqa: E501
_OFF = (
    r"(?:shut\s*-?\s*(?:off|down)|shutdown|turned\s+off|be\s+off|off\b|interrupted|"
    r"disconnected|unavailable|de-?energi[sz]ed|lost|out\b|isolated|cut\b|down\b)"
)
_POSITIVE = [
    ("power-off", re.compile(
        r"\b(?:electrical|electricity|power|hydro|utility)\s+(?:shut\s*-?\s*down|shut\s*-?\s*off|"
        r"outages?|interruptions?|disruptions?|cuts?|failures?|loss)\b", re.I)),
    ("power-off", re.compile(
        rf"\b{_POWER_NOUN}\b(?:\W+\w+){{0,8}}?\W+{_OFF}", re.I)),
    ("power-off", re.compile(
        r"\b(?:shut\s*-?\s*(?:off|down)|shutdown|interruptions?|outages?|loss|isolation|"
        r"disconnect\w*|de-?energi[sz]\w*|turn\w*\s+off|disruptions?)\s+(?:of|to|in)\s+(?:the\s+)?"
        r"(?:normal\s+|all\s+|building\s+|main\s+|utility\s+)?(?:electrical\s+)?"
        r"(?:power|electricity|hydro|electrical)\b", re.I)),
    ("power-off", re.compile(r"\b(?:no|without)\s+(?:normal\s+|electrical\s+|building\s+)?"
                             r"(?:power|electricity|hydro)\b", re.I)),
    ("power-off", re.compile(r"\brolling\s+(?:power\s+)?(?:outages|blackouts)\b|\bblackouts?\b",
                             re.I)),
    ("power-off", re.compile(r"\b(?:power|electrical)\s+(?:blips?|bumps?|dips?|flickers?)\b",
                             re.I)),
    ("generator-feed", re.compile(
        r"\b(?:run|running|operate|operating|be\s+powered|powered|fed)\s+(?:on|by|from)\s+"
        r"(?:a\s+|the\s+)?(?:temporary|portable|rental|mobile)\s+generators?\b", re.I)),
    ("switch-over", re.compile(
        r"\b(?:switch\s*-?\s*over|switchover|transfer|cut\s*-?\s*over|changeover)\b"
        r".{0,120}\b(?:brief|momentary|short)\b.{0,40}\b(?:interruption|outage|loss|disruption)"
        r"|\b(?:brief|momentary|short)\s+(?:\w+\s+){0,2}(?:interruption|outage|loss|disruption)"
        r".{0,120}\b(?:switch\s*-?\s*over|switchover|transfer|cut\s*-?\s*over|changeover)\b",
        re.I)),
]  # fmt: skip
_NEGATION = re.compile(
    r"\b(?:not|never)\s+(?:be\s+)?(?:affected|impacted|interrupted|disrupted|shut\s*(?:off|down)|"
    r"lost|expected|turned\s+off|involved|included)\b"
    r"|\bno\s+(?:\w+\s+){0,2}(?:interruptions?|outages?|disruptions?|impact|loss|shutdowns?)\b"
    r"(?!\s+(?:to|of)\s+(?:the\s+)?(?:water|steam|heat|gas|network))"
    r"|\b(?:remain|remains|stay|stays|kept|continue\s+to\s+be)\s+(?:on|energi[sz]ed|available|"
    r"unaffected|in\s+service|live|operational|uninterrupted)\b"
    r"|\bwill\s+not\s+notice\b|\bno\s+effect\s+on\b|\bunaffected\b|\buninterrupted\b|\bwithout\s+(?:any\s+)?(?:interruption|disruption|outage)"
    r"|\bwill\s+not\s+(?:lose|be\s+without|affect|interrupt)\b|\bdoes\s+not\s+(?:affect|involve|"
    r"include|require)\b|\bnot\s+(?:require|need)\s+(?:a\s+|any\s+)?(?:power|electrical|shutdown)",
    re.I,
)
_EQUIPMENT_ONLY = re.compile(
    r"\bpower\s+(?:supply\s+)?(?:to|for)\s+(?:the\s+|one\s+|a\s+)?(?:\w+\s+){0,2}?"
    r"(?:elevators?|lifts?|fume\s*hoods?|fans?|pumps?|chillers?|air\s+handl\w+|AHU|"
    r"doors?|card\s+readers?|lights?\s+in\s+the\s+parking|parking|signs?|fountain|compactor|"
    r"exhaust)\b",
    re.I,
)
_RESTORED = re.compile(
    r"\b(?:power|electricity|service)\s+(?:has|had|have)\s+(?:now\s+|since\s+)?been\s+restored\b"
    r"|\b(?:power|electricity)\s+(?:was|is\s+now)\s+restored\b|^power\s+restored\b",
    re.I,
)
_OTHER_INSTITUTION = re.compile(
    r"\b(?:wilfrid\s+laurier|laurier(?:'s|’s)?\s+(?:waterloo\s+)?campus|wlu\.ca|"
    r"conestoga\s+college|university\s+of\s+guelph)\b",
    re.I,
)
_CAMPUS_WIDE = re.compile(
    r"\bcampus[- ]wide\b|\b(?:entire|whole|all\s+of\s+(?:the\s+)?)\s*(?:main\s+)?campus\b"
    r"|\ball\s+(?:main\s+)?campus\s+buildings\b"
    r"|\ball\s+(?:uw\s+|university\s+)?buildings\s+(?:on|across)\s+(?:the\s+)?(?:main\s+)?campus\b"
    r"|\ball\s+(?:main\s+campus|university)\s+buildings\b",
    re.I,
)
_PASSING = re.compile(
    r"\b(?:bridges?|tunnels?|walkways?|links?|pathways?|corridors?|entrances?)\b"
    r"|\b(?:remains?|stays?|will\s+(?:remain|stay|be))\s+open\b|\bmay\s+(?:use|relocate|go|work)"
    r"|\b(?:can|should|please)\s+(?:use|relocate|go|work)\b|\balternate\s+(?:space|location)"
    r"|\bspace\s+(?:in|at)\b|\bcompleted\b|\balready\b|\bnearby\b|\badjacent\s+to\b|\bnext\s+to\b"
    r"|\bacross\s+from\b|\bfrom\s+the\s+\w+\s+(?:side|loading\s+dock)\b",
    re.I,
)
_EXCEPT = r"(?:except(?:\s+for)?|excluding|with\s+the\s+exception\s+of|other\s+than|but\s+not)"

_CANCELLED = re.compile(
    r"\bcancel+(?:ed|lation)\b|\bwill\s+not\s+(?:take\s+place|proceed|go\s+ahead|be\s+proceeding|"
    r"be\s+happening|happen)\b|\bno\s+longer\s+(?:take\s+place|proceed\w*|going\s+ahead|required|"
    r"happening|needed|be\s+(?:required|needed))\b|\bcalled\s+off\b|\bhas\s+been\s+withdrawn\b",
    re.I,
)
_POSTPONED = re.compile(r"\bpostpone(?:d|ment)\b|\bdeferred\b|\bon\s+hold\b|\bdelayed\b", re.I)
_NEW_DATE = re.compile(
    r"\b(?:postponed|rescheduled|moved|deferred|delayed|changed|pushed(?:\s+back)?)\s+(?:until|to|till|for)\s+"
    r"(?!(?:a\s+)?(?:later|future|new)\b|further\s+notice|(?:a\s+)?(?:date|time)\s+(?:to\s+be|tbd))"
    r"|\bnew\s+(?:date|time|dates)\s+(?:is|are|will\s+now\s+be|:)"
    r"|\b(?:now|instead)\s+(?:take\s+place|happen|occur|be\s+held|scheduled)\s+(?:on|for)\b"
    r"|\bnow\s+(?:on|scheduled\s+for)\b",
    re.I,
)
_REVISED = re.compile(
    r"\brevis(?:ed|ion)\b|\breschedul\w*\b|\bupdated?\b|\bdate\s+change\b|\bchange\s+(?:of|in)\s+"
    r"(?:date|time)\b|\bnew\s+(?:date|time)\b|\bamended\b|\bcorrect(?:ed|ion)\b|\bextended\b",
    re.I,
)


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
                r";|\s+but\s+|,?\s+however,?\s+|\s+while\s+|\s+whereas\s+|\s+although\s+",
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

    if m := _OTHER_INSTITUTION.search(full):
        reasons.append(
            Reason(
                "other-institution", "the notice is from another institution", _short(m.group(0))
            )
        )
        return Decision(False, status, reasons)
    head = f"{notice.title}\n{notice.section('what')[:300]}"
    if m := _RESTORED.search(head):
        reasons.append(
            Reason(
                "restored", "a report that power was restored, not a new outage", _short(m.group(0))
            )
        )
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
            reasons.append(
                Reason("equipment-only", "power to one piece of equipment only", _short(clause))
            )
            continue
        power_clauses.append((where, clause))
        reasons.append(Reason(hit[0], f"power goes off ({where})", _short(clause)))
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
        reasons.append(
            Reason(
                "electrical-category",
                "the title names the Electrical service and nothing says power stays on",
                _short(notice.title),
            )
        )
    for clause in negated:
        reasons.append(Reason("negated", "a clause says power is not affected", _short(clause)))
    if not power_clauses:
        reasons.append(Reason("not-power", "no clause says normal electrical power goes off"))
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
        if not where_text:
            # No "Where" section (homepage, email, news): an affected list in the same paragraph.
            for key, value in notice.sections.items():
                for para in re.split(r"\n\s*\n", value):
                    if rx.search(para) and any(c in para for _, c in power_clauses):
                        spots.append((key, para))
        good = []
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
                    reasons.append(Reason("excepted", f"{code} is excepted", _short(ctx)))
                    continue
                if w != "where" and w != "title" and _PASSING.search(ctx):
                    reasons.append(
                        Reason(
                            "passing-mention", f"{code} is mentioned only in passing", _short(ctx)
                        )
                    )
                    continue
                good.append((w, text if w in ("title", "where") else ctx))
        if good:
            located.append(code)
            w, ctx = good[0]
            reasons.append(Reason("building", f"watched building {code} named in {w}", _short(ctx)))
        else:
            # Mentioned elsewhere only: say so for the audit.
            for key, value in notice.sections.items():
                if m := rx.search(value):
                    ctx = value[max(0, m.start() - 60) : m.end() + 60]
                    reasons.append(
                        Reason(
                            "passing-mention",
                            f"{code} named in {key} but not as a place of the outage",
                            _short(ctx),
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
                    Reason(
                        "excepted",
                        "campus-wide, but the watched building is excepted",
                        _short(clause),
                    )
                )
                break
            wide = True
            reasons.append(Reason("campus-wide", f"campus-wide outage ({w})", _short(clause)))
            break
    if not located and not wide:
        reasons.append(Reason("elsewhere", "the outage is in buildings that are not watched"))
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
