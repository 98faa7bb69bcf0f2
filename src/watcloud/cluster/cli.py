"""Command lines: `watcloud status`, `watcloud quota list`, `watcloud daemon status`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from watcloud.cluster import config as cluster_config
from watcloud.cluster import fast
from watcloud.core.clikit import ConfigOpt, OutputOpt, new_app
from watcloud.core.output import OutputFormat, console, to_json
from watcloud.core.timez import now

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
        from watcloud.cluster.render import status_text

        out = console()
        with out.capture() as cap:
            status_text(report, out)
        text = cap.get()
    err = "".join(f"warning: source {s.name} failed: {s.error}\n" for s in report.failed_sources)
    sys.stdout.write(text)
    sys.stdout.flush()
    sys.stderr.write(err)
    if not report.failed_sources:
        # only complete answers are replayed by `watcloud.cluster.fast`
        fast.store(text, err, 0, cfg.cache_ttl)
