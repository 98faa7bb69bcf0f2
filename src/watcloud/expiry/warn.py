"""Per-user warning emails from a report (pure: the data for the `expiry-warning` template)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from watcloud.core.timez import CLUSTER_TZ
from watcloud.expiry.delete import candidates
from watcloud.expiry.report import printable


@dataclass
class WarningMail:
    user: str
    to: str
    data: dict[str, Any]  # the `expiry-warning` template's data
    id: str  # idempotency key: one warning per user per report


@dataclass
class WarningPlan:
    warnings: list[WarningMail] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # why a user with expired files gets none


def deletion_date(report: dict[str, Any], grace_days: int) -> str:
    finished = datetime.fromisoformat(report["scan"]["finished"]).astimezone(UTC)
    return (finished + timedelta(days=grace_days)).astimezone(CLUSTER_TZ).date().isoformat()


def plan_warnings(
    report: dict[str, Any],
    *,
    grace_days: int,
    email_domain: str | None,
    overrides: dict[str, str] | None = None,
    max_items: int = 50,
) -> WarningPlan:
    overrides = overrides or {}
    scan = report["scan"]
    by_uid: dict[int, list[Any]] = {}
    for c in candidates(report):
        by_uid.setdefault(c.uid, []).append(c)
    plan = WarningPlan()
    date = deletion_date(report, grace_days)
    users = {u["uid"]: u for u in report["users"]}
    for uid in sorted(by_uid):
        items = by_uid[uid]
        name = users[uid].get("user")
        if name is None:
            plan.skipped.append(f"uid {uid}: no user name (not in passwd), no address")
            continue
        to = overrides.get(name) or (f"{name}@{email_domain}" if email_domain else None)
        if to is None:
            plan.skipped.append(f"{name}: no address (set email_domain or email_overrides)")
            continue
        items.sort(key=lambda c: -c.bytes)
        data = {
            "user": name,
            "deletion_date": date,
            "threshold_days": round(float(scan["threshold_seconds"]) / 86400),
            "total_bytes": sum(c.bytes for c in items),
            "items": [
                # escaped: a name must not add lines to the mail's text part
                {"path": printable(c.path), "last_used": c.last_used[:10], "bytes": c.bytes}
                for c in items[:max_items]
            ],
            "root": scan["root"],
        }
        plan.warnings.append(
            WarningMail(name, to, data, f"expiry-warning:{scan['root']}:{scan['finished']}:{name}")
        )
    return plan
