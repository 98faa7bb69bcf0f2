"""SQLite state: notice versions, decisions, announcements sent, HTTP validators, mail seen.

Storage only. The exactly-once rule (what to announce, given what was announced) is the pure
`decide.plan`; this module records what it needs: the last announcement per notice, one row
per channel only after that channel accepted it, and the outbox of messages handed over.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from watcloud.core.state import open_db, transaction
from watcloud.core.timez import now, parse_iso
from watcloud.outage.analysis import Analysis
from watcloud.outage.decide import fingerprint

MIGRATIONS = [
    """
    CREATE TABLE notices (
        key TEXT PRIMARY KEY,           -- "plantops:2496", "mail:<message-id>"
        source TEXT NOT NULL,
        url TEXT,
        title TEXT,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        event_end TEXT                  -- last window end (ISO), NULL when unknown
    );
    CREATE TABLE versions (
        id INTEGER PRIMARY KEY,
        notice_key TEXT NOT NULL REFERENCES notices(key),
        content_hash TEXT NOT NULL,
        fetched_at TEXT NOT NULL,
        title TEXT,
        body TEXT NOT NULL,
        UNIQUE (notice_key, content_hash)
    );
    CREATE TABLE decisions (
        id INTEGER PRIMARY KEY,
        version_id INTEGER NOT NULL REFERENCES versions(id),
        decided_at TEXT NOT NULL,
        relevant INTEGER NOT NULL,
        status TEXT NOT NULL,
        windows TEXT NOT NULL,          -- JSON list of {start, end}
        buildings TEXT NOT NULL,        -- JSON list
        reasons TEXT NOT NULL,          -- JSON list of {code, message, evidence}
        fingerprint TEXT NOT NULL
    );
    CREATE TABLE announcements (
        id INTEGER PRIMARY KEY,
        notice_key TEXT NOT NULL REFERENCES notices(key),
        kind TEXT NOT NULL,             -- scheduled | updated | cancelled | reminder
        fingerprint TEXT NOT NULL,
        channel TEXT NOT NULL,          -- email | discord
        sent_at TEXT NOT NULL,
        detail TEXT,
        UNIQUE (notice_key, kind, fingerprint, channel)
    );
    CREATE TABLE http_cache (
        url TEXT PRIMARY KEY,
        etag TEXT,
        last_modified TEXT,
        body TEXT,
        fetched_at TEXT NOT NULL
    );
    CREATE TABLE warnings (
        key TEXT PRIMARY KEY,
        message TEXT NOT NULL,
        last_sent TEXT NOT NULL
    )
    """,
    # Issue 16: every message of an announcement (one per email recipient, one for Discord) is
    # recorded here, committed, before it is handed to the relay; a restart finishes the
    # queued ones with the same ids (notify's outbox answers "duplicate" for those the relay
    # already accepted) and never builds them again.
    """
    CREATE TABLE outbox (
        msg_id TEXT PRIMARY KEY,        -- notify's idempotency key
        notice_key TEXT NOT NULL,
        kind TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        channel TEXT NOT NULL,          -- email | discord
        recipient TEXT,                 -- one address per email message
        subject TEXT NOT NULL,
        payload TEXT NOT NULL,          -- JSON: exactly what is handed over (text/html, embed)
        state TEXT NOT NULL,            -- queued | sent | failed
        detail TEXT,
        queued_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX outbox_state ON outbox(state)
    """,
]


@dataclass
class OutboxItem:
    """One message of an announcement: what is handed to notify (email) or Discord."""

    msg_id: str
    notice_key: str
    kind: str
    fingerprint: str
    channel: str
    recipient: str | None
    subject: str
    payload: dict[str, Any]


class State:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = open_db(path, MIGRATIONS)
        # The outbox rows are the promise not to send twice: committed to disk, not only to
        # the WAL in memory, before a message is handed over.
        self.db.execute("PRAGMA synchronous=FULL")

    def close(self) -> None:
        self.db.close()

    # --- notices and versions -----------------------------------------------------------

    def notice(self, key: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM notices WHERE key = ?", (key,)
        ).fetchone()
        return row

    def notices(self, source: str | None = None) -> list[sqlite3.Row]:
        if source is None:
            return list(self.db.execute("SELECT * FROM notices ORDER BY key"))
        return list(
            self.db.execute("SELECT * FROM notices WHERE source = ? ORDER BY key", (source,))
        )

    def record(
        self,
        key: str,
        source: str,
        url: str | None,
        title: str,
        body: str,
        a: Analysis,
        *,
        at: datetime | None = None,
    ) -> bool:
        """Record a notice version and its decision. True when this version is new."""
        at = at or now()
        stamp = at.isoformat()
        digest = hashlib.sha256(f"{title}\n{body}".encode()).hexdigest()
        ends = [w.end for w in a.windows]
        event_end = max(ends).isoformat() if ends else None
        with transaction(self.db):
            self.db.execute(
                "INSERT INTO notices(key, source, url, title, first_seen, last_seen, event_end) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                "last_seen = excluded.last_seen, title = excluded.title, url = excluded.url, "
                "event_end = excluded.event_end",
                (key, source, url, title, stamp, stamp, event_end),
            )
            cur = self.db.execute(
                "INSERT OR IGNORE INTO versions(notice_key, content_hash, fetched_at, title, body) "
                "VALUES (?, ?, ?, ?, ?)",
                (key, digest, stamp, title, body),
            )
            if cur.rowcount == 0:
                return False
            vid = cur.lastrowid
            self.db.execute(
                "INSERT INTO decisions(version_id, decided_at, relevant, status, windows, buildings,"  # noqa: E501
                " reasons, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    vid,
                    stamp,
                    int(a.relevant),
                    a.decision.status,
                    json.dumps([w.iso() for w in a.windows]),
                    json.dumps(a.decision.buildings),
                    json.dumps([r.__dict__ for r in a.decision.reasons]),
                    fingerprint(a),
                ),
            )
        return True

    def first_seen(self, key: str) -> datetime | None:
        row = self.notice(key)
        return parse_iso(row["first_seen"]) if row else None

    # --- announcements ------------------------------------------------------------------

    def last_announced(self, key: str) -> tuple[str, str] | None:
        row = self.db.execute(
            "SELECT kind, fingerprint FROM announcements WHERE notice_key = ? AND kind != 'reminder'"  # noqa: E501
            " ORDER BY id DESC LIMIT 1",
            (key,),
        ).fetchone()
        return (row["kind"], row["fingerprint"]) if row else None

    def reminded(self, key: str, fp: str) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM announcements WHERE notice_key = ? AND kind = 'reminder' AND "
            "fingerprint = ?",
            (key, fp),
        ).fetchone()
        return row is not None

    def sent_channels(self, key: str, kind: str, fp: str) -> set[str]:
        rows = self.db.execute(
            "SELECT channel FROM announcements WHERE notice_key = ? AND kind = ? AND fingerprint = ?",  # noqa: E501
            (key, kind, fp),
        )
        return {r["channel"] for r in rows}

    def mark_sent(self, key: str, kind: str, fp: str, channel: str, detail: str) -> None:
        with transaction(self.db):
            self.db.execute(
                "INSERT OR IGNORE INTO announcements(notice_key, kind, fingerprint, channel, "
                "sent_at, detail) VALUES (?, ?, ?, ?, ?, ?)",
                (key, kind, fp, channel, now().isoformat(), detail),
            )

    # --- the announcement outbox (exactly once through a crash) --------------------------

    def queue(self, items: list[OutboxItem]) -> None:
        """Record the messages of an announcement (one transaction) before any is handed over.
        An id already recorded keeps its row: a restart never builds a message twice."""
        stamp = now().isoformat()
        with transaction(self.db):
            self.db.executemany(
                "INSERT OR IGNORE INTO outbox(msg_id, notice_key, kind, fingerprint, channel,"
                " recipient, subject, payload, state, queued_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)",
                [
                    (
                        i.msg_id,
                        i.notice_key,
                        i.kind,
                        i.fingerprint,
                        i.channel,
                        i.recipient,
                        i.subject,
                        json.dumps(i.payload),
                        stamp,
                        stamp,
                    )
                    for i in items
                ],
            )

    def queued(self) -> list[OutboxItem]:
        rows = self.db.execute("SELECT * FROM outbox WHERE state = 'queued' ORDER BY rowid")
        return [
            OutboxItem(
                r["msg_id"],
                r["notice_key"],
                r["kind"],
                r["fingerprint"],
                r["channel"],
                r["recipient"],
                r["subject"],
                json.loads(r["payload"]),
            )
            for r in rows
        ]

    def finish(self, item: OutboxItem, ok: bool, detail: str) -> bool:
        """The message got its final answer. When every message of its channel has one, the
        channel is recorded as announced (same transaction). True when that happened."""
        stamp = now().isoformat()
        with transaction(self.db):
            self.db.execute(
                "UPDATE outbox SET state = ?, detail = ?, updated_at = ? WHERE msg_id = ?",
                ("sent" if ok else "failed", detail, stamp, item.msg_id),
            )
            left = self.db.execute(
                "SELECT COUNT(*) FROM outbox WHERE notice_key = ? AND kind = ? AND"
                " fingerprint = ? AND channel = ? AND state = 'queued'",
                (item.notice_key, item.kind, item.fingerprint, item.channel),
            ).fetchone()[0]
            if left:
                return False
            self.db.execute(
                "INSERT OR IGNORE INTO announcements(notice_key, kind, fingerprint, channel, "
                "sent_at, detail) VALUES (?, ?, ?, ?, ?, ?)",
                (item.notice_key, item.kind, item.fingerprint, item.channel, stamp, detail),
            )
        return True

    def outbox(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute("SELECT * FROM outbox ORDER BY rowid")]

    def announcements(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute("SELECT * FROM announcements ORDER BY id")]

    # --- HTTP validators ------------------------------------------------------------------

    def http_get(self, url: str) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM http_cache WHERE url = ?", (url,)
        ).fetchone()
        return row

    def http_put(self, url: str, etag: str | None, last_modified: str | None, body: str) -> None:
        with transaction(self.db):
            self.db.execute(
                "INSERT INTO http_cache(url, etag, last_modified, body, fetched_at) VALUES "
                "(?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET etag = excluded.etag, "
                "last_modified = excluded.last_modified, body = excluded.body, "
                "fetched_at = excluded.fetched_at",
                (url, etag, last_modified, body, now().isoformat()),
            )

    # --- admin warnings (at most one mail per warning per day) ----------------------------

    def should_warn(self, key: str, message: str, *, at: datetime | None = None) -> bool:
        at = at or now()
        row = self.db.execute("SELECT last_sent FROM warnings WHERE key = ?", (key,)).fetchone()
        if row is not None and (at - parse_iso(row["last_sent"])).total_seconds() < 86400:
            return False
        with transaction(self.db):
            self.db.execute(
                "INSERT INTO warnings(key, message, last_sent) VALUES (?, ?, ?) ON CONFLICT(key) "
                "DO UPDATE SET message = excluded.message, last_sent = excluded.last_sent",
                (key, message, at.isoformat()),
            )
        return True
