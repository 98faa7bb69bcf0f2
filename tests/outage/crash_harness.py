"""Run `watcloud outage ...` and SIGKILL the process at a named step of announcing.

    python tests/outage/crash_harness.py POINT N -- outage watch --once --config FILE ...

POINT (the N-th time the step is reached, counting email messages):
- during-record: inside the (uncommitted) transaction that records the notice and its decision;
- before-queue:  before the announcement's messages are recorded in the outage state;
- before-send:   the messages are recorded; message N is about to be handed to notify;
- after-250:     the relay answered 250 for message N and notify returned it as sent;
                 the outage state does not know yet;
- before-commit: the outage state's transaction recording message N is open, not committed.

The kill is a real SIGKILL of this process (no cleanup, no atexit, SQLite left mid-transaction);
the test then starts `watch` again, unpatched.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any


def die() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def install(point: str, n: int) -> None:
    from watcloud.outage import delivery, state

    seen = [0]

    def hit() -> bool:
        seen[0] += 1
        return seen[0] == n

    if point == "during-record":
        orig_record = state.State.record

        def record(self: Any, *args: Any, **kwargs: Any) -> Any:
            if hit():
                self.db.execute("BEGIN IMMEDIATE")
                self.db.execute(
                    "INSERT INTO notices(key, source, first_seen, last_seen) VALUES (?, ?, ?, ?)",
                    ("crash:half-written", "mail", "2000-01-01", "2000-01-01"),
                )
                die()
            return orig_record(self, *args, **kwargs)

        state.State.record = record  # type: ignore[method-assign]
    elif point == "before-queue":
        orig_queue = state.State.queue

        def queue(self: Any, *args: Any, **kwargs: Any) -> Any:
            if hit():
                die()
            return orig_queue(self, *args, **kwargs)

        state.State.queue = queue  # type: ignore[method-assign]
    elif point in ("before-send", "after-250"):
        orig_email = delivery.Delivery._email

        def email(self: Any, *args: Any, **kwargs: Any) -> Any:
            if point == "before-send" and hit():
                die()
            sent = orig_email(self, *args, **kwargs)
            if point == "after-250" and sent.ok and hit():
                die()
            return sent

        delivery.Delivery._email = email  # type: ignore[method-assign]
    elif point == "before-commit":
        orig_finish = state.State.finish

        def finish(self: Any, item: Any, ok: bool, detail: str) -> Any:
            if item.channel == "email" and hit():
                self.db.execute("BEGIN IMMEDIATE")
                self.db.execute("UPDATE outbox SET state = 'sent' WHERE msg_id = ?", (item.msg_id,))
                die()
            return orig_finish(self, item, ok, detail)

        state.State.finish = finish  # type: ignore[method-assign]
    else:
        raise SystemExit(f"unknown crash point {point!r}")


def main() -> None:
    point, n, sep, *args = sys.argv[1:]
    assert sep == "--"
    install(point, int(n))
    from watcloud.cli import run

    raise SystemExit(run(args))


if __name__ == "__main__":
    main()
