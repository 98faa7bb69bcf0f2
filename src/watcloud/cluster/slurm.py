"""SLURM: parse `sinfo`, `scontrol show node|reservation|job --oneliner` output (pure), and a
thin runner that calls the commands when they exist.

Times printed by `scontrol` carry no zone; they are read in the cluster's zone
(America/Toronto), where WATcloud's controller runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from watcloud.core.slurm import SlurmError as SlurmError  # re-exported: the tool's names
from watcloud.core.slurm import available as available
from watcloud.core.slurm import run as run
from watcloud.core.timez import parse_cluster_time as parse_time

_KEY = re.compile(r"(?:^|\s)([A-Za-z][A-Za-z0-9_/:.]*)=")
_MEM_UNITS = {"K": 1 / 1024, "M": 1, "G": 1024, "T": 1024 * 1024, "P": 1024**3}


# Free-text fields: their values may hold `word=value` text of their own ("gpu temp=95C").
# Such a value runs to the end of its field: for Reason, the `[user@time]` stamp SLURM appends;
# otherwise the next capitalised `Key=` (SLURM's keys all are), or the end of the line.
FREE_TEXT = frozenset({"Reason", "Comment", "Extra", "AdminComment", "SystemComment"})
_STAMP = re.compile(r"\s\[[^\[\]\s@]+@\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\]")


def _ends_free_text(key: str) -> bool:
    """Whether `key=` after a free-text value starts the next field: SLURM's keys are all
    capitalised (`NodeName`, `MCS_label`), so `gpu temp=95C` stays inside the text."""
    return key[0].isupper()


def parse_oneliner(line: str) -> dict[str, str]:
    """`Key=value Key2=value with spaces ...` -> dict, the way SLURM writes these lines.

    A value runs to the next ` Key=`, except in free-text fields (`Reason`, `Comment`, ...):
    `Reason=nvidia-smi reported gpu temp=95C [root@2026-11-24T09:12:00]` keeps its `=`.
    """
    matches = list(_KEY.finditer(line))
    out: dict[str, str] = {}
    i = 0
    while i < len(matches):
        m = matches[i]
        key = m.group(1)
        j = i + 1
        if key in FREE_TEXT:
            stamp = _STAMP.search(line, m.end()) if key == "Reason" else None
            if stamp is not None:
                end = stamp.end()
                while j < len(matches) and matches[j].start() < end:
                    j += 1
            else:
                while j < len(matches) and not _ends_free_text(matches[j].group(1)):
                    j += 1
        end = matches[j].start() if j < len(matches) else len(line)
        out[key] = line[m.end() : end].strip()
        i = j
    return out


def parse_records(text: str) -> list[dict[str, str]]:
    """One record per non-empty line of `scontrol show ... --oneliner` output."""
    records = []
    for line in text.splitlines():
        line = line.strip()
        if not line or (line.startswith("No ") and "in the system" in line):
            continue
        record = parse_oneliner(line)
        if record:
            records.append(record)
    return records


def expand_hostlist(expr: str) -> list[str]:
    """`"a[1-3,5],b-0[08-10],c"` -> `["a1", "a2", "a3", "a5", "b-008", "b-009", "b-010", "c"]`."""
    names: list[str] = []
    for part in _split_top_level(expr.strip()):
        m = re.fullmatch(r"([^\[\]]*)\[([^\]]+)\](.*)", part)
        if not m:
            if part and part != "(null)":
                names.append(part)
            continue
        prefix, ranges, suffix = m.groups()
        for rng in ranges.split(","):
            lo, sep, hi = rng.partition("-")
            if not sep:
                names.extend(f"{prefix}{lo}{rest}" for rest in expand_hostlist(suffix) or [""])
                continue
            if not (lo.isdigit() and hi.isdigit()):
                raise ValueError(f"bad host range {rng!r} in {expr!r}")
            width = len(lo) if lo.startswith("0") else 0
            for n in range(int(lo), int(hi) + 1):
                for rest in expand_hostlist(suffix) or [""]:
                    names.append(f"{prefix}{n:0{width}d}{rest}")
    return names


def _split_top_level(expr: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in expr:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p for p in parts if p]


@dataclass(frozen=True)
class NodeState:
    name: str
    state: str  # as SLURM prints it, e.g. "IDLE+DRAIN", "DOWN*", "mixed"
    reason: str | None = None
    partitions: tuple[str, ...] = ()
    cpus_alloc: int | None = None
    cpus_total: int | None = None
    mem_alloc_mib: int | None = None
    mem_total_mib: int | None = None

    @property
    def flags(self) -> set[str]:
        return {f for f in re.split(r"[+]", self.state.upper().rstrip("*~#!%$@^-")) if f}

    @property
    def not_responding(self) -> bool:
        return self.state.endswith("*")

    def verdict(self) -> str:
        """`up`, `degraded` (drained/draining: takes no new jobs) or `down`."""
        flags = self.flags
        if flags & {"DOWN", "FAIL", "FAILING", "NOT_RESPONDING"} or self.not_responding:
            return "down"
        if flags & {"DRAIN", "DRAINED", "DRAINING", "INVAL", "UNKNOWN"}:
            return "degraded"
        return "up"

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "reason": self.reason,
            "partitions": list(self.partitions),
            "cpus_alloc": self.cpus_alloc,
            "cpus_total": self.cpus_total,
            "mem_alloc_mib": self.mem_alloc_mib,
            "mem_total_mib": self.mem_total_mib,
        }


@dataclass(frozen=True)
class Reservation:
    name: str
    start: datetime | None
    end: datetime | None
    nodes: tuple[str, ...]  # ("ALL",) for every node
    flags: frozenset[str] = field(default_factory=frozenset)
    reason: str | None = None

    @property
    def maintenance(self) -> bool:
        return "MAINT" in self.flags

    def covers(self, node: str) -> bool:
        return node in self.nodes or "ALL" in self.nodes

    def active(self, at: datetime) -> bool:
        return (self.start is None or self.start <= at) and (self.end is None or at < self.end)

    def upcoming(self, at: datetime) -> bool:
        return self.start is not None and self.start > at

    def as_json(self, at: datetime) -> dict[str, Any]:
        return {
            "reservation": self.name,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "reason": self.reason,
            "active": self.active(at),
        }


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _reason(value: str | None) -> str | None:
    if not value or value in ("(null)", "none", "None"):
        return None
    return value


def parse_sinfo(text: str) -> dict[str, NodeState]:
    """`sinfo --Node --noheader --format=%N|%P|%T|%E` -> node states (partitions merged)."""
    nodes: dict[str, NodeState] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = line.split("|", 3)
        if len(parts) != 4:
            raise ValueError(f"unexpected sinfo line: {line!r}")
        name, partition, state, reason = (p.strip() for p in parts)
        partition = partition.rstrip("*")  # the default partition is marked with '*'
        prev = nodes.get(name)
        partitions = (*prev.partitions, partition) if prev else (partition,)
        nodes[name] = NodeState(name, state, _reason(reason), partitions)
    return nodes


def parse_nodes(text: str) -> dict[str, NodeState]:
    """`scontrol show node --oneliner` -> node states."""
    nodes = {}
    for rec in parse_records(text):
        name = rec.get("NodeName")
        if not name:
            continue
        nodes[name] = NodeState(
            name=name,
            state=rec.get("State", "UNKNOWN"),
            reason=_reason(rec.get("Reason")),
            partitions=tuple(p for p in rec.get("Partitions", "").split(",") if p),
            cpus_alloc=_int(rec.get("CPUAlloc")),
            cpus_total=_int(rec.get("CPUTot")),
            mem_alloc_mib=_int(rec.get("AllocMem")),
            mem_total_mib=_int(rec.get("RealMemory")),
        )
    return nodes


def parse_reservations(text: str) -> list[Reservation]:
    """`scontrol show reservation --oneliner` -> reservations."""
    out = []
    for rec in parse_records(text):
        name = rec.get("ReservationName")
        if not name:
            continue
        nodes_expr = rec.get("Nodes", "")
        nodes = tuple(expand_hostlist(nodes_expr)) if nodes_expr not in ("", "(null)") else ()
        flags = frozenset(f.strip().upper() for f in rec.get("Flags", "").split(",") if f.strip())
        if "ALL_NODES" in flags and not nodes:
            nodes = ("ALL",)
        reason = _reason(rec.get("Comment"))
        out.append(
            Reservation(
                name=name,
                start=parse_time(rec.get("StartTime")),
                end=parse_time(rec.get("EndTime")),
                nodes=nodes,
                flags=flags,
                reason=reason,
            )
        )
    return out


def merge_nodes(
    sinfo: Mapping[str, NodeState] | None, scontrol: Mapping[str, NodeState] | None
) -> dict[str, NodeState]:
    """scontrol's richer view wins; sinfo fills in nodes (and partitions) it lacks."""
    out = dict(sinfo or {})
    for name, node in (scontrol or {}).items():
        prev = out.get(name)
        if prev and not node.partitions:
            node = replace(node, partitions=prev.partitions)
        out[name] = node
    return out


def parse_mem_mib(value: str) -> int | None:
    """SLURM memory (`8G`, `512M`, `1024` = MiB) -> MiB."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([KMGTP]?)", value.strip().upper())
    if not m:
        return None
    return int(float(m.group(1)) * _MEM_UNITS[m.group(2) or "M"])


def parse_tres(value: str) -> dict[str, str]:
    """`cpu=4,mem=8G,gres/gpu=1` -> `{"cpu": "4", "mem": "8G", "gres/gpu": "1"}`."""
    out = {}
    for item in value.split(","):
        key, sep, val = item.partition("=")
        if sep:
            out[key.strip()] = val.strip()
    return out


@dataclass(frozen=True)
class JobAllocation:
    job_id: str
    cpus: int | None
    mem_mib: int | None
    gpus: int | None
    tmpdisk_mib: int | None


def parse_job(text: str) -> JobAllocation | None:
    """`scontrol show job --oneliner ID` -> the job's allocation (AllocTRES, else TRES)."""
    records = parse_records(text)
    if not records:
        return None
    rec = records[0]
    tres = parse_tres(rec.get("AllocTRES") or rec.get("TRES") or rec.get("ReqTRES") or "")
    gpus = _int(tres.get("gres/gpu"))
    tmpdisk = _int(tres.get("gres/tmpdisk"))
    per_node = rec.get("TresPerNode", "")
    # TresPerNode=gres/gpu:1,gres/tmpdisk:10240 (older SLURM: gres:tmpdisk:10240)
    for item in per_node.split(","):
        bits = re.split(r"[:/]", item.strip())
        if len(bits) >= 3 and bits[0] == "gres":
            count = _int(bits[-1])
            if bits[1] == "tmpdisk" and tmpdisk is None:
                tmpdisk = count
            if bits[1] == "gpu" and gpus is None:
                gpus = count
    mem = parse_mem_mib(tres["mem"]) if "mem" in tres else None
    return JobAllocation(
        job_id=rec.get("JobId", ""),
        cpus=_int(tres.get("cpu")) or _int(rec.get("NumCPUs")),
        mem_mib=mem,
        gpus=gpus,
        tmpdisk_mib=tmpdisk,
    )


# ---- the thin runner -------------------------------------------------------------------------

SINFO_ARGS = ("sinfo", "--Node", "--noheader", "--format=%N|%P|%T|%E")
NODES_ARGS = ("scontrol", "show", "node", "--oneliner")
RESERVATIONS_ARGS = ("scontrol", "show", "reservation", "--oneliner")
