"""`watcloud expiry scan|notify|delete`: a thin shell over the library."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from watcloud.core.clikit import ConfigOpt, OutputOpt, new_app
from watcloud.core.fsutil import atomic_write
from watcloud.core.output import OutputFormat, emit_json, warn

if TYPE_CHECKING:
    from watcloud.expiry.service import WarningsOutcome

app = new_app("Files on scratch nobody used for a long time: scan, warn, delete.")


PathArg = Annotated[Path, typer.Argument(help="Root of the tree to scan (e.g. /scratch).")]
ThresholdOpt = Annotated[
    str | None, typer.Option(help="Age after which an unused entry expires (default: 70d).")
]
TimeFieldOpt = Annotated[
    str | None,
    typer.Option(
        "--time",
        help="Which time is 'last used': newest (of atime, mtime, ctime), atime, mtime, "
        "ctime (default: newest; on a noatime mount the newest of mtime and ctime).",
    ),
]
ExcludeOpt = Annotated[
    list[str] | None, typer.Option(help="Glob never to expire (repeatable; adds to config).")
]
ProtectOpt = Annotated[
    list[str] | None, typer.Option(help="Path never to expire (repeatable; adds to config).")
]
GentleOpt = Annotated[bool, typer.Option(help="Lower CPU (nice 19) and I/O priority (idle class).")]
SaveOpt = Annotated[
    Path | None, typer.Option(help="Also write the JSON report to this file (atomically).")
]
ProcessesOpt = Annotated[
    int | None, typer.Option(help="Worker processes (default: usable CPUs, at most 8).", min=1)
]
ThreadsOpt = Annotated[
    int | None,
    typer.Option(help="Directory-reading threads per process (default: 1).", min=1),
]
ListFilesOpt = Annotated[
    Path | None,
    typer.Option(
        help="Write one line per entry (atime_ns mtime_ns ctime_ns size blocks uid inode "
        "path) to this file, for checking against find.",
    ),
]


def _progress(path: Path) -> Callable[[int, float], None] | None:
    """A one-line progress display on stderr when it is a terminal, else None."""
    from watcloud.core.clikit import show_progress
    from watcloud.expiry.report import printable

    if not show_progress():
        return None
    shown = printable(os.path.abspath(path))

    def progress(pending: int, elapsed: float) -> None:
        sys.stderr.write(f"\rscanning {shown}: {elapsed:.0f} s, {pending:,} directories pending ")
        sys.stderr.flush()

    return progress


@app.command()
def scan(
    path: PathArg,
    threshold: ThresholdOpt = None,
    time_field: TimeFieldOpt = None,
    exclude: ExcludeOpt = None,
    protect: ProtectOpt = None,
    gentle: GentleOpt = False,
    save: SaveOpt = None,
    processes: ProcessesOpt = None,
    threads: ThreadsOpt = None,
    list_files: ListFilesOpt = None,
    output: OutputOpt = OutputFormat.text,
    config: ConfigOpt = None,
) -> None:
    """Scan PATH (metadata only, no atime touched) and report expired files per user."""
    from watcloud.expiry import load_expiry_config, scan_report
    from watcloud.expiry.report import dumps, printable, text_summary

    progress = _progress(path)
    report = scan_report(
        path,
        load_expiry_config(config),
        threshold=threshold,
        time_field=time_field,
        exclude=exclude or (),
        protect=protect or (),
        gentle=gentle,
        processes=processes,
        threads=threads,
        list_files=list_files,
        on_warning=lambda w: warn(printable(w)),
        progress=progress,
    )
    if progress is not None:
        sys.stderr.write("\r\033[K")
    text = dumps(report)
    if save is not None:
        atomic_write(save, text)
    # text_summary escapes what it takes from the disk
    sys.stdout.write(text if output == OutputFormat.json else text_summary(report))


@app.command()
def notify(
    report_path: Annotated[Path, typer.Argument(metavar="REPORT", help="A scan's JSON report.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show who would get which warning; send nothing.")
    ] = False,
    output: OutputOpt = OutputFormat.text,
    config: ConfigOpt = None,
) -> None:
    """Email each user the list of their expired files and the deletion date."""
    from watcloud.expiry import load_expiry_config, send_warnings
    from watcloud.expiry.report import load_report, printable

    cfg = load_expiry_config(config)
    outcome = send_warnings(
        load_report(report_path),
        cfg,
        dry_run=dry_run,
        on_skipped=lambda s: warn(printable(s)),
    )
    if output == OutputFormat.json:
        emit_json(_warnings_json(outcome, dry_run))
    else:
        _print_warnings(outcome)
    if outcome.batch is not None:
        from watcloud.notify import exit_code

        # notify's convention: 2 (raised) relay unusable; 1 a message failed; 0 sent/spooled
        if code := exit_code(outcome.batch):
            raise typer.Exit(code)


def _warnings_json(outcome: WarningsOutcome, dry_run: bool) -> dict[str, Any]:
    return {
        "dry_run": dry_run,
        "messages": [
            row
            | {
                "deletion_date": w.data["deletion_date"],
                "items": len(w.data["items"]),
                "total_bytes": w.data["total_bytes"],
            }
            for row, w in zip(outcome.rows, outcome.warnings, strict=True)
        ],
        "skipped": outcome.skipped,
    }


def _print_warnings(outcome: WarningsOutcome) -> None:
    from watcloud.expiry.report import human_bytes, printable

    if not outcome.warnings:
        skipped = outcome.skipped
        print(
            "No warning to send"
            + (f" ({len(skipped)} users without an address)." if skipped else ".")
        )
    for row, w in zip(outcome.rows, outcome.warnings, strict=True):
        print(
            f"{row['status']:<9} {printable(w.to)}: {len(w.data['items'])} items, "
            f"{human_bytes(w.data['total_bytes'])}, deletion on {w.data['deletion_date']}"
            + (f" ({printable(row['error'])})" if row["error"] else "")
        )


@app.command()
def delete(
    report_path: Annotated[Path, typer.Argument(metavar="REPORT", help="A scan's JSON report.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan only: show what would be removed.")
    ] = False,
    log: Annotated[
        Path | None,
        typer.Option(
            help="Append every removal here (default: deletion_log in the config; one of the "
            "two is required unless --dry-run)."
        ),
    ] = None,
    output: OutputOpt = OutputFormat.text,
    config: ConfigOpt = None,
) -> None:
    """Delete what the report listed and is still expired now (re-checked, no symlink followed)."""
    from watcloud.expiry import delete_report, load_expiry_config
    from watcloud.expiry.report import dumps, human_bytes, load_report, printable

    cfg = load_expiry_config(config)
    outcome = delete_report(load_report(report_path), cfg, dry_run=dry_run, log=log)
    log_path = log or cfg.deletion_log
    if output == OutputFormat.json:
        sys.stdout.write(dumps(outcome.to_json()))
    else:
        verb = "would remove" if dry_run else "removed"
        for r in outcome.removed:
            print(f"{verb:<12} {r.what:<7} {printable(r.path)}")
        for k in outcome.kept:
            print(f"{'kept':<12} {'':<7} {printable(k.path)}: {printable(k.reason)}")
        for k in outcome.errors:
            print(f"{'error':<12} {'':<7} {printable(k.path)}: {printable(k.reason)}")
        print(
            f"{'Plan' if dry_run else 'Done'}: {verb} {len(outcome.removed)} entries "
            f"({human_bytes(outcome.removed_bytes)}), kept {len(outcome.kept)}, "
            f"errors {len(outcome.errors)}" + ("" if dry_run else f"; log: {printable(log_path)}")
        )
    if outcome.errors:
        raise typer.Exit(1)
