"""Command lines: `watcloud status`, `watcloud quota list`, `watcloud daemon status`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from watcloud.cluster import fast
from watcloud.core.clikit import OutputOpt, new_app
from watcloud.core.output import OutputFormat, emit_json, to_json
from watcloud.core.paths import default_config_path
from watcloud.core.timez import now

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help=f"YAML config file [default: {default_config_path('cluster')} when it exists;"
        f" read after the site-wide {fast.site_config_file()}].",
        dir_okay=False,
    ),
]

# The config module (pydantic, PyYAML) is imported inside the commands, so that
# `watcloud quota --help` and friends do not pay for it.

status_app = new_app(
    "Is the cluster up? Machines, health checks and maintenance.", no_args_is_help=False
)
quota_app = new_app("Your disk, CPU, memory and GPU quotas.")
daemon_app = new_app("Your Docker rootless daemon (or other configured daemons).")


@status_app.command()
def status(
    output: OutputOpt = OutputFormat.text,
    config: ConfigOpt = None,
    show_all: Annotated[
        bool, typer.Option("--all", "-a", help="Include non-public health checks.")
    ] = False,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Ignore cached answers; ask every source now.")
    ] = False,
) -> None:
    """Machines by role with their state: up, degraded, down, maintenance or unknown.

    A source that fails or hangs does not stop the others: what is known is shown, the
    failed source is named, and the exit code stays 0.
    """
    from watcloud.cluster import config as cluster_config
    from watcloud.cluster.sources import collect
    from watcloud.cluster.status import build_report

    cfg = cluster_config.load(config)
    got = collect(cfg, refresh=refresh)
    report = build_report(
        now=now(),
        machines=got.machines,
        checks=got.checks,
        nodes=got.nodes,
        reservations=got.reservations,
        sources=got.sources,
        show_all=show_all,
        notes=got.notes,
    )
    if output is OutputFormat.json:
        text = to_json(report.as_json()) + "\n"
    else:
        from watcloud.cluster.render import rendered, status_text

        text = rendered(lambda out: status_text(report, out))
    err = "".join(
        f"warning: source {s.name} {'partly failed' if s.partial else 'failed'}: {s.error}\n"
        for s in report.failed_sources
    )
    sys.stdout.write(text)
    sys.stdout.flush()
    sys.stderr.write(err)
    if not report.failed_sources:
        # only complete answers are replayed by `watcloud.cluster.fast`
        fast.store(text, err, 0, cfg.cache_ttl)


@quota_app.callback()
def _quota() -> None:
    """Your disk, CPU, memory and GPU quotas."""


@quota_app.command("list")
def quota_list(output: OutputOpt = OutputFormat.text, config: ConfigOpt = None) -> None:
    """Resource, used, limit, percent and where each figure comes from.

    Disk: the home directory's Ceph quota (xattrs), classic user quotas (`quota`), a SLURM
    job's /tmp against its tmpdisk; otherwise the filesystem's free space, labelled as such.
    CPU and memory: cgroup v2 limits, a SLURM job's allocation, else the login-node quotas
    from machine-info. GPUs: the job's allocation and `nvidia-smi`. Unknown stays unknown.
    """
    import os
    import socket
    from pathlib import Path

    from watcloud.cluster import config as cluster_config
    from watcloud.cluster.quota import QuotaContext, collect
    from watcloud.cluster.sources import fetch_machine_info

    cfg = cluster_config.load(config)
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
    rows, notes = collect(ctx)
    if output is OutputFormat.json:
        emit_json({"generated_at": now(), "rows": [r.as_json() for r in rows], "notes": notes})
        return
    from watcloud.cluster.render import quota_text, rendered

    sys.stdout.write(rendered(lambda out: quota_text(rows, notes, out)))


@daemon_app.callback()
def _daemon() -> None:
    """Your Docker rootless daemon (or other configured daemons)."""


@daemon_app.command("status")
def daemon_status(output: OutputOpt = OutputFormat.text, config: ConfigOpt = None) -> None:
    """Running, stopped or not installed, with the exact command to start it.

    Exit code 0 when every configured daemon runs, 1 otherwise.
    """
    import os

    from watcloud.cluster import config as cluster_config
    from watcloud.cluster.daemon import status as probe

    cfg = cluster_config.load(config)
    reports = [probe(spec, os.environ, cfg.source_timeout) for spec in cfg.daemons]
    if output is OutputFormat.json:
        emit_json({"daemons": [r.as_json() for r in reports]})
    else:
        from watcloud.cluster.render import daemon_text, rendered

        sys.stdout.write(rendered(lambda out: daemon_text(reports, out)))
    if any(r.state != "running" for r in reports):
        raise typer.Exit(1)
