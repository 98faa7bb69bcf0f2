"""Text rendering (Rich) for the three commands. Colour only on a terminal (Rich decides)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from watcloud.cluster.slurm import Reservation
from watcloud.cluster.status import MachineStatus, SourceStatus, StatusReport
from watcloud.core.timez import local

if TYPE_CHECKING:
    from rich.console import Console

STATE_STYLE = {
    "up": "green",
    "degraded": "yellow",
    "down": "bold red",
    "maintenance": "magenta",
    "unknown": "dim",
}
ROLE_TITLE = {
    "compute": "Compute nodes",
    "login": "Login nodes",
    "other": "Other machines",
    "unlisted": "Hosts only in health checks",
}


def when(dt: datetime | None) -> str:
    return local(dt).strftime("%Y-%m-%d %H:%M %Z") if dt else "?"


def window(r: Reservation) -> str:
    return f"{when(r.start)} to {when(r.end)}"


def machine_details(m: MachineStatus, now: datetime) -> str:
    bits: list[str] = []
    if m.maintenance is not None:
        what = "in maintenance" if m.maintenance.active(now) else "maintenance scheduled"
        why = f": {m.maintenance.reason}" if m.maintenance.reason else ""
        bits.append(f"{what} {window(m.maintenance)} ({m.maintenance.name}){why}")
    if m.checks:
        up = sum(1 for c in m.checks if c.status in ("up", "grace"))
        bits.append(f"{up}/{len(m.checks)} checks up")
    for c in m.failing:
        bits.append(f"{c.name} {c.status} (last ping {when(c.last_ping)})")
    for c in m.checks:
        if c.status not in ("up", "grace", "down"):
            bits.append(f"{c.name} {c.status}")
    if m.slurm is not None:
        s = f"SLURM {m.slurm.state}"
        if m.slurm.reason:
            s += f": {m.slurm.reason}"
        bits.append(s)
    if not m.checks and m.slurm is None and m.maintenance is None:
        bits.append("no health data")
    return "; ".join(bits)


def source_line(s: SourceStatus) -> str:
    if s.skipped:
        return f"{s.name}: skipped ({s.error})"
    if s.ok:
        age = f" (cached, {s.age_seconds:.0f} s old)" if s.age_seconds is not None else ""
        return f"{s.name}: ok{age}"
    stale = f"; showing cached data {s.age_seconds:.0f} s old" if s.stale else ""
    return f"{s.name}: FAILED: {s.error}{stale}"


def status_text(report: StatusReport, out: Console) -> None:
    from rich.table import Table
    from rich.text import Text

    now = report.generated_at
    counts = {st: 0 for st in STATE_STYLE}
    for m in report.machines:
        counts[m.state] = counts.get(m.state, 0) + 1
    summary = ", ".join(f"{n} {st}" for st, n in counts.items() if n)
    out.print(
        f"WATcloud status at {when(now)}: {len(report.machines)} machines"
        + (f" ({summary})" if summary else "")
    )
    for role, title in ROLE_TITLE.items():
        rows = [m for m in report.machines if m.role == role]
        if not rows:
            continue
        table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
        table.add_column("MACHINE", no_wrap=True)
        table.add_column("STATE", no_wrap=True)
        table.add_column("DETAILS")
        for m in rows:
            table.add_row(
                m.name, Text(m.state, style=STATE_STYLE[m.state]), machine_details(m, now)
            )
        out.print()
        out.print(table)
    if report.upcoming:
        out.print()
        out.print("Upcoming maintenance:")
        for r in report.upcoming:
            nodes = ", ".join(r.nodes) if r.nodes else "(no nodes)"
            why = f": {r.reason}" if r.reason else ""
            out.print(f"  {r.name}  {window(r)}  {nodes}{why}", soft_wrap=True)
    if not report.machines:
        out.print("No machines known (machine-info unavailable and no health data).")
    out.print()
    for s in report.sources:
        style = "red" if not s.ok and not s.skipped else ("dim" if s.skipped else "")
        out.print(Text("source " + source_line(s), style=style), soft_wrap=True)
    for note in report.notes:
        out.print(Text("note: " + note, style="yellow"), soft_wrap=True)
