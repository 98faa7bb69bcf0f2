"""SLURM maintenance reservations for outage windows: what should exist, and the plan that gets
there from what exists. Pure: no clock, no SLURM inside (both are passed in).

One reservation per window of a relevant, not-cancelled notice, named after the notice
(`outage-2601`; a notice with several windows: `outage-2601`, `outage-2601-2`, ...), over the
affected SLURM nodes, from `margin_before` before the power goes off to `margin_after` after it
returns, with `flags=MAINT,IGNORE_JOBS` (jobs already running are not refused; SLURM starts no
job that would run into it). A revised notice updates its reservations, a cancelled (or no
longer relevant) one deletes them. Reservations whose name is not derived from a notice given
here are never touched, so a second run with the same inputs plans nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

PREFIX = "outage-"


@dataclass(frozen=True)
class Outage:
    """A notice's facts, as far as reservations care."""

    key: str  # "plantops:2601", "mail:<message-id>"
    relevant: bool
    cancelled: bool
    buildings: tuple[str, ...]
    campus_wide: bool
    windows: tuple[tuple[datetime, datetime], ...]  # (power off, power on); equal: end unknown


@dataclass(frozen=True)
class Reservation:
    name: str
    start: datetime
    end: datetime
    nodes: tuple[str, ...]  # sorted
    flags: frozenset[str] = frozenset({"MAINT", "IGNORE_JOBS"})
    notice: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "nodes": list(self.nodes),
            "flags": sorted(self.flags),
            "notice": self.notice,
        }


@dataclass(frozen=True)
class Action:
    op: str  # create | update | delete
    name: str
    want: Reservation | None
    have: Reservation | None
    why: str

    def as_json(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "name": self.name,
            "want": self.want.as_json() if self.want else None,
            "have": self.have.as_json() if self.have else None,
            "why": self.why,
        }


def base_name(key: str, prefix: str = PREFIX) -> str:
    """`plantops:2601` -> `outage-2601`; other sources -> `outage-mail-<8 hex of the key>`."""
    source, _, ident = key.partition(":")
    if source == "plantops" and re.fullmatch(r"\d+", ident):
        return f"{prefix}{ident}"
    safe = re.sub(r"[^a-z0-9]+", "-", source.lower()).strip("-") or "notice"
    return f"{prefix}{safe}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def owned_by(name: str, base: str) -> bool:
    return name == base or re.fullmatch(re.escape(base) + r"-\d+", name) is not None


def wanted(
    outage: Outage,
    nodes: Sequence[str],
    *,
    now: datetime,
    margin_before: timedelta,
    margin_after: timedelta,
    unknown_end: timedelta,
    prefix: str = PREFIX,
) -> list[Reservation]:
    """The reservations this notice should have now (none when cancelled, irrelevant, over,
    or when no SLURM node is affected)."""
    if not outage.relevant or outage.cancelled or not nodes:
        return []
    base = base_name(outage.key, prefix)
    out = []
    for i, (off, on) in enumerate(sorted(outage.windows), start=1):
        end = (on if on > off else off + unknown_end) + margin_after
        if end <= now:
            continue
        out.append(
            Reservation(
                name=base if i == 1 else f"{base}-{i}",
                start=off - margin_before,
                end=end,
                nodes=tuple(sorted(set(nodes))),
                notice=outage.key,
            )
        )
    return out


def _same_time(a: datetime, b: datetime, now: datetime) -> bool:
    # SLURM keeps whole seconds; a start already in the past cannot move (it began)
    if a <= now and b <= now:
        return True
    return abs((a - b).total_seconds()) < 60


def plan(
    wants: Iterable[Reservation],
    haves: Iterable[Reservation],
    keys: Iterable[str],
    *,
    now: datetime,
    prefix: str = PREFIX,
) -> list[Action]:
    """Create what is missing, update what differs, delete what the notices `keys` no longer
    want. Reservations that belong to no notice in `keys` are left alone."""
    want_by_name = {w.name: w for w in wants}
    bases = {base_name(k, prefix): k for k in keys}
    actions: list[Action] = []
    have_by_name = {h.name: h for h in haves}
    for name, w in sorted(want_by_name.items()):
        h = have_by_name.get(name)
        if h is None:
            actions.append(Action("create", name, w, None, f"notice {w.notice}"))
            continue
        diffs = []
        if not _same_time(w.start, h.start, now):
            diffs.append("start")
        if not _same_time(w.end, h.end, now):
            diffs.append("end")
        if set(w.nodes) != set(h.nodes):
            diffs.append("nodes")
        if diffs:
            actions.append(Action("update", name, w, h, "changed: " + ", ".join(diffs)))
    for name, h in sorted(have_by_name.items()):
        if name in want_by_name:
            continue
        owner = next((k for b, k in bases.items() if owned_by(name, b)), None)
        if owner is None:
            continue
        if h.end <= now:
            continue  # over; SLURM removes it by itself
        actions.append(Action("delete", name, None, h, f"notice {owner} no longer needs it"))
    return actions
