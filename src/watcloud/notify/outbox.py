"""The spool: a SQLite outbox of messages not yet delivered and a log of finished ids.

Exactly once across runs: a message is written to `outbox` before its first attempt, owned by
this run, and moved from `outbox` to `done` in one transaction when every recipient has a final
answer. An id found in `done` is not sent again.

Ownership ends with the owner. Each run (`Outbox`) holds an exclusive `flock` on its own lock
file, `<spool>.owners/<owner>.lock`, for as long as it is open: the kernel releases it when the
process exits, however it exits (kill -9 included), and it works across PID namespaces
(containers sharing the volume), where a pid would mean nothing. A row whose owner's lock can
be taken belongs to a dead run and is taken over at once; a row whose owner still holds its lock
is never touched. The lock file records the owner's pid and boot id, for people.

Intent: the body of a DATA goes to the relay first, without its final "."; then the worker
commits `state = 'sending'` with the recipients the relay accepted, and only then writes the
three bytes ".\r\n" that make the relay take the message. A relay discards a transaction whose
"." never came, so a row in state `queued` was never delivered and is sent; a row taken over in
state `sending` had its "." written unless the process died in the microseconds between that
commit and the next system call, and is finished as sent without sending it again
(`SendResult.note` says so). See docs/notify.md, "Crashes", for what remains.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import sqlite3
import threading
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from watcloud.core.errors import WatcloudError
from watcloud.core.state import open_db, transaction
from watcloud.core.timez import now

MIGRATIONS = [
    """
    CREATE TABLE outbox (
        id TEXT PRIMARY KEY,
        sender TEXT NOT NULL,
        pending TEXT NOT NULL,       -- JSON list: recipients still to deliver
        outcome TEXT NOT NULL,       -- JSON object: recipient -> "ok" or the last reply
        raw BLOB NOT NULL,           -- the message exactly as sent (same Date, Message-ID)
        subject TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        queued_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        lease_until REAL NOT NULL DEFAULT 0
    );
    CREATE TABLE done (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL,        -- sent | failed (a recipient refused permanently)
        outcome TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        subject TEXT NOT NULL,
        finished_at TEXT NOT NULL
    );
    """,
    # owner: the run holding the row (its lock file's name); state: queued | sending;
    # sending: JSON list, the recipients of the DATA whose final "." is being written.
    # (No comments inside: SQLite splices an added column's text into the CREATE TABLE.)
    """
    ALTER TABLE outbox ADD COLUMN owner TEXT;
    ALTER TABLE outbox ADD COLUMN state TEXT NOT NULL DEFAULT 'queued';
    ALTER TABLE outbox ADD COLUMN sending TEXT
    """,
]


def boot_id() -> str:
    """This boot's id (`/proc/sys/kernel/random/boot_id`), or "" where there is none."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


class _Owner:
    """This run's claim: an exclusive flock on `<dir>/<token>.lock`, held until `release`.

    The file is created under a temporary name, locked, then renamed into place, so a lock file
    with its final name is locked from the moment it can be seen until its owner is gone.
    """

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.dir = directory
        self.token = f"{os.getpid()}-{secrets.token_hex(6)}"
        tmp = directory / f".{self.token}.tmp"
        # Readable by all (it holds a pid and a boot id): another user's run sharing the spool
        # must be able to open it to try the lock.
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, f"pid {os.getpid()}\nboot_id {boot_id()}\n".encode())
        os.rename(tmp, self.path(self.token))
        self.fd: int | None = fd

    def path(self, token: str) -> Path:
        return self.dir / f"{token}.lock"

    def alive(self, token: str) -> bool:
        """Whether the run `token` still holds its lock (is still running)."""
        if token == self.token:
            return True
        try:
            fd = os.open(self.path(token), os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        except OSError:
            return True  # cannot tell: never take a row that might be a live run's
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return True
        # Dead: nobody can lock this name again (tokens are unique), so it can go.
        with contextlib.suppress(OSError):
            os.unlink(self.path(token))
        os.close(fd)
        return False

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path(self.token))
        os.close(self.fd)
        self.fd = None


@dataclass
class Spooled:
    id: str
    sender: str
    pending: list[str]
    outcome: dict[str, str]
    raw: bytes
    subject: str
    attempts: int
    last_error: str | None
    # Recipients whose copy a dead run was finishing ("." next) when it died (state 'sending').
    sending: list[str] = field(default_factory=list)


@dataclass
class DoneEntry:
    id: str
    status: str
    outcome: dict[str, str]
    attempts: int


class Outbox:
    """One run's view of the spool. Used from the calling thread and, for `mark_sending` and
    `mark_unsent`, from the pool's workers: one connection, behind one lock."""

    def __init__(self, path: Path, *, keep_days: float | None = None) -> None:
        self.path = Path(path)
        # One connection for the run, shared by the calling thread and the pool's workers
        # (their intent marks) behind `_lock`: two connections of one process would wait for
        # each other in SQLite's busy handler (sleeps of milliseconds), 12x slower here.
        self.db: sqlite3.Connection = open_db(self.path, MIGRATIONS, check_same_thread=False)
        self._lock = threading.RLock()
        owners = self.path.with_name(self.path.name + ".owners")
        try:
            self._owner = _Owner(owners)
        except OSError as exc:
            self.db.close()
            raise WatcloudError(f"{owners}: cannot create this run's lock: {exc}") from None
        self.owner = self._owner.token
        if keep_days is not None:
            self.prune(keep_days)

    def prune(self, keep_days: float) -> int:
        """Forget finished ids older than `keep_days` (the same content may then go out again)."""
        cutoff = (now() - timedelta(days=keep_days)).isoformat()
        with self._lock, transaction(self.db):
            cur = self.db.execute("DELETE FROM done WHERE finished_at < ?", (cutoff,))
        return cur.rowcount

    def close(self) -> None:
        """Release every row this run still holds (they go out on the next run), then the lock."""
        with self._lock:
            with contextlib.suppress(sqlite3.Error), transaction(self.db):
                self.db.execute("UPDATE outbox SET owner = NULL WHERE owner = ?", (self.owner,))
            self.db.close()
        self._owner.release()

    def done(self, id: str) -> DoneEntry | None:
        with self._lock:
            row = self.db.execute(
                "SELECT id, status, outcome, attempts FROM done WHERE id = ?", (id,)
            ).fetchone()
        if row is None:
            return None
        return DoneEntry(row["id"], row["status"], json.loads(row["outcome"]), row["attempts"])

    def _free(self, owners: dict[str, bool], owner: str | None) -> bool:
        if owner is None:
            return True
        if owner not in owners:
            owners[owner] = not self._owner.alive(owner)
        return owners[owner]

    def claim_pending(self, ids: Collection[str] | None = None) -> list[Spooled]:
        """Take every outbox row (or those of `ids`) no live run holds, oldest first: a dead
        run's rows at once, a live run's never."""
        owners: dict[str, bool] = {}  # owner -> free (dead)
        wanted = None if ids is None else set(ids)
        with self._lock, transaction(self.db):
            rows = [
                r
                for r in self.db.execute(
                    "SELECT * FROM outbox WHERE owner IS NULL OR owner != ? ORDER BY queued_at, id",
                    (self.owner,),
                ).fetchall()
                if (wanted is None or r["id"] in wanted) and self._free(owners, r["owner"])
            ]
            self.db.executemany(
                "UPDATE outbox SET owner = ? WHERE id = ?", [(self.owner, r["id"]) for r in rows]
            )
        return [
            Spooled(
                r["id"],
                r["sender"],
                json.loads(r["pending"]),
                json.loads(r["outcome"]),
                bytes(r["raw"]),
                r["subject"],
                r["attempts"],
                r["last_error"],
                json.loads(r["sending"]) if r["state"] == "sending" and r["sending"] else [],
            )
            for r in rows
        ]

    def holder(self, id: str) -> str | None:
        """The live run holding outbox row `id` (not this one), else None."""
        with self._lock:
            row = self.db.execute("SELECT owner FROM outbox WHERE id = ?", (id,)).fetchone()
        if row is None or row["owner"] in (None, self.owner):
            return None
        return None if self._free({}, row["owner"]) else str(row["owner"])

    def add(self, items: list[Spooled]) -> dict[str, str]:
        """Write new messages (owned by this run) before their first attempt, in one
        transaction. A message that another run finished or put in the outbox since this run
        looked (two runs sending the same batch at once) is not written: returned as
        id -> "done" or "held", and must not be sent by this run."""
        stamp = now().isoformat()
        skipped: dict[str, str] = {}
        with self._lock, transaction(self.db):
            for s in items:
                if self.db.execute("SELECT 1 FROM done WHERE id = ?", (s.id,)).fetchone():
                    skipped[s.id] = "done"
                    continue
                if self.db.execute("SELECT 1 FROM outbox WHERE id = ?", (s.id,)).fetchone():
                    skipped[s.id] = "held"
                    continue
                self.db.execute(
                    "INSERT INTO outbox (id, sender, pending, outcome, raw, subject, attempts,"
                    " last_error, queued_at, updated_at, lease_until, owner, state)"
                    " VALUES (?, ?, ?, ?, ?, ?, 0, NULL, ?, ?, 0, ?, 'queued')",
                    (
                        s.id,
                        s.sender,
                        json.dumps(s.pending),
                        json.dumps(s.outcome),
                        s.raw,
                        s.subject,
                        stamp,
                        stamp,
                        self.owner,
                    ),
                )
        return skipped

    def _mark(self, sql: str, args: tuple[Any, ...]) -> None:
        with self._lock:
            self.db.execute(sql, args)  # autocommit: one statement, one transaction

    def mark_sending(self, id: str, recipients: list[str]) -> None:
        """Intent, committed before the final "." of DATA for `recipients` (any thread)."""
        self._mark(
            "UPDATE outbox SET state = 'sending', sending = ? WHERE id = ? AND owner = ?",
            (json.dumps(recipients), id, self.owner),
        )

    def mark_unsent(self, id: str) -> None:
        """The relay did not take that DATA (an error reply, or no reply at all)."""
        self._mark(
            "UPDATE outbox SET state = 'queued', sending = NULL WHERE id = ? AND owner = ?",
            (id, self.owner),
        )

    def finish(
        self, id: str, status: str, outcome: dict[str, str], attempts: int, subject: str
    ) -> None:
        """Every recipient answered: move the message from the outbox to the done log."""
        with self._lock, transaction(self.db):
            self.db.execute("DELETE FROM outbox WHERE id = ?", (id,))
            self.db.execute(
                "INSERT OR REPLACE INTO done (id, status, outcome, attempts, subject, finished_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (id, status, json.dumps(outcome), attempts, subject, now().isoformat()),
            )

    def keep(
        self, id: str, pending: list[str], outcome: dict[str, str], attempts: int, error: str | None
    ) -> None:
        """Still undeliverable: keep it for the next run (released by this run)."""
        with self._lock, transaction(self.db):
            self.db.execute(
                "UPDATE outbox SET pending = ?, outcome = ?, attempts = ?, last_error = ?,"
                " updated_at = ?, owner = NULL, state = 'queued', sending = NULL WHERE id = ?",
                (json.dumps(pending), json.dumps(outcome), attempts, error, now().isoformat(), id),
            )

    def list_outbox(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self.db.execute(
                "SELECT id, subject, pending, attempts, last_error, queued_at, updated_at,"
                " owner, state FROM outbox ORDER BY queued_at, id"
            ).fetchall()
        owners: dict[str, bool] = {}
        return [
            {
                "id": r["id"],
                "subject": r["subject"],
                "pending": json.loads(r["pending"]),
                "attempts": r["attempts"],
                "last_error": r["last_error"],
                "queued_at": r["queued_at"],
                "updated_at": r["updated_at"],
                "held_by": None if self._free(owners, r["owner"]) else r["owner"],
                "state": r["state"],
            }
            for r in rows
        ]
