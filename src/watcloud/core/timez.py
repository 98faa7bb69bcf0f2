"""Time: aware datetimes only; the cluster's zone is America/Toronto."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

CLUSTER_TZ = ZoneInfo("America/Toronto")


def now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def local(dt: datetime) -> datetime:
    """`dt` in the cluster's zone. Naive datetimes are refused: they hide bugs."""
    if dt.tzinfo is None:
        raise ValueError("naive datetime: attach a zone first")
    return dt.astimezone(CLUSTER_TZ)


def parse_iso(value: str) -> datetime:
    """An ISO 8601 timestamp ('Z' accepted) as an aware datetime; a naive one is taken as UTC."""
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def parse_cluster_time(value: str | None) -> datetime | None:
    """A time as SLURM prints it, `2024-09-10T07:00:00` in the cluster's zone (SLURM gives no
    offset; the tools run SLURM commands with TZ set to that zone), as an aware datetime;
    `None`, `Unknown`, `(null)`, `N/A` and anything unparsable -> None."""
    if not value or value in ("None", "Unknown", "(null)", "N/A"):
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=CLUSTER_TZ)
