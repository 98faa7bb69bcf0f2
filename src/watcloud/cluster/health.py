"""Health from healthchecks.io (API v3) and the machine list from machine-info.json. Pure.

A check belongs to a host through its tags (`host=<name> check=<name> public=True|False`).
Per host, checks roll up the way WATcloud's website colours a machine card: every check up
(or in its grace period) -> `up`; every check down -> `down`; a mix -> `degraded`, listing
the failing checks. Checks that are `new`, `paused` or `started` carry no verdict; a host with
no verdict at all is `unknown`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from watcloud.core.timez import parse_iso

UP_STATUSES = frozenset({"up", "grace"})
DOWN_STATUSES = frozenset({"down"})

# machine-info.json groups machines by kind; everything not listed here is "other"
ROLE_OF_GROUP = {"slurm_compute_nodes": "compute", "slurm_login_nodes": "login"}
ROLE_ORDER = ("compute", "login", "other", "unlisted")


class SourceDataError(ValueError):
    """A source answered, but not in the expected shape."""


@dataclass(frozen=True)
class Check:
    host: str | None
    name: str
    status: str
    public: bool
    last_ping: datetime | None
    slug: str = ""
    badge: bool = False  # counted from a public status badge (no name, no last ping)

    @property
    def failing(self) -> bool:
        return self.status in DOWN_STATUSES

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "last_ping": self.last_ping.isoformat() if self.last_ping else None,
        }


@dataclass(frozen=True)
class Machine:
    name: str
    role: str  # compute | login | other | unlisted (only in health checks)
    group: str  # the machine-info group it came from


def parse_tags(tags: str) -> dict[str, str]:
    """`"a host=x check=y public=True"` -> `{"host": "x", "check": "y", "public": "True"}`."""
    out: dict[str, str] = {}
    for word in tags.split():
        key, sep, value = word.partition("=")
        if sep and key:
            out[key] = value
    return out


def parse_checks(payload: Any) -> tuple[list[Check], list[str]]:
    """Checks from a `GET /api/v3/checks/` body, and one note per check that was skipped."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("checks"), list):
        raise SourceDataError('expected an object with a "checks" list')
    checks: list[Check] = []
    notes: list[str] = []
    for i, item in enumerate(payload["checks"]):
        if not isinstance(item, Mapping):
            notes.append(f"check #{i}: not an object")
            continue
        label = str(item.get("name") or item.get("slug") or f"#{i}")
        status, tags = item.get("status"), item.get("tags", "")
        if not isinstance(status, str) or not isinstance(tags, str):
            notes.append(f"check {label}: missing or invalid status/tags")
            continue
        tag = parse_tags(tags)
        host = tag.get("host") or None
        name = tag.get("check") or _strip_prefix(label, f"{host}-" if host else "")
        last_ping = None
        if isinstance(item.get("last_ping"), str):
            try:
                last_ping = parse_iso(item["last_ping"])
            except ValueError:
                notes.append(f"check {label}: unreadable last_ping {item['last_ping']!r}")
        checks.append(
            Check(
                host=host,
                name=name,
                status=status,
                public=tag.get("public", "").lower() == "true",
                last_ping=last_ping,
                slug=str(item.get("slug") or ""),
            )
        )
    return checks, notes


BADGE_STATES = frozenset({"up", "late", "grace", "down"})


def parse_badge(host: str, payload: Any) -> list[Check]:
    """A healthchecks.io JSON status badge (`{"status", "total", "grace", "down"}`) for the
    checks tagged `host=NAME` -> one stand-in check per counted check: `down` ones down, `grace`
    ones in grace, the rest up. Badges show only public aggregate counts, never names."""
    if not isinstance(payload, Mapping) or payload.get("status") not in BADGE_STATES:
        raise SourceDataError('expected a badge object with "status" up, late or down')
    if "total" not in payload:  # the older badge format: a status and no counts
        status = "grace" if payload["status"] == "late" else str(payload["status"])
        return [Check(host, "badge", status, True, None, badge=True)]
    counts = {}
    for key in ("total", "grace", "down"):
        value = payload.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SourceDataError(f'badge "{key}" is not a count: {value!r}')
        counts[key] = value
    total, down, grace = counts["total"], counts["down"], counts["grace"]
    up = max(0, total - down - grace)
    statuses = ["down"] * down + ["grace"] * grace + ["up"] * up
    return [Check(host, "badge", st, True, None, badge=True) for st in statuses]


def parse_machine_info(payload: Any) -> list[Machine]:
    """Machines from machine-info.json (`{"machines": {"<group>": [{"name": ...}, ...]}}`)."""
    groups = payload.get("machines") if isinstance(payload, Mapping) else None
    if not isinstance(groups, Mapping):
        raise SourceDataError('expected an object with a "machines" object')
    machines: list[Machine] = []
    seen: set[str] = set()
    for group, items in groups.items():
        if not isinstance(items, list):
            raise SourceDataError(f'"machines.{group}" is not a list')
        for item in items:
            name = item.get("name") if isinstance(item, Mapping) else None
            if not isinstance(name, str) or not name:
                raise SourceDataError(f'"machines.{group}" has an entry without a "name"')
            if name in seen:
                continue
            seen.add(name)
            machines.append(Machine(name, ROLE_OF_GROUP.get(group, "other"), group))
    return machines


def rollup(checks: Iterable[Check]) -> tuple[str, list[Check]]:
    """A host's state from its checks, and the checks that are not up."""
    checks = list(checks)
    verdicts = [c for c in checks if c.status in UP_STATUSES or c.status in DOWN_STATUSES]
    failing = [c for c in checks if c.failing]
    if not verdicts:
        return "unknown", failing
    if all(c.status in UP_STATUSES for c in verdicts):
        return "up", failing
    if all(c.failing for c in verdicts):
        return "down", failing
    return "degraded", failing


def checks_by_host(checks: Iterable[Check], *, show_all: bool) -> dict[str, list[Check]]:
    """Checks grouped by host tag; only `public=True` ones unless `show_all`."""
    out: dict[str, list[Check]] = {}
    for check in checks:
        if check.host is None or not (show_all or check.public):
            continue
        out.setdefault(check.host, []).append(check)
    return out


def _strip_prefix(text: str, prefix: str) -> str:
    return text[len(prefix) :] if prefix and text.startswith(prefix) else text
