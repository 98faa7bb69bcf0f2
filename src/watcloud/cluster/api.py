"""The library calls behind `watcloud status|quota|daemon|slurm`, for other automation:

    from watcloud.cluster.api import status_report, quotas, daemon_reports
    cfg = load(None)                       # watcloud.cluster.config.load: site + user config
    report = status_report(cfg)            # StatusReport; report.as_json()
    rows, notes = quotas(cfg)              # [QuotaRow], [str]
    reports = daemon_reports(cfg)          # [DaemonReport]

Each takes a loaded `ClusterConfig` (`watcloud.cluster.config.load(path)`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from watcloud.core.errors import InputError

if TYPE_CHECKING:
    from watcloud.cluster.capacity import Capacity
    from watcloud.cluster.config import ClusterConfig, DaemonSpec
    from watcloud.cluster.daemon import DaemonReport, StartPlan
    from watcloud.cluster.jobwatch import JobState
    from watcloud.cluster.quota import QuotaRow
    from watcloud.cluster.status import StatusReport
    from watcloud.notify.smtp import BatchReport


def status_report(
    cfg: ClusterConfig, *, refresh: bool = False, show_all: bool = False
) -> StatusReport:
    """Machines by role with their state, from every configured source (`refresh`: ignore
    cached answers). A failed source is named in the report, never raised."""
    from watcloud.cluster.sources import collect
    from watcloud.cluster.status import build_report
    from watcloud.core.timez import now

    got = collect(cfg, refresh=refresh)
    return build_report(
        now=now(),
        machines=got.machines,
        checks=got.checks,
        nodes=got.nodes,
        reservations=got.reservations,
        sources=got.sources,
        show_all=show_all,
        notes=got.notes,
    )


def quotas(cfg: ClusterConfig) -> tuple[list[QuotaRow], list[str]]:
    """Disk, CPU, memory and GPU quotas of the current user here, with notes."""
    import os
    import socket

    from watcloud.cluster.quota import QuotaContext, collect
    from watcloud.cluster.sources import fetch_machine_info

    ctx = QuotaContext(
        home=cfg.home or Path.home(),
        sysfs_root=cfg.sysfs_root,
        proc_root=cfg.proc_root,
        tmp_dir=cfg.tmp_dir,
        env=dict(os.environ),
        hostname=cfg.hostname or socket.gethostname(),
        timeout=cfg.source_timeout,
        cpu_sample_seconds=cfg.cpu_sample_seconds,
        machine_info=lambda: fetch_machine_info(cfg),
    )
    return collect(ctx)


def daemon_reports(cfg: ClusterConfig) -> list[DaemonReport]:
    """The state of every configured daemon (running, stopped, not installed)."""
    import os

    from watcloud.cluster.daemon import status as probe

    return [probe(spec, os.environ, cfg.source_timeout) for spec in cfg.daemons]


def capacity(cfg: ClusterConfig) -> Capacity:
    """Free CPUs, memory and GPUs per SLURM partition and node."""
    from watcloud.cluster import capacity as cap_mod
    from watcloud.cluster import slurm

    try:
        return cap_mod.collect(cfg.source_timeout)
    except slurm.SlurmError as exc:
        raise InputError(f"cannot read the SLURM nodes: {exc}") from None


@dataclass
class DaemonStart:
    """What `start_daemon` did: the plan, the daemon's state at the end, and why not."""

    spec: DaemonSpec
    plan: StartPlan
    report: DaemonReport
    env: dict[str, str]
    log: Path | None = None
    problem: str | None = None  # the start command failed
    ran: bool = False

    @property
    def ok(self) -> bool:
        return self.problem is None and self.report.state == "running"


def start_daemon(
    cfg: ClusterConfig,
    name: str | None = None,
    *,
    dry_run: bool = False,
    wait: float = 60.0,
    announce: Callable[[str], None] = lambda message: None,
) -> DaemonStart:
    """Start the named (else the first) configured daemon the documented way for where we
    are; `announce` hears the plan before anything runs. `dry_run`: plan only."""
    import os
    import shutil

    from watcloud.cluster.daemon import observe, plan_start, run_start, wait_running
    from watcloud.core.paths import state_dir

    specs = [d for d in cfg.daemons if name is None or d.name == name]
    if not specs:
        known = ", ".join(d.name for d in cfg.daemons) or "none"
        raise InputError(f"no daemon named {name!r} in the config (configured: {known})")
    spec, env = specs[0], dict(os.environ)
    report, unit, script = observe(spec, env, cfg.source_timeout)
    plan = plan_start(
        spec,
        report,
        unit,
        in_slurm_job=bool(env.get("SLURM_JOB_ID")),
        slurm_start_found=script,
        srun_found=shutil.which("srun") is not None,
    )
    announce(plan.message)
    out = DaemonStart(spec, plan, report, env)
    if plan.command is None or dry_run:
        return out
    out.log, out.ran = state_dir() / f"{spec.name}-start.log", True
    out.problem = run_start(plan, str(out.log), timeout=max(wait, cfg.source_timeout))
    if out.problem is None:
        out.report = wait_running(spec, env, wait, probe_timeout=cfg.source_timeout)
    return out


def notify_job_end(
    cfg: ClusterConfig, job_id: str, to: str | None = None, *, interval: float = 30.0
) -> tuple[JobState, str, BatchReport]:
    """Wait until SLURM job `job_id` ends, then mail its state to `to` (else the config's
    notify_email); returns the job, the address and the delivery report."""
    import re

    from watcloud.cluster import jobwatch, slurm

    if not re.fullmatch(r"\d+(_\d+)?", job_id):
        raise InputError(f"{job_id!r} is not a SLURM job id (digits, or ARRAYID_TASK)")
    address = to or cfg.notify_email
    if not address:
        raise InputError(
            "no address: give --to ADDRESS or `watcloud config set notify_email ADDRESS`"
        )
    from watcloud.notify import deliver, load_notify_config

    settings = load_notify_config(cfg.smtp_config)  # a bad SMTP config fails before waiting
    try:
        job = jobwatch.watch(job_id, interval=interval, timeout=cfg.source_timeout)
    except jobwatch.JobNotFound:
        raise InputError(f"SLURM does not know job {job_id}") from None
    except slurm.SlurmError as exc:
        raise InputError(f"cannot read job {job_id}: {exc}") from None
    return job, address, deliver([jobwatch.end_message(job, address)], settings)
