"""`watcloud outage`: watch, check, eval, history fetch. A thin shell over the library."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from watcloud.core.clikit import ConfigOpt, OutputOpt, new_app, show_progress
from watcloud.core.errors import InputError, WatcloudError
from watcloud.core.output import OutputFormat, emit_json, print_table
from watcloud.core.timez import CLUSTER_TZ, now

app = new_app("Power-outage notices for the server room: PlantOps notices in, announcements out.")
history_app = new_app("Build datasets from the live PlantOps site.")
app.add_typer(history_app, name="history")


def _analysis_json(a: Any, ann: Any | None) -> dict[str, Any]:
    return {
        "id": a.notice.id,
        "url": a.notice.url,
        "title": a.notice.title,
        "style": a.notice.style,
        "relevant": a.relevant,
        "status": a.decision.status,
        "buildings": a.decision.buildings,
        "campus_wide": a.decision.campus_wide,
        "windows": [w.iso() for w in a.windows],
        "warnings": a.when.warnings,
        "reasons": [r.__dict__ for r in a.decision.reasons],
        "sections": a.notice.sections,
        "announcement": None if ann is None else {**ann.data(), "markdown": ann.markdown()},
    }


def _read_notice(source: str, posted: str | None, cfg: Any) -> tuple[Any, date, str | None]:
    """A notice from a URL, a file or `-` (stdin): (notice, posted date, url)."""
    from watcloud.outage.parse import (
        looks_like_html,
        notice_id_from_url,
        parse_email,
        parse_html,
        parse_text,
        unreadable,
    )

    url = None
    if source.startswith(("http://", "https://")):
        from watcloud.core.http import make_client, request_with_retries

        with make_client("outage", contact=cfg.web.contact, timeout=cfg.web.timeout) as client:
            try:
                response = request_with_retries(client, "GET", source, attempts=cfg.web.attempts)
            except Exception as exc:
                raise WatcloudError(f"{source}: cannot fetch: {exc}") from None
        if response.status_code != 200:
            raise WatcloudError(f"{source}: HTTP {response.status_code}")
        body, url = response.text, source
    else:
        path = Path(source)
        try:
            body = (
                path.read_bytes().decode("utf-8", "replace") if source != "-" else sys.stdin.read()
            )
        except FileNotFoundError:
            raise InputError(f"{source}: file not found") from None
        except OSError as exc:
            raise InputError(f"{source}: cannot read: {exc.strerror}") from None
    when_posted = _parse_date(posted) if posted else now().astimezone(CLUSTER_TZ).date()
    nid = notice_id_from_url(url) if url else None
    if source.endswith(".eml") or (
        not looks_like_html(body)
        and body.lstrip()
        .lower()
        .startswith(
            (
                "from:",
                "subject:",
                "received:",
                "return-path:",
                "message-id:",
                "date:",
                "mime-version:",
            )
        )
    ):
        notice = parse_email(body.encode("utf-8", "surrogateescape"))
        if posted is None and notice.posted is not None:
            when_posted = notice.posted
    elif looks_like_html(body):
        notice = parse_html(body, id=nid, url=url)
    else:
        notice = parse_text(body, id=nid, url=url)
    if why := unreadable(f"{notice.title}\n{notice.text}"):
        raise InputError(f"{source}: garbled notice: {why}")
    if not notice.title and not notice.sections.get("what"):
        raise InputError(f"{source}: no notice found (no title and no 'What is happening?')")
    return notice, when_posted, url


@app.command()
def check(
    source: Annotated[str, typer.Argument(help="A notice URL, or a file (.html, .txt, .eml).")],
    explain: Annotated[
        bool, typer.Option("--explain", help="Show the reasons, sections and evidence.")
    ] = False,
    posted: Annotated[
        str | None,
        typer.Option(help="Date the notice was posted (YYYY-MM-DD) for missing years [today]."),
    ] = None,
    config: ConfigOpt = None,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """One notice -> decision, reasons, windows, and the announcement it would send."""
    from watcloud.outage import announce
    from watcloud.outage.analysis import analyze
    from watcloud.outage.config import load

    cfg = load(config)
    notice, when_posted, url = _read_notice(source, posted, cfg)
    a = analyze(notice, when_posted, cfg.buildings, campus_wide=cfg.campus_wide)
    ann = None
    impact: dict[str, Any] | None = None
    if a.relevant:
        from watcloud.outage.oncluster import ClusterView, notice_key

        view, key, at = ClusterView(cfg), notice_key(a, f"file:{source}"), now()
        machines, slurm_note = view.announcement_parts(key, a, at)
        impact = view.report(key, a, at)
        status = "cancelled" if a.decision.label_status == "cancelled" else "scheduled"
        ann = announce.build(a, status, machines=machines, slurm_note=slurm_note, url=url)
        for note in view.notes:
            sys.stderr.write(f"note: {note}\n")
    if output == OutputFormat.json:
        emit_json({**_analysis_json(a, ann), "impact": impact})
        return
    out = sys.stdout
    verdict = "RELEVANT" if a.relevant else "not relevant"
    out.write(f"{notice.title}\n  decision: {verdict} (status: {a.decision.status})\n")
    for w in a.windows:
        out.write(f"  window:   {announce.fmt_time(w.start)} -> {announce.fmt_time(w.end)}\n")
    for warning in a.when.warnings:
        out.write(f"  warning:  {warning}\n")
    if explain:
        out.write("  reasons:\n")
        for r in a.decision.reasons:
            ev = f"  <- {r.evidence!r}" if r.evidence else ""
            out.write(f"    [{r.code}] {r.message}{ev}\n")
        out.write("  when evidence:\n")
        for e in a.when.evidence:
            out.write(f"    {e}\n")
        out.write(
            f"  sections found: {', '.join(a.notice.sections) or 'none'} "
            f"(style: {a.notice.style})\n"
        )
    if ann is not None:
        out.write("\n" + ann.markdown())


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"--posted must be YYYY-MM-DD, got {value!r}") from None


@app.command("eval")
def eval_cmd(
    dataset: Annotated[Path, typer.Argument(help="Dataset JSONL (see docs/outage.md).")],
    config: ConfigOpt = None,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Measure false positives/negatives, status and window accuracy on a labelled dataset."""
    from watcloud.outage.config import load
    from watcloud.outage.evaluate import evaluate, load_dataset

    cfg = load(config)
    report = evaluate(load_dataset(dataset), cfg.buildings)
    if output == OutputFormat.json:
        emit_json(report)
        return
    rows = [
        ("notices", report["notices"]),
        ("true positives", report["tp"]),
        ("false positives", report["fp"]),
        ("false negatives", report["fn"]),
        ("true negatives", report["tn"]),
        ("false-positive rate", _pct(report["false_positive_rate"])),
        ("false-negative rate", _pct(report["false_negative_rate"])),
        ("status accuracy", _pct(report["status_accuracy"])),
        ("exact windows", _pct(report["window_exact_rate"])),
        ("windows after own year", len(report["after_own_year"])),
    ]
    print_table(("measure", "value"), rows, title=f"outage eval: {dataset.name}")
    wrong = [r for r in report["results"] if r["correct"] is False]
    for r in wrong:
        sys.stdout.write(f"wrong: {r['id']}: predicted {r['predicted']} label {r['label']}\n")


def _pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v * 100:.1f}%"


@app.command()
def watch(
    once: Annotated[bool, typer.Option("--once", help="One pass (for cron), then exit.")] = False,
    mail: Annotated[
        list[Path] | None,
        typer.Option("--mail", help="Also read notices from these .eml or mbox files."),
    ] = None,
    stdin: Annotated[
        bool, typer.Option("--stdin", help="Read one notice email from standard input.")
    ] = False,
    no_web: Annotated[bool, typer.Option("--no-web", help="Skip the PlantOps web source.")] = False,
    config: ConfigOpt = None,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Poll PlantOps (and the mailbox), announce new, changed and cancelled outages."""
    from watcloud.outage.config import load
    from watcloud.outage.delivery import Delivery
    from watcloud.outage.sources import mail as mailsrc
    from watcloud.outage.sources.plantops import PlantOps
    from watcloud.outage.state import State
    from watcloud.outage.watch import Watcher

    cfg = load(config)
    items, skipped = mailsrc.read_files(list(mail or []))
    if stdin:
        items.append(mailsrc.from_bytes(sys.stdin.buffer.read()))
    state = State(cfg.db_path())
    web = PlantOps(cfg.web, state) if cfg.web.enabled and not no_web else None
    watcher = Watcher(cfg, state, Delivery(cfg), web=web)
    failed = bool(skipped)
    try:
        while True:
            # One bad mail file is skipped with a warning; the rest of the pass goes on.
            report = watcher.run(items, skipped=skipped)
            items, skipped = [], []
            if cfg.imap.enabled:
                _imap_pass(cfg, watcher)
            failed = failed or any(not a["ok"] for a in report.announcements)
            _show(report, output)
            if once:
                break
            time.sleep(cfg.poll_interval)
    finally:
        if web is not None:
            web.close()
        state.close()
    if failed:
        raise typer.Exit(1)


def _imap_pass(cfg: Any, watcher: Any) -> None:
    """Notices from the IMAP folder, counted in the same pass report as the web ones."""
    from watcloud.outage.sources.mail import ImapMailbox, MailError

    try:
        with ImapMailbox(cfg.imap) as box:
            for item in box.unprocessed():
                watcher.process(item.key, "mail", item.notice, item.notice.url)
                box.mark_processed(item.uid)
    except MailError as exc:
        watcher.warn("imap", "mailbox unavailable", str(exc))


def _show(report: Any, output: OutputFormat) -> None:
    if output == OutputFormat.json:
        emit_json(report)
        return
    sys.stdout.write(
        f"fetched {report.fetched} page(s) ({report.not_modified} not modified), "
        f"{report.new_versions} new notice version(s), {report.relevant} relevant, "
        f"{len(report.announcements)} announcement(s) sent\n"
    )
    for a in report.announcements:
        mark = "ok" if a["ok"] else "FAILED"
        sys.stdout.write(f"  {a['kind']:<9} {a['channel']:<7} {mark:<6} {a['subject']}\n")
    for w in report.warnings:
        sys.stdout.write(f"  warning: {w}\n")


@app.command()
def reserve(
    sources: Annotated[
        list[str] | None,
        typer.Argument(help="Notice files or URLs (default: every notice the watcher knows)."),
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Create, update and delete the reservations.")
    ] = False,
    posted: Annotated[
        str | None,
        typer.Option(help="Date the notices were posted (YYYY-MM-DD) for missing years (today)."),
    ] = None,
    notice_id: Annotated[
        str | None,
        typer.Option("--id", help="The PlantOps notice ID of a single file without one."),
    ] = None,
    config: ConfigOpt = None,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """SLURM maintenance reservations for upcoming outages: plan (default) or --apply.

    One reservation per window (flags=MAINT,IGNORE_JOBS) over the affected SLURM nodes, from
    reserve.margin_before_hours before the power goes off to margin_after_hours after it
    returns, named after the notice (outage-<id>). A revised notice updates it, a cancelled one
    deletes it; a second run changes nothing. Exit 1 when an --apply step failed.
    """
    from watcloud.outage.analysis import analyze
    from watcloud.outage.config import load
    from watcloud.outage.oncluster import ClusterView, notice_key, outage_of, outages_from_state
    from watcloud.outage.slurmctl import SlurmError

    cfg = load(config)
    if notice_id is not None and (len(sources or []) != 1 or not notice_id.isdigit()):
        raise InputError("--id takes a number and goes with exactly one notice file")
    if sources:
        outages = []
        for source in sources:
            notice, when_posted, _url = _read_notice(source, posted, cfg)
            a = analyze(notice, when_posted, cfg.buildings, campus_wide=cfg.campus_wide)
            key = f"plantops:{notice_id}" if notice_id else notice_key(a, f"file:{source}")
            outages.append(outage_of(key, a))
    else:
        from watcloud.outage.state import State

        state = State(cfg.db_path())
        try:
            outages = outages_from_state(state.db)
        finally:
            state.close()
    view = ClusterView(cfg)
    try:
        report = view.sync(outages, now=now(), apply=apply)
    except SlurmError as exc:
        raise WatcloudError(f"SLURM: {exc}") from None
    if output == OutputFormat.json:
        emit_json(report.as_json())
    else:
        from watcloud.outage.oncluster import plan_lines

        for line in plan_lines(report):
            sys.stdout.write(line + "\n")
        if report.actions and not apply:
            sys.stdout.write("(plan only: run with --apply to make these changes)\n")
    for note in report.notes:
        sys.stderr.write(f"note: {note}\n")
    if report.failed:
        raise typer.Exit(1)


@history_app.command("fetch")
def history_fetch(
    first_id: Annotated[int, typer.Option("--first-id", help="First notice ID.", min=0)],
    last_id: Annotated[int, typer.Option("--last-id", help="Last notice ID.", min=0)],
    out: Annotated[Path, typer.Option("--out", help="Dataset JSONL to append to.")],
    config: ConfigOpt = None,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Fetch notice pages ID=first..last into a dataset file (polite; resumes where it stopped)."""
    from watcloud.outage.config import load
    from watcloud.outage.crawl import crawl
    from watcloud.outage.sources.plantops import PlantOps
    from watcloud.outage.state import State

    cfg = load(config)
    state = State(out.with_name(out.name + ".http.db"))
    source = PlantOps(cfg.web, state)
    progress: Callable[[int], None] | None = None
    if show_progress():
        total = last_id - first_id + 1

        def _progress(n: int) -> None:
            sys.stderr.write(f"\r{n - first_id + 1}/{total}")

        progress = _progress

    try:
        report = crawl(source, first_id, last_id, out, progress=progress)
    finally:
        source.close()
        state.close()
    if progress:
        sys.stderr.write("\n")
    if output == OutputFormat.json:
        emit_json(report)
    else:
        sys.stdout.write(
            f"{report.written} notice(s) written to {out}, {report.missing} missing, "
            f"{report.skipped_known} already done, {report.errors} error(s) (retried next run)\n"
        )
    if report.errors:  # the same exit code whatever the output format
        raise typer.Exit(1)
