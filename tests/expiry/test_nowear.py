"""No wear: a scan (and a deletion plan) changes no atime and writes nothing to the device.

A real ext4 file system in a loop-mounted image, mounted `strictatime` (every read of a
directory would update its atime), measured by the loop device's own write counter
(`/sys/block/loopN/stat`, sectors written) around the scan, with `sync` on both sides.
A control step proves the instrument can see wear: listing one directory without O_NOATIME
moves its atime and the counter.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_binary, require_root
from tests.expiry.conftest import age, touch


def sectors_written(loop: str) -> int:
    fields = Path(f"/sys/block/{os.path.basename(loop)}/stat").read_text().split()
    return int(fields[6])


def settle_and_count(loop: str, mnt: Path) -> int:
    """Flush everything dirty on this file system and read the write counter."""
    fd = os.open(mnt, os.O_RDONLY | os.O_DIRECTORY | os.O_NOATIME)
    try:
        os.syncfs(fd) if hasattr(os, "syncfs") else os.sync()
    finally:
        os.close(fd)
    os.sync()
    return sectors_written(loop)


@pytest.fixture
def strict_ext4(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    require_root()
    mkfs, losetup, mount, umount = require_binary("mkfs.ext4", "losetup", "mount", "umount")
    img = tmp_path / "disk.img"
    with open(img, "wb") as fh:
        fh.truncate(64 << 20)
    # Initialise inode tables and journal now, so no background thread writes during the test.
    subprocess.run(
        [mkfs, "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0", str(img)], check=True
    )
    loop = subprocess.run(
        [losetup, "-f", "--show", str(img)], check=True, capture_output=True, text=True
    ).stdout.strip()
    mnt = tmp_path / f"mnt-{os.getpid()}"
    mnt.mkdir()
    try:
        subprocess.run([mount, "-t", "ext4", "-o", "strictatime", loop, str(mnt)], check=True)
        try:
            yield mnt, loop
        finally:
            subprocess.run([umount, str(mnt)], check=True)
    finally:
        subprocess.run([losetup, "-d", loop], check=True)


def test_scan_changes_no_atime_and_writes_nothing(
    strict_ext4: tuple[Path, str], run_watcloud: Any
) -> None:
    mnt, loop = strict_ext4
    paths: list[Path] = []
    for u in ("alice", "bob"):
        for d in range(4):
            for f in range(5):
                p = mnt / u / f"d{d}" / "sub" / f"f{f}"
                touch(p, days_ago=100 + f, data=b"x" * 100)
                paths.append(p)
    os.symlink("alice", mnt / "link")
    os.link(mnt / "alice/d0/sub/f0", mnt / "bob/hard")
    paths += [mnt / "link", mnt / "bob/hard"]
    dirs = [p for p in mnt.rglob("*") if p.is_dir() and not p.is_symlink()] + [mnt]
    paths += dirs
    for p in paths:  # every atime far in the past: any read would now move it
        age(p, 200)
    before_atimes = {p: os.lstat(p).st_atime_ns for p in paths}
    before = settle_and_count(loop, mnt)

    for procs in ("1", "2"):
        res = run_watcloud(
            "expiry", "scan", str(mnt), "--time", "atime", "--processes", procs, "--output", "json"
        )
        assert res.returncode == 0, res.stderr
        report = json.loads(res.stdout)
        assert report["scan"]["atime"]["mode"] == "strictatime"
        assert report["scan"]["filesystem"]["type"] == "ext4"
        assert report["scan"]["counts"]["files"] == 40 + 1  # entries: the hard link too
        assert report["scan"]["counts"]["symlinks"] == 1
        assert report["scan"]["counts"]["noatime_refused"] == 0

    # The deletion plan walks every expired tree too (everything is 200 days old by atime).
    report = mnt.parent / "report.json"  # outside the measured device
    res = run_watcloud("expiry", "scan", str(mnt), "--time", "atime", "--save", str(report))
    assert res.returncode == 0, res.stderr
    res = run_watcloud("expiry", "delete", str(report), "--dry-run", "-o", "json")
    assert res.returncode == 0, res.stderr
    plan = json.loads(res.stdout)
    assert len(plan["removed"]) >= 40  # every file, walked through directory descriptors
    assert all(os.path.lexists(p) for p in paths)

    after = settle_and_count(loop, mnt)
    after_atimes = {p: os.lstat(p).st_atime_ns for p in paths}
    assert after_atimes == before_atimes
    assert after == before, f"the scan wrote {after - before} sectors to {loop}"

    # Control: the same instruments see the wear of an ordinary directory listing.
    os.listdir(mnt / "alice")
    assert os.lstat(mnt / "alice").st_atime_ns != before_atimes[mnt / "alice"]
    assert settle_and_count(loop, mnt) > after
