"""The announcement, in WATcloud's maintenance-announcement shape.

Title, Machines Affected, Start Time ("2025-09-14 07:00 ET"), End Time, Duration, Purpose,
Additional Information (the notice link and what happens to SLURM jobs). Rendered as Markdown,
plain text, a Discord message (embed), and `data` for watcloud.notify's `outage` HTML template.
Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from watcloud.core.timez import CLUSTER_TZ
from watcloud.outage.analysis import Analysis
from watcloud.outage.when import Window, format_duration

STATUS_WORD = {"scheduled": "Scheduled", "updated": "Updated", "cancelled": "Cancelled"}


def fmt_time(dt: datetime) -> str:
    return dt.astimezone(CLUSTER_TZ).strftime("%Y-%m-%d %H:%M ET")


@dataclass
class Announcement:
    status: str  # scheduled | updated | cancelled
    title: str
    machines_affected: list[str]
    windows: list[Window]
    purpose: str
    notice_url: str
    additional_info: str
    reminder: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def start(self) -> str:
        return "; ".join(fmt_time(w.start) for w in self.windows) or "see the notice"

    @property
    def end(self) -> str:
        ends = [
            fmt_time(w.end) if w.end_stated else f"not stated (assume until {fmt_time(w.end)})"
            for w in self.windows
        ]
        return "; ".join(ends) or "see the notice"

    @property
    def duration(self) -> str:
        if not self.windows:
            return "see the notice"
        durs = [format_duration(w.duration) if w.end_stated else "unknown" for w in self.windows]
        if len(set(durs)) == 1 and len(durs) > 1:
            return f"{durs[0]} each ({len(durs)} windows)"
        return "; ".join(durs)

    @property
    def subject(self) -> str:
        prefix = {"scheduled": "", "updated": "[Updated] ", "cancelled": "[Cancelled] "}[
            self.status
        ]
        if self.reminder:
            prefix = "[Reminder] " + prefix
        return f"{prefix}{self.title}"

    def data(self) -> dict[str, Any]:
        """The `outage` template's data keys (watcloud.notify)."""
        return {
            "title": self.subject,
            "status": self.status,
            "machines_affected": list(self.machines_affected),
            "start": self.start,
            "end": self.end,
            "duration": self.duration,
            "purpose": self.purpose,
            "additional_info": self.additional_info,
            "notice_url": self.notice_url,
        }

    def markdown(self) -> str:
        machines = "\n".join(f"  - {m}" for m in self.machines_affected)
        lines = [
            f"## {self.subject}",
            "",
            f"- **Status**: {STATUS_WORD[self.status]}",
            f"- **Machines Affected**:\n{machines}",
            f"- **Start Time**: {self.start}",
            f"- **End Time**: {self.end}",
            f"- **Duration**: {self.duration}",
            f"- **Purpose**: {self.purpose}",
            f"- **Additional Information**: {self.additional_info}",
        ]
        return "\n".join(lines) + "\n"

    def text(self) -> str:
        lines = [
            self.subject,
            "=" * len(self.subject),
            f"Status: {STATUS_WORD[self.status]}",
            "Machines Affected: " + ", ".join(self.machines_affected),
            f"Start Time: {self.start}",
            f"End Time: {self.end}",
            f"Duration: {self.duration}",
            f"Purpose: {self.purpose}",
            f"Additional Information: {self.additional_info}",
        ]
        return "\n".join(lines) + "\n"

    def discord(self) -> dict[str, Any]:
        colour = {"scheduled": 0xF0A020, "updated": 0x3080F0, "cancelled": 0x30A050}[self.status]
        embed: dict[str, Any] = {
            "title": self.subject[:256],
            "color": colour,
            "fields": [
                {"name": "Machines Affected", "value": ", ".join(self.machines_affected)[:1024]},
                {"name": "Start Time", "value": self.start[:1024], "inline": True},
                {"name": "End Time", "value": self.end[:1024], "inline": True},
                {"name": "Duration", "value": self.duration[:1024], "inline": True},
                {"name": "Purpose", "value": self.purpose[:1024]},
                {"name": "Additional Information", "value": self.additional_info[:1024]},
            ],
        }
        if self.notice_url:
            embed["url"] = self.notice_url
        return {
            "content": f"**{STATUS_WORD[self.status]} power outage** in the server room",
            "embeds": [embed],
        }


def purpose_of(a: Analysis) -> str:
    """The notice's reason: a "Reason:" line, else the 'What is happening?' text, else title."""
    text = a.notice.section("what") or a.notice.title
    m = re.search(r"\breason\s*:\s*(.+)", text, re.I)
    if m:
        reason = _sentence(m.group(1))
        return reason[:1].upper() + reason[1:]
    m = re.search(r"\b(?:for|to allow|to)\s+((?:the\s+)?[a-z].{8,}?)(?:\.|$)", text, re.I)
    first = _sentence(text)
    if first and len(first) > 25:
        return first
    if m:
        return _sentence(m.group(1)).capitalize()
    return first or a.notice.title


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    m = re.match(r"(.+?[.!?])(?:\s|$)", text)
    out = m.group(1) if m else text
    return out[:300]


def build(
    a: Analysis,
    status: str,
    *,
    machines: Sequence[str],
    slurm_note: str,
    url: str | None = None,
    reminder: bool = False,
) -> Announcement:
    where = ", ".join(a.decision.buildings) or ("campus-wide" if a.decision.campus_wide else "")
    date_part = ""
    if a.windows:
        date_part = a.windows[0].start.astimezone(CLUSTER_TZ).strftime("%Y-%m-%d")
    title = (
        "Power outage"
        + (f" in {where}" if where else "")
        + (f" on {date_part}" if date_part else "")
    )
    notice_url = url or a.notice.url or ""
    info = []
    if status == "cancelled" and not a.relevant:
        info.append(
            "The revised PlantOps notice no longer cuts power to the server room's "
            "building; the cluster stays up."
        )
    elif status == "cancelled":
        info.append("PlantOps has cancelled or postponed this outage; the cluster stays up.")
    elif status == "updated":
        info.append("PlantOps changed this notice; the times above replace the earlier ones.")
    if notice_url:
        info.append(f"PlantOps notice: {notice_url}.")
    if status != "cancelled":
        info.append(slurm_note)
    for w in a.when.warnings:
        info.append(f"Note: {w}.")
    return Announcement(
        status=status,
        title=title,
        machines_affected=list(machines),
        windows=list(a.windows),
        purpose=purpose_of(a),
        notice_url=notice_url,
        additional_info=" ".join(info),
        reminder=reminder,
        warnings=list(a.when.warnings),
    )
