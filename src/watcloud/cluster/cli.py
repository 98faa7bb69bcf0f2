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
    from watcloud.cluster.api import status_report

    cfg = cluster_config.load(config)
    report = status_report(cfg, refresh=refresh, show_all=show_all)
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
    from watcloud.cluster import config as cluster_config
    from watcloud.cluster.api import quotas

    rows, notes = quotas(cluster_config.load(config))
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
    from watcloud.cluster import config as cluster_config
    from watcloud.cluster.api import daemon_reports

    reports = daemon_reports(cluster_config.load(config))
    if output is OutputFormat.json:
        emit_json({"daemons": [r.as_json() for r in reports]})
    else:
        from watcloud.cluster.render import daemon_text, rendered

        sys.stdout.write(rendered(lambda out: daemon_text(reports, out)))
    if any(r.state != "running" for r in reports):
        raise typer.Exit(1)


# ---- watcloud config --------------------------------------------------------------------------

config_app = new_app("Read and change your cluster config file.")


@config_app.callback()
def _config() -> None:
    """Read and change your cluster config file."""


def _user_config(path: Path | None) -> Path:
    return path or default_config_path("cluster")


@config_app.command("get")
def config_get(
    key: Annotated[str, typer.Argument(help="A top-level option, e.g. source_timeout.")],
    output: OutputOpt = OutputFormat.text,
    config: ConfigOpt = None,
) -> None:
    """The value in effect and where it comes from: your file, the site's, or the default."""
    from watcloud.cluster.usercfg import get_key

    setting = get_key(_user_config(config), key)
    if output is OutputFormat.json:
        emit_json(setting.as_json())
        return
    where = setting.source + (f" {setting.file}" if setting.file else "")
    sys.stdout.write(f"{key} = {to_json(setting.value, indent=None)}  ({where})\n")


@config_app.command("set")
def config_set(
    key: Annotated[str, typer.Argument(help="A top-level option, e.g. source_timeout.")],
    value: Annotated[str, typer.Argument(help="The value, as YAML: 5, false, [a, b], text.")],
    config: ConfigOpt = None,
) -> None:
    """Set an option in your config file; the whole file is checked before it is replaced."""
    from watcloud.cluster.usercfg import set_key

    path = _user_config(config)
    stored = set_key(path, key, value)
    sys.stdout.write(f"{key} = {to_json(stored, indent=None)}  (written to {path})\n")


@config_app.command("unset")
def config_unset(
    key: Annotated[str, typer.Argument(help="A top-level option.")],
    config: ConfigOpt = None,
) -> None:
    """Remove an option from your file: the site's value or the default applies again."""
    from watcloud.cluster.usercfg import unset_key

    path = _user_config(config)
    removed = unset_key(path, key)
    sys.stdout.write(f"{key}: {'removed from' if removed else 'not set in'} {path}\n")


# ---- watcloud daemon start --------------------------------------------------------------------


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


@daemon_app.command("start")
def daemon_start(
    name: Annotated[
        str | None, typer.Option(help="Which configured daemon [default: the first].")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be run; run nothing.")
    ] = False,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for the socket to answer.", min=0, max=600)
    ] = 60.0,
    config: ConfigOpt = None,
) -> None:
    """Start your Docker rootless daemon the documented way for where you are.

    Inside a SLURM job: the cluster's start script. Elsewhere: the systemd user unit when
    there is one; on a login node where Docker runs only inside jobs, how to get a job.
    Exit 0 when it answers, 1 when it could not be started here.
    """
    from watcloud.cluster import config as cluster_config
    from watcloud.cluster.api import start_daemon

    got = start_daemon(cluster_config.load(config), name, dry_run=dry_run, wait=wait, announce=_say)
    spec, report, env = got.spec, got.report, got.env
    if got.plan.command is None:
        raise typer.Exit(0 if report.state == "running" else 1)
    if not got.ran:
        sys.stdout.write(f"would run: {' '.join(got.plan.command)}\n")
        return
    if got.problem is not None:
        sys.stderr.write(f"watcloud daemon start: {got.problem}\n")
        raise typer.Exit(1)
    if report.state != "running":
        where = f"; its output is in {got.log}" if got.plan.detach else ""
        sys.stderr.write(
            f"watcloud daemon start: {spec.name} is {report.state} after {wait:g} s{where}\n"
        )
        raise typer.Exit(1)
    version = f", Docker {report.version}" if report.version else ""
    sys.stdout.write(f"{spec.name}: running (socket {report.socket}{version})\n")
    if spec.host_env and env.get(spec.host_env) != f"unix://{report.socket}":
        sys.stdout.write(f"use it with: export {spec.host_env}=unix://{report.socket}\n")


# ---- watcloud slurm ---------------------------------------------------------------------------

slurm_app = new_app("SLURM: free capacity now, mail when a job ends.")


@slurm_app.callback()
def _slurm() -> None:
    """SLURM: free capacity now, mail when a job ends."""


@slurm_app.command("capacity")
def slurm_capacity(
    output: OutputOpt = OutputFormat.text,
    config: ConfigOpt = None,
    nodes: Annotated[bool, typer.Option("--nodes", help="Also list every node.")] = False,
) -> None:
    """Free CPUs, memory and GPUs per partition (and node), and what can start now."""
    from watcloud.cluster import config as cluster_config
    from watcloud.cluster.api import capacity

    cap = capacity(cluster_config.load(config))
    if output is OutputFormat.json:
        emit_json({"generated_at": now(), **cap.as_json()})
        return
    from watcloud.cluster.render import capacity_text, rendered

    sys.stdout.write(rendered(lambda out: capacity_text(cap, out, nodes=nodes)))


@slurm_app.command("notify")
def slurm_notify(
    job_id: Annotated[str, typer.Argument(help="The SLURM job id.")],
    to: Annotated[
        str | None, typer.Option(help="Mail address [default: notify_email from the config].")
    ] = None,
    interval: Annotated[
        float, typer.Option(help="Seconds between looks at the job.", min=0.05, max=3600)
    ] = 30.0,
    output: OutputOpt = OutputFormat.text,
    config: ConfigOpt = None,
) -> None:
    """Wait until a job ends, then mail you its state, exit code and run time.

    Runs in the foreground (use `&`, tmux or nohup). Exit 0 when the mail went out,
    1 when it could not be delivered, 2 for an unknown job or a bad setting.
    """
    from watcloud.cluster import config as cluster_config
    from watcloud.cluster.api import notify_job_end
    from watcloud.notify import raise_if_relay_unusable

    cfg = cluster_config.load(config)
    job, address, report = notify_job_end(cfg, job_id, to, interval=interval)
    result = report.results[0]
    if output is OutputFormat.json:
        emit_json({"job": job.as_json(), "to": address, "mail": result.status})
    else:
        sys.stdout.write(f"job {job.job_id} {job.state}: mail to {address} {result.status}\n")
    raise_if_relay_unusable(report)
    if not result.ok:
        raise typer.Exit(1)
