"""`watcloud expiry scan|notify|delete`: a thin shell over the library."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from watcloud.core.clikit import ConfigOpt, OutputOpt, new_app
from watcloud.core.errors import ConfigError, InputError
from watcloud.core.fsutil import atomic_write
from watcloud.core.output import OutputFormat, emit_json, warn
from watcloud.core.paths import default_config_path

if TYPE_CHECKING:
    from watcloud.expiry.config import ExpiryConfig

app = new_app("Files on scratch nobody used for a long time: scan, warn, delete.")


def _config(path: Path | None) -> ExpiryConfig:
    # pydantic and YAML load here, not at import: `watcloud expiry --help` stays light.
    from watcloud.core.config import load_config
    from watcloud.expiry.config import ExpiryConfig

    return load_config(ExpiryConfig, path, default_path=default_config_path("expiry"))


def _default_processes() -> int:
    """The CPUs this process may run on (not the host's count, in a container), at most 8."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return max(1, min(8, n))


@app.command()
def scan(
    path: Annotated[Path, typer.Argument(help="Root of the tree to scan (e.g. /scratch).")],
    threshold: Annotated[
        str | None, typer.Option(help="Age after which an unused entry expires (default: 70d).")
    ] = None,
    time_field: Annotated[
        str | None,
        typer.Option(
            "--time",
            help="Which time is 'last used': newest (of atime, mtime, ctime), atime, mtime, "
            "ctime (default: newest; on a noatime mount the newest of mtime and ctime).",
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Glob never to expire (repeatable; adds to config).")
    ] = None,
    protect: Annotated[
        list[str] | None, typer.Option(help="Path never to expire (repeatable; adds to config).")
    ] = None,
    gentle: Annotated[
        bool, typer.Option(help="Lower CPU (nice 19) and I/O priority (idle class).")
    ] = False,
    save: Annotated[
        Path | None, typer.Option(help="Also write the JSON report to this file (atomically).")
    ] = None,
    processes: Annotated[
        int | None, typer.Option(help="Worker processes (default: usable CPUs, at most 8).", min=1)
    ] = None,
    threads: Annotated[
        int | None,
        typer.Option(help="Directory-reading threads per process (default: 1).", min=1),
    ] = None,
    list_files: Annotated[
        Path | None,
        typer.Option(
            help="Write one line per entry (atime_ns mtime_ns ctime_ns size blocks uid inode "
            "path) to this file, for checking against find.",
        ),
    ] = None,
    output: OutputOpt = OutputFormat.text,
    config: ConfigOpt = None,
) -> None:
    """Scan PATH (metadata only, no atime touched) and report expired files per user."""
    from watcloud.expiry.mountinfo import (
        atime_semantics,
        effective_time_field,
        find_mount,
        parse_mountinfo,
    )
    from watcloud.expiry.policy import Policy, parse_duration
    from watcloud.expiry.report import build_report, dumps, text_summary
    from watcloud.expiry.scan import scan as run_scan

    cfg = _config(config)
    warnings: list[str] = []
    if gentle:
        from watcloud.expiry.gentle import be_gentle

        warnings += be_gentle()
    try:
        threshold_s = parse_duration(threshold or cfg.threshold)
    except ValueError as exc:
        raise InputError(f"--threshold: {exc}") from None
    requested = time_field or cfg.time
    root = os.path.abspath(path)
    try:
        st = os.lstat(root)
    except OSError as exc:
        raise InputError(f"{root}: cannot scan: {exc.strerror}") from None
    import stat as stat_mod

    if not stat_mod.S_ISDIR(st.st_mode):
        raise InputError(f"{root}: not a directory (a symlink is not followed)")
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as fh:
            mounts = parse_mountinfo(fh.read())
    except OSError:
        mounts = []
        warnings.append("cannot read /proc/self/mountinfo: atime semantics unknown")
    mount = find_mount(mounts, os.path.realpath(root), (os.major(st.st_dev), os.minor(st.st_dev)))
    info = atime_semantics(mount.all_options if mount else ())
    try:
        effective, time_warnings = effective_time_field(requested, info)
    except ValueError as exc:
        raise InputError(f"--time: {exc}") from None
    warnings += time_warnings
    started = time.time()
    try:
        policy = Policy.make(
            root=root,
            threshold_seconds=threshold_s,
            now=started,
            time_field=effective,
            exclude=[*cfg.exclude, *(exclude or [])],
            protected=[*cfg.protected, *(protect or [])],
        )
    except ValueError as exc:
        raise ConfigError(f"protected: {exc}") from None
    from watcloud.expiry.report import printable

    for w in warnings:
        warn(printable(w))
    from watcloud.core.clikit import show_progress

    def progress(pending: int, elapsed: float) -> None:
        sys.stderr.write(
            f"\rscanning {printable(root)}: {elapsed:.0f} s, {pending:,} directories pending "
        )
        sys.stderr.flush()

    interactive = show_progress()
    try:
        result = run_scan(
            root,
            policy,
            processes=processes or cfg.processes or _default_processes(),
            threads=threads or cfg.threads,
            oldest_n=cfg.oldest_files_per_user,
            listing_path=str(list_files) if list_files else None,
            progress=progress if interactive else None,
        )
    except RuntimeError as exc:  # a worker failed: say so on one line, exit 1
        sys.stderr.write(f"watcloud expiry: error: {printable(exc)}\n")
        raise typer.Exit(1) from None
    except OSError as exc:  # the root itself, or the --list-files file
        raise InputError(f"{exc.filename or root}: {exc.strerror}") from None
    if interactive:
        sys.stderr.write("\r\033[K")
    report = build_report(
        result,
        policy,
        started=started,
        finished=time.time(),
        mount=mount,
        atime=info,
        requested_time=requested,
        warnings=warnings,
    )
    text = dumps(report)
    if save is not None:
        atomic_write(save, text)
    if output == OutputFormat.json:
        sys.stdout.write(text)
    else:
        sys.stdout.write(text_summary(report))  # escapes what it takes from the disk


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
    from watcloud.expiry.report import human_bytes, load_report, printable
    from watcloud.expiry.warn import plan_warnings

    cfg = _config(config)
    report = load_report(report_path)
    plan = plan_warnings(
        report,
        grace_days=cfg.grace_days,
        email_domain=cfg.email_domain,
        overrides=cfg.email_overrides,
        max_items=cfg.notify_max_items,
    )
    for s in plan.skipped:
        warn(printable(s))
    results: list[dict[str, Any]] = []
    batch = None
    if not dry_run and plan.warnings:
        from watcloud.notify import deliver, load_smtp_settings, render

        settings = load_smtp_settings(cfg.smtp_config)
        messages = [
            render("expiry-warning", w.data).to_message(w.to, id=w.id) for w in plan.warnings
        ]
        batch = deliver(messages, settings, tool="expiry")  # spool: <state>/expiry-outbox.sqlite
        for w, res in zip(plan.warnings, batch.results, strict=True):
            results.append({"user": w.user, "to": w.to, "status": res.status, "error": res.error})
    else:
        results = [
            {"user": w.user, "to": w.to, "status": "planned", "error": None} for w in plan.warnings
        ]
    if output == OutputFormat.json:
        emit_json(
            {
                "dry_run": dry_run,
                "messages": [
                    row
                    | {
                        "deletion_date": w.data["deletion_date"],
                        "items": len(w.data["items"]),
                        "total_bytes": w.data["total_bytes"],
                    }
                    for row, w in zip(results, plan.warnings, strict=True)
                ],
                "skipped": plan.skipped,
            }
        )
    else:
        if not plan.warnings:
            print(
                "No warning to send"
                + (f" ({len(plan.skipped)} users without an address)." if plan.skipped else ".")
            )
        for row, w in zip(results, plan.warnings, strict=True):
            print(
                f"{row['status']:<9} {printable(w.to)}: {len(w.data['items'])} items, "
                f"{human_bytes(w.data['total_bytes'])}, deletion on {w.data['deletion_date']}"
                + (f" ({printable(row['error'])})" if row["error"] else "")
            )
    if batch is not None:
        from watcloud.notify import exit_code

        # notify's convention: 2 (raised) relay unusable; 1 a message failed; 0 sent/spooled
        if code := exit_code(batch):
            raise typer.Exit(code)


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
    from watcloud.expiry.delete import delete as run_delete
    from watcloud.expiry.report import dumps, human_bytes, load_report, printable

    cfg = _config(config)
    report = load_report(report_path)
    log_path = log or cfg.deletion_log
    if log_path is None and not dry_run:
        # no quiet default: run as root from a shell, a default under the invoking user's state
        # directory would put the record of what was deleted where nobody looks for it
        raise ConfigError(
            "no deletion log: set deletion_log in the expiry config or give --log FILE "
            "(nothing was deleted)"
        )
    outcome = run_delete(report, dry_run=dry_run, log_path=log_path)
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
