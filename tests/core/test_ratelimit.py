"""The one rate limiter (token buckets) with a fake clock: notify's pool, outage's fetches and
links' per-host starts all use it."""

from __future__ import annotations

import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from watcloud.core.ratelimit import RateLimiter, TokenBucket


class FakeTime:
    def __init__(self) -> None:
        self.t = 0.0
        self.lock = threading.Lock()

    def clock(self) -> float:
        with self.lock:
            return self.t

    def sleep(self, d: float) -> None:
        with self.lock:
            self.t += d


def test_bucket_refills_at_rate_up_to_capacity():
    b = TokenBucket(rate=2.0, capacity=3, now=0.0)
    for _ in range(3):
        assert b.wait_time(0.0) == 0.0
        b.take(0.0)
    assert b.wait_time(0.0) == 0.5
    assert b.wait_time(10.0) == 0.0 and b.tokens == 3  # capped


def test_unlimited_never_waits():
    ft = FakeTime()
    rl = RateLimiter(None, None, clock=ft.clock, sleep=ft.sleep)
    assert rl.unlimited and all(rl.acquire() == 0 for _ in range(1000)) and ft.t == 0


def test_per_second_spacing():
    ft = FakeTime()
    rl = RateLimiter(4.0, None, clock=ft.clock, sleep=ft.sleep)
    stamps = []
    for _ in range(9):
        # A caller's slot is the time after its wait.
        rl.acquire()
        stamps.append(ft.t)
    assert stamps == [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]


def test_per_minute_budget():
    ft = FakeTime()
    rl = RateLimiter(None, 60.0 * 2, clock=ft.clock, sleep=ft.sleep)  # 120/min
    for _ in range(120):
        rl.acquire()
    assert ft.t == 0.0  # the minute's budget at once
    rl.acquire()
    assert ft.t == 0.5  # then 2 per second


def test_threads_share_one_budget():
    # Time stands still at 0 and sleeping is free: 100 callers on 4 threads must be handed
    # the slots 0, 0.1, ..., 9.9 s, each exactly once (reservations queue, nobody starves).
    waits: list[float] = []
    lock = threading.Lock()
    rl = RateLimiter(10.0, None, clock=lambda: 0.0, sleep=lambda d: None)

    def worker() -> None:
        for _ in range(25):
            w = rl.acquire()
            with lock:
                waits.append(w)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(round(w, 6) for w in waits) == [round(i * 0.1, 6) for i in range(100)]


@settings(max_examples=60, deadline=None)
@given(
    rate=st.floats(min_value=0.5, max_value=50),
    burst=st.integers(min_value=1, max_value=5),
    gaps=st.lists(st.floats(min_value=0, max_value=2), min_size=1, max_size=60),
)
def test_no_window_exceeds_rate_plus_burst(rate: float, burst: int, gaps: list[float]):
    """Whatever the arrival pattern, any 1-second window holds at most rate + burst sends."""
    ft = FakeTime()
    rl = RateLimiter(rate, None, burst=burst, clock=ft.clock, sleep=ft.sleep)
    sends = []
    for g in gaps:
        ft.sleep(g)  # the caller arrives after some idle time
        rl.acquire()
        sends.append(ft.t)
    for i, start in enumerate(sends):
        in_window = sum(1 for t in sends[i:] if t < start + 1.0 - 1e-9)
        assert in_window <= rate + burst + 1e-9


def test_every_spaces_events_apart() -> None:
    """One event per interval, the first at once (outage's PlantOps fetches)."""
    ft = FakeTime()
    sleeps: list[float] = []

    def sleep(d: float) -> None:
        sleeps.append(d)
        ft.sleep(d)

    lim = RateLimiter.every(1.0, clock=ft.clock, sleep=sleep)
    for _ in range(4):
        lim.acquire()
        ft.t += 0.25  # the request itself takes a quarter second
    assert sleeps == [0.75, 0.75, 0.75]
    assert RateLimiter.every(0).unlimited


def test_acquire_async_reserves_in_call_order() -> None:
    """links' per-host starts: tasks that ask together start `interval` apart, in order."""
    import asyncio

    ft = FakeTime()
    lim = RateLimiter.every(0.5, clock=ft.clock)
    waits: list[float] = []

    async def fake_sleep(d: float) -> None:
        waits.append(d)

    async def main() -> list[float]:
        return list(await asyncio.gather(*(lim.acquire_async(fake_sleep) for _ in range(4))))

    assert asyncio.run(main()) == [0.0, 0.5, 1.0, 1.5]
    assert waits == [0.5, 1.0, 1.5]
