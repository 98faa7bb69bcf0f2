"""The one backoff formula: doubling, capped, jittered, capped again."""

from __future__ import annotations

from watcloud.core.backoff import backoff_delay, backoff_delays


def test_doubles_from_base_and_jitter_spans_the_band() -> None:
    assert [backoff_delay(a, 1.0, 100.0, 0.5, lambda: 0.5) for a in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff_delay(3, 1.0, 100.0, 0.5, lambda: 0.0) == 2.0  # 4 * (1 - 0.5)
    assert backoff_delay(3, 1.0, 100.0, 0.5, lambda: 1.0) == 6.0  # 4 * (1 + 0.5)


def test_the_cap_holds_after_jitter_too() -> None:
    assert backoff_delay(10, 1.0, 5.0, 0.5, lambda: 1.0) == 5.0
    assert backoff_delay(10, 1.0, 5.0, 0.5, lambda: 0.0) == 2.5


def test_a_loop_gets_one_delay_fewer_than_its_attempts() -> None:
    assert list(backoff_delays(4, 0.5, 30.0, 0.0)) == [0.5, 1.0, 2.0]
    assert list(backoff_delays(1)) == []
