from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from watcloud.core.fsutil import atomic_write, read_text
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


def test_read_text_gives_one_line_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from watcloud.core.errors import ConfigError, InputError

    good = tmp_path / "a.txt"
    good.write_text("héllo\n", encoding="utf-8")
    assert read_text(good) == "héllo\n"
    with pytest.raises(InputError, match=r"nope\.txt: report not found$"):
        read_text(tmp_path / "nope.txt", "report")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"caf\xe9")
    with pytest.raises(ConfigError, match=r"latin1\.txt: cannot read config file: 'utf-8' codec"):
        read_text(bad, "config file", error=ConfigError)
    with pytest.raises(InputError, match="cannot read file"):
        read_text(tmp_path)  # a directory
    monkeypatch.setattr("sys.stdin", io.StringIO("from stdin"))
    assert read_text("-", dash_is_stdin=True) == "from stdin"
    with pytest.raises(InputError, match="-: file not found"):
        read_text("-")
