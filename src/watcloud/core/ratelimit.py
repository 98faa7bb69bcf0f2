"""The one rate limiter: token buckets, shared by threads or asyncio tasks.

notify's SMTP pool (messages per second and per minute), outage's PlantOps fetches (one request
per interval) and links' per-host request starts all use it. Pure apart from the injected clock
and sleep, so tests drive it with a fake clock.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable


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
    """Events per second and per minute (either may be None = unlimited), thread-safe.

    `acquire()` blocks (with the injected `sleep`) until both buckets have a token and takes
    one from each; `acquire_async()` does the same in a coroutine. Tokens are handed out in the
    order callers reserve them: a caller that must wait reserves its slot first, so waiting
    callers never starve each other. `RateLimiter.every(seconds)` spaces events apart.
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

    @classmethod
    def every(
        cls,
        interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> RateLimiter:
        """Events at least `interval` seconds apart, the first at once (0: unlimited)."""
        return cls(1.0 / interval if interval > 0 else None, None, clock=clock, sleep=sleep)

    @property
    def unlimited(self) -> bool:
        return not self.buckets

    def reserve(self) -> float:
        """Take one token from every bucket now; returns the seconds to wait before the event."""
        if not self.buckets:
            return 0.0
        with self._lock:
            now = self.clock()
            wait = max(b.wait_time(now) for b in self.buckets)
            # Reserve now (tokens may go negative): the next caller queues behind us.
            for b in self.buckets:
                b.take(now)
            self.waited += wait
        return wait

    def acquire(self) -> float:
        """Wait for a token (blocking); returns the seconds this caller waited."""
        wait = self.reserve()
        if wait > 0:
            self.sleep(wait)
        return wait

    async def acquire_async(
        self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> float:
        """Wait for a token in a coroutine; returns the seconds this caller waited."""
        wait = self.reserve()
        if wait > 0:
            await sleep(wait)
        return wait
