"""The cluster side of an outage, wired together: the inventory (config, machine-info.json,
SLURM), the announcement's "Machines Affected" and advice, and reservation syncing.

The decisions live in `impact.py` and `reserve.py` (pure); SLURM I/O in `slurmctl.py`. A source
that cannot be read (machine-info missing, SLURM down) is a note, never a crash: the
announcement then falls back to the configured `machines_affected` text.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from watcloud.core.timez import parse_iso
from watcloud.outage import impact as imp
from watcloud.outage import reserve as rsv
from watcloud.outage.analysis import Analysis
from watcloud.outage.config import OutageConfig
from watcloud.outage.slurmctl import Slurm, SlurmError, available


def notice_key(a: Analysis, fallback: str) -> str:
    """`plantops:<id>` when the notice's ID is known (page, URL or a link in an email)."""
    nid = a.notice.id
    if not nid:
        m = re.search(r"notice\.php\?ID=(\d+)", f"{a.notice.url or ''} {a.notice.text}", re.I)
        nid = m.group(1) if m else None
    return f"plantops:{nid}" if nid else fallback


def outage_of(key: str, a: Analysis) -> rsv.Outage:
    return rsv.Outage(
        key=key,
        relevant=a.relevant,
        cancelled=a.decision.label_status == "cancelled",
        buildings=tuple(a.decision.buildings),
        campus_wide=a.decision.campus_wide,
        windows=tuple((w.start, w.end) for w in a.windows),
    )


def outages_from_state(db: Any) -> list[rsv.Outage]:
    """Each known notice's latest decision (the watcher's SQLite state)."""
    rows = db.execute(
        "SELECT v.notice_key AS key, d.relevant, d.status, d.windows, d.buildings, d.reasons "
        "FROM decisions d JOIN versions v ON v.id = d.version_id "
        "WHERE d.id = (SELECT max(d2.id) FROM decisions d2 JOIN versions v2 "
        "ON v2.id = d2.version_id WHERE v2.notice_key = v.notice_key) ORDER BY v.notice_key"
    )
    out = []
    for row in rows:
        windows = tuple(
            (parse_iso(w["start"]), parse_iso(w["end"])) for w in json.loads(row["windows"])
        )
        reasons = json.loads(row["reasons"])
        out.append(
            rsv.Outage(
                key=row["key"],
                relevant=bool(row["relevant"]),
                cancelled=row["status"] in ("cancelled", "postponed"),
                buildings=tuple(json.loads(row["buildings"])),
                campus_wide=any(r.get("code") == "campus-wide" for r in reasons),
                windows=windows,
            )
        )
    return out


def read_machine_info(source: str, timeout: float) -> Any:
    """machine-info.json from a path or an http(s) URL; ValueError with one line on failure."""
    if source.startswith(("http://", "https://")):
        from watcloud.core.http import make_client, request_with_retries

        with make_client("outage", timeout=timeout) as client:
            try:
                response = request_with_retries(client, "GET", source, attempts=2)
            except Exception as exc:
                raise ValueError(f"{source}: cannot fetch: {exc}") from None
        if response.status_code != 200:
            raise ValueError(f"{source}: HTTP {response.status_code}")
        body = response.text
    else:
        try:
            body = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"{source}: cannot read: {exc.strerror}") from None
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{source}: not JSON: {exc}") from None


@dataclass
class ReserveReport:
    actions: list[rsv.Action] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def failed(self) -> bool:
        return any(not r["ok"] for r in self.results)

    def as_json(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "actions": [a.as_json() for a in self.actions],
            "results": self.results,
            "unchanged": self.unchanged,
            "notes": self.notes,
        }


class ClusterView:
    """What this pass knows of the cluster; each source is read at most once."""

    def __init__(self, cfg: OutageConfig, *, slurm: Slurm | None = None) -> None:
        self.cfg = cfg
        self.notes: list[str] = []
        self._slurm = slurm
        self._inventory: imp.Inventory | None = None
        self._jobs: list[imp.Job] | None = None
        self._haves: list[rsv.Reservation] | None = None
        self._broken: SlurmError | None = None  # SLURM failed once: not asked again
        self.incomplete: str | None = None  # why the machine list may be short (reserve waits)

    def _ask(self, what: str, call: Any) -> Any:
        if self._broken is not None:
            raise self._broken
        try:
            return call()
        except SlurmError as exc:
            self._broken = exc
            self.notes.append(f"SLURM {what} unavailable: {exc}")
            raise

    @property
    def slurm(self) -> Slurm | None:
        if self._slurm is None and self.cfg.impact.slurm and available():
            self._slurm = Slurm(self.cfg.impact.slurm_timeout)
        return self._slurm

    def inventory(self) -> imp.Inventory:
        if self._inventory is not None:
            return self._inventory
        info: list[imp.Machine] = []
        if self.cfg.impact.machine_info:
            try:
                payload = read_machine_info(
                    self.cfg.impact.machine_info, self.cfg.impact.slurm_timeout
                )
                info, notes = imp.machines_from_info(payload, self.cfg.buildings)
                self.notes += notes
            except ValueError as exc:
                self.notes.append(f"machine-info unavailable: {exc}")
                self.incomplete = "machine-info unavailable"
        nodes: dict[str, imp.SlurmNode] = {}
        if (slurm := self.slurm) is not None:
            with contextlib.suppress(SlurmError):
                nodes = self._ask("nodes", slurm.nodes)
        self._inventory = imp.build_inventory(
            config_machines=self.cfg.impact.machines,
            roles=self.cfg.impact.roles,
            info_machines=info,
            nodes=nodes,
        )
        return self._inventory

    def jobs(self) -> list[imp.Job]:
        if self._jobs is None:
            self._jobs = []
            if (slurm := self.slurm) is not None:
                with contextlib.suppress(SlurmError):
                    self._jobs = self._ask("jobs", slurm.jobs)
        return self._jobs

    def reservations(self) -> list[rsv.Reservation]:
        """Our reservations (name prefix); SlurmError when SLURM cannot be asked."""
        if self._haves is None:
            slurm = self.slurm
            if slurm is None:
                raise SlurmError("scontrol: command not found (or impact.slurm is off)")
            prefix = self.cfg.reserve.prefix
            self._haves = self._ask("reservations", lambda: slurm.reservations(prefix))
        return self._haves

    # ---- the announcement --------------------------------------------------------------

    def impact(self, outage: rsv.Outage) -> imp.Impact:
        return imp.affected(self.inventory(), outage.buildings, outage.campus_wide)

    def _at_risk(
        self, key: str, a: Analysis, impact: imp.Impact, now: datetime
    ) -> tuple[datetime, datetime | None, list[imp.JobsAtRisk]] | None:
        """(power off, reservation start, jobs at risk) for the next window; None when no
        SLURM node is affected, nothing is upcoming or the notice is cancelled."""
        outage = outage_of(key, a)
        upcoming = sorted((s, e) for s, e in outage.windows if max(s, e) > now)
        if not impact.slurm_nodes or not upcoming or outage.cancelled:
            return None
        off, on = upcoming[0]
        on = on if on > off else off + timedelta(hours=self.cfg.reserve.unknown_end_hours)
        reserved_from = None
        with contextlib.suppress(SlurmError):
            base = rsv.base_name(key, self.cfg.reserve.prefix)
            mine = [r for r in self.reservations() if rsv.owned_by(r.name, base)]
            reserved_from = min((r.start for r in mine), default=None)
        return off, reserved_from, imp.jobs_at_risk(self.jobs(), impact, reserved_from or off, on)

    def announcement_parts(self, key: str, a: Analysis, now: datetime) -> tuple[list[str], str]:
        """("Machines Affected" lines, the SLURM/advice sentence) for this notice."""
        impact = self.impact(outage_of(key, a))
        lines = impact.lines(self.cfg.machines_affected)
        risk = self._at_risk(key, a, impact, now)
        if risk is None:
            return lines, self.cfg.slurm_note
        off, reserved_from, risks = risk
        note = imp.advice(
            impact,
            risks,
            power_off=off,
            reserved_from=reserved_from,
            now=now,
            data_note=self.cfg.impact.data_note,
        )
        return lines, note

    def report(self, key: str, a: Analysis, now: datetime) -> dict[str, Any]:
        """`check -o json`'s impact object."""
        impact = self.impact(outage_of(key, a))
        out = impact.as_json()
        risk = self._at_risk(key, a, impact, now)
        if risk is not None:
            out["jobs"] = [r.as_json() for r in risk[2]]
        out["notes"] = list(self.notes)
        return out

    # ---- reservations ------------------------------------------------------------------

    def sync(self, outages: Iterable[rsv.Outage], *, now: datetime, apply: bool) -> ReserveReport:
        """Plan (and with `apply`, run) the reservations for these notices."""
        cfg = self.cfg.reserve
        report = ReserveReport(applied=apply)
        outages = list(outages)
        self.inventory()
        if self.incomplete is not None:
            # a short machine list would shrink or delete reservations that are right
            held = [o for o in outages if o.relevant and not o.cancelled]
            for o in held:
                report.notes.append(f"{o.key}: {self.incomplete}; its reservations are kept as is")
            outages = [o for o in outages if o not in held]
        wants: list[rsv.Reservation] = []
        for o in outages:
            nodes = self.impact(o).slurm_nodes if o.relevant and not o.cancelled else []
            if o.relevant and not o.cancelled and not nodes:
                report.notes.append(f"{o.key}: no SLURM node is affected; nothing to reserve")
            wants += rsv.wanted(
                o,
                nodes,
                now=now,
                margin_before=timedelta(hours=cfg.margin_before_hours),
                margin_after=timedelta(hours=cfg.margin_after_hours),
                unknown_end=timedelta(hours=cfg.unknown_end_hours),
                prefix=cfg.prefix,
            )
        haves = self.reservations()
        keys = [o.key for o in outages]
        report.actions = rsv.plan(wants, haves, keys, now=now, prefix=cfg.prefix)
        changing = {a.name for a in report.actions}
        report.unchanged = sorted(w.name for w in wants if w.name not in changing)
        report.notes = self.notes + report.notes
        if apply and report.actions:
            assert self.slurm is not None
            for action in report.actions:
                try:
                    detail = self.slurm.apply(action, cfg.users, now)
                    report.results.append(
                        {"name": action.name, "op": action.op, "ok": True, "detail": detail}
                    )
                except SlurmError as exc:
                    report.results.append(
                        {"name": action.name, "op": action.op, "ok": False, "detail": str(exc)}
                    )
            self._haves = None  # read again next time
        return report


def plan_lines(report: ReserveReport) -> list[str]:
    """The plan (and results) as text, one line per reservation."""
    lines = []
    done = {r["name"]: r for r in report.results}
    for a in report.actions:
        r = a.want or a.have
        assert r is not None
        span = f"{imp.fmt(r.start)} -> {imp.fmt(r.end)}  nodes {','.join(r.nodes)}"
        line = f"{a.op:<6} {a.name}  {span}  ({a.why})"
        if a.name in done:
            res = done[a.name]
            line += f"  {'ok' if res['ok'] else 'FAILED'}: {res['detail']}"
        lines.append(line)
    for name in report.unchanged:
        lines.append(f"ok     {name}  (up to date)")
    if not report.actions:
        lines.append("nothing to change")
    return lines
