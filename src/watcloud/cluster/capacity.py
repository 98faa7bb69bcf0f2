"""`watcloud slurm capacity`: free CPUs, memory and GPUs per partition and node, and the largest
job that could start now. Pure: it reads `scontrol show node --oneliner` and `squeue` text.

Per node, free = configured - allocated: CPUs from `CPUEfctv` (else `CPUTot`) minus `CPUAlloc`,
memory from `RealMemory` minus `AllocMem` (MiB), GPUs from `gres/gpu` in `CfgTRES` minus
`AllocTRES`. A node takes new jobs only when SLURM's state allows it: not down, drained,
draining, in maintenance, reserved, powered down or not responding. "Can start now" is the
largest request one usable node could take at once; jobs already pending in a partition may
still go first (priority), so their number is shown beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from watcloud.cluster import slurm

SQUEUE_PENDING_ARGS = ("squeue", "--noheader", "--states=PENDING", "--format=%P")
_NOT_SCHEDULABLE = frozenset(
    {"RESERVED", "MAINT", "POWERED_DOWN", "POWERING_DOWN", "POWER_DOWN", "REBOOT_ISSUED",
     "REBOOT_REQUESTED", "PLANNED", "FUTURE", "CLOUD"}
)  # fmt: skip


@dataclass(frozen=True)
class NodeCapacity:
    name: str
    partitions: tuple[str, ...]
    state: str
    usable: bool  # SLURM would start a new job here now
    why_not: str | None
    cpus_total: int
    cpus_free: int
    mem_total_mib: int
    mem_free_mib: int
    gpus_total: int
    gpus_free: int

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "partitions": list(self.partitions),
            "state": self.state,
            "usable": self.usable,
            "why_not": self.why_not,
            "cpus": {"total": self.cpus_total, "free": self.cpus_free},
            "memory_mib": {"total": self.mem_total_mib, "free": self.mem_free_mib},
            "gpus": {"total": self.gpus_total, "free": self.gpus_free},
        }


@dataclass(frozen=True)
class PartitionCapacity:
    name: str
    nodes: list[NodeCapacity]
    pending_jobs: int
    largest: NodeCapacity | None  # the usable node with the most free (GPUs, CPUs, memory)

    @property
    def usable(self) -> list[NodeCapacity]:
        return [n for n in self.nodes if n.usable]

    def as_json(self) -> dict[str, Any]:
        use = self.usable
        big = self.largest
        return {
            "name": self.name,
            "nodes": len(self.nodes),
            "usable_nodes": len(use),
            "cpus_free": sum(n.cpus_free for n in use),
            "memory_mib_free": sum(n.mem_free_mib for n in use),
            "gpus_free": sum(n.gpus_free for n in use),
            "pending_jobs": self.pending_jobs,
            "can_start_now": None
            if big is None
            else {
                "node": big.name,
                "cpus": big.cpus_free,
                "memory_mib": big.mem_free_mib,
                "gpus": big.gpus_free,
            },
        }


@dataclass
class Capacity:
    partitions: list[PartitionCapacity]
    nodes: list[NodeCapacity]
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "partitions": [p.as_json() for p in self.partitions],
            "nodes": [n.as_json() for n in self.nodes],
            "notes": self.notes,
        }


def _gpus(tres: str) -> int:
    value = slurm.parse_tres(tres).get("gres/gpu")
    try:
        return int(value) if value else 0
    except ValueError:
        return 0


def _int(rec: Mapping[str, str], *keys: str) -> int:
    for key in keys:
        try:
            return int(rec[key])
        except (KeyError, ValueError):
            continue
    return 0


def node_capacity(rec: Mapping[str, str]) -> NodeCapacity:
    """One `scontrol show node --oneliner` record -> its free resources."""
    state = slurm.NodeState(rec["NodeName"], rec.get("State", "UNKNOWN"))
    cpus = _int(rec, "CPUEfctv", "CPUTot")
    mem = _int(rec, "RealMemory")
    gpus = _gpus(rec.get("CfgTRES", ""))
    cpus_free = max(0, cpus - _int(rec, "CPUAlloc"))
    mem_free = max(0, mem - _int(rec, "AllocMem"))
    gpus_free = max(0, gpus - _gpus(rec.get("AllocTRES", "")))
    why = None
    blocked = state.flags & _NOT_SCHEDULABLE
    if state.verdict() != "up":
        why = f"{state.state}" + (f": {rec['Reason']}" if rec.get("Reason") else "")
    elif blocked:
        why = f"{state.state} ({', '.join(sorted(blocked)).lower()})"
    elif cpus_free == 0:
        why = "all CPUs allocated"
    elif mem_free == 0:
        why = "all memory allocated"
    return NodeCapacity(
        name=rec["NodeName"],
        partitions=tuple(p for p in rec.get("Partitions", "").split(",") if p),
        state=state.state,
        usable=why is None,
        why_not=why,
        cpus_total=cpus,
        cpus_free=cpus_free,
        mem_total_mib=mem,
        mem_free_mib=mem_free,
        gpus_total=gpus,
        gpus_free=gpus_free,
    )


def parse_pending(text: str) -> dict[str, int]:
    """`squeue --states=PENDING --format=%P` -> pending jobs per partition (a job submitted to
    several partitions counts in each)."""
    counts: dict[str, int] = {}
    for line in text.splitlines():
        for part in line.strip().split(","):
            if part:
                counts[part] = counts.get(part, 0) + 1
    return counts


def capacity(nodes_text: str, pending: Mapping[str, int] | None) -> Capacity:
    nodes = [node_capacity(r) for r in slurm.parse_records(nodes_text) if r.get("NodeName")]
    names = sorted({p for n in nodes for p in n.partitions})
    parts = []
    for name in names:
        members = [n for n in nodes if name in n.partitions]
        use = [n for n in members if n.usable]
        largest = max(
            use, key=lambda n: (n.gpus_free, n.cpus_free, n.mem_free_mib, n.name), default=None
        )
        parts.append(PartitionCapacity(name, members, (pending or {}).get(name, 0), largest))
    notes = []
    if pending is None:
        notes.append("pending jobs unknown (squeue failed)")
    orphans = [n.name for n in nodes if not n.partitions]
    if orphans:
        notes.append(f"node(s) in no partition: {', '.join(orphans)}")
    return Capacity(parts, nodes, notes)


def collect(timeout: float) -> Capacity:
    """Run `scontrol show node` and `squeue`; SlurmError when the node list cannot be read."""
    nodes_text = slurm.run(slurm.NODES_ARGS, timeout)
    try:
        pending: dict[str, int] | None = parse_pending(slurm.run(SQUEUE_PENDING_ARGS, timeout))
    except slurm.SlurmError:
        pending = None
    return capacity(nodes_text, pending)


def fmt_mib(mib: int) -> str:
    return f"{mib / 1024:.1f} GiB" if mib >= 1024 else f"{mib} MiB"


def summary_lines(cap: Capacity) -> Sequence[str]:
    """One line per partition: what could start now."""
    out = []
    for p in cap.partitions:
        big = p.largest
        queue = f"; {p.pending_jobs} job(s) pending there" if p.pending_jobs else ""
        if big is None:
            out.append(f"{p.name}: nothing can start now (no node takes new jobs){queue}")
            continue
        out.append(
            f"{p.name}: a one-node job of up to {big.cpus_free} CPUs, {fmt_mib(big.mem_free_mib)}"
            f" and {big.gpus_free} GPU(s) can start now on {big.name}{queue}"
        )
    return out
