"""SQLite state: WAL mode, one transaction per logical change, schema migrations by user_version."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from watcloud.core.errors import WatcloudError

OPEN_RETRY_S = 30  # how long to retry an open that another process's creation locked out


def open_db(
    path: Path, migrations: Sequence[str] = (), *, check_same_thread: bool = True
) -> sqlite3.Connection:
    """Open (creating) the database at `path` and bring its schema up to date.

    `migrations[i]` is a SQL script that takes the schema from version i to i + 1; append new
    ones, never edit old ones. `check_same_thread=False` for a connection that several threads
    share behind a lock of the caller's. While another process is creating the same database,
    SQLite answers "database is locked" at once (without waiting for its busy timeout): the
    open is retried for up to OPEN_RETRY_S, each failed try's connection closed.
    """
    path = Path(path)
    deadline = time.monotonic() + OPEN_RETRY_S
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                path, isolation_level=None, timeout=30, check_same_thread=check_same_thread
            )
        except (OSError, sqlite3.Error) as exc:
            raise WatcloudError(f"{path}: cannot open state database: {exc}") from exc
        try:
            _prepare(conn, path, migrations)
            return conn
        except sqlite3.OperationalError as exc:
            conn.close()
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        except BaseException:
            conn.close()
            raise


def _prepare(conn: sqlite3.Connection, path: Path, migrations: Sequence[str]) -> None:
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(migrations):
        raise WatcloudError(
            f"{path}: state schema version {version} is newer than this watcloud knows "
            f"({len(migrations)}); upgrade watcloud"
        )
    for target, script in enumerate(migrations[version:], start=version + 1):
        with transaction(conn):
            # Another process may have migrated since the version was read (two runs opening a
            # new database at once): look again inside the write transaction.
            if conn.execute("PRAGMA user_version").fetchone()[0] >= target:
                continue
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={target}")


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One logical change: BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
