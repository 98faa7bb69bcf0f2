"""Capped exponential backoff with jitter: the one formula every retry loop uses.

Standard library only, so a tool that retries something other than HTTP (SMTP, DNS UPDATE)
does not load httpx for it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator


def backoff_delay(
    attempt: int,
    base: float = 0.5,
    cap: float = 30.0,
    jitter: float = 0.5,
    rng: Callable[[], float] = random.random,
) -> float:
    """Delay after failed attempt number `attempt` (1-based): base * 2^(attempt-1), capped,
    times a uniform factor in [1 - jitter, 1 + jitter], and capped again."""
    delay = min(cap, base * (2 ** (attempt - 1)))
    return float(min(cap, delay * (1 - jitter + 2 * jitter * rng())))


def backoff_delays(
    attempts: int,
    base: float = 0.5,
    cap: float = 30.0,
    jitter: float = 0.5,
    rng: Callable[[], float] = random.random,
) -> Iterator[float]:
    """The `attempts - 1` delays of a whole retry loop (none after the last try)."""
    for attempt in range(1, attempts):
        yield backoff_delay(attempt, base, cap, jitter, rng)


def parse_retry_after(value: str | None, default: float, now: float) -> float:
    """Seconds from a `Retry-After` value (delta-seconds or HTTP date; `now` in epoch
    seconds), else `default` when absent or unreadable."""
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - now)
