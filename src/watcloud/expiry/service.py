"""The library calls behind `watcloud expiry scan|notify|delete`, importable without the CLI.

    from watcloud.expiry import ExpiryConfig, scan_report, send_warnings, delete_report

Each takes the parsed options and an `ExpiryConfig` and returns data; rendering is the
caller's. Errors are `WatcloudError`s (one line; exit 2, or 1 when a scan worker failed).
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watcloud.core.errors import ConfigError, InputError, WatcloudError

if TYPE_CHECKING:
    from watcloud.expiry.config import ExpiryConfig
    from watcloud.expiry.delete import Outcome as DeleteOutcome
    from watcloud.expiry.warn import WarningMail
    from watcloud.notify.smtp import BatchReport


class ScanFailed(WatcloudError):
    """A scan worker failed: the scan ran but cannot give a complete report (exit 1)."""

    exit_code = 1


def load_expiry_config(path: Path | None = None) -> ExpiryConfig:
    """The expiry config from `path`, else ~/.config/watcloud/expiry.yaml, else the defaults."""
    # pydantic and YAML load here, not at import: `watcloud expiry --help` stays light.
    from watcloud.core.config import load_config
    from watcloud.core.paths import default_config_path
    from watcloud.expiry.config import ExpiryConfig

    return load_config(ExpiryConfig, path, default_path=default_config_path("expiry"))


def default_processes() -> int:
    """The CPUs this process may run on (not the host's count, in a container), at most 8."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    return max(1, min(8, n))


def _mount_of(root: str, st: os.stat_result, warnings: list[str]) -> Any:
    from watcloud.expiry.mountinfo import find_mount, parse_mountinfo

    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="surrogateescape") as fh:
            mounts = parse_mountinfo(fh.read())
    except OSError:
        mounts = []
        warnings.append("cannot read /proc/self/mountinfo: atime semantics unknown")
    return find_mount(mounts, os.path.realpath(root), (os.major(st.st_dev), os.minor(st.st_dev)))


def _scan_root(path: Path | str) -> tuple[str, os.stat_result]:
    root = os.path.abspath(path)
    try:
        st = os.lstat(root)
    except OSError as exc:
        raise InputError(f"{root}: cannot scan: {exc.strerror}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise InputError(f"{root}: not a directory (a symlink is not followed)")
    return root, st


def scan_report(
    path: Path | str,
    cfg: ExpiryConfig | None = None,
    *,
    threshold: str | None = None,
    time_field: str | None = None,
    exclude: Sequence[str] = (),
    protect: Sequence[str] = (),
    gentle: bool = False,
    processes: int | None = None,
    threads: int | None = None,
    list_files: Path | None = None,
    on_warning: Callable[[str], None] | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> dict[str, Any]:
    """Scan `path` (metadata only, no atime touched) and return the report (`report.dumps`
    writes it as JSON, `report.text_summary` as text). Options left None come from `cfg`
    (default: `ExpiryConfig()`); `exclude`/`protect` add to the config's. `on_warning` gets
    each warning (mount semantics, gentle mode) before the scan starts."""
    from watcloud.expiry.config import ExpiryConfig
    from watcloud.expiry.mountinfo import atime_semantics, effective_time_field
    from watcloud.expiry.policy import Policy, parse_duration
    from watcloud.expiry.report import build_report
    from watcloud.expiry.scan import scan as run_scan

    cfg = cfg if cfg is not None else ExpiryConfig()
    warnings: list[str] = []
    if gentle:
        from watcloud.expiry.gentle import be_gentle

        warnings += be_gentle()
    try:
        threshold_s = parse_duration(threshold or cfg.threshold)
    except ValueError as exc:
        raise InputError(f"--threshold: {exc}") from None
    requested = time_field or cfg.time
    root, st = _scan_root(path)
    mount = _mount_of(root, st, warnings)
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
            exclude=[*cfg.exclude, *exclude],
            protected=[*cfg.protected, *protect],
        )
    except ValueError as exc:
        raise ConfigError(f"protected: {exc}") from None
    for w in warnings:
        if on_warning is not None:
            on_warning(w)
    from watcloud.expiry.report import printable

    try:
        result = run_scan(
            root,
            policy,
            processes=processes or cfg.processes or default_processes(),
            threads=threads or cfg.threads,
            oldest_n=cfg.oldest_files_per_user,
            listing_path=str(list_files) if list_files else None,
            progress=progress,
        )
    except RuntimeError as exc:  # a worker failed: one line, exit 1
        raise ScanFailed(printable(exc)) from None
    except OSError as exc:  # the root itself, or the --list-files file
        raise InputError(f"{exc.filename or root}: {exc.strerror}") from None
    return build_report(
        result,
        policy,
        started=started,
        finished=time.time(),
        mount=mount,
        atime=info,
        requested_time=requested,
        warnings=warnings,
    )


@dataclass
class WarningsOutcome:
    """What `send_warnings` did: one row per planned warning (user, to, status, error), the
    users skipped (no address), and the delivery report (None on a dry run or nothing to send)."""

    warnings: list[WarningMail]
    rows: list[dict[str, Any]]
    skipped: list[str] = field(default_factory=list)
    batch: BatchReport | None = None


def send_warnings(
    report: dict[str, Any],
    cfg: ExpiryConfig | None = None,
    *,
    dry_run: bool = False,
    on_skipped: Callable[[str], None] | None = None,
) -> WarningsOutcome:
    """Email each user of a scan report the list of their expired files and the deletion date,
    through notify's outbox (spool: <state>/expiry-outbox.sqlite); `dry_run` sends nothing.
    `watcloud.notify.exit_code(outcome.batch)` gives notify's exit convention. `on_skipped`
    gets each user left out (no address) before anything is sent."""
    from watcloud.expiry.config import ExpiryConfig
    from watcloud.expiry.warn import plan_warnings

    cfg = cfg if cfg is not None else ExpiryConfig()
    plan = plan_warnings(
        report,
        grace_days=cfg.grace_days,
        email_domain=cfg.email_domain,
        overrides=cfg.email_overrides,
        max_items=cfg.notify_max_items,
    )
    outcome = WarningsOutcome(plan.warnings, [], list(plan.skipped))
    for skipped in plan.skipped:
        if on_skipped is not None:
            on_skipped(skipped)
    if dry_run or not plan.warnings:
        outcome.rows = [
            {"user": w.user, "to": w.to, "status": "planned", "error": None} for w in plan.warnings
        ]
        return outcome
    from watcloud.notify import deliver, load_notify_config, render

    settings = load_notify_config(cfg.smtp_config)
    messages = [render("expiry-warning", w.data).to_message(w.to, id=w.id) for w in plan.warnings]
    outcome.batch = deliver(messages, settings, tool="expiry")
    for w, res in zip(plan.warnings, outcome.batch.results, strict=True):
        outcome.rows.append({"user": w.user, "to": w.to, "status": res.status, "error": res.error})
    return outcome


def delete_report(
    report: dict[str, Any],
    cfg: ExpiryConfig | None = None,
    *,
    dry_run: bool = False,
    log: Path | None = None,
) -> DeleteOutcome:
    """Delete what a scan report listed and is still expired now (re-checked, no symlink
    followed), appending each removal to `log` (default: the config's `deletion_log`; one of
    the two is required unless `dry_run`)."""
    from watcloud.expiry.config import ExpiryConfig
    from watcloud.expiry.delete import delete

    cfg = cfg if cfg is not None else ExpiryConfig()
    log_path = log or cfg.deletion_log
    if log_path is None and not dry_run:
        # no quiet default: run as root from a shell, a default under the invoking user's state
        # directory would put the record of what was deleted where nobody looks for it
        raise ConfigError(
            "no deletion log: set deletion_log in the expiry config or give --log FILE "
            "(nothing was deleted)"
        )
    return delete(report, dry_run=dry_run, log_path=log_path)
