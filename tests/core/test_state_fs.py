from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from watcloud.core.fsutil import atomic_write
from watcloud.core.state import open_db, transaction

MIGRATIONS = [
    "CREATE TABLE a (x INTEGER)",
    "CREATE TABLE b (y TEXT); CREATE INDEX b_y ON b (y)",
]


def test_migrations_apply_once_and_wal(tmp_path: Path) -> None:
    db = tmp_path / "s" / "state.sqlite"
    conn = open_db(db, MIGRATIONS[:1])
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.execute("INSERT INTO a VALUES (1)")
    conn.close()
    conn = open_db(db, MIGRATIONS)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert conn.execute("SELECT x FROM a").fetchall()[0][0] == 1


def test_transaction_rolls_back(tmp_path: Path) -> None:
    conn = open_db(tmp_path / "s.sqlite", MIGRATIONS)
    with pytest.raises(RuntimeError), transaction(conn):
        conn.execute("INSERT INTO a VALUES (5)")
        raise RuntimeError("boom")
    assert conn.execute("SELECT count(*) FROM a").fetchone()[0] == 0


def test_newer_schema_refused(tmp_path: Path) -> None:
    open_db(tmp_path / "s.sqlite", MIGRATIONS).close()
    from watcloud.core.errors import WatcloudError

    with pytest.raises(WatcloudError, match="newer than this watcloud knows"):
        open_db(tmp_path / "s.sqlite", MIGRATIONS[:1])


def test_atomic_write_keeps_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("old")
    os.chmod(target, 0o600)
    atomic_write(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_atomic_write_failure_keeps_old(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f.txt"
    target.write_text("old")

    def fail(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        atomic_write(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]
