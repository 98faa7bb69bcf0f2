"""The exactly-once rule, pure: what to announce now for a notice, given what was announced.

One announcement per relevant notice; a changed time, place or status sends one "updated" or
"cancelled" announcement; the same facts never announce twice, so a restart resends nothing.
No I/O here: `state.State` stores the last (kind, fingerprint) per notice, `watch.Watcher`
asks `plan` and records the answer.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from watcloud.outage.analysis import Analysis


def fingerprint(a: Analysis) -> str:
    """What an announcement depends on: relevance, status, windows and place."""
    facts = {
        "relevant": a.relevant,
        "status": a.decision.label_status,
        "windows": sorted((w.iso()["start"], w.iso()["end"]) for w in a.windows),
        "buildings": sorted(a.decision.buildings),
        "campus_wide": a.decision.campus_wide,
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class Plan:
    kind: str  # scheduled | updated | cancelled | reminder
    fingerprint: str


def plan(
    a: Analysis,
    last: tuple[str, str] | None,
    *,
    at: datetime,
    reminder_hours: float | None = None,
    reminded: bool = False,
) -> Plan | None:
    """What to announce now for this notice, given the last (kind, fingerprint) announced.

    Pure. Nothing for a notice whose every window has passed, nothing twice for the same facts.
    """
    fp = fingerprint(a)
    future = [w for w in a.windows if w.end > at]
    if last is None:
        if a.relevant and a.decision.label_status == "scheduled" and future:
            return Plan("scheduled", fp)
        return None
    last_kind, last_fp = last
    if last_fp == fp:
        if (
            reminder_hours is not None
            and not reminded
            and a.relevant
            and last_kind != "cancelled"
            and future
            and 0 <= (future[0].start - at).total_seconds() <= reminder_hours * 3600
        ):
            return Plan("reminder", fp)
        return None
    if last_kind == "cancelled":
        # Cancelled before: a relevant, scheduled notice again is news.
        if a.relevant and a.decision.label_status == "scheduled" and future:
            return Plan("updated", fp)
        return None
    if not a.relevant or a.decision.label_status == "cancelled":
        return Plan("cancelled", fp)
    if not future:
        return None
    return Plan("updated", fp)
