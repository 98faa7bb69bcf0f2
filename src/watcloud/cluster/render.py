"""Text rendering (Rich) for the three commands. Colour only on a terminal (Rich decides)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from watcloud.core.timez import local

if TYPE_CHECKING:  # types only: `watcloud status` must not import the quota and daemon code
    from rich.console import Console

    from watcloud.cluster.capacity import Capacity
    from watcloud.cluster.daemon import DaemonReport
    from watcloud.cluster.quota import QuotaRow
    from watcloud.cluster.slurm import Reservation
    from watcloud.cluster.status import MachineStatus, SourceStatus, StatusReport

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


def rendered(draw: Callable[[Console], None]) -> str:
    """What `draw` prints on a Rich console, as text; when piped, without the spaces Rich pads
    table cells with at the ends of lines."""
    from watcloud.core.output import console

    out = console()
    with out.capture() as cap:
        draw(out)
    text = cap.get()
    if out.is_terminal:
        return text
    return "\n".join(line.rstrip() for line in text.split("\n"))


def when(dt: datetime | None) -> str:
    return local(dt).strftime("%Y-%m-%d %H:%M %Z") if dt else "?"


def ago(dt: datetime | None, now: datetime) -> str:
    """How long ago `dt` was, as people say it: "just now", "3 min ago", "2 h 5 min ago",
    "4 days ago"; a time ahead reads "in 3 min"."""
    if dt is None:
        return "?"
    seconds = round((now - dt).total_seconds())
    ahead = seconds < 0
    seconds = abs(seconds)
    if seconds < 60:
        return "just now" if not ahead else "in under a minute"
    minutes = seconds // 60
    if minutes < 60:
        text = f"{minutes} min"
    elif minutes < 48 * 60:
        h, m = divmod(minutes, 60)
        text = f"{h} h {m} min" if m and h < 10 else f"{h} h"
    else:
        text = f"{minutes // 1440} days"
    return f"in {text}" if ahead else f"{text} ago"


def when_ago(dt: datetime | None, now: datetime) -> str:
    """`2026-11-24 12:10 EST (3 min ago)`."""
    return f"{when(dt)} ({ago(dt, now)})" if dt else "?"


def window(r: Reservation) -> str:
    """`2026-11-24 12:00-16:00 EST` within a day, else both ends in full."""
    if r.start and r.end:
        a, b = local(r.start), local(r.end)
        if a.date() == b.date() and a.tzname() == b.tzname():
            return f"{a:%Y-%m-%d %H:%M}-{b:%H:%M %Z}"
    return f"{when(r.start)} to {when(r.end)}"


def outage_label(r: Reservation) -> str:
    """`watcloud outage reserve` names its reservations `outage-<PlantOps notice ID>`."""
    m = re.fullmatch(r"outage-(\d+)(?:-\d+)?", r.name)
    return f" (power outage, PlantOps notice {m.group(1)})" if m and r.maintenance else ""


def machine_details(m: MachineStatus, now: datetime, *, health_known: bool = True) -> str:
    bits: list[str] = []
    if m.maintenance is not None:
        active = m.maintenance.active(now)
        what = "in maintenance" if active else "maintenance scheduled"
        if not active and m.maintenance.start:  # "maintenance in 2 days, 2026-12-06 05:31-..."
            what = f"maintenance {ago(m.maintenance.start, now)},"
        why = f": {m.maintenance.reason}" if m.maintenance.reason else ""
        bits.append(f"{what} {window(m.maintenance)} ({m.maintenance.name}){why}")
    if m.checks:
        up = sum(1 for c in m.checks if c.status in ("up", "grace"))
        badge = " (public badge)" if all(c.badge for c in m.checks) else ""
        bits.append(f"{up}/{len(m.checks)} checks up{badge}")
    for c in m.failing:
        if c.badge:
            continue  # a badge names no check and has no last ping
        bits.append(f"{c.name} {c.status} (last ping {when_ago(c.last_ping, now)})")
    for c in m.checks:
        if c.status not in ("up", "grace", "down"):
            bits.append(f"{c.name} {c.status}")
    if m.slurm is not None and (m.slurm.verdict() != "up" or m.slurm.reason):
        s = f"SLURM {m.slurm.state}"
        if m.slurm.reason:
            s += f": {m.slurm.reason}"
        bits.append(s)
    if not m.checks:
        if not health_known:
            bits.append("health unknown (healthchecks unavailable)")
        else:
            bits.append("no health checks" if m.slurm is not None else "no health data")
    return "; ".join(bits)


def source_line(s: SourceStatus) -> str:
    if s.skipped:
        return f"{s.name}: skipped ({s.error})"
    via = f" (via {s.via})" if s.via else ""
    if s.ok:
        age = f" (cached, {s.age_seconds:.0f} s old)" if s.age_seconds is not None else ""
        return f"{s.name}: ok{via}{age}"
    if s.partial:
        parts = [f"{c} FAILED ({err})" if err else f"{c} ok" for c, err in s.commands]
        return f"{s.name}{via}: partial: " + "; ".join(parts)
    stale = f"; showing cached data {s.age_seconds:.0f} s old" if s.stale else ""
    return f"{s.name}: FAILED: {s.error}{stale}"


def status_text(report: StatusReport, out: Console) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    now = report.generated_at
    counts = {st: 0 for st in STATE_STYLE}
    for m in report.machines:
        counts[m.state] = counts.get(m.state, 0) + 1
    summary = ", ".join(f"{n} {st}" for st, n in counts.items() if n)
    out.print(
        f"WATcloud status at {when(now)}: {len(report.machines)} machines"
        + (f" ({summary})" if summary else ""),
        soft_wrap=True,
    )
    for role, title in ROLE_TITLE.items():
        rows = [m for m in report.machines if m.role == role]
        if not rows:
            continue
        table = Table(
            title=title,
            title_justify="left",
            title_style="bold",
            box=box.SIMPLE_HEAD,
            show_edge=False,
        )
        table.add_column("MACHINE", no_wrap=True)
        table.add_column("STATE", no_wrap=True)
        table.add_column("DETAILS")
        for m in rows:
            table.add_row(
                Text(m.name),
                Text(m.state, style=STATE_STYLE[m.state]),
                Text(machine_details(m, now, health_known=report.health_known)),
            )
        out.print()
        out.print(table)
    if report.upcoming:
        out.print()
        out.print("Upcoming maintenance:")
        for r in report.upcoming:
            nodes = ", ".join(r.nodes) if r.nodes else "(no nodes)"
            why = f": {r.reason}" if r.reason else ""
            soon = f" ({ago(r.start, now)})" if r.start else ""
            label = outage_label(r)
            out.print(Text(f"  {r.name}  {window(r)}{soon}  {nodes}{why}{label}"), soft_wrap=True)
    if not report.machines:
        out.print("No machines known (machine-info unavailable and no health data).")
    out.print()
    for s in report.sources:
        style = "red" if not s.ok and not s.skipped else ("dim" if s.skipped else "")
        out.print(Text("source " + source_line(s), style=style), soft_wrap=True)
    for note in report.notes:
        out.print(Text("note: " + note, style="yellow"), soft_wrap=True)


def quota_value(value: float | None, unit: str) -> str:
    from watcloud.cluster.quota import human_bytes

    if value is None:
        return "unknown"
    if unit == "bytes":
        return human_bytes(value)
    if unit == "cores":
        return f"{value:.2f} cores"
    return f"{value:,.0f}"


def quota_text(rows: Sequence[QuotaRow], notes: Sequence[str], out: Console) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    for col in ("RESOURCE", "USED", "LIMIT", "PERCENT", "SOURCE"):
        right = col in ("USED", "LIMIT", "PERCENT")
        table.add_column(
            col,
            justify="right" if right else "left",
            no_wrap=right,
            overflow="fold" if col == "SOURCE" else "ellipsis",
        )
    for r in rows:
        limit = "none" if r.unlimited else quota_value(r.limit, r.unit)
        pct = r.percent
        style = "" if pct is None else ("red" if pct >= 90 else "yellow" if pct >= 75 else "")
        table.add_row(
            Text(r.resource),
            quota_value(r.used, r.unit),
            limit,
            Text("unknown" if pct is None else f"{pct:.1f}%", style=style),
            Text(r.source),
        )
    out.print(table)
    for note in notes:
        out.print(Text("note: " + note, style="dim"), soft_wrap=True)


def daemon_text(reports: Sequence[DaemonReport], out: Console) -> None:
    from rich.text import Text

    style = {
        "running": "green",
        "not responding": "red",
        "stale socket": "yellow",
        "stopped": "yellow",
        "not installed": "red",
    }
    for r in reports:
        line = Text(f"{r.name}: ")
        line.append(r.state, style=style.get(r.state, ""))
        if r.state == "running":
            line.append(f" (socket {r.socket}" + (f", Docker {r.version}" if r.version else ""))
            line.append(f", via {r.how})" if r.how else ")")
        elif r.state in ("stale socket", "not responding"):
            line.append(f" (socket {r.socket})")
        elif r.socket:
            line.append(f" (expected socket {r.socket})")
        out.print(line, soft_wrap=True)
        for d in r.details:
            out.print(Text(f"  {d}"), soft_wrap=True)
        if r.start_command:
            out.print(Text(f"  start it with: {r.start_command}"), soft_wrap=True)
        elif r.state == "not installed":
            out.print(
                "  not installed here: see https://cloud.watonomous.ca/docs/compute-cluster/"
                "docker for how WATcloud runs Docker rootless",
                soft_wrap=True,
            )


def capacity_text(cap: Capacity, out: Console, *, nodes: bool = False) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from watcloud.cluster.capacity import fmt_mib, summary_lines

    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    for col in ("PARTITION", "NODES", "FREE CPUS", "FREE MEMORY", "FREE GPUS", "PENDING JOBS"):
        table.add_column(col, justify="left" if col == "PARTITION" else "right", no_wrap=True)
    for p in cap.partitions:
        use = p.usable
        table.add_row(
            Text(p.name),
            f"{len(use)}/{len(p.nodes)}",
            str(sum(n.cpus_free for n in use)),
            fmt_mib(sum(n.mem_free_mib for n in use)),
            str(sum(n.gpus_free for n in use)),
            str(p.pending_jobs),
        )
    out.print(table)
    out.print("Can start now:")
    for line in summary_lines(cap):
        out.print(Text("  " + line), soft_wrap=True)
    if nodes:
        detail = Table(box=box.SIMPLE_HEAD, show_edge=False)
        for col in ("NODE", "STATE", "CPUS FREE", "MEMORY FREE", "GPUS FREE", "WHY NOT"):
            detail.add_column(col, no_wrap=col != "WHY NOT")
        for n in cap.nodes:
            detail.add_row(
                Text(n.name),
                Text(n.state),
                f"{n.cpus_free}/{n.cpus_total}",
                f"{fmt_mib(n.mem_free_mib)}/{fmt_mib(n.mem_total_mib)}",
                f"{n.gpus_free}/{n.gpus_total}",
                Text(n.why_not or ""),
            )
        out.print()
        out.print(detail)
    for note in cap.notes:
        out.print(Text("note: " + note, style="yellow"), soft_wrap=True)
