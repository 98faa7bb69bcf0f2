"""`watcloud status`: machines + health checks + SLURM -> one state per machine. Pure.

States: `up`, `degraded`, `down`, `maintenance`, `unknown`.
- An active SLURM `MAINT` reservation (or a node in SLURM's MAINT state) -> `maintenance`.
- Otherwise the worse of the health-check roll-up and SLURM's view of the node (down or not
  responding -> `down`; drained/draining -> `degraded`). With no health checks, SLURM's view
  alone decides; with neither, `unknown`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from watcloud.cluster.health import ROLE_ORDER, Check, Machine, checks_by_host, rollup
from watcloud.cluster.slurm import NodeState, Reservation

STATES = ("up", "degraded", "down", "maintenance", "unknown")
_SEVERITY = {"unknown": 0, "up": 1, "degraded": 2, "down": 3}


@dataclass(frozen=True)
class SourceStatus:
    name: str  # machine-info | healthchecks | slurm
    ok: bool
    error: str | None = None
    age_seconds: float | None = None  # served from cache: how old
    stale: bool = False  # failed now; showing an older cached answer
    skipped: bool = False  # not configured / not present here (e.g. no SLURM commands)
    # per command of a source made of several (slurm): (command, error or None when it worked)
    commands: tuple[tuple[str, str | None], ...] = ()
    partial: bool = False  # some commands failed, the others' data is shown
    via: str | None = None  # how it was read when not the usual way ("public badges")

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "ok": self.ok,
            "error": self.error,
            "cached_age_seconds": None if self.age_seconds is None else round(self.age_seconds),
            "stale": self.stale,
            "skipped": self.skipped,
            "partial": self.partial,
            "via": self.via,
        }
        if self.commands:
            out["commands"] = [
                {"command": c, "ok": err is None, "error": err} for c, err in self.commands
            ]
        return out


@dataclass(frozen=True)
class MachineStatus:
    name: str
    role: str
    state: str
    checks: list[Check]
    failing: list[Check]
    slurm: NodeState | None
    maintenance: Reservation | None  # active, else the next upcoming one

    def as_json(self, at: datetime) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "state": self.state,
            "checks": [
                {
                    **c.as_json(),
                    "last_ping_age_seconds": (
                        round((at - c.last_ping).total_seconds()) if c.last_ping else None
                    ),
                }
                for c in self.checks
            ],
            "slurm": self.slurm.as_json() if self.slurm else None,
            "maintenance": self.maintenance.as_json(at) if self.maintenance else None,
        }


@dataclass
class StatusReport:
    generated_at: datetime
    machines: list[MachineStatus]
    sources: list[SourceStatus]
    notes: list[str] = field(default_factory=list)
    upcoming: list[Reservation] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        at = self.generated_at
        return {
            "generated_at": at.isoformat(),
            "machines": [m.as_json(at) for m in self.machines],
            "upcoming_maintenance": [
                {**r.as_json(at), "nodes": list(r.nodes)} for r in self.upcoming
            ],
            "sources": [s.as_json() for s in self.sources],
            "notes": self.notes,
        }

    @property
    def health_known(self) -> bool:
        """Health checks were read (fresh or from cache) this time."""
        return any(s.name == "healthchecks" and (s.ok or s.stale) for s in self.sources)

    @property
    def failed_sources(self) -> list[SourceStatus]:
        return [s for s in self.sources if not s.ok and not s.skipped]


def _worse(a: str, b: str) -> str:
    return a if _SEVERITY[a] >= _SEVERITY[b] else b


def machine_state(
    health: str, node: NodeState | None, active_maintenance: Reservation | None
) -> str:
    if active_maintenance is not None or (node is not None and "MAINT" in node.flags):
        return "maintenance"
    if node is None:
        return health
    slurm_verdict = node.verdict()
    return slurm_verdict if health == "unknown" else _worse(health, slurm_verdict)


def build_report(
    *,
    now: datetime,
    machines: Sequence[Machine],
    checks: Sequence[Check] | None,
    nodes: Mapping[str, NodeState] | None,
    reservations: Sequence[Reservation] | None,
    sources: Sequence[SourceStatus],
    show_all: bool = False,
    notes: Sequence[str] = (),
) -> StatusReport:
    by_host = checks_by_host(checks or (), show_all=show_all)
    nodes = nodes or {}
    maint = [r for r in reservations or () if r.maintenance]
    notes = list(notes)

    hostless = [c for c in checks or () if c.host is None and (show_all or c.public)]
    if hostless:
        notes.append(
            f"{len(hostless)} health check(s) carry no host= tag and are not shown: "
            + ", ".join(sorted({c.name for c in hostless})[:5])
        )

    listed = {m.name for m in machines}
    everyone = list(machines)
    unlisted = sorted(h for h in by_host if h not in listed)
    if unlisted and machines:
        notes.append(
            "health checks name host(s) missing from machine-info: "
            + ", ".join(unlisted)
            + " (shown as 'unlisted')"
        )
    everyone += [Machine(h, "unlisted", "") for h in unlisted]
    # SLURM nodes machine-info does not know still deserve a row
    everyone += [
        Machine(n, "compute", "slurm")
        for n in sorted(nodes)
        if n not in listed and n not in by_host
    ]

    out = []
    for m in everyone:
        host_checks = by_host.get(m.name, [])
        health, failing = rollup(host_checks)
        node = nodes.get(m.name)
        mine = [r for r in maint if r.covers(m.name) if node is not None or "ALL" not in r.nodes]
        active = next((r for r in mine if r.active(now)), None)
        upcoming = sorted((r for r in mine if r.upcoming(now)), key=lambda r: r.start or now)
        out.append(
            MachineStatus(
                name=m.name,
                role=m.role,
                state=machine_state(health, node, active),
                checks=host_checks,
                failing=failing,
                slurm=node,
                maintenance=active or (upcoming[0] if upcoming else None),
            )
        )
    out.sort(key=lambda s: (ROLE_ORDER.index(s.role) if s.role in ROLE_ORDER else 99, s.name))
    upcoming_all = sorted((r for r in maint if r.upcoming(now)), key=lambda r: r.start or now)
    return StatusReport(now, out, list(sources), notes, upcoming_all)
