"""Retries, reconnects and permanent failures against an aiosmtpd relay that misbehaves like
real relays. Waits are asserted through the injected sleep, never the wall clock."""

from __future__ import annotations

import math
import socket

import pytest

from tests.notify.conftest import Sleeps, expected_copies
from watcloud.notify import Message, send_batch
from watcloud.notify.smtp import deliver
from watcloud.notify.testing import RelayBehaviour

pytestmark = pytest.mark.integration


def _msgs(n: int, prefix: str = "m") -> list[Message]:
    return [
        Message(to=[f"user{i}@example.org"], subject=f"{prefix} {i}", text=f"body {i}")
        for i in range(n)
    ]


def _exactly_once(relay, msgs: list[Message]) -> None:
    counts = relay.deliveries_by_recipient()
    expected = expected_copies(msgs)
    assert set(counts) == expected, "every recipient of every message delivered"
    assert set(counts.values()) == {1}, "and none twice"


def test_452_is_retried_with_capped_exponential_backoff(relay_factory, settings_for):
    relay = relay_factory(
        RelayBehaviour(rcpt_replies={"busy@example.org": ("452 4.2.2 mailbox busy", 3)})
    )
    sleeps = Sleeps()
    settings = settings_for(relay, backoff_base=1.0, backoff_cap=3.0, jitter=0.5, max_attempts=5)
    # rng() = 0: the smallest jitter factor (1 - 0.5) every time.
    [r] = send_batch(
        [Message(to=["busy@example.org"], subject="s", text="t")],
        settings,
        sleep=sleeps,
        rng=lambda: 0.0,
    )
    assert r.status == "sent" and r.attempts == 4
    assert sleeps.calls == [0.5, 1.0, 1.5]  # 1, 2, 4 (capped to 3) times 0.5
    sleeps2 = Sleeps()
    relay.behaviour.rcpt_replies["busy@example.org"] = ("452 4.2.2 mailbox busy", 3)
    [r2] = send_batch(
        [Message(to=["busy@example.org"], subject="s2", text="t")],
        settings,
        sleep=sleeps2,
        rng=lambda: 1.0,
    )
    assert r2.status == "sent"
    assert sleeps2.calls == [1.5, 3.0, 3.0]  # 1.5, 3.0, 6.0 -> capped at backoff_cap=3
    assert len(relay.delivered) == 2


def test_transient_failures_outlasting_retries_fail_without_spool(relay_factory, settings_for):
    relay = relay_factory(
        RelayBehaviour(rcpt_replies={"busy@example.org": ("451 4.3.0 try later", None)})
    )
    sleeps = Sleeps()
    [r] = send_batch(
        [Message(to=["busy@example.org"], subject="s", text="t")],
        settings_for(relay, max_attempts=3),
        sleep=sleeps,
    )
    assert r.status == "failed" and r.attempts == 3 and len(sleeps.calls) == 2
    assert r.recipients == {"busy@example.org": "451 4.3.0 try later"}
    assert "gave up after 3 attempt(s)" in (r.error or "")
    assert relay.delivered == []


def test_5xx_at_data_is_permanent_and_not_retried(relay_factory, settings_for):
    relay = relay_factory(
        RelayBehaviour(data_replies={"spammy": ("554 5.7.1 message rejected", None)})
    )
    sleeps = Sleeps()
    results = send_batch(
        [
            Message(to=["a@example.org", "b@example.org"], subject="spammy offer", text="t"),
            Message(to=["c@example.org"], subject="fine", text="t"),
        ],
        settings_for(relay),
        sleep=sleeps,
    )
    assert [r.status for r in results] == ["failed", "sent"]
    assert results[0].recipients == {
        "a@example.org": "554 5.7.1 message rejected",
        "b@example.org": "554 5.7.1 message rejected",
    }
    assert results[0].attempts == 1 and sleeps.calls == []
    assert [d.subject for d in relay.delivered] == ["fine"]


def test_421_and_close_after_k_per_connection_reconnects(relay_factory, settings_for):
    # The relay allows 4 messages per connection, then says 421 and closes; the client thinks
    # it may send 10. Every 421 costs a reconnect, nothing is lost or doubled.
    relay = relay_factory(RelayBehaviour(per_connection_limit=4))
    sleeps = Sleeps()
    msgs = _msgs(20)
    report = deliver(
        msgs,
        settings_for(relay, pool_size=1, messages_per_connection=10, max_attempts=3),
        sleep=sleeps,
    )
    assert all(r.status == "sent" for r in report.results)
    _exactly_once(relay, msgs)
    assert relay.replies_421 == report.stats.reconnects > 0
    # one connection per 4 messages after the first, 421s included
    assert relay.connections == report.stats.connections_opened
    assert relay.connections <= math.ceil(20 / 10) + report.stats.reconnects
    assert len(sleeps.calls) == report.stats.retries == relay.replies_421


def test_421_rate_window_all_delivered_exactly_once(relay_factory, settings_for):
    # 421 + close when more than 5 messages arrived in the last 0.3 s (across connections).
    relay = relay_factory(RelayBehaviour(window_limit=5, window_seconds=0.3))
    sleeps = Sleeps(scale=1.0)  # really wait, and record
    msgs = _msgs(30, "win")
    settings = settings_for(
        relay,
        pool_size=3,
        messages_per_connection=50,
        backoff_base=0.1,
        backoff_cap=0.4,
        jitter=0.5,
        max_attempts=12,
    )
    report = deliver(msgs, settings, sleep=sleeps)
    assert [r.status for r in report.results] == ["sent"] * 30
    _exactly_once(relay, msgs)
    assert relay.replies_421 > 0 and report.stats.reconnects == relay.replies_421
    assert relay.connections <= math.ceil(30 / 50) + 3 - 1 + report.stats.reconnects
    assert all(d >= 0.1 * 0.5 for d in sleeps.calls)
    assert max(r.attempts for r in report.results) > 1


def test_rate_limit_keeps_the_relay_happy(relay_factory, settings_for):
    # The client's token bucket (fake clock) spaces messages; the limiter's waits go through
    # the injected sleep, which also advances the fake clock.
    relay = relay_factory()
    clock = [0.0]
    sleeps: list[float] = []

    def sleep(d: float) -> None:
        sleeps.append(d)
        clock[0] += d

    settings = settings_for(relay, pool_size=2, rate_per_second=10.0, rate_per_minute=30.0)
    report = deliver(_msgs(40, "rl"), settings, sleep=sleep, clock=lambda: clock[0])
    assert all(r.status == "sent" for r in report.results)
    # The minute bucket holds 30 tokens and refills 0.5 per second: the 40th message needs
    # 30 + 0.5 * T >= 40, so it cannot go before T = 20 s of (fake) time.
    assert clock[0] >= (40 - 30) * 2.0 - 1e-9
    assert report.stats.rate_limited_seconds == pytest.approx(sum(sleeps))


def test_dropped_connection_mid_transaction_is_retried(relay_factory, settings_for):
    relay = relay_factory(
        RelayBehaviour(drop_at_data={"drop me": 2}, drop_at_rcpt={"flaky@example.org": 1})
    )
    sleeps = Sleeps()
    msgs = [
        Message(to=["a@example.org"], subject="drop me", text="t"),
        Message(to=["flaky@example.org", "b@example.org"], subject="rcpt drop", text="t"),
        *_msgs(8),
    ]
    report = deliver(msgs, settings_for(relay, pool_size=2, max_attempts=4), sleep=sleeps)
    assert [r.status for r in report.results] == ["sent"] * 10
    assert report.results[0].attempts == 3  # dropped twice at DATA
    assert report.results[1].attempts == 2
    assert relay.drops == 3 and report.stats.reconnects >= 3
    _exactly_once(relay, msgs)


def test_slow_replies_and_timeouts(relay_factory, settings_for):
    # Slow but within the timeout: delivered on the first try.
    relay = relay_factory(RelayBehaviour(delay=0.05))
    report = deliver(_msgs(4, "slow"), settings_for(relay, pool_size=2))
    assert all(r.status == "sent" and r.attempts == 1 for r in report.results)
    # The first reply takes longer than the client's timeout: a timeout is transient.
    relay2 = relay_factory(RelayBehaviour(delay=4.0, delay_times=1))
    sleeps = Sleeps()
    [r] = send_batch(
        [Message(to=["a@example.org"], subject="slow", text="t")],
        settings_for(relay2, timeout=1.0),
        sleep=sleeps,
    )
    assert r.status == "sent" and r.attempts == 2 and len(sleeps.calls) == 1
    assert len(relay2.delivered) == 1


def test_unreachable_server_trips_the_breaker_quickly(settings_for, tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now

    class Dead:
        pass

    dead = Dead()
    dead.port = port  # type: ignore[attr-defined]
    sleeps = Sleeps()
    settings = settings_for(dead, pool_size=2, max_attempts=3, spool=tmp_path / "spool.sqlite")
    report = deliver(_msgs(50, "dead"), settings, sleep=sleeps)
    assert {r.status for r in report.results} == {"spooled"}
    assert report.fatal is not None and "cannot connect" in report.fatal
    # 3 connection failures in a row stop the run: far fewer attempts than 50 x 3.
    assert sum(r.attempts for r in report.results) <= 3 + 2
    assert len(sleeps.calls) <= 3


def test_idle_connection_closed_by_the_relay_is_reopened_without_backoff(
    relay_factory, settings_for
):
    # The relay closes connections idle for 0.3 s. The first message's recipient is busy once;
    # its backoff (really slept, 0.6 s) outlasts the idle timeout, so the pooled connection is
    # dead when the retry starts: reconnect at once, no extra attempt, no extra wait.
    relay = relay_factory(
        RelayBehaviour(idle_timeout=0.3, rcpt_replies={"busy@example.org": ("452 4.2.2 busy", 1)})
    )
    sleeps = Sleeps(scale=1.0)
    settings = settings_for(relay, pool_size=1, backoff_base=0.6, backoff_cap=0.6, jitter=0.0)
    [r] = send_batch(
        [Message(to=["busy@example.org"], subject="s", text="t")], settings, sleep=sleeps
    )
    assert r.status == "sent" and r.attempts == 2
    assert sleeps.calls == [0.6]
    assert relay.connections == 2 and len(relay.delivered) == 1
