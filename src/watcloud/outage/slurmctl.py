"""The thin SLURM layer for outages: read nodes, jobs and reservations (`scontrol`, `squeue`),
create, update and delete reservations (`scontrol`).

SLURM prints and reads times without a zone, in the client's local zone; every command runs
with `TZ=America/Toronto` (the cluster's zone), so what we write and read means the same
instant whatever the zone of the machine running watcloud. Host lists (`n[1-3]`) are expanded
by SLURM itself (`scontrol show hostnames`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from watcloud.core.slurm import SlurmError as SlurmError  # re-exported: the tool's names
from watcloud.core.slurm import available as available
from watcloud.core.slurm import run
from watcloud.core.timez import CLUSTER_TZ
from watcloud.core.timez import parse_cluster_time as parse_time
from watcloud.outage.impact import Job, SlurmNode
from watcloud.outage.reserve import Action, Reservation

_KEY = re.compile(r"(?:^|\s)([A-Za-z][A-Za-z0-9_/:.]*)=")
JOB_FORMAT = "%i|%P|%T|%S|%e|%N|%u|%j"


class Slurm:
    def __init__(self, timeout: float = 15.0) -> None:
        self.timeout = timeout
        self._hosts: dict[str, tuple[str, ...]] = {}

    def run(self, *args: str) -> str:
        return run(args, self.timeout)

    # ---- reading -------------------------------------------------------------------------

    def hostnames(self, expr: str) -> tuple[str, ...]:
        expr = expr.strip()
        if not expr or expr in ("(null)", "None"):
            return ()
        if "[" not in expr:
            return tuple(h for h in expr.split(",") if h)
        if expr not in self._hosts:
            out = self.run("scontrol", "show", "hostnames", expr)
            self._hosts[expr] = tuple(out.split())
        return self._hosts[expr]

    def nodes(self) -> dict[str, SlurmNode]:
        out = {}
        for rec in records(self.run("scontrol", "show", "node", "--oneliner")):
            name = rec.get("NodeName")
            if not name:
                continue
            cpus = rec.get("CPUTot", "0")
            out[name] = SlurmNode(
                name=name,
                cpus=int(cpus) if cpus.isdigit() else 0,
                partitions=tuple(p for p in rec.get("Partitions", "").split(",") if p),
                state=rec.get("State", ""),
            )
        return out

    def reservations(self, prefix: str) -> list[Reservation]:
        """The reservations whose name starts with `prefix`."""
        out = []
        for rec in records(self.run("scontrol", "show", "reservation", "--oneliner")):
            name = rec.get("ReservationName", "")
            start, end = parse_time(rec.get("StartTime")), parse_time(rec.get("EndTime"))
            if not name.startswith(prefix) or start is None or end is None:
                continue
            flags = frozenset(f for f in rec.get("Flags", "").upper().split(",") if f)
            nodes = tuple(sorted(self.hostnames(rec.get("Nodes", ""))))
            out.append(Reservation(name, start, end, nodes, flags))
        return out

    def jobs(self) -> list[Job]:
        out = []
        text = self.run("squeue", "--all", "--noheader", f"--format={JOB_FORMAT}")
        for line in text.splitlines():
            parts = line.split("|", 7)
            if len(parts) != 8:
                continue
            jid, part, state, start, end, nodes, user, name = (p.strip() for p in parts)
            out.append(
                Job(
                    id=jid,
                    partition=part,
                    state=state,
                    start=parse_time(start),
                    end=parse_time(end),
                    nodes=self.hostnames(nodes),
                    user=user,
                    name=name,
                )
            )
        return out

    # ---- writing -------------------------------------------------------------------------

    def apply(self, action: Action, users: Sequence[str], now: datetime) -> str:
        """Run one planned action; SLURM's answer (one line)."""
        if action.op == "delete":
            out = self.run("scontrol", "delete", f"reservationname={action.name}")
            return out.strip() or f"Reservation {action.name} deleted"
        assert action.want is not None
        w = action.want
        start = "now" if w.start <= now else slurm_time(w.start)
        times = [f"endtime={slurm_time(w.end)}", f"nodes={','.join(w.nodes)}"]
        if action.op == "create":
            out = self.run(
                "scontrol",
                "create",
                "reservation",
                f"reservationname={w.name}",
                f"starttime={start}",
                *times,
                f"flags={','.join(sorted(w.flags))}",
                f"users={','.join(users)}",
            )
        else:
            args = [f"reservationname={w.name}"]
            if action.have is None or w.start > now or action.have.start > now:
                args.append(f"starttime={start}")
            out = self.run("scontrol", "update", *args, *times)
        return out.strip().splitlines()[-1] if out.strip() else "ok"


def records(text: str) -> list[dict[str, str]]:
    """`scontrol show ... --oneliner`: one `Key=value ...` record per line (values may hold
    spaces: a key is a word followed by '=')."""
    out = []
    for line in text.splitlines():
        matches = list(_KEY.finditer(line))
        rec = {}
        for i, m in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
            rec[m.group(1)] = line[m.end() : end].strip()
        if rec:
            out.append(rec)
    return out


def slurm_time(dt: datetime) -> str:
    return dt.astimezone(CLUSTER_TZ).strftime("%Y-%m-%dT%H:%M:%S")
