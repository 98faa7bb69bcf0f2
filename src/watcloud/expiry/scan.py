"""The scanner: metadata only, never a regular file opened, nothing written to the scanned drive.

- Directories are opened with `O_RDONLY|O_DIRECTORY|O_NOFOLLOW|O_NOATIME|O_CLOEXEC` and listed
  with `os.scandir(fd)`; every entry costs exactly one `fstatat(fd, name, AT_SYMLINK_NOFOLLOW)`
  (`DirEntry.stat(follow_symlinks=False)`). `O_NOATIME` needs ownership or CAP_FOWNER: when the
  kernel refuses it (EPERM) the directory is opened without it and the scan says so.
- Symlinks are never followed; directories on another device (mount points) are not entered;
  a file with several hard links is counted once, by inode (only files with `st_nlink > 1` are
  remembered, so memory does not grow with the file count).
- Work is spread over `processes` forked workers, each with `threads` directory readers (the
  system calls release the GIL, so threads overlap I/O on a cold cache; processes use the cores
  on a warm one). Each worker keeps a private accumulator (per uid, per top-level entry, a
  bounded heap of the oldest files per uid) and the results are merged at the end: memory
  depends on the number of users, top-level entries and pending directories, not on files.
"""

from __future__ import annotations

import contextlib
import errno
import heapq
import multiprocessing
import os
import queue
import stat
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from watcloud.expiry.policy import Policy

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
NOATIME = getattr(os, "O_NOATIME", 0)
MAX_ERRORS = 100
LISTING_CHUNK = 2000

# Slots of the per-uid list.
U_FILES, U_DIRS, U_BYTES, U_BLOCKS, U_XFILES, U_XBYTES, U_XBLOCKS, U_THRESH, U_HEAP = range(9)
# Slots of the per-top-level-entry list.
(
    T_FILES,
    T_DIRS,
    T_BYTES,
    T_BLOCKS,
    T_NEWEST,
    T_KEPT,
    T_UID,
    T_ISDIR,
    T_XFILES,
    T_XBYTES,
    T_INCOMPLETE,
) = range(11)

_TIME_CODES = {"newest": 0, "newest-mc": 1, "atime": 2, "mtime": 3, "ctime": 4}

# A directory to read: (path, root-relative path, top-level name, kept (excluded/protected)).
Task = tuple[str, str, str, bool]


def _new_user() -> list[Any]:
    return [0, 0, 0, 0, 0, 0, 0, float("inf"), []]


@dataclass
class Accumulator:
    """What one worker saw; merged with the others at the end. Plain data (picklable)."""

    oldest_n: int
    users: dict[int, list[Any]] = field(default_factory=dict)
    tops: dict[str, list[Any]] = field(default_factory=dict)
    links: dict[int, tuple[int, str, int, int, float, bool, str]] = field(default_factory=dict)
    counts: dict[str, int] = field(
        default_factory=lambda: {
            "files": 0,
            "dirs": 0,
            "symlinks": 0,
            "other": 0,
            "hardlinked_seen": 0,
            "other_filesystem_skipped": 0,
            "vanished": 0,
            "errors": 0,
            "noatime_refused": 0,
        }
    )
    errors: list[tuple[str, str]] = field(default_factory=list)

    def error(self, path: str, exc: OSError) -> None:
        self.counts["errors"] += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append((path, exc.strerror or str(exc)))

    def add_file(
        self,
        uid: int,
        top: str,
        size: int,
        blocks: int,
        lu: float,
        kept: bool,
        path: str,
        ino: int,
        cutoff: float,
    ) -> None:
        """Account one non-directory (used for deferred hard links; the hot loop inlines this)."""
        u = self.users.get(uid)
        if u is None:
            u = self.users[uid] = _new_user()
        u[U_FILES] += 1
        u[U_BYTES] += size
        u[U_BLOCKS] += blocks
        t = self.tops[top]
        t[T_FILES] += 1
        t[T_BYTES] += size
        t[T_BLOCKS] += blocks
        if lu > t[T_NEWEST]:
            t[T_NEWEST] = lu
        if kept:
            t[T_KEPT] = True
        elif lu < cutoff:
            u[U_XFILES] += 1
            u[U_XBYTES] += size
            u[U_XBLOCKS] += blocks
            t[T_XFILES] += 1
            t[T_XBYTES] += size
        self.push_oldest(u, lu, path, size, blocks, ino, kept)

    def push_oldest(
        self, u: list[Any], lu: float, path: str, size: int, blocks: int, ino: int, kept: bool
    ) -> None:
        if lu >= u[U_THRESH]:
            return
        h = u[U_HEAP]
        item = (-lu, path, size, blocks, ino, kept)
        if len(h) < self.oldest_n:
            heapq.heappush(h, item)
            if len(h) == self.oldest_n:
                u[U_THRESH] = -h[0][0]
        else:
            heapq.heapreplace(h, item)
            u[U_THRESH] = -h[0][0]

    def merge(self, other: Accumulator) -> None:
        for uid, ou in other.users.items():
            u = self.users.get(uid)
            if u is None:
                u = self.users[uid] = _new_user()
            for i in range(U_THRESH):
                u[i] += ou[i]
            # Items are (-last_used, ...): the oldest files have the largest first element.
            u[U_HEAP] = heapq.nlargest(self.oldest_n, u[U_HEAP] + ou[U_HEAP])
            heapq.heapify(u[U_HEAP])
            u[U_THRESH] = -u[U_HEAP][0][0] if len(u[U_HEAP]) >= self.oldest_n else float("inf")
        for name, ot in other.tops.items():
            t = self.tops.get(name)
            if t is None:
                self.tops[name] = list(ot)
                continue
            for i in (T_FILES, T_DIRS, T_BYTES, T_BLOCKS, T_XFILES, T_XBYTES):
                t[i] += ot[i]
            t[T_NEWEST] = max(t[T_NEWEST], ot[T_NEWEST])
            t[T_KEPT] = t[T_KEPT] or ot[T_KEPT]
            t[T_INCOMPLETE] = t[T_INCOMPLETE] or ot[T_INCOMPLETE]
            if ot[T_UID] is not None and t[T_UID] is None:
                t[T_UID], t[T_ISDIR] = ot[T_UID], ot[T_ISDIR]
        for ino, rec in other.links.items():
            self.links.setdefault(ino, rec)
        for key, value in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + value
        self.errors.extend(other.errors[: max(0, MAX_ERRORS - len(self.errors))])


def _new_top() -> list[Any]:
    return [0, 0, 0, 0, float("-inf"), False, None, False, 0, 0, False]


class DirReader:
    """Reads one directory at a time into an Accumulator (one per thread)."""

    def __init__(
        self,
        policy: Policy,
        dev: int,
        acc: Accumulator,
        listing_fd: int | None = None,
    ) -> None:
        self.policy = policy
        self.dev = dev
        self.acc = acc
        self.listing_fd = listing_fd
        self.listing: list[str] = []
        self.use_noatime = NOATIME != 0
        self.noatime_refused_uids: set[int] = set()

    def flush_listing(self) -> None:
        if self.listing_fd is not None and self.listing:
            data = "".join(self.listing).encode("utf-8", "surrogateescape")
            self.listing.clear()
            view = memoryview(data)
            while view:
                n = os.write(self.listing_fd, view)
                view = view[n:]

    def open_dir(self, path: str, owner: int) -> int | None:
        acc = self.acc
        flags = DIR_FLAGS
        if self.use_noatime and owner not in self.noatime_refused_uids:
            flags |= NOATIME
        try:
            return os.open(path, flags)
        except PermissionError as exc:
            if exc.errno == errno.EPERM and flags & NOATIME:
                # O_NOATIME needs ownership or CAP_FOWNER: read it anyway, and say so.
                self.noatime_refused_uids.add(owner)
                acc.counts["noatime_refused"] += 1
                try:
                    return os.open(path, DIR_FLAGS)
                except OSError as exc2:
                    acc.error(path, exc2)
                    return None
            acc.error(path, exc)
        except FileNotFoundError:
            acc.counts["vanished"] += 1
        except OSError as exc:
            # ELOOP / ENOTDIR: replaced by a symlink or a file since it was listed.
            acc.error(path, exc)
        return None

    def _last_used(self, st: os.stat_result) -> float:
        return self.policy.last_used(st.st_atime, st.st_mtime, st.st_ctime)

    def _list(self, st: os.stat_result, path: str) -> None:
        if self.listing_fd is not None:
            self.listing.append(
                f"{st.st_atime_ns} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_size} "
                f"{st.st_blocks} {st.st_uid} {st.st_ino} {path}\n"
            )
            if len(self.listing) >= LISTING_CHUNK:
                self.flush_listing()

    def read_root(self, root: str, owner: int) -> list[tuple[Task, int]]:
        """List the root: each entry starts a top-level record. Run once, so kept simple."""
        acc, pol = self.acc, self.policy
        fd = self.open_dir(root, owner)
        if fd is None:
            return []
        subdirs: list[tuple[Task, int]] = []
        c = acc.counts
        try:
            with os.scandir(fd) as it:
                for e in it:
                    name, path = e.name, f"{root}/{e.name}"
                    try:
                        st = e.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        c["vanished"] += 1
                        continue
                    except OSError as exc:
                        acc.error(path, exc)
                        continue
                    self._list(st, path)
                    is_dir = stat.S_ISDIR(st.st_mode)
                    if is_dir and st.st_dev != self.dev:
                        c["other_filesystem_skipped"] += 1  # a mount point: never entered
                        continue
                    lu = self._last_used(st)
                    kept = pol.kept(name, name)
                    t = acc.tops[name] = _new_top()
                    t[T_UID], t[T_ISDIR] = st.st_uid, is_dir
                    if is_dir:
                        c["dirs"] += 1
                        u = acc.users.get(st.st_uid) or acc.users.setdefault(st.st_uid, _new_user())
                        u[U_DIRS] += 1
                        u[U_BYTES] += st.st_size
                        u[U_BLOCKS] += st.st_blocks
                        t[T_DIRS] += 1
                        t[T_BYTES] += st.st_size
                        t[T_BLOCKS] += st.st_blocks
                        t[T_NEWEST] = lu
                        t[T_KEPT] = kept
                        subdirs.append(((path, name, name, kept), st.st_uid))
                        continue
                    kind = (
                        "files"
                        if stat.S_ISREG(st.st_mode)
                        else "symlinks"
                        if stat.S_ISLNK(st.st_mode)
                        else "other"
                    )
                    c[kind] += 1
                    if st.st_nlink > 1:
                        c["hardlinked_seen"] += 1
                        acc.links.setdefault(
                            st.st_ino,
                            (st.st_uid, name, st.st_size, st.st_blocks, lu, kept, path),
                        )
                        continue
                    acc.add_file(
                        st.st_uid,
                        name,
                        st.st_size,
                        st.st_blocks,
                        lu,
                        kept,
                        path,
                        st.st_ino,
                        pol.cutoff,
                    )
        except OSError as exc:
            acc.error(root, exc)
        finally:
            os.close(fd)
        return subdirs

    def read(self, task: Task, owner: int = -1) -> list[tuple[Task, int]]:
        """List the directory of `task`, account every entry, return the subdirectories.

        The hot loop: one `fstatat` per entry and as little Python as possible (locals for
        the top-level totals, literal list indices; see the U_* and T_* slot names)."""
        path, rel, top, kept = task
        acc = self.acc
        pol = self.policy
        t = acc.tops.get(top)
        if t is None:
            t = acc.tops[top] = _new_top()
        fd = self.open_dir(path, owner)
        if fd is None:
            t[T_INCOMPLETE] = True  # what lies under it is unknown: it cannot expire
            return []
        subdirs: list[tuple[Task, int]] = []
        users = acc.users
        links = acc.links
        cutoff = pol.cutoff
        code = _TIME_CODES[pol.time_field]
        name_re = pol.name_re
        rel_re = pol.rel_re
        protected = pol.protected
        check_kept = not kept and (name_re is not None or rel_re is not None or bool(protected))
        dev = self.dev
        listing = self.listing if self.listing_fd is not None else None
        oldest_n = acc.oldest_n
        heappush = heapq.heappush
        heapreplace = heapq.heapreplace
        new_user = _new_user
        nfiles = ndirs = nlinks = nother = nhard = 0
        tfiles = tdirs = tbytes = tblocks = txfiles = txbytes = 0
        tnewest = t[T_NEWEST]
        tkept = False
        prefix = path + "/"
        relprefix = rel + "/" if rel else ""
        try:
            with os.scandir(fd) as it:
                for e in it:
                    name = e.name
                    try:
                        st = e.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        acc.counts["vanished"] += 1
                        continue
                    except OSError as exc:
                        acc.error(prefix + name, exc)
                        t[T_INCOMPLETE] = True
                        continue
                    mode = st.st_mode
                    if code == 0:
                        lu = st.st_atime
                        x = st.st_mtime
                        if x > lu:
                            lu = x
                        x = st.st_ctime
                        if x > lu:
                            lu = x
                    elif code == 1:
                        lu = st.st_mtime
                        x = st.st_ctime
                        if x > lu:
                            lu = x
                    elif code == 2:
                        lu = st.st_atime
                    elif code == 3:
                        lu = st.st_mtime
                    else:
                        lu = st.st_ctime
                    ekept = kept
                    if check_kept:
                        erel = relprefix + name
                        if (
                            (name_re is not None and name_re.match(name))
                            or (rel_re is not None and rel_re.match(erel))
                            or erel in protected
                        ):
                            ekept = True
                    if listing is not None:
                        listing.append(
                            f"{st.st_atime_ns} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_size} "
                            f"{st.st_blocks} {st.st_uid} {st.st_ino} {prefix}{name}\n"
                        )
                        if len(listing) >= LISTING_CHUNK:
                            self.flush_listing()
                    if lu > tnewest:
                        tnewest = lu
                    if ekept:
                        tkept = True
                    uid = st.st_uid
                    ftype = mode & 0o170000  # S_IFMT, inline: cheaper than S_ISDIR() calls
                    if ftype == 0o040000:  # S_IFDIR
                        if st.st_dev != dev:
                            # A mount point: not entered, not counted, never expired.
                            acc.counts["other_filesystem_skipped"] += 1
                            continue
                        ndirs += 1
                        u = users.get(uid)
                        if u is None:
                            u = users[uid] = new_user()
                        size = st.st_size
                        blocks = st.st_blocks
                        u[1] += 1  # U_DIRS
                        u[2] += size  # U_BYTES
                        u[3] += blocks  # U_BLOCKS
                        tdirs += 1
                        tbytes += size
                        tblocks += blocks
                        subdirs.append(((prefix + name, relprefix + name, top, ekept), uid))
                        continue
                    if ftype == 0o100000:  # S_IFREG
                        nfiles += 1
                    elif ftype == 0o120000:  # S_IFLNK
                        nlinks += 1
                    else:
                        nother += 1
                    size = st.st_size
                    blocks = st.st_blocks
                    if st.st_nlink > 1:
                        ino = st.st_ino
                        if ino not in links:
                            links[ino] = (uid, top, size, blocks, lu, ekept, prefix + name)
                        nhard += 1
                        continue
                    u = users.get(uid)
                    if u is None:
                        u = users[uid] = new_user()
                    u[0] += 1  # U_FILES
                    u[2] += size  # U_BYTES
                    u[3] += blocks  # U_BLOCKS
                    tfiles += 1
                    tbytes += size
                    tblocks += blocks
                    if not ekept and lu < cutoff:
                        u[4] += 1  # U_XFILES
                        u[5] += size  # U_XBYTES
                        u[6] += blocks  # U_XBLOCKS
                        txfiles += 1
                        txbytes += size
                    if lu < u[7]:  # U_THRESH: older than the newest of the oldest N
                        h = u[8]  # U_HEAP
                        item = (-lu, prefix + name, size, blocks, st.st_ino, ekept)
                        if len(h) < oldest_n:
                            heappush(h, item)
                            if len(h) == oldest_n:
                                u[7] = -h[0][0]
                        else:
                            heapreplace(h, item)
                            u[7] = -h[0][0]
        except OSError as exc:
            acc.error(path, exc)
            t[T_INCOMPLETE] = True
        finally:
            os.close(fd)
            t[T_FILES] += tfiles
            t[T_DIRS] += tdirs
            t[T_BYTES] += tbytes
            t[T_BLOCKS] += tblocks
            t[T_XFILES] += txfiles
            t[T_XBYTES] += txbytes
            if tnewest > t[T_NEWEST]:
                t[T_NEWEST] = tnewest
            if tkept:
                t[T_KEPT] = True
            c = acc.counts
            c["files"] += nfiles
            c["dirs"] += ndirs
            c["symlinks"] += nlinks
            c["other"] += nother
            c["hardlinked_seen"] += nhard
        return subdirs


@dataclass
class ScanResult:
    acc: Accumulator
    root: str
    dev: int
    root_stat: os.stat_result
    duration: float
    processes: int
    threads: int


class _Shared:
    """Work shared between forked processes: a queue of donated directories and a counter of
    directories discovered but not finished (0 means the scan is complete)."""

    def __init__(self, ctx: Any) -> None:
        self.q: Any = ctx.Queue()
        self.outstanding: Any = ctx.Value("q", 0)
        self.failed: Any = ctx.Value("b", 0)

    def add(self, n: int) -> None:
        with self.outstanding.get_lock():
            self.outstanding.value += n

    def done(self) -> bool:
        return bool(self.outstanding.value == 0 or self.failed.value)


class _LocalShared:
    """The same interface within one process (threads only)."""

    def __init__(self) -> None:
        self.q: queue.SimpleQueue[tuple[Task, int]] = queue.SimpleQueue()
        self.lock = threading.Lock()
        self.outstanding = 0
        self.failed = False

    def add(self, n: int) -> None:
        with self.lock:
            self.outstanding += n

    def done(self) -> bool:
        return self.outstanding == 0 or self.failed


def _run_threads(
    shared: Any,
    nprocs: int,
    threads: int,
    make_reader: Callable[[], DirReader],
) -> Accumulator:
    """Run `threads` directory readers in this process until the whole scan is done."""
    local: deque[tuple[Task, int]] = deque()
    readers = [make_reader() for _ in range(threads)]
    errors: list[BaseException] = []
    donate = nprocs > 1

    def work(reader: DirReader) -> None:
        try:
            while True:
                try:
                    task, owner = local.pop()
                except IndexError:
                    try:
                        task, owner = shared.q.get(timeout=0.005)
                    except queue.Empty:
                        if shared.done():
                            return
                        continue
                subdirs = reader.read(task, owner)
                local.extend(subdirs)
                if donate and len(local) > 1 and shared.q.qsize() < nprocs:
                    with contextlib.suppress(IndexError):
                        shared.q.put(local.popleft())
                shared.add(len(subdirs) - 1)
        except BaseException as exc:  # a bug must stop the scan, not hang it
            errors.append(exc)
            if isinstance(shared, _LocalShared):
                shared.failed = True
            else:
                shared.failed.value = 1
        finally:
            reader.flush_listing()

    if threads == 1:
        work(readers[0])
    else:
        pool = [threading.Thread(target=work, args=(r,), daemon=True) for r in readers]
        for th in pool:
            th.start()
        for th in pool:
            th.join()
    if errors:
        raise errors[0]
    acc = readers[0].acc
    for r in readers[1:]:
        acc.merge(r.acc)
    return acc


def _child(
    shared: _Shared, results: Any, nprocs: int, threads: int, make_reader: Callable[[], DirReader]
) -> None:
    try:
        acc = _run_threads(shared, nprocs, threads, make_reader)
        results.put(("ok", acc))
    except BaseException as exc:
        shared.failed.value = 1
        results.put(("error", f"{type(exc).__name__}: {exc}"))


def scan(
    root: str,
    policy: Policy,
    *,
    processes: int = 1,
    threads: int = 1,
    oldest_n: int = 100,
    listing_path: str | None = None,
    progress: Callable[[int, float], None] | None = None,
) -> ScanResult:
    """Scan the tree at `root` (a directory) and return the merged accumulator.

    `progress(pending_directories, elapsed_seconds)` is called about twice a second while
    worker processes run (not with processes=1)."""
    start = time.monotonic()
    root = os.path.abspath(root)
    root_stat = os.lstat(root)
    if not stat.S_ISDIR(root_stat.st_mode):
        raise NotADirectoryError(root)
    dev = root_stat.st_dev
    listing_fd = None
    if listing_path is not None:
        listing_fd = os.open(
            listing_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644
        )

    def make_reader() -> DirReader:
        return DirReader(policy, dev, Accumulator(oldest_n), listing_fd)

    try:
        top_reader = make_reader()
        top_reader._list(root_stat, root)
        acc = top_reader.acc
        # The root itself: its directory entry belongs to its owner, not to a top-level entry.
        u = acc.users.setdefault(root_stat.st_uid, _new_user())
        u[U_DIRS] += 1
        u[U_BYTES] += root_stat.st_size
        u[U_BLOCKS] += root_stat.st_blocks
        acc.counts["dirs"] += 1
        seeds = top_reader.read_root(root, root_stat.st_uid)
        top_reader.flush_listing()
        processes = max(1, processes)
        threads = max(1, threads)
        if processes == 1:
            lshared = _LocalShared()
            for s in seeds:
                lshared.q.put(s)
            lshared.outstanding = len(seeds)
            if seeds:
                acc.merge(_run_threads(lshared, 1, threads, make_reader))
        elif seeds:
            ctx = multiprocessing.get_context("fork")
            shared = _Shared(ctx)
            shared.outstanding.value = len(seeds)
            for s in seeds:
                shared.q.put(s)
            results: Any = ctx.Queue()
            procs = [
                ctx.Process(
                    target=_child,
                    args=(shared, results, processes, threads, make_reader),
                    daemon=True,
                )
                for _ in range(processes)
            ]
            for p in procs:
                p.start()
            got = 0
            failure: str | None = None
            while got < processes:
                try:
                    status, payload = results.get(timeout=0.5)
                except queue.Empty:
                    if progress is not None:
                        progress(int(shared.outstanding.value), time.monotonic() - start)
                    if any(p.exitcode not in (None, 0) for p in procs):
                        failure = failure or "a scan worker died"
                        shared.failed.value = 1
                        break
                    continue
                got += 1
                if status == "ok":
                    acc.merge(payload)
                else:
                    failure = failure or payload
            for p in procs:
                p.join(timeout=5)
                if p.is_alive():
                    p.kill()
            if failure:
                raise RuntimeError(f"scan worker failed: {failure}")
        # Hard-linked files were deferred so each inode is counted once across all workers.
        links = acc.links
        acc.links = {}
        for ino, (uid, top, size, blocks, lu, kept, path) in links.items():
            acc.add_file(uid, top, size, blocks, lu, kept, path, ino, policy.cutoff)
        acc.counts["hardlinked_files"] = len(links)
    finally:
        if listing_fd is not None:
            os.close(listing_fd)
    return ScanResult(
        acc=acc,
        root=root,
        dev=dev,
        root_stat=root_stat,
        duration=time.monotonic() - start,
        processes=processes,
        threads=threads,
    )
