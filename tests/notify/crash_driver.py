"""A batch sender run as its own process by test_crash.py, so that it can be killed with
SIGKILL (by the test, or by itself at an exact point of the code).

    python tests/notify/crash_driver.py PORT SPOOL N [--kill finish|mark|after-mark --at K]
        [--pool-size P] [--after-crash sent|resend]

Sends N notices, each to two recipients (so 2N copies), through the relay on 127.0.0.1:PORT
with the spool at SPOOL. With `--kill` it SIGKILLs itself at the K-th call of: `finish` just
before `Outbox.finish` (the relay's 250 was read, the commit not made); `mark` just before
`Outbox.mark_sending` (the body of DATA is out, not its final "."); `after-mark` just after
that commit, before the "." is written (the window docs/notify.md describes). Prints one JSON
line: statuses and notes.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any


def notices(n: int) -> list[Any]:
    from watcloud.notify import Message

    return [
        Message(
            to=[f"user{i}@example.org", f"lab{i % 3}@example.org"],
            subject=f"Notice {i}",
            text=f"Your files {i} expire soon.",
            id=f"crash-notice-{i}",
        )
        for i in range(n)
    ]


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("port", type=int)
    ap.add_argument("spool", type=Path)
    ap.add_argument("n", type=int)
    ap.add_argument("--kill", choices=["finish", "mark", "after-mark"])
    ap.add_argument("--at", type=int, default=1)
    ap.add_argument("--pool-size", type=int, default=2)
    ap.add_argument("--after-crash", choices=["sent", "resend"], default="sent")
    args = ap.parse_args(argv)

    from watcloud.notify.config import NotifyConfig
    from watcloud.notify.outbox import Outbox
    from watcloud.notify.smtp import deliver

    if args.kill:
        name = "finish" if args.kill == "finish" else "mark_sending"
        original = getattr(Outbox, name)
        calls = [0]

        def killing(self: Outbox, *a: Any, **kw: Any) -> Any:
            calls[0] += 1
            if calls[0] == args.at and args.kill != "after-mark":
                os.kill(os.getpid(), signal.SIGKILL)
            result = original(self, *a, **kw)
            if calls[0] == args.at:
                os.kill(os.getpid(), signal.SIGKILL)
            return result

        setattr(Outbox, name, killing)

    settings = NotifyConfig(
        host="127.0.0.1",
        port=args.port,
        security="none",
        sender="WATcloud <no-reply@watcloud.test>",
        timeout=10.0,
        pool_size=args.pool_size,
        after_crash=args.after_crash,
        messages_per_connection=5,
        backoff_base=0.01,
        backoff_cap=0.05,
        spool=args.spool,
    )
    report = deliver(notices(args.n), settings)
    print(
        json.dumps(
            {
                "results": [r.status for r in report.results],
                "drained": [r.status for r in report.drained],
                "notes": [r.note for r in report.results + report.drained if r.note],
                "noted": [r.id for r in report.results + report.drained if r.note],
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
