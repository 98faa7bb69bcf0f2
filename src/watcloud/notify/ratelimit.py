"""A rate limit shared by every connection of the pool: two token buckets (per second and per
minute). Pure apart from the injected clock and sleep, so tests drive it with a fake clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """`rate` tokens per second, holding at most `capacity`; starts full."""

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        if rate <= 0 or capacity <= 0:
            raise ValueError("rate and capacity must be positive")
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = now

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 when one is available now)."""
        self._refill(now)
        if self.tokens >= 1:
            return 0.0
        return (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1


class RateLimiter:
    """Messages per second and per minute (either may be None = unlimited), thread-safe.

    `acquire()` blocks (with the injected `sleep`) until both buckets have a token and takes
    one from each. Tokens are handed out in the order callers reserve them: a caller that must
    wait reserves its slot first, so waiting callers never starve each other.
    """

    def __init__(
        self,
        per_second: float | None,
        per_minute: float | None,
        *,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self._lock = threading.Lock()
        now = clock()
        self.buckets: list[TokenBucket] = []
        if per_second is not None:
            self.buckets.append(TokenBucket(per_second, max(1.0, float(burst)), now))
        if per_minute is not None:
            # A minute's budget may be spent at once (subject to the per-second bucket).
            self.buckets.append(TokenBucket(per_minute / 60.0, max(1.0, per_minute), now))
        self.waited = 0.0  # total seconds callers were told to wait (for reports and tests)

    @property
    def unlimited(self) -> bool:
        return not self.buckets

    def acquire(self) -> float:
        """Take one token from every bucket; returns the seconds this caller waited."""
        if not self.buckets:
            return 0.0
        with self._lock:
            now = self.clock()
            wait = max(b.wait_time(now) for b in self.buckets)
            # Reserve now (tokens may go negative): the next caller queues behind us.
            for b in self.buckets:
                b.take(now)
            self.waited += wait
        if wait > 0:
            self.sleep(wait)
        return wait
