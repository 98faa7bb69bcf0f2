"""`watcloud outage`: watch, check, eval, reserve, history fetch.

Each command parses its options, makes one call into the library (`watcloud.outage.api`,
exported from `watcloud.outage`) and renders the result (`watcloud.outage.report`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from watcloud.core.clikit import ConfigOpt, OutputOpt, new_app, progress_bar
from watcloud.core.output import OutputFormat, emit_json, print_table

if TYPE_CHECKING:
    from watcloud.outage.watch import PassReport

app = new_app("Power-outage notices for the server room: PlantOps notices in, announcements out.")
history_app = new_app("Build datasets from the live PlantOps site.")
app.add_typer(history_app, name="history")

PostedOpt = Annotated[
    str | None,
    typer.Option(help="Date the notice(s) were posted (YYYY-MM-DD) for missing years [today]."),
]


@app.command()
def check(
    source: Annotated[str, typer.Argument(help="A notice URL, or a file (.html, .txt, .eml).")],
    explain: Annotated[
        bool, typer.Option("--explain", help="Show the reasons, sections and evidence.")
    ] = False,
    posted: PostedOpt = None,
    config: ConfigOpt = None,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """One notice -> decision, reasons, windows, and the announcement it would send."""
    from watcloud.outage import report
    from watcloud.outage.api import check_notice
    from watcloud.outage.config import load

    result = check_notice(source, load(config), posted=posted)
    for note in result.notes:
        sys.stderr.write(f"note: {note}\n")
    if output == OutputFormat.json:
        emit_json(report.check_json(result))
    else:
        report.check_text(result, sys.stdout, explain=explain)


@app.command("eval")
def eval_cmd(
    dataset: Annotated[Path, typer.Argument(help="Dataset JSONL (see docs/outage.md).")],
    config: ConfigOpt = None,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Measure false positives/negatives, status and window accuracy on a labelled dataset."""
    from watcloud.outage.api import evaluate_dataset
    from watcloud.outage.config import load
    from watcloud.outage.report import eval_rows

    result = evaluate_dataset(dataset, load(config))
    if output == OutputFormat.json:
        emit_json(result)
        return
    print_table(("measure", "value"), eval_rows(result), title=f"outage eval: {dataset.name}")
    for r in result["results"]:
        if r["correct"] is False:
            sys.stdout.write(f"wrong: {r['id']}: predicted {r['predicted']} label {r['label']}\n")


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
    from watcloud.outage import api, report
    from watcloud.outage.config import load

    def show(result: PassReport) -> None:
        if output == OutputFormat.json:
            emit_json(result)
        else:
            report.pass_text(result, sys.stdout)

    piped = sys.stdin.buffer.read() if stdin else None
    ok = api.run_watcher(
        load(config), mail=mail or [], stdin=piped, web=not no_web, once=once, on_pass=show
    )
    if not ok:
        raise typer.Exit(1)


@app.command()
def reserve(
    sources: Annotated[
        list[str] | None,
        typer.Argument(help="Notice files or URLs (default: every notice the watcher knows)."),
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Create, update and delete the reservations.")
    ] = False,
    posted: PostedOpt = None,
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
    from watcloud.outage.api import sync_reservations
    from watcloud.outage.config import load
    from watcloud.outage.oncluster import plan_lines

    cfg = load(config)
    result = sync_reservations(cfg, sources or [], apply=apply, posted=posted, notice_id=notice_id)
    if output == OutputFormat.json:
        emit_json(result.as_json())
    else:
        for line in plan_lines(result):
            sys.stdout.write(line + "\n")
        if result.actions and not apply:
            sys.stdout.write("(plan only: run with --apply to make these changes)\n")
    for note in result.notes:
        sys.stderr.write(f"note: {note}\n")
    if result.failed:
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
    from watcloud.outage.api import fetch_history
    from watcloud.outage.config import load

    with progress_bar("fetching notices", max(0, last_id - first_id + 1)) as bar:
        progress = bar.advance if bar else None
        result = fetch_history(load(config), first_id, last_id, out, progress=progress)
    if output == OutputFormat.json:
        emit_json(result)
    else:
        sys.stdout.write(
            f"{result.written} notice(s) written to {out}, {result.missing} missing, "
            f"{result.skipped_known} already done, {result.errors} error(s) (retried next run)\n"
        )
    if result.errors:  # the same exit code whatever the output format
        raise typer.Exit(1)
