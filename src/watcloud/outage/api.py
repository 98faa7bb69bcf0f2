"""The outage library: what each `watcloud outage` command does, callable without the CLI.

    from watcloud.outage import OutageConfig, check_notice
    result = check_notice("notice.txt", OutageConfig(), posted=date(2026, 3, 1))
    result.relevant, result.analysis.windows, result.announcement

Every function takes an `OutageConfig` (load one with `watcloud.outage.config.load(path)`)
and raises `WatcloudError` (one line) on input it cannot use. Rendering lives in `report.py`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watcloud.core.errors import InputError, WatcloudError
from watcloud.core.timez import CLUSTER_TZ, now
from watcloud.outage.config import OutageConfig

if TYPE_CHECKING:
    from watcloud.outage.analysis import Analysis
    from watcloud.outage.announce import Announcement
    from watcloud.outage.crawl import CrawlReport
    from watcloud.outage.oncluster import ReserveReport
    from watcloud.outage.parse import Notice
    from watcloud.outage.sources import Source
    from watcloud.outage.state import State
    from watcloud.outage.watch import PassReport

_MAIL_HEADERS = (
    "from:",
    "subject:",
    "received:",
    "return-path:",
    "message-id:",
    "date:",
    "mime-version:",
)


def parse_posted(value: str) -> date:
    """`--posted` (YYYY-MM-DD) as a date; InputError otherwise."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"--posted must be YYYY-MM-DD, got {value!r}") from None


def _fetch(url: str, cfg: OutageConfig) -> str:
    from watcloud.core.http import make_client, request_with_retries

    with make_client("outage", contact=cfg.web.contact, timeout=cfg.web.timeout) as client:
        try:
            response = request_with_retries(client, "GET", url, attempts=cfg.web.attempts)
        except Exception as exc:
            raise WatcloudError(f"{url}: cannot fetch: {exc}") from None
    if response.status_code != 200:
        raise WatcloudError(f"{url}: HTTP {response.status_code}")
    return response.text


def _read_body(source: str) -> str:
    try:
        if source == "-":
            return sys.stdin.read()
        return Path(source).read_bytes().decode("utf-8", "replace")
    except FileNotFoundError:
        raise InputError(f"{source}: file not found") from None
    except OSError as exc:
        raise InputError(f"{source}: cannot read: {exc.strerror}") from None


def read_notice(
    source: str, cfg: OutageConfig | None = None, *, posted: str | date | None = None
) -> tuple[Notice, date, str | None]:
    """A notice from a URL, a file (.html, .txt, .eml) or `-` (stdin).

    Returns (notice, the date it was posted, its URL). `posted` (for dates without a year)
    defaults to the email's Date header, else today."""
    from watcloud.outage.parse import (
        looks_like_html,
        notice_id_from_url,
        parse_email,
        parse_html,
        parse_text,
        unreadable,
    )

    cfg = cfg or OutageConfig()
    url = source if source.startswith(("http://", "https://")) else None
    body = _fetch(source, cfg) if url else _read_body(source)
    if isinstance(posted, str):
        posted = parse_posted(posted)
    when_posted = posted or now().astimezone(CLUSTER_TZ).date()
    nid = notice_id_from_url(url) if url else None
    html = looks_like_html(body)
    if source.endswith(".eml") or (not html and body.lstrip().lower().startswith(_MAIL_HEADERS)):
        notice = parse_email(body.encode("utf-8", "surrogateescape"))
        if posted is None and notice.posted is not None:
            when_posted = notice.posted
    elif html:
        notice = parse_html(body, id=nid, url=url)
    else:
        notice = parse_text(body, id=nid, url=url)
    if why := unreadable(f"{notice.title}\n{notice.text}"):
        raise InputError(f"{source}: garbled notice: {why}")
    if not notice.title and not notice.sections.get("what"):
        raise InputError(f"{source}: no notice found (no title and no 'What is happening?')")
    return notice, when_posted, url


@dataclass
class CheckResult:
    """One notice, analysed: decision, windows, cluster impact and the announcement."""

    analysis: Analysis
    url: str | None
    announcement: Announcement | None = None
    impact: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def relevant(self) -> bool:
        return self.analysis.relevant


def check_notice(
    source: str, cfg: OutageConfig | None = None, *, posted: str | date | None = None
) -> CheckResult:
    """`outage check`: one notice -> decision, reasons, windows, impact and announcement."""
    from watcloud.outage import announce
    from watcloud.outage.analysis import analyze

    cfg = cfg or OutageConfig()
    notice, when_posted, url = read_notice(source, cfg, posted=posted)
    a = analyze(notice, when_posted, cfg.buildings, campus_wide=cfg.campus_wide)
    result = CheckResult(a, url)
    if a.relevant:
        from watcloud.outage.oncluster import ClusterView, notice_key

        view, key, at = ClusterView(cfg), notice_key(a, f"file:{source}"), now()
        machines, slurm_note = view.announcement_parts(key, a, at)
        result.impact = view.report(key, a, at)
        status = "cancelled" if a.decision.label_status == "cancelled" else "scheduled"
        result.announcement = announce.build(
            a, status, machines=machines, slurm_note=slurm_note, url=url
        )
        result.notes = list(view.notes)
    return result


def evaluate_dataset(dataset: Path, cfg: OutageConfig | None = None) -> dict[str, Any]:
    """`outage eval`: false positives/negatives, status and window accuracy on a dataset."""
    from watcloud.outage.evaluate import evaluate, load_dataset

    return evaluate(load_dataset(dataset), (cfg or OutageConfig()).buildings)


def sources_for(
    cfg: OutageConfig,
    state: State,
    *,
    mail: Sequence[Path] = (),
    stdin: bytes | None = None,
    web: bool = True,
) -> list[Source]:
    """The sources one watcher polls: the web (`web.enabled`), mail files, a piped message,
    and the IMAP folder (`imap.enabled`)."""
    from watcloud.outage.sources import mail as mailsrc
    from watcloud.outage.sources.plantops import PlantOps

    sources: list[Source] = []
    if web and cfg.web.enabled:
        sources.append(PlantOps(cfg.web, state))
    if mail:
        sources.append(mailsrc.files(list(mail)))
    if stdin is not None:
        sources.append(mailsrc.stdin(stdin))
    if cfg.imap.enabled:
        sources.append(mailsrc.ImapFolder(cfg.imap))
    return sources


def run_watcher(
    cfg: OutageConfig,
    *,
    mail: Sequence[Path] = (),
    stdin: bytes | None = None,
    web: bool = True,
    once: bool = True,
    on_pass: Callable[[PassReport], None] | None = None,
) -> bool:
    """`outage watch`: poll every source, announce what is new; forever unless `once`.

    `on_pass` gets each pass's report. True when every announcement of every pass went out
    and no mail file was skipped."""
    from watcloud.outage.delivery import Delivery
    from watcloud.outage.state import State
    from watcloud.outage.watch import Watcher

    state = State(cfg.db_path())
    sources = sources_for(cfg, state, mail=mail, stdin=stdin, web=web)
    watcher = Watcher(cfg, state, Delivery(cfg))
    ok = True
    try:
        while True:
            report = watcher.run(sources=sources)
            ok = ok and all(a["ok"] for a in report.announcements)
            ok = ok and not watcher.failed_inputs
            if on_pass is not None:
                on_pass(report)
            if once:
                return ok
            time.sleep(cfg.poll_interval)
    finally:
        for source in sources:
            close = getattr(source, "close", None)
            if close is not None:
                close()
        state.close()


def watch_once(cfg: OutageConfig, **sources: Any) -> PassReport:
    """One `run_watcher` pass (for cron or other automation): its report."""
    reports: list[PassReport] = []
    run_watcher(cfg, once=True, on_pass=reports.append, **sources)
    return reports[0]


def sync_reservations(
    cfg: OutageConfig,
    sources: Iterable[str] = (),
    *,
    apply: bool = False,
    posted: str | date | None = None,
    notice_id: str | None = None,
) -> ReserveReport:
    """`outage reserve`: the SLURM maintenance reservations for upcoming outages, planned
    (default) or made (`apply`), for these notice files/URLs or every notice the watcher
    knows. `notice_id` is the PlantOps ID of a single file without one."""
    from watcloud.outage.analysis import analyze
    from watcloud.outage.oncluster import ClusterView, notice_key, outage_of, outages_from_state
    from watcloud.outage.slurmctl import SlurmError

    sources = list(sources)
    if notice_id is not None and (len(sources) != 1 or not notice_id.isdigit()):
        raise InputError("--id takes a number and goes with exactly one notice file")
    outages = []
    for source in sources:
        notice, when_posted, _url = read_notice(source, cfg, posted=posted)
        a = analyze(notice, when_posted, cfg.buildings, campus_wide=cfg.campus_wide)
        key = f"plantops:{notice_id}" if notice_id else notice_key(a, f"file:{source}")
        outages.append(outage_of(key, a))
    if not sources:
        from watcloud.outage.state import State

        state = State(cfg.db_path())
        try:
            outages = outages_from_state(state.db)
        finally:
            state.close()
    try:
        return ClusterView(cfg).sync(outages, now=now(), apply=apply)
    except SlurmError as exc:
        raise WatcloudError(f"SLURM: {exc}") from None


def fetch_history(
    cfg: OutageConfig,
    first_id: int,
    last_id: int,
    out: Path,
    *,
    progress: Callable[[int], None] | None = None,
) -> CrawlReport:
    """`outage history fetch`: notice pages first..last into a dataset file (resumable)."""
    from watcloud.outage.crawl import crawl
    from watcloud.outage.sources.plantops import PlantOps
    from watcloud.outage.state import State

    state = State(out.with_name(out.name + ".http.db"))
    source = PlantOps(cfg.web, state)
    try:
        return crawl(source, first_id, last_id, out, progress=progress)
    finally:
        source.close()
        state.close()
