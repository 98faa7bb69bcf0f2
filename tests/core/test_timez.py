"""Time helpers: SLURM's zone-less times are the cluster's local time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watcloud.core.timez import CLUSTER_TZ, parse_cluster_time


def test_slurm_times_are_cluster_local_and_aware() -> None:
    dt = parse_cluster_time("2026-07-01T07:00:00")
    assert dt == datetime(2026, 7, 1, 7, tzinfo=CLUSTER_TZ)
    assert dt is not None and dt.astimezone(UTC).hour == 11  # EDT is UTC-4
    assert parse_cluster_time("2026-01-15T07:00:00").astimezone(UTC).hour == 12  # type: ignore[union-attr]


@pytest.mark.parametrize("value", [None, "", "None", "Unknown", "(null)", "N/A", "soon"])
def test_no_time(value: str | None) -> None:
    assert parse_cluster_time(value) is None
