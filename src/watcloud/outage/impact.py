"""What an outage does to the cluster: which machines go down (by role), which SLURM partitions
lose capacity and how much, which jobs would be cut, and what users should do. Pure: the
inventory (config, machine-info.json, SLURM's nodes) and the job list are passed in.

- Machines per building come from the config (`impact.machines: {CPH: [...]}`) and from
  `machine-info.json` entries that carry a `location` (a building code or one of its names).
  A campus-wide outage takes every known machine.
- Role: `impact.roles` in the config, else the machine-info group (`slurm_compute_nodes` ->
  compute, `slurm_login_nodes` -> login, an entry with `hosted_storage` -> storage), else a
  SLURM node is compute, else other.
- A partition's loss is the share of its CPUs (and nodes) on affected machines.
- A running job is cut when it runs on an affected node and its end time passes the power-off
  time; a pending job in an affected partition is at risk when it could start before the outage
  ends and its end time passes the power-off time (with a maintenance reservation SLURM holds
  such jobs until after it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from watcloud.core.timez import CLUSTER_TZ

ROLES = ("compute", "login", "storage", "other")
ROLE_OF_GROUP = {"slurm_compute_nodes": "compute", "slurm_login_nodes": "login"}


@dataclass(frozen=True)
class Machine:
    name: str
    role: str
    building: str | None = None


@dataclass(frozen=True)
class SlurmNode:
    name: str
    cpus: int
    partitions: tuple[str, ...] = ()
    state: str = ""


@dataclass(frozen=True)
class Job:
    id: str
    partition: str
    state: str  # RUNNING | PENDING | ...
    start: datetime | None
    end: datetime | None
    nodes: tuple[str, ...]
    user: str = ""
    name: str = ""


@dataclass
class Inventory:
    machines: dict[str, Machine] = field(default_factory=dict)
    nodes: dict[str, SlurmNode] = field(default_factory=dict)

    @property
    def partitions(self) -> dict[str, list[SlurmNode]]:
        out: dict[str, list[SlurmNode]] = {}
        for node in self.nodes.values():
            for p in node.partitions:
                out.setdefault(p, []).append(node)
        return out


def _norm(text: str) -> str:
    return re.sub(r"[\s.]+", " ", text).strip().lower()


def building_of(location: str, buildings: Mapping[str, Sequence[str]]) -> str | None:
    """`"CPH"`, `"Carl A. Pollock Hall"` or `"CPH 3rd floor"` -> `"CPH"`; unknown -> None."""
    loc = _norm(location)
    for code, names in buildings.items():
        if re.search(rf"\b{re.escape(code.lower())}\b", loc):
            return code
        if any(_norm(n) and _norm(n) in loc for n in names):
            return code
    return None


def machines_from_info(
    payload: Any, buildings: Mapping[str, Sequence[str]]
) -> tuple[list[Machine], list[str]]:
    """machine-info.json -> machines (with the building of a `location`, when there is one), and
    one note per entry that could not be read."""
    if not isinstance(payload, Mapping) or not isinstance(payload.get("machines"), Mapping):
        raise ValueError('machine-info: expected an object with a "machines" object')
    out: list[Machine] = []
    notes: list[str] = []
    for group, entries in payload["machines"].items():
        if not isinstance(entries, list):
            notes.append(f"machine-info group {group!r} is not a list")
            continue
        for entry in entries:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
                notes.append(f"machine-info group {group!r}: an entry without a name")
                continue
            role = ROLE_OF_GROUP.get(str(group))
            if role is None:
                role = "storage" if entry.get("hosted_storage") else "other"
            location = entry.get("location")
            building = building_of(location, buildings) if isinstance(location, str) else None
            out.append(Machine(entry["name"], role, building))
    return out, notes


def build_inventory(
    *,
    config_machines: Mapping[str, Sequence[str]],
    roles: Mapping[str, str],
    info_machines: Iterable[Machine] = (),
    nodes: Mapping[str, SlurmNode] | None = None,
) -> Inventory:
    """One machine list: the config's building map wins over machine-info's locations; roles
    from the config, else machine-info, else compute for SLURM nodes, else other."""
    nodes = dict(nodes or {})
    machines: dict[str, Machine] = {}
    for m in info_machines:
        machines[m.name] = m
    for building, names in config_machines.items():
        for name in names:
            prev = machines.get(name)
            role = prev.role if prev else ("compute" if name in nodes else "other")
            machines[name] = Machine(name, role, building)
    for name in nodes:
        machines.setdefault(name, Machine(name, "compute", None))
    for name, role in roles.items():
        prev = machines.get(name)
        machines[name] = Machine(name, role, prev.building if prev else None)
    return Inventory(machines, nodes)


@dataclass(frozen=True)
class PartitionLoss:
    name: str
    nodes_lost: int
    nodes_total: int
    cpus_lost: int
    cpus_total: int

    @property
    def share(self) -> float:
        if self.cpus_total:
            return self.cpus_lost / self.cpus_total
        return self.nodes_lost / self.nodes_total if self.nodes_total else 0.0

    def line(self) -> str:
        return (
            f"SLURM partition {self.name}: loses {self.share:.0%} of its CPUs "
            f"({self.cpus_lost} of {self.cpus_total}; {self.nodes_lost} of "
            f"{self.nodes_total} nodes)"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "partition": self.name,
            "nodes_lost": self.nodes_lost,
            "nodes_total": self.nodes_total,
            "cpus_lost": self.cpus_lost,
            "cpus_total": self.cpus_total,
            "share_lost": round(self.share, 4),
        }


@dataclass
class Impact:
    machines: list[Machine]  # affected, by role then name
    partitions: list[PartitionLoss]
    unmapped: list[str] = field(default_factory=list)  # affected buildings with no machine known

    @property
    def slurm_nodes(self) -> list[str]:
        return sorted(m.name for m in self.machines if m.role == "compute")

    def by_role(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for m in self.machines:
            out.setdefault(m.role, []).append(m.name)
        return out

    def lines(self, fallback: Sequence[str] = ()) -> list[str]:
        """ "Machines Affected": one line per role, then one per partition losing capacity.
        With no machine known for the affected place, the configured fallback text."""
        out = [
            f"{role.capitalize()}: {', '.join(names)}"
            for role in ROLES
            if (names := self.by_role().get(role))
        ]
        out += [p.line() for p in self.partitions]
        if not self.machines:
            return list(fallback)
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "machines": {role: names for role, names in self.by_role().items()},
            "partitions": [p.as_json() for p in self.partitions],
            "unmapped_buildings": self.unmapped,
        }


def affected(inv: Inventory, buildings: Sequence[str], campus_wide: bool) -> Impact:
    """The machines and partition capacity an outage in `buildings` (or campus-wide) takes."""
    wanted = {b.upper() for b in buildings}
    hit = [
        m
        for m in inv.machines.values()
        if campus_wide or (m.building is not None and m.building.upper() in wanted)
    ]
    hit.sort(key=lambda m: (ROLES.index(m.role) if m.role in ROLES else len(ROLES), m.name))
    names = {m.name for m in hit}
    losses = []
    for part, members in sorted(inv.partitions.items()):
        lost = [n for n in members if n.name in names]
        if lost:
            losses.append(
                PartitionLoss(
                    part,
                    nodes_lost=len(lost),
                    nodes_total=len(members),
                    cpus_lost=sum(n.cpus for n in lost),
                    cpus_total=sum(n.cpus for n in members),
                )
            )
    mapped = {m.building.upper() for m in inv.machines.values() if m.building}
    unmapped = [] if campus_wide else [b for b in buildings if b.upper() not in mapped]
    return Impact(hit, losses, unmapped)


# ---- jobs ----------------------------------------------------------------------------------


@dataclass
class JobsAtRisk:
    partition: str
    running: list[Job] = field(default_factory=list)  # will be cut when the power goes off
    pending: list[Job] = field(default_factory=list)  # could start and then be cut
    held: list[Job] = field(default_factory=list)  # pending, held until after the outage

    def as_json(self) -> dict[str, Any]:
        return {
            "partition": self.partition,
            "running_cut": [j.id for j in self.running],
            "pending_at_risk": [j.id for j in self.pending],
            "pending_held": [j.id for j in self.held],
        }


def jobs_at_risk(
    jobs: Iterable[Job], impact: Impact, power_off: datetime, power_on: datetime
) -> list[JobsAtRisk]:
    """Per partition: running jobs cut by the outage, pending jobs that could be."""
    nodes = set(impact.slurm_nodes)
    parts = {p.name for p in impact.partitions}
    out: dict[str, JobsAtRisk] = {}
    for job in jobs:
        entry = out.setdefault(job.partition, JobsAtRisk(job.partition))
        crosses = job.end is None or job.end > power_off
        if job.state == "RUNNING" and nodes.intersection(job.nodes) and crosses:
            entry.running.append(job)
        elif job.state == "PENDING" and any(p in parts for p in job.partition.split(",")):
            if job.start is not None and job.start >= power_on:
                entry.held.append(job)
            elif crosses:
                entry.pending.append(job)
    return [e for _, e in sorted(out.items()) if e.running or e.pending or e.held]


def fmt(dt: datetime) -> str:
    return dt.astimezone(CLUSTER_TZ).strftime("%Y-%m-%d %H:%M ET")


def time_limit_before(now: datetime, start: datetime) -> str | None:
    """The longest `sbatch --time` that ends before `start` (D-HH:MM:SS), None when none fits."""
    left = start - now
    if left <= timedelta(minutes=1):
        return None
    minutes = int(left.total_seconds() // 60) - 1
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    return f"{days}-{hours:02d}:{mins:02d}:00" if days else f"{hours:02d}:{mins:02d}:00"


def advice(
    impact: Impact,
    risks: Sequence[JobsAtRisk],
    *,
    power_off: datetime,
    reserved_from: datetime | None,
    now: datetime,
    data_note: str,
) -> str:
    """What users should do: the jobs that would be cut, a time limit that ends in time,
    checkpoints, and where to copy data."""
    bits: list[str] = []
    for r in risks:
        parts = []
        if r.running:
            parts.append(f"{len(r.running)} running job(s) end after the power goes off")
        if r.pending:
            parts.append(f"{len(r.pending)} pending job(s) could start and be cut")
        if r.held:
            parts.append(f"{len(r.held)} pending job(s) wait until after the outage")
        bits.append(f"Partition {r.partition}: " + ", ".join(parts) + ".")
    cutoff = reserved_from or power_off
    limit = time_limit_before(now, cutoff)
    if impact.slurm_nodes:
        if reserved_from is not None:
            bits.append(
                f"SLURM maintenance reservation from {fmt(reserved_from)}: jobs whose time "
                "limit runs past it do not start until after the outage."
            )
        if limit and cutoff - now <= timedelta(days=14):
            bits.append(
                f"To finish before {fmt(cutoff)}, submit with a time limit of at most {limit} "
                f"from now (sbatch --time={limit}), or checkpoint your job and resubmit it "
                "after the outage."
            )
        elif limit:
            bits.append(
                f"Set time limits (sbatch --time) so jobs end before {fmt(cutoff)}, or "
                "checkpoint them and resubmit after the outage."
            )
        else:
            bits.append("Checkpoint running jobs now; resubmit them after the outage.")
    storage = impact.by_role().get("storage")
    if storage:
        bits.append(f"Storage on {', '.join(storage)} is unreachable during the outage.")
    if data_note:
        bits.append(data_note)
    return " ".join(bits)
