"""One poll: fetch notices (web and mail), record versions and decisions, announce what is new.

A listing that changed shape, a garbled notice or a source that is down is a warning to the
admins (stderr, and email when `admins` is set; at most once a day per problem), never a crash
and never an announcement; the next good poll continues where this one left off.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from watcloud.core.timez import CLUSTER_TZ, now
from watcloud.outage import announce
from watcloud.outage.analysis import Analysis, analyze
from watcloud.outage.config import OutageConfig
from watcloud.outage.decide import Plan, fingerprint, plan
from watcloud.outage.delivery import Delivery, Sent
from watcloud.outage.oncluster import ClusterView
from watcloud.outage.parse import Notice
from watcloud.outage.sources import Found, Notices, Problem, Source
from watcloud.outage.sources.plantops import PlantOps
from watcloud.outage.state import OutboxItem, State


@dataclass
class PassReport:
    fetched: int = 0
    not_modified: int = 0
    new_versions: int = 0
    relevant: int = 0
    announcements: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class Watcher:
    def __init__(
        self,
        cfg: OutageConfig,
        state: State,
        delivery: Delivery,
        *,
        web: PlantOps | None = None,
        clock: Callable[[], datetime] = now,
    ) -> None:
        self.cfg = cfg
        self.state = state
        self.delivery = delivery
        self.web = web
        self.clock = clock
        self.report = PassReport()
        self.failed_inputs = 0  # inputs of this pass that could not be used (mail files)
        self.cluster = ClusterView(cfg)

    # --- warnings -------------------------------------------------------------------------

    def warn(self, key: str, subject: str, body: str) -> None:
        self.report.warnings.append(f"{subject}: {body}")
        if self.state.should_warn(key, body, at=self.clock()):
            msg_id = (
                "outage-warning-"
                + hashlib.sha256(f"{key}{self.clock():%Y%m%d}".encode()).hexdigest()[:16]
            )
            self.delivery.warn_admins(subject, body, msg_id)
        else:
            sys.stderr.write(f"warning: {subject}: {body} (admins already told today)\n")

    # --- one pass -------------------------------------------------------------------------

    def run(
        self,
        mail: Iterable[tuple[str, Notice]] = (),
        *,
        skipped: Iterable[str] = (),
        sources: Iterable[Source] = (),
    ) -> PassReport:
        """One pass over the web source (`self.web`), then `sources`, then the notices in
        hand (`mail`; `skipped` are mail inputs that could not be used, warned about here)."""
        self.report = PassReport()
        self.failed_inputs = 0
        self.cluster = ClusterView(self.cfg)  # read the cluster afresh each pass
        # First finish what a pass that died left queued (same ids: nothing goes twice).
        self.flush()
        in_hand = Notices(mail, skipped)
        every: list[Source] = [in_hand] if in_hand.problems else []
        every += [self.web] if self.web is not None else []
        every += [*sources, *([in_hand] if in_hand.found else [])]
        for source in every:
            self.poll(source)
        return self.report

    def poll(self, source: Source) -> None:
        """Every notice of one source into this pass's report."""
        for event in source.poll(self.clock()):
            if isinstance(event, Found):
                self.process(event.key, event.source, event.notice, event.url)
            elif isinstance(event, Problem):
                self.failed_inputs += event.failed_input
                self.warn(event.key, event.subject, event.body)
            else:
                self.report.fetched += 1
                self.report.not_modified += not event.changed

    def posted_for(self, key: str, notice: Notice) -> date:
        if notice.posted is not None:
            return notice.posted
        first = self.state.first_seen(key)
        return (first or self.clock()).astimezone(CLUSTER_TZ).date()

    def process(self, key: str, source: str, notice: Notice, url: str | None) -> Analysis:
        at = self.clock()
        posted = self.posted_for(key, notice)
        a = analyze(notice, posted, self.cfg.buildings, campus_wide=self.cfg.campus_wide)
        if self.state.record(key, source, url, notice.title, notice.text, a, at=at):
            self.report.new_versions += 1
        if a.relevant:
            self.report.relevant += 1
            if not a.windows:
                self.warn(
                    f"no-window:{key}",
                    f"relevant notice {key} has no date",
                    f"{url or notice.title}: could not find when it happens; not announced",
                )
                return a
        if self.cfg.reserve.enabled:
            self._reserve(key, a)
        last = self.state.last_announced(key)
        fp = fingerprint(a)
        p = plan(
            a,
            last,
            at=at,
            reminder_hours=self.cfg.reminder_hours,
            reminded=self.state.reminded(key, fp),
        )
        channels = self.delivery.channels()
        if p is None and last is not None and last[1] == fp:
            # A channel that failed last time is retried with the same announcement.
            missing = set(channels) - self.state.sent_channels(key, last[0], fp)
            if missing:
                p = Plan(last[0], fp)
        if p is not None:
            self._announce(key, a, p, url, channels)
        return a

    def _announce(
        self, key: str, a: Analysis, p: Plan, url: str | None, channels: list[str]
    ) -> None:
        status = "scheduled" if p.kind == "reminder" else p.kind
        machines, slurm_note = self.cluster.announcement_parts(key, a, self.clock())
        ann = announce.build(
            a,
            status,
            machines=machines,
            slurm_note=slurm_note,
            url=url,
            reminder=p.kind == "reminder",
        )
        done = self.state.sent_channels(key, p.kind, p.fingerprint)
        if not channels:
            self.warn(
                "no-channels",
                "no delivery channel configured",
                "set email.to or a Discord webhook; announcements are not sent",
            )
            return
        base = f"outage-{key}-{p.kind}-{p.fingerprint}"
        items = [
            item
            for channel in channels
            if channel not in done
            for item in self.delivery.items(
                ann, base, channel, key=key, kind=p.kind, fp=p.fingerprint
            )
        ]
        # Recorded (committed) before anything is handed over: a crash from here on is
        # finished by the next pass, with the same message ids, never built again.
        self.state.queue(items)
        self.flush()

    def flush(self) -> None:
        """Hand over every queued message (this pass's and any a crashed pass left) and record
        each answer as it comes; one report line per notice, kind and channel."""
        items = self.state.queued()
        if not items:
            return
        groups: dict[tuple[str, str, str, str], list[tuple[OutboxItem, Sent]]] = {}

        def done(item: OutboxItem, sent: Sent) -> None:
            groups.setdefault(
                (item.notice_key, item.kind, item.fingerprint, item.channel), []
            ).append((item, sent))
            if sent.final:
                self.state.finish(item, sent.ok, sent.detail)

        self.delivery.deliver(items, done)
        for (key, kind, _fp, channel), answers in groups.items():
            ok = all(s.ok for _, s in answers)
            bad = [f"{i.recipient or channel}: {s.detail}" for i, s in answers if not s.ok]
            n_ok = sum(s.ok for _, s in answers)
            detail = (
                answers[0][1].detail if len(answers) == 1 else f"{n_ok}/{len(answers)} sent"
            ) + (f"; {'; '.join(bad)}" if bad and len(answers) > 1 else "")
            subject = answers[0][0].subject
            self.report.announcements.append(
                {
                    "notice": key,
                    "kind": kind,
                    "channel": channel,
                    "ok": ok,
                    "detail": detail,
                    "subject": subject,
                }
            )
            if not ok:
                again = any(not s.final for _, s in answers)
                self.warn(
                    f"delivery:{channel}",
                    f"{channel} delivery failed",
                    f"{subject}: {detail}" + (" (will retry next poll)" if again else ""),
                )

    def _reserve(self, key: str, a: Analysis) -> None:
        """Keep this notice's SLURM maintenance reservations in step (`reserve.enabled`)."""
        from watcloud.outage.oncluster import outage_of
        from watcloud.outage.slurmctl import SlurmError

        try:
            done = self.cluster.sync([outage_of(key, a)], now=self.clock(), apply=True)
        except SlurmError as exc:
            self.warn("reserve", "SLURM reservations not updated", str(exc))
            return
        if self.cluster.incomplete and a.relevant:
            self.warn("reserve", "SLURM reservations not updated", "; ".join(done.notes))
        for r in done.results:
            if not r["ok"]:
                self.warn(f"reserve:{r['name']}", f"reservation {r['name']} failed", r["detail"])
