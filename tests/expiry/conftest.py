"""Helpers for expiry tests: real trees with timestamps set by os.utime."""

from __future__ import annotations

import os
import time
from pathlib import Path

DAY = 86400.0
NOW = time.time()


def touch(path: Path | bytes, *, days_ago: float, data: bytes = b"x") -> None:
    """Create a file with `data` and set its atime and mtime `days_ago` days back."""
    p = os.fsencode(path)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as fh:
        fh.write(data)
    age(p, days_ago)


def age(path: Path | bytes | str, days_ago: float) -> None:
    t = NOW - days_ago * DAY
    os.utime(path, (t, t), follow_symlinks=False)
