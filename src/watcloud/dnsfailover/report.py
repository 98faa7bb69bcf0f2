"""Rendering for `watcloud dns-failover`: the JSON and text shapes of `check` and `plan`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from watcloud.core.output import console, print_table

if TYPE_CHECKING:
    from watcloud.dnsfailover.api import PlanReport
    from watcloud.dnsfailover.config import DnsFailoverConfig
    from watcloud.dnsfailover.probe import ProbeResult


def check_json(results: Sequence[ProbeResult]) -> dict[str, Any]:
    return {
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
        "failed": sum(not r.ok for r in results),
    }


def check_text(results: Sequence[ProbeResult]) -> None:
    rows = [
        (r.service, r.host, "ok" if r.ok else "FAIL", f"{r.latency * 1000:.1f} ms", r.detail)
        for r in results
    ]
    print_table(("service", "host", "result", "latency", "detail"), rows)
    failed = sum(not r.ok for r in results)
    console().print(f"{len(results) - failed} of {len(results)} probes ok")


def plan_json(report: PlanReport) -> dict[str, Any]:
    out = report.outcome
    return {
        "provider": report.provider,
        "hosts": report.hosts,
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


def plan_text(report: PlanReport, cfg: DnsFailoverConfig) -> None:
    con = console()
    con.print(f"provider: {report.provider}")
    yes = {True: "yes", False: "no"}
    for svc in cfg.services:
        print_table(
            ("host", "probe", "published", "desired", "detail"),
            [
                (r["host"], r["probe"], yes[r["published"]], yes[r["desired"]], r["detail"])
                for r in report.hosts
                if r["service"] == svc.key
            ],
            title=f"{svc.fqdn} {svc.type}",
            out=con,
        )
    out = report.outcome
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
