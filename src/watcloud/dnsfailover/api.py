"""The dns-failover library: what each `watcloud dns-failover` command does, without the CLI.

    from watcloud.dnsfailover import check_hosts, load, plan_changes
    cfg = load(Path("dnsfailover.yaml"))
    results = check_hosts(cfg)          # one probe round, every host at once
    report = plan_changes(cfg)          # what would change in DNS (reads the provider only)

Rendering lives in `report.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watcloud.dnsfailover.config import DnsFailoverConfig
    from watcloud.dnsfailover.daemon import Announcer, SyncOutcome
    from watcloud.dnsfailover.probe import ProbeResult
    from watcloud.dnsfailover.reconcile import Provider


def check_hosts(cfg: DnsFailoverConfig) -> list[ProbeResult]:
    """`dns-failover check`: probe every host of every service once (all at once)."""
    import asyncio

    from watcloud.dnsfailover.probe import probe_round

    return asyncio.run(probe_round(cfg.services))


@dataclass
class PlanReport:
    """`dns-failover plan`: per host its probe, whether it is published and whether it would
    be; the changes a persisting round would make (`outcome.changes`), or the provider error."""

    provider: str
    hosts: list[dict[str, Any]]
    outcome: SyncOutcome

    @property
    def error(self) -> str | None:
        return self.outcome.error


def plan_changes(
    cfg: DnsFailoverConfig,
    *,
    provider: Provider | None = None,
    results: list[ProbeResult] | None = None,
) -> PlanReport:
    """One probe round (or the given `results`), then what would change in DNS if these
    results persist. Reads the provider (the configured one unless given); changes nothing."""
    from watcloud.dnsfailover.daemon import Engine
    from watcloud.dnsfailover.providers import make_provider

    own = provider is None
    prov = make_provider(cfg) if provider is None else provider
    try:
        results = check_hosts(cfg) if results is None else results
        engine = Engine(cfg, prov)
        out = engine.plan_for(results)
    finally:
        if own:
            prov.close()
    rows = []
    for svc in cfg.services:
        pub = engine.published(svc) or frozenset()
        want = set(engine.desired(svc).contents) if out.error is None else set()
        rows += [
            {
                "service": svc.key,
                "host": r.host,
                "probe": "ok" if r.ok else "fail",
                "detail": r.detail,
                "published": r.host in pub,
                "desired": r.host in want,
            }
            for r in results
            if r.service == svc.key
        ]
    return PlanReport(prov.description, rows, out)


def run_daemon(
    cfg: DnsFailoverConfig,
    *,
    provider: Provider | None = None,
    announcer: Announcer | None = None,
) -> int:
    """`dns-failover run`: the daemon until SIGTERM; its exit code. The announcer defaults to
    the config's `announce` (notify)."""
    import asyncio

    from watcloud.core.errors import WatcloudError
    from watcloud.dnsfailover.daemon import Daemon, notify_announcer
    from watcloud.dnsfailover.providers import make_provider

    prov = make_provider(cfg) if provider is None else provider
    daemon = Daemon(cfg, prov, announcer=announcer or notify_announcer(cfg))
    try:
        return asyncio.run(daemon.run())
    except OSError as exc:
        raise WatcloudError(f"cannot start: {exc}") from None
