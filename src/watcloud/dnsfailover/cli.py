"""`watcloud dns-failover`: run the daemon, check the hosts once, or show what would change.

Each command parses its options, makes one call into the library (`watcloud.dnsfailover.api`,
exported from `watcloud.dnsfailover`) and renders the result (`watcloud.dnsfailover.report`).
"""

from __future__ import annotations

import sys

import typer

from watcloud.core.clikit import ConfigOpt, OutputOpt, new_app
from watcloud.core.output import OutputFormat, emit_json

app = new_app("Health-checked DNS failover: publish only the hosts that answer.")


@app.command()
def check(config: ConfigOpt = None, output: OutputOpt = OutputFormat.text) -> None:
    """Probe every host of every service once (all at once) and show the results.

    Exit 1 when a probe failed.
    """
    from watcloud.dnsfailover import report
    from watcloud.dnsfailover.api import check_hosts
    from watcloud.dnsfailover.config import load

    results = check_hosts(load(config))
    if output == OutputFormat.json:
        emit_json(report.check_json(results))
    else:
        report.check_text(results)
    if any(not r.ok for r in results):
        raise typer.Exit(1)


@app.command()
def plan(config: ConfigOpt = None, output: OutputOpt = OutputFormat.text) -> None:
    """One probe round, then what would change in DNS if these results persist.

    Reads the provider; changes nothing. Exit 1 when the provider cannot be read.
    """
    from watcloud.dnsfailover import report
    from watcloud.dnsfailover.api import plan_changes
    from watcloud.dnsfailover.config import load

    cfg = load(config)
    result = plan_changes(cfg)
    if output == OutputFormat.json:
        emit_json(report.plan_json(result))
    else:
        report.plan_text(result, cfg)
    if result.error is not None:
        raise typer.Exit(1)


def _setup_logging(log_level: str) -> None:
    import logging

    from watcloud.core.errors import InputError

    level = getattr(logging, log_level.upper(), None)
    if not isinstance(level, int):
        raise InputError(f"--log-level: expected debug, info, warning or error, got {log_level!r}")
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(message)s",
    )
    for noisy in ("httpx", "httpcore"):  # one line per probe is too much
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


@app.command()
def run(
    config: ConfigOpt = None,
    log_level: str = typer.Option("info", help="debug, info, warning or error."),
) -> None:
    """Run the failover daemon (probe, decide, update DNS) until SIGTERM."""
    from watcloud.dnsfailover.api import run_daemon
    from watcloud.dnsfailover.config import load

    _setup_logging(log_level)
    code = run_daemon(load(config))
    if code:
        raise typer.Exit(code)
