"""The scanner on real trees on a real file system, checked against GNU find and stat."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_binary, require_root
from tests.expiry.conftest import DAY, NOW, age, touch
from watcloud.expiry.mountinfo import atime_semantics
from watcloud.expiry.policy import Policy
from watcloud.expiry.report import build_report, dumps
from watcloud.expiry.scan import U_BYTES, U_FILES, U_XFILES, ScanResult, scan


def policy(
    root: Path, days: float = 70, field: str = "mtime", now: float = NOW, **kw: Any
) -> Policy:
    return Policy.make(
        root=str(root), threshold_seconds=days * DAY, now=now, time_field=field, **kw
    )


def report_of(res: ScanResult, pol: Policy) -> dict[str, Any]:
    rep = build_report(
        res,
        pol,
        started=NOW,
        finished=NOW,
        mount=None,
        atime=atime_semantics(()),
        requested_time=pol.time_field,
        warnings=[],
    )
    return json.loads(dumps(rep))  # type: ignore[no-any-return]


def build(root: Path) -> None:
    """alice: all old; bob: old and new mixed; top-level file; symlinks; hard links; sparse."""
    touch(root / "alice/proj/a.bin", days_ago=200, data=b"a" * 1000)
    touch(root / "alice/proj/deep/b.txt", days_ago=100, data=b"b" * 10)
    touch(root / "bob/old.dat", days_ago=300, data=b"o" * 50)
    touch(root / "bob/new.dat", days_ago=1, data=b"n" * 70)
    touch(root / "stray.log", days_ago=90, data=b"s" * 5)
    for d in ("alice/proj/deep", "alice/proj", "alice", "bob"):
        age(root / d, 150 if d.startswith("alice") else 2)


def test_expiry_per_file_and_top_level(tmp_path: Path) -> None:
    build(tmp_path)
    pol = policy(tmp_path)
    rep = report_of(scan(str(tmp_path), pol), pol)
    tops = {Path(t["path"]).name: t for t in rep["top_level"]}
    assert tops["alice"]["expired"] is True  # everything under it is old
    assert tops["bob"]["expired"] is False  # new.dat is fresh
    assert tops["stray.log"]["expired"] is True and tops["stray.log"]["type"] == "file"
    assert tops["alice"]["files"] == 2 and tops["alice"]["bytes"] >= 1010
    c = rep["scan"]["counts"]
    assert (c["files"], c["expired_files"]) == (5, 4)  # all but bob/new.dat
    (u,) = rep["users"]
    oldest = [Path(f["path"]).name for f in u["oldest_files"]]
    assert oldest[:3] == ["old.dat", "a.bin", "b.txt"]
    assert [f["expired"] for f in u["oldest_files"]] == [True, True, True, True, False]
    # last used of the top-level entry is the newest thing under it (b.txt, 100 days)
    assert abs(tops["alice"]["last_used_epoch"] - (NOW - 100 * DAY)) < 1


def test_newest_time_field_sees_ctime(tmp_path: Path) -> None:
    """os.utime cannot set ctime back: with the default field, a just-touched file is fresh."""
    build(tmp_path)
    pol = policy(tmp_path, field="newest")
    rep = report_of(scan(str(tmp_path), pol), pol)
    assert rep["scan"]["counts"]["expired_files"] == 0
    later = policy(tmp_path, field="newest", now=NOW + 100 * DAY)
    rep = report_of(scan(str(tmp_path), later), later)
    assert rep["scan"]["counts"]["expired_files"] == 5  # ctime (now) is 100 days old then


def test_exclusions_and_protected_block_top_level(tmp_path: Path) -> None:
    build(tmp_path)
    touch(tmp_path / "carol/keep.me", days_ago=400)
    touch(tmp_path / "carol/junk", days_ago=400)
    age(tmp_path / "carol", 400)
    pol = policy(tmp_path, exclude=["*.me"], protected=["alice/proj/deep"])
    rep = report_of(scan(str(tmp_path), pol), pol)
    tops = {Path(t["path"]).name: t for t in rep["top_level"]}
    assert tops["alice"]["expired"] is False and tops["alice"]["kept"] is True
    assert tops["carol"]["expired"] is False
    (u,) = rep["users"]
    kept = {Path(f["path"]).name for f in u["oldest_files"] if f["kept"]}
    assert kept == {"keep.me", "b.txt"}
    assert rep["scan"]["counts"]["expired_files"] == 4  # a.bin, old.dat, stray.log, junk


def test_symlink_loops_are_not_followed(tmp_path: Path) -> None:
    touch(tmp_path / "u/f", days_ago=1)
    os.symlink(".", tmp_path / "u/self")
    os.symlink("loop2", tmp_path / "u/loop1")
    os.symlink("loop1", tmp_path / "u/loop2")
    os.symlink("/", tmp_path / "u/rootfs")
    os.symlink(tmp_path, tmp_path / "u/up")
    res = scan(str(tmp_path), policy(tmp_path))
    assert res.acc.counts["symlinks"] == 5
    assert res.acc.counts["files"] == 1
    assert res.acc.counts["dirs"] == 2  # the root and u: nothing reached through a link


def test_hard_links_counted_once(tmp_path: Path) -> None:
    touch(tmp_path / "a/data", days_ago=200, data=b"h" * 4096)
    os.makedirs(tmp_path / "b")
    os.link(tmp_path / "a/data", tmp_path / "b/data-link")
    os.link(tmp_path / "a/data", tmp_path / "b/data-link2")
    touch(tmp_path / "b/plain", days_ago=200, data=b"p" * 10)
    for procs in (1, 2):
        res = scan(str(tmp_path), policy(tmp_path), processes=procs)
        (u,) = res.acc.users.values()
        assert u[U_FILES] == 2
        assert u[U_XFILES] == 2
        assert res.acc.counts["hardlinked_files"] == 1
        assert res.acc.counts["hardlinked_seen"] == 3
        files_bytes = u[U_BYTES] - sum(
            os.lstat(p).st_size for p in (tmp_path, tmp_path / "a", tmp_path / "b")
        )
        assert files_bytes == 4096 + 10


def test_sparse_file_apparent_and_allocated(tmp_path: Path) -> None:
    p = tmp_path / "s/sparse.img"
    os.makedirs(p.parent)
    with open(p, "wb") as fh:
        fh.truncate(1 << 30)
        fh.seek(4096)
        fh.write(b"z" * 4096)
    age(p, 200)
    pol = policy(tmp_path)
    rep = report_of(scan(str(tmp_path), pol), pol)
    (u,) = rep["users"]
    (f,) = [f for f in u["oldest_files"] if f["path"].endswith("sparse.img")]
    assert f["bytes"] == 1 << 30
    assert f["allocated_bytes"] == os.lstat(p).st_blocks * 512
    assert f["allocated_bytes"] < 1 << 20


def test_non_utf8_names_round_trip(tmp_path: Path) -> None:
    root = os.fsencode(tmp_path)
    name = b"caf\xe9-\xff\xfe.dat"
    os.makedirs(root + b"/d\xe9j\xe0")
    touch(root + b"/d\xe9j\xe0/" + name, days_ago=200)
    age(root + b"/d\xe9j\xe0", 200)
    pol = policy(tmp_path)
    rep = report_of(scan(str(tmp_path), pol), pol)
    (u,) = rep["users"]
    (f,) = u["oldest_files"]
    assert os.fsencode(f["path"]) == root + b"/d\xe9j\xe0/" + name
    assert os.path.exists(os.fsencode(f["path"]))
    (top,) = rep["top_level"]
    assert top["expired"] is True


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A temporary directory `nobody` can reach (pytest's own is private to root)."""
    base = Path(tempfile.mkdtemp(prefix=f"expiry-{os.getpid()}-", dir="/tmp"))
    os.chmod(base, 0o755)
    try:
        yield base
    finally:
        for dirpath, dirnames, _ in os.walk(base):
            for d in dirnames:
                os.chmod(os.path.join(dirpath, d), 0o755)
        shutil.rmtree(base)


def test_unreadable_directory_is_reported_and_blocks_expiry(open_tmp: Path) -> None:
    tmp_path = open_tmp
    touch(tmp_path / "dave/locked/secret", days_ago=300)
    touch(tmp_path / "dave/visible", days_ago=300)
    age(tmp_path / "dave/locked", 300)
    age(tmp_path / "dave", 300)
    os.chmod(tmp_path / "dave/locked", 0)
    os.chmod(tmp_path, 0o755)
    try:
        rep = _scan_as_other_user(tmp_path)
    finally:
        os.chmod(tmp_path / "dave/locked", 0o755)
    assert rep["scan"]["counts"]["errors"] == 1
    (err,) = rep["scan"]["errors"]
    assert err["path"].endswith("dave/locked") and "denied" in err["error"]
    (top,) = rep["top_level"]
    assert top["incomplete"] is True and top["expired"] is False


def _scan_as_other_user(root: Path) -> dict[str, Any]:
    """Scan in a child process: as root, drop to `nobody` so permissions apply."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    q: Any = ctx.Queue()

    def child() -> None:
        try:
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            pol = policy(root)
            q.put(report_of(scan(str(root), pol), pol))
        except BaseException as exc:
            q.put(f"{type(exc).__name__}: {exc}")

    p = ctx.Process(target=child)
    p.start()
    rep = q.get(timeout=60)
    p.join()
    assert isinstance(rep, dict), rep
    return rep


def test_noatime_refused_falls_back_with_warning(open_tmp: Path) -> None:
    """O_NOATIME on a directory you do not own is EPERM: read it anyway and say so."""
    require_root()  # the tree belongs to root; the scan runs as nobody, who may read it only
    touch(open_tmp / "t/a", days_ago=1)
    rep = _scan_as_other_user(open_tmp)
    assert rep["scan"]["counts"]["noatime_refused"] >= 1
    assert rep["scan"]["counts"]["files"] == 1
    assert any("O_NOATIME was refused" in w for w in rep["scan"]["warnings"])


def test_mount_point_inside_tree_is_not_crossed(tmp_path: Path) -> None:
    require_root()
    (mount,) = require_binary("mount")
    touch(tmp_path / "eve/own", days_ago=200)
    mnt = tmp_path / "eve/mnt"
    mnt.mkdir()
    subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=1m", f"expiry-{os.getpid()}", str(mnt)], check=True
    )
    try:
        touch(mnt / "foreign/file", days_ago=200)
        (tmp_path / "eve/mntlink").symlink_to(mnt)
        touch(tmp_path / "frank/f", days_ago=200)
        os.makedirs(tmp_path / "topmnt")
        subprocess.run(
            [
                mount,
                "-t",
                "tmpfs",
                "-o",
                "size=1m",
                f"expiry-{os.getpid()}b",
                str(tmp_path / "topmnt"),
            ],
            check=True,
        )
        try:
            pol = policy(tmp_path)
            for procs in (1, 2):
                res = scan(str(tmp_path), pol, processes=procs)
                assert res.acc.counts["files"] == 2  # eve/own and frank/f only
                assert res.acc.counts["other_filesystem_skipped"] == 2
                rep = report_of(res, pol)
                names = {Path(t["path"]).name for t in rep["top_level"]}
                assert names == {"eve", "frank"}  # the mount point is no top-level entry
        finally:
            subprocess.run(["umount", str(tmp_path / "topmnt")], check=True)
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def _find_lines(root: Path) -> set[bytes]:
    (find,) = require_binary("find")
    out = subprocess.run(
        [find, str(root), "-xdev", "-printf", "%A@ %T@ %C@ %s %b %U %i %p\\n"],
        capture_output=True,
        check=True,
    ).stdout
    lines = set()
    for line in out.split(b"\n"):
        if not line:
            continue
        a, m, c, rest = line.split(b" ", 3)
        lines.add(b" ".join([_ns(a), _ns(m), _ns(c), rest]))
    return lines


def _ns(field: bytes) -> bytes:
    sec, _, frac = field.partition(b".")
    return str(int(sec) * 10**9 + int((frac[:9] or b"0").ljust(9, b"0"))).encode()


def test_listing_agrees_with_gnu_find(tmp_path: Path) -> None:
    build(tmp_path)
    os.symlink("alice", tmp_path / "link")
    os.link(tmp_path / "bob/old.dat", tmp_path / "alice/hl")
    os.makedirs(os.fsencode(tmp_path) + b"/n\xe9")
    touch(os.fsencode(tmp_path) + b"/n\xe9/\xff", days_ago=3)
    listings = []
    for procs in (1, 2):
        listing = tmp_path.parent / f"listing-{procs}.txt"
        scan(str(tmp_path), policy(tmp_path), processes=procs, listing_path=str(listing))
        listings.append(set(listing.read_bytes().splitlines()))
    # find runs last: reading a directory without O_NOATIME may move its atime (relatime).
    expected = _find_lines(tmp_path)
    for got in listings:
        assert got == expected
        assert len(got) == 14


def test_processes_and_threads_agree_with_serial(tmp_path: Path) -> None:
    for u in range(3):
        for d in range(6):
            for f in range(5):
                touch(tmp_path / f"u{u}/d{d}/s{d % 2}/f{f}", days_ago=(u * 37 + d * 11 + f) % 150)
    pol = policy(tmp_path)
    base = report_of(scan(str(tmp_path), pol, oldest_n=7), pol)
    for procs, threads in ((2, 1), (3, 2), (1, 4)):
        rep = report_of(scan(str(tmp_path), pol, processes=procs, threads=threads, oldest_n=7), pol)
        assert rep["users"] == base["users"]
        assert rep["top_level"] == base["top_level"]
        assert rep["scan"]["counts"] == base["scan"]["counts"]
    assert base["scan"]["counts"]["files"] == 90
    assert len(base["users"][0]["oldest_files"]) == 7


def test_unknown_uid_is_reported_by_number(tmp_path: Path, run_watcloud: Any) -> None:
    require_root()  # chown to a uid with no passwd entry
    import pwd

    ghost = next(u for u in range(54321, 60000) if not _has_uid(pwd, u))
    touch(tmp_path / "ghost/data", days_ago=200, data=b"g" * 10)
    age(tmp_path / "ghost", 200)
    for p in (tmp_path / "ghost", tmp_path / "ghost/data"):
        os.lchown(p, ghost, ghost)
    res = run_watcloud("expiry", "scan", str(tmp_path), "--time", "mtime", "-o", "json")
    assert res.returncode == 0, res.stderr
    users = {u["uid"]: u for u in json.loads(res.stdout)["users"]}
    assert users[ghost]["user"] is None and users[ghost]["expired_files"] == 1
    text = run_watcloud("expiry", "scan", str(tmp_path), "--time", "mtime").stdout
    assert f"uid {ghost}" in text


def _has_uid(pwd: Any, uid: int) -> bool:
    try:
        pwd.getpwuid(uid)
    except KeyError:
        return False
    return True
