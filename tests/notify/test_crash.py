"""kill -9 mid-batch, then rerun: every copy delivered, none twice, nothing held.

The batch runs in its own process (tests/notify/crash_driver.py) against a real aiosmtpd relay
in this process. SIGKILL comes from the relay at exact points of the protocol (at MAIL, at
RCPT, with the whole message stored but its 250 not yet sent, right after the 250) or from the
driver itself just before a spool commit. Then the same batch runs again.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.notify.conftest import expected_copies
from tests.notify.crash_driver import notices
from watcloud.notify.config import NotifyConfig
from watcloud.notify.smtp import deliver
from watcloud.notify.testing import RelayBehaviour

pytestmark = pytest.mark.integration
DRIVER = Path(__file__).with_name("crash_driver.py")
N = 8  # notices, two recipients each: 16 copies


def _driver(
    port: int, spool: Path, *extra: str, prefix: tuple[str, ...] = ()
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*prefix, sys.executable, str(DRIVER), str(port), str(spool), str(N), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _state(spool: Path, watcloud_id: str) -> str | None:
    db = sqlite3.connect(f"file:{spool}?mode=ro", uri=True, timeout=5)
    try:
        row = db.execute("SELECT state FROM outbox WHERE id = ?", (watcloud_id,)).fetchone()
    finally:
        db.close()
    return None if row is None else str(row[0])


class Killer:
    """The relay's `on_event`: SIGKILL the driver at the `at`-th event `stage`."""

    def __init__(self, stage: str, at: int, spool: Path, sig: int = signal.SIGKILL) -> None:
        self.stage, self.at, self.spool, self.sig = stage, at, spool, sig
        self.seen = 0
        self.relay = None
        self.proc: subprocess.Popen[str] | None = None
        self.fired = threading.Event()

    def __call__(self, stage: str) -> None:
        if stage != self.stage or self.fired.is_set():
            return
        self.seen += 1
        if self.seen != self.at:
            return
        if stage == "DATA":
            # The relay has the message: the driver committed its intent before the ".".
            wid = self.relay.delivered[-1].watcloud_id  # type: ignore[attr-defined]
            assert _state(self.spool, wid) == "sending"
        assert self.proc is not None
        os.kill(self.proc.pid, self.sig)
        if self.sig == signal.SIGSTOP and _write_locked(self.spool):
            # Stopped inside a spool transaction (a commit takes microseconds, but the other
            # worker or the main thread may be in one): let it go on, stop it at the next one.
            os.kill(self.proc.pid, signal.SIGCONT)
            self.at += 1
            return
        self.fired.set()


def _write_locked(spool: Path) -> bool:
    time.sleep(0.05)  # a stopped process stops within this
    db = sqlite3.connect(spool, timeout=0, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        db.close()


def _held(spool: Path) -> tuple[int, list[Path]]:
    db = sqlite3.connect(spool)
    try:
        rows = db.execute("SELECT count(*) FROM outbox").fetchone()[0]
    finally:
        db.close()
    locks = list(Path(f"{spool}.owners").glob("*.lock"))
    return rows, locks


def _rerun_and_check(relay, spool: Path, *extra: str, twice: int | range = 0) -> dict:
    """`twice`: how many copies may arrive twice (0, or a range under `after_crash: resend`,
    where the copy before the killed one may also be resent when its "done" commit, made by
    the main thread while the connection goes on, had not landed yet)."""
    relay.behaviour.on_event = None
    proc = _driver(relay.port, spool, *extra)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    counts = relay.deliveries_by_recipient()
    assert set(counts) == expected_copies(notices(N)), "100% delivered"
    dupes = sum(c - 1 for c in counts.values())
    assert dupes in (twice if isinstance(twice, range) else (twice,)), "none twice"
    assert _held(spool) == (0, []), "none held: no outbox row, no owner lock left"
    return json.loads(out)


def _rerun_and_check_invariants(relay, spool: Path) -> dict:
    """After a kill at a moment not chosen by the protocol: what must hold whatever it was.
    None twice, nothing held, and a copy missing only with a result that carries the note
    (the window of `test_the_window_left_between_the_intent_and_the_final_dot`)."""
    relay.behaviour.on_event = None
    rerun = _driver(relay.port, spool)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    counts = relay.deliveries_by_recipient()
    assert set(counts.values()) <= {1}, "none twice"
    noted = set(json.loads(out)["noted"])
    for wid, _rcpt in expected_copies(notices(N)) - set(counts):
        assert wid.rpartition(".")[0] in noted or wid in noted
    assert _held(spool) == (0, [])
    return json.loads(out)


# The exact-point tests send on one connection: then, at the moment of the kill, no other
# connection can be inside the window between an intent's commit and its "." (a second
# connection can be, at any moment: the invariant tests below cover that).
ONE = ("--pool-size", "1")


@pytest.mark.parametrize(
    "stage,at",
    [
        ("MAIL", 1),  # everything written to the outbox, nothing sent yet
        ("MAIL", 7),  # mid-batch, between transactions
        ("RCPT", 6),  # mid-transaction, before DATA
        ("DATA", 5),  # the relay has the message; its 250 is never read
        ("REPLIED", 5),  # right after the relay's 250
    ],
)
def test_kill_9_at_a_point_of_the_protocol_then_rerun(relay_factory, tmp_path, stage, at):
    spool = tmp_path / "outbox.sqlite"
    killer = Killer(stage, at, spool)
    relay = relay_factory(RelayBehaviour(on_event=killer))
    killer.relay = relay
    proc = _driver(relay.port, spool, *ONE)
    killer.proc = proc
    proc.communicate(timeout=120)
    assert killer.fired.is_set() and proc.returncode == -signal.SIGKILL
    before = len(relay.delivered)
    assert before < 2 * N  # it died mid-batch
    if stage == "MAIL" and at == 1:
        assert before == 0 and _held(spool)[0] == 2 * N  # all queued, owned by the dead run
    out = _rerun_and_check(relay, spool)
    if stage == "DATA":
        # The copy the relay took while its sender died is concluded sent, not sent again,
        # and the report says why (the copy before it too, when the kill beat its "done"
        # commit, as happens under load; either way none twice, checked above).
        assert len(out["notes"]) in (1, 2)


@pytest.mark.parametrize("at", [3, 9])
def test_kill_9_after_the_body_before_the_intent(relay_factory, tmp_path, at):
    """The body of DATA is out, its final "." is not: the relay drops the transaction when the
    kernel closes the dead process's connection; the row is `queued` and sent again, once."""
    spool = tmp_path / "outbox.sqlite"
    relay = relay_factory()
    proc = _driver(relay.port, spool, *ONE, "--kill", "mark", "--at", str(at))
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert len(relay.delivered) == at - 1
    out = _rerun_and_check(relay, spool)
    # the killed copy had no intent: it is sent again, not noted (the copy before it may be
    # noted when the kill beat its "done" commit under load; none twice either way)
    assert len(out["notes"]) <= 1


@pytest.mark.parametrize("at", [1, 6])
def test_kill_9_after_the_250_before_the_commit(relay_factory, tmp_path, at):
    """The relay's 250 was read, the move to `done` not committed: the row is `sending`, the
    rerun concludes it sent and says so. (While the main thread commits, the connection goes
    on with the next copy, which can be inside its own window: hence the invariants.)"""
    spool = tmp_path / "outbox.sqlite"
    relay = relay_factory()
    proc = _driver(relay.port, spool, *ONE, "--kill", "finish", "--at", str(at))
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    assert at <= len(relay.delivered) < 2 * N
    out = _rerun_and_check_invariants(relay, spool)
    assert len(out["notes"]) >= 1
    assert len(relay.deliveries_by_recipient()) >= 2 * N - 1


def test_the_window_left_between_the_intent_and_the_final_dot(relay_factory, tmp_path):
    """What remains: killed after the intent's commit returned and before the three bytes
    ".\r\n" were handed to the kernel (no I/O between the two, but the thread can be
    preempted there). The relay drops the copy; the rerun concludes it sent from the intent
    and says so in the result's note. Never a duplicate; this one copy is not delivered."""
    spool = tmp_path / "outbox.sqlite"
    relay = relay_factory()
    proc = _driver(relay.port, spool, *ONE, "--kill", "after-mark", "--at", "3")
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    relay.behaviour.on_event = None
    rerun = _driver(relay.port, spool)
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    counts = relay.deliveries_by_recipient()
    [(wid, _rcpt)] = expected_copies(notices(N)) - set(counts)
    assert set(counts.values()) == {1}
    # the copy in the window is concluded sent from its intent and said so; a copy the relay
    # did take whose "done" commit the kill also beat (seen under load) is noted too, and
    # was delivered once (the counts above)
    assert wid.rpartition(".")[0] in json.loads(out)["noted"]
    assert _held(spool) == (0, [])


def test_after_crash_resend_trades_the_window_for_duplicates(relay_factory, tmp_path):
    """`after_crash: resend`: the same window is delivered after all (the "." never went out),
    and a copy the relay did take while its sender died is delivered twice, same bytes."""
    spool = tmp_path / "outbox.sqlite"
    relay = relay_factory()
    proc = _driver(relay.port, spool, *ONE, "--kill", "after-mark", "--at", "3")
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    out = _rerun_and_check(relay, spool, "--after-crash", "resend", twice=range(2))
    assert len(out["notes"]) in (1, 2) and all("sent again" in n for n in out["notes"])

    spool2 = tmp_path / "outbox2.sqlite"
    killer = Killer("DATA", 5, spool2)
    relay2 = relay_factory(RelayBehaviour(on_event=killer))
    killer.relay = relay2
    proc = _driver(relay2.port, spool2, *ONE, "--after-crash", "resend")
    killer.proc = proc
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    _rerun_and_check(relay2, spool2, "--after-crash", "resend", twice=range(1, 3))
    twice = [w for (w, _), c in relay2.deliveries_by_recipient().items() if c == 2]
    for wid in twice:
        first, second = [d for d in relay2.delivered if d.watcloud_id == wid]
        assert first.data == second.data


def test_a_live_run_keeps_its_rows_until_it_dies(relay_factory, tmp_path):
    spool = tmp_path / "outbox.sqlite"
    stopper = Killer("MAIL", 4, spool, sig=signal.SIGSTOP)
    relay = relay_factory(RelayBehaviour(on_event=stopper))
    stopper.relay = relay
    proc = _driver(relay.port, spool, *ONE)  # nothing else in flight when it stops
    stopper.proc = proc
    try:
        assert stopper.fired.wait(60)
        settings = NotifyConfig(
            host="127.0.0.1",
            port=relay.port,
            security="none",
            sender="WATcloud <no-reply@watcloud.test>",
            spool=spool,
        )
        # Stopped, not dead: it still holds its lock, so nothing of its batch is taken...
        sent_before = len(relay.delivered)
        assert deliver([], settings).drained == []
        # ... not even when another run is asked to send the same notices itself.
        again = deliver(notices(N), settings)
        assert {r.status for r in again.results} <= {"spooled", "duplicate"}
        assert any("another run" in (r.error or "") for r in again.results)
        assert len(relay.delivered) == sent_before
        # Dead: the next run takes its rows over at once.
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=60)
        relay.behaviour.on_event = None
        report = deliver([], settings)
        assert report.drained and {d.status for d in report.drained} == {"sent"}
        counts = relay.deliveries_by_recipient()
        assert set(counts) == expected_copies(notices(N)) and set(counts.values()) == {1}
        assert _held(spool) == (0, [])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=60)


def test_two_runs_of_the_same_batch_at_once_send_each_copy_once(relay_factory, tmp_path):
    spool = tmp_path / "outbox.sqlite"
    relay = relay_factory(RelayBehaviour(delay=0.005))
    procs = [_driver(relay.port, spool) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    counts = relay.deliveries_by_recipient()
    assert set(counts) == expected_copies(notices(N)) and set(counts.values()) == {1}
    assert _held(spool) == (0, [])


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_at_random_moments_never_sends_twice(relay_factory, tmp_path, seed):
    """SIGKILL at a random moment of the batch (seeded), then rerun. Whatever the moment:
    no copy twice, nothing held, and a copy not delivered only with a result that says it was
    concluded (the window of `test_the_window_left_between_the_intent_and_the_final_dot`)."""
    import random

    rng = random.Random(seed)
    for round_ in range(3):
        spool = tmp_path / f"outbox-{round_}.sqlite"
        started = threading.Event()
        # 10 ms a reply: the 16 copies take about 0.25 s on 2 connections.
        relay = relay_factory(RelayBehaviour(delay=0.01, on_event=lambda stage, e=started: e.set()))
        proc = _driver(relay.port, spool)
        assert started.wait(60)  # the first MAIL: the batch is under way
        time.sleep(rng.uniform(0.0, 0.25))
        proc.kill()
        proc.communicate(timeout=60)
        _rerun_and_check_invariants(relay, spool)


# The driver's batch makes about 200 `pwrite64` calls (190 to 220 here), all of them SQLite
# writing the spool's WAL (the outbox rows, each intent, each move to `done`); these cut into
# it at spread points, the last ones after the relay has every copy.
@pytest.mark.parametrize("nth", [10, 40, 70, 100, 130, 160])
def test_kill_9_inside_a_spool_commit_via_strace(relay_factory, tmp_path, nth):
    """strace fault injection: SIGKILL on entering the nth `pwrite64`, i.e. in the middle of
    one of the spool's commits (a torn WAL write that SQLite must discard), then rerun."""
    from tests.conftest import require_binary

    [strace] = require_binary("strace")
    spool = tmp_path / "outbox.sqlite"
    relay = relay_factory()
    inject = f"inject=pwrite64:signal=KILL:when={nth}"
    proc = _driver(
        relay.port,
        spool,
        prefix=(strace, "-f", "-qq", "-o", "/dev/null", "-e", "trace=pwrite64", "-e", inject),
    )
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, err
    _rerun_and_check_invariants(relay, spool)
