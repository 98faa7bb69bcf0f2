"""The spool: a SQLite outbox of messages not yet delivered and a log of finished ids.

Exactly once across runs: a message is written to `outbox` before its first attempt (with a
lease, so two runs at the same time never both send it), deleted from `outbox` and written to
`done` in one transaction when every recipient has a final answer. An id found in `done` is not
sent again. A run that crashes leaves its rows leased until `lease_until`; after that the next
run sends them.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

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
]


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


@dataclass
class DoneEntry:
    id: str
    status: str
    outcome: dict[str, str]
    attempts: int


class Outbox:
    """One run's view of the spool. Used from one thread (the pool reports to it)."""

    def __init__(
        self, path: Path, *, lease_seconds: float = 3600.0, keep_days: float | None = None
    ) -> None:
        self.path = Path(path)
        self.db: sqlite3.Connection = open_db(self.path, MIGRATIONS)
        self.lease_seconds = lease_seconds
        if keep_days is not None:
            self.prune(keep_days)

    def prune(self, keep_days: float) -> int:
        """Forget finished ids older than `keep_days` (the same content may then go out again)."""
        cutoff = (now() - timedelta(days=keep_days)).isoformat()
        with transaction(self.db):
            cur = self.db.execute("DELETE FROM done WHERE finished_at < ?", (cutoff,))
        return cur.rowcount

    def close(self) -> None:
        self.db.close()

    def done(self, id: str) -> DoneEntry | None:
        row = self.db.execute(
            "SELECT id, status, outcome, attempts FROM done WHERE id = ?", (id,)
        ).fetchone()
        if row is None:
            return None
        return DoneEntry(row["id"], row["status"], json.loads(row["outcome"]), row["attempts"])

    def claim_pending(self) -> list[Spooled]:
        """Lease every outbox row no other run holds, oldest first."""
        t = time.time()
        with transaction(self.db):
            rows = self.db.execute(
                "SELECT * FROM outbox WHERE lease_until < ? ORDER BY queued_at, id", (t,)
            ).fetchall()
            self.db.execute(
                "UPDATE outbox SET lease_until = ? WHERE lease_until < ?",
                (t + self.lease_seconds, t),
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
            )
            for r in rows
        ]

    def is_leased(self, id: str) -> bool:
        row = self.db.execute("SELECT lease_until FROM outbox WHERE id = ?", (id,)).fetchone()
        return row is not None

    def add(self, items: list[Spooled]) -> None:
        """Write new messages (leased to this run) before their first attempt."""
        stamp = now().isoformat()
        lease = time.time() + self.lease_seconds
        with transaction(self.db):
            self.db.executemany(
                "INSERT INTO outbox (id, sender, pending, outcome, raw, subject, attempts,"
                " last_error, queued_at, updated_at, lease_until)"
                " VALUES (?, ?, ?, ?, ?, ?, 0, NULL, ?, ?, ?)",
                [
                    (
                        s.id,
                        s.sender,
                        json.dumps(s.pending),
                        json.dumps(s.outcome),
                        s.raw,
                        s.subject,
                        stamp,
                        stamp,
                        lease,
                    )
                    for s in items
                ],
            )

    def finish(
        self, id: str, status: str, outcome: dict[str, str], attempts: int, subject: str
    ) -> None:
        """Every recipient answered: move the message from the outbox to the done log."""
        with transaction(self.db):
            self.db.execute("DELETE FROM outbox WHERE id = ?", (id,))
            self.db.execute(
                "INSERT OR REPLACE INTO done (id, status, outcome, attempts, subject, finished_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (id, status, json.dumps(outcome), attempts, subject, now().isoformat()),
            )

    def keep(
        self, id: str, pending: list[str], outcome: dict[str, str], attempts: int, error: str | None
    ) -> None:
        """Still undeliverable: keep it for the next run (lease released)."""
        with transaction(self.db):
            self.db.execute(
                "UPDATE outbox SET pending = ?, outcome = ?, attempts = ?, last_error = ?,"
                " updated_at = ?, lease_until = 0 WHERE id = ?",
                (json.dumps(pending), json.dumps(outcome), attempts, error, now().isoformat(), id),
            )

    def list_outbox(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT id, subject, pending, attempts, last_error, queued_at, updated_at"
            " FROM outbox ORDER BY queued_at, id"
        ).fetchall()
        return [
            {
                "id": r["id"],
                "subject": r["subject"],
                "pending": json.loads(r["pending"]),
                "attempts": r["attempts"],
                "last_error": r["last_error"],
                "queued_at": r["queued_at"],
                "updated_at": r["updated_at"],
            }
            for r in rows
        ]
