"""`watcloud dns-failover`: run the daemon, check the hosts once, or show what would change."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from watcloud.core.clikit import ConfigOpt, OutputOpt, new_app
from watcloud.core.output import OutputFormat, console, emit_json, print_table

if TYPE_CHECKING:
    from watcloud.dnsfailover.config import Config

app = new_app("Health-checked DNS failover: publish only the hosts that answer.")


def _load(config: Path | None) -> Config:
    from watcloud.dnsfailover.config import load

    return load(config)


@app.command()
def check(config: ConfigOpt = None, output: OutputOpt = OutputFormat.text) -> None:
    """Probe every host of every service once (all at once) and show the results.

    Exit 1 when a probe failed.
    """
    import asyncio

    from watcloud.dnsfailover.probe import probe_round

    cfg = _load(config)
    results = asyncio.run(probe_round(cfg.services))
    failed = sum(not r.ok for r in results)
    if output == OutputFormat.json:
        emit_json(
            {
                "results": [
                    {
                        "service": r.service,
                        "host": r.host,
                        "ok": r.ok,
                        "latency_ms": round(r.latency * 1000, 1),
                        "status": r.status,
                        "detail": r.detail,
                    }
                    for r in results
                ],
                "failed": failed,
            }
        )
    else:
        rows = [
            (r.service, r.host, "ok" if r.ok else "FAIL", f"{r.latency * 1000:.1f} ms", r.detail)
            for r in results
        ]
        print_table(("service", "host", "result", "latency", "detail"), rows)
        console().print(f"{len(results) - failed} of {len(results)} probes ok")
    if failed:
        raise typer.Exit(1)


@app.command()
def plan(config: ConfigOpt = None, output: OutputOpt = OutputFormat.text) -> None:
    """One probe round, then what would change in DNS if these results persist.

    Reads the provider; changes nothing. Exit 1 when the provider cannot be read.
    """
    import asyncio

    from watcloud.dnsfailover.daemon import Engine
    from watcloud.dnsfailover.decide import HostState
    from watcloud.dnsfailover.probe import probe_round
    from watcloud.dnsfailover.providers import make_provider

    cfg = _load(config)
    provider = make_provider(cfg)
    try:
        results = asyncio.run(probe_round(cfg.services))
        engine = Engine(cfg, provider)
        for svc in cfg.services:
            mine = [r for r in results if r.service == svc.key]
            # As if each result persisted past its threshold.
            engine.states[svc.key] = {
                r.host: HostState(
                    up=r.ok, fails=0 if r.ok else svc.down_after, oks=svc.up_after if r.ok else 0
                )
                for r in mine
            }
        out = engine.sync_blocking(cfg.services, dry_run=True)
    finally:
        provider.close()
    rows = []
    for svc in cfg.services:
        pub = engine.published(svc) or frozenset()
        want = set(engine.desired(svc).contents) if out.error is None else set()
        for r in results:
            if r.service != svc.key:
                continue
            rows.append(
                {
                    "service": svc.key,
                    "host": r.host,
                    "probe": "ok" if r.ok else "fail",
                    "detail": r.detail,
                    "published": r.host in pub,
                    "desired": r.host in want,
                }
            )
    if output == OutputFormat.json:
        emit_json(
            {
                "provider": provider.description,
                "hosts": rows,
                "changes": [
                    {
                        "action": c.action,
                        "name": c.name,
                        "type": c.type,
                        "content": c.content,
                        "ttl": c.ttl,
                        "reason": c.reason,
                    }
                    for c in out.changes
                ],
                "warnings": out.warnings,
                "error": out.error,
            }
        )
    else:
        con = console()
        con.print(f"provider: {provider.description}")
        for svc in cfg.services:
            print_table(
                ("host", "probe", "published", "desired", "detail"),
                [
                    (
                        r["host"],
                        r["probe"],
                        "yes" if r["published"] else "no",
                        "yes" if r["desired"] else "no",
                        r["detail"],
                    )
                    for r in rows
                    if r["service"] == svc.key
                ],
                title=f"{svc.fqdn} {svc.type}",
                out=con,
            )
        for w in out.warnings:
            con.print(f"warning: {w}", soft_wrap=True)
        if out.error is not None:
            con.print(f"provider error: {out.error}", soft_wrap=True)
        elif out.changes:
            con.print(f"{len(out.changes)} change(s) would be made:")
            for c in out.changes:
                con.print(f"  {c.describe()}", soft_wrap=True)
        else:
            con.print("no changes: DNS matches the health of the hosts")
    if out.error is not None:
        raise typer.Exit(1)


@app.command()
def run(
    config: ConfigOpt = None,
    log_level: str = typer.Option("info", help="debug, info, warning or error."),
) -> None:
    """Run the failover daemon (probe, decide, update DNS) until SIGTERM."""
    import asyncio
    import logging

    from watcloud.core.errors import InputError, WatcloudError
    from watcloud.dnsfailover.daemon import Daemon, notify_announcer
    from watcloud.dnsfailover.providers import make_provider

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
    cfg = _load(config)
    provider = make_provider(cfg)
    daemon = Daemon(cfg, provider, announcer=notify_announcer(cfg))
    try:
        code = asyncio.run(daemon.run())
    except OSError as exc:
        raise WatcloudError(f"cannot start: {exc}") from None
    if code:
        raise typer.Exit(code)
