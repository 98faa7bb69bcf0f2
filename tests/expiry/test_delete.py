"""Deletion: re-checked at deletion time, never through a symlink, never outside the root."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.expiry.conftest import DAY, NOW, age, touch
from watcloud.expiry.delete import candidates, delete
from watcloud.expiry.mountinfo import atime_semantics
from watcloud.expiry.policy import Policy
from watcloud.expiry.report import build_report, dumps
from watcloud.expiry.scan import scan


def make_report(root: Path, **kw: Any) -> dict[str, Any]:
    pol = Policy.make(root=str(root), threshold_seconds=70 * DAY, now=NOW, time_field="mtime", **kw)
    rep = build_report(
        scan(str(root), pol),
        pol,
        started=time.time(),  # after the tree was built, like a real scan
        finished=time.time(),
        mount=None,
        atime=atime_semantics(()),
        requested_time="mtime",
        warnings=[],
    )
    return json.loads(dumps(rep))  # type: ignore[no-any-return]


def build(root: Path) -> None:
    touch(root / "alice/proj/a.bin", days_ago=200)
    touch(root / "alice/proj/b.bin", days_ago=200)
    touch(root / "alice/notes", days_ago=300)
    touch(root / "bob/old.dat", days_ago=300)
    touch(root / "bob/sub/older.dat", days_ago=400)
    touch(root / "bob/new.dat", days_ago=1)
    for d in ("alice/proj", "alice", "bob/sub"):
        age(root / d, 150)


def test_candidates_are_expired_tops_and_uncovered_files(tmp_path: Path) -> None:
    build(tmp_path)
    rep = make_report(tmp_path)
    got = {(Path(c.path).relative_to(tmp_path).as_posix(), c.kind) for c in candidates(rep)}
    assert got == {("alice", "tree"), ("bob/sub/older.dat", "file"), ("bob/old.dat", "file")}


def test_dry_run_plans_and_changes_nothing(tmp_path: Path) -> None:
    build(tmp_path)
    rep = make_report(tmp_path)
    before = sorted(p.as_posix() for p in tmp_path.rglob("*"))
    out = delete(rep, dry_run=True, log_path=tmp_path.parent / "never.log")
    assert sorted(p.as_posix() for p in tmp_path.rglob("*")) == before
    removed = {Path(r.path).relative_to(tmp_path).as_posix() for r in out.removed}
    assert removed == {
        "alice/proj/a.bin",
        "alice/proj/b.bin",
        "alice/proj",
        "alice/notes",
        "alice",
        "bob/old.dat",
        "bob/sub/older.dat",
    }
    assert not (tmp_path.parent / "never.log").exists()


def test_apply_removes_and_logs_every_removal(tmp_path: Path) -> None:
    build(tmp_path)
    rep = make_report(tmp_path)
    log = tmp_path.parent / "deletions.log"
    out = delete(rep, dry_run=False, log_path=log)
    assert not (tmp_path / "alice").exists()
    assert not (tmp_path / "bob/old.dat").exists()
    assert (tmp_path / "bob/new.dat").exists() and (tmp_path / "bob/sub").is_dir()
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert {e["path"] for e in lines} == {r.path for r in out.removed}
    assert len(lines) == 7 and all(e["action"] == "removed" and e["time"] for e in lines)
    assert not out.errors


def test_file_touched_between_scan_and_delete_is_kept(tmp_path: Path) -> None:
    build(tmp_path)
    rep = make_report(tmp_path)
    os.utime(tmp_path / "alice/proj/a.bin")  # used again after the scan
    os.utime(tmp_path / "bob/old.dat")
    out = delete(rep, dry_run=False, log_path=None)
    assert (tmp_path / "alice/proj/a.bin").exists()
    assert (tmp_path / "bob/old.dat").exists()
    assert not (tmp_path / "alice/proj/b.bin").exists()  # still expired: removed
    assert not (tmp_path / "alice/notes").exists()
    kept = {Path(k.path).relative_to(tmp_path).as_posix(): k.reason for k in out.kept}
    assert kept["alice/proj/a.bin"] == "used since the scan"
    assert kept["bob/old.dat"] == "used since the scan"
    assert kept["alice"].startswith("not empty")


def test_symlink_swapped_in_for_a_directory_is_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "scratch"
    victim = tmp_path / "victim"
    build(root)
    rep = make_report(root)
    # After the scan, bob/sub (on the way to a listed file) and alice/proj (inside an expired
    # tree) become symlinks to a directory outside the root holding equally old files.
    touch(victim / "a.bin", days_ago=500)
    touch(victim / "older.dat", days_ago=500)
    age(victim, 500)
    os.rename(root / "alice/proj", tmp_path / "moved-proj")
    os.symlink(victim, root / "alice/proj")
    os.rename(root / "bob/sub", tmp_path / "moved-sub")
    os.symlink(victim, root / "bob/sub")
    out = delete(rep, dry_run=False, log_path=None)
    assert (victim / "a.bin").exists() and (victim / "older.dat").exists()
    kept = {Path(k.path).relative_to(root).as_posix(): k.reason for k in out.kept}
    assert "path changed" in kept["bob/sub/older.dat"]
    assert "since the scan" in kept["alice"]  # an entry in it was replaced
    assert os.path.islink(root / "alice/proj")


def test_symlink_swapped_in_during_deletion_is_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: alice/proj is listed as a directory, then swapped before it is opened."""
    root = tmp_path / "scratch"
    victim = tmp_path / "victim"
    build(root)
    touch(victim / "a.bin", days_ago=500)
    rep = make_report(root)
    real_open = os.open

    def racing_open(path: Any, flags: int, mode: int = 0o777, *, dir_fd: int | None = None) -> int:
        if path == "proj" and dir_fd is not None and not os.path.islink(root / "alice/proj"):
            os.rename(root / "alice/proj", tmp_path / "moved-proj")
            os.symlink(victim, root / "alice/proj")
        return real_open(path, flags, mode, dir_fd=dir_fd)

    monkeypatch.setattr(os, "open", racing_open)
    out = delete(rep, dry_run=False, log_path=None)
    monkeypatch.undo()
    assert (victim / "a.bin").exists()
    assert (tmp_path / "moved-proj/a.bin").exists()
    kept = {Path(k.path).relative_to(root).as_posix(): k.reason for k in out.kept}
    assert "not followed" in kept["alice/proj"]
    assert not (root / "alice/notes").exists()  # the rest of the expired tree went
    assert (root / "alice").is_dir()  # but not the directory holding the kept link


def test_refuses_paths_outside_the_root(tmp_path: Path) -> None:
    root = tmp_path / "scratch"
    build(root)
    outside = tmp_path / "precious"
    touch(outside, days_ago=999)
    rep = make_report(root)
    u = rep["users"][0]
    u["expired_top_level"].append({**u["expired_top_level"][0], "path": str(outside)})
    u["oldest_files"].append(
        {**u["oldest_files"][0], "path": str(root) + "/../precious", "inode": None}
    )
    u["oldest_files"].append({**u["oldest_files"][0], "path": str(root), "inode": None})
    out = delete(rep, dry_run=False, log_path=None)
    assert outside.exists() and root.is_dir()
    reasons = [k.reason for k in out.kept if "precious" in k.path or k.path == str(root)]
    assert len(reasons) == 3 and all(r.startswith("refused") for r in reasons)


def test_replaced_root_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "scratch"
    build(root)
    rep = make_report(root)
    os.rename(root, tmp_path / "old-scratch")
    build(root)  # a new tree at the same path, same names and ages
    out = delete(rep, dry_run=False, log_path=None)
    assert not out.removed
    assert (root / "alice/notes").exists()
    assert out.errors and "replaced" in out.errors[0].reason


def test_replaced_file_with_old_times_is_kept(tmp_path: Path) -> None:
    build(tmp_path)
    rep = make_report(tmp_path)
    os.unlink(tmp_path / "bob/old.dat")
    touch(tmp_path / "bob/old.dat", days_ago=900)  # another inode, even older mtime
    out = delete(rep, dry_run=False, log_path=None)
    assert (tmp_path / "bob/old.dat").exists()
    (reason,) = [k.reason for k in out.kept if k.path.endswith("bob/old.dat")]
    assert reason in ("changed since the scan (ctime)", "replaced since the scan (another inode)")


def test_protected_in_report_is_rechecked(tmp_path: Path) -> None:
    build(tmp_path)
    rep = make_report(tmp_path)
    rep["scan"]["protected"] = [str(tmp_path / "bob/old.dat")]
    out = delete(rep, dry_run=False, log_path=None)
    assert (tmp_path / "bob/old.dat").exists()
    assert any(k.reason == "excluded or protected" for k in out.kept)
