"""Deletion: only what a report listed, only what is still expired now, never through a symlink.

Every path is reached from the scanned root by descriptor-relative steps (`openat` with
`O_NOFOLLOW|O_DIRECTORY` for each component, then `fstatat(AT_SYMLINK_NOFOLLOW)`,
`unlinkat`, `unlinkat(AT_REMOVEDIR)` relative to the parent's descriptor), so a directory
swapped for a symlink after the scan stops the walk (ELOOP) instead of leading elsewhere.
Each entry is re-checked just before removal against the report's cutoff and time field; an
entry used since the scan, replaced (another inode), excluded or protected, or on another
file system is kept, and so is every directory above it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from watcloud.core.errors import InputError
from watcloud.expiry.policy import Policy, last_used, relative_to_root
from watcloud.expiry.scan import DIR_FLAGS, NOATIME


@dataclass
class Candidate:
    path: str
    kind: str  # "tree" (an expired top-level entry) or "file" (one of a user's oldest files)
    uid: int
    user: str | None
    bytes: int
    last_used: str = ""
    inode: int | None = None


@dataclass
class Removal:
    path: str
    what: str  # "file" | "symlink" | "other" | "dir"
    bytes: int
    uid: int


@dataclass
class Kept:
    path: str
    reason: str


@dataclass
class Outcome:
    dry_run: bool
    root: str
    removed: list[Removal] = field(default_factory=list)
    kept: list[Kept] = field(default_factory=list)
    errors: list[Kept] = field(default_factory=list)

    @property
    def removed_bytes(self) -> int:
        return sum(r.bytes for r in self.removed if r.what != "dir")

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "root": self.root,
            "removed": [asdict(r) for r in self.removed],
            "removed_bytes": self.removed_bytes,
            "kept": [asdict(k) for k in self.kept],
            "errors": [asdict(k) for k in self.errors],
        }


def candidates(report: dict[str, Any]) -> list[Candidate]:
    """What the report lists for deletion: expired top-level entries and expired oldest files
    (a file under an expired top-level directory is covered by that directory)."""
    out: list[Candidate] = []
    tree_paths: set[str] = set()
    for u in report["users"]:
        for t in u["expired_top_level"]:
            out.append(
                Candidate(
                    t["path"], "tree", u["uid"], u.get("user"), t["bytes"], t.get("last_used", "")
                )
            )
            tree_paths.add(t["path"])
    for u in report["users"]:
        for f in u["oldest_files"]:
            if not f.get("expired") or f.get("kept"):
                continue
            if any(f["path"].startswith(p + "/") or f["path"] == p for p in tree_paths):
                continue
            out.append(
                Candidate(
                    f["path"],
                    "file",
                    u["uid"],
                    u.get("user"),
                    f["bytes"],
                    f.get("last_used", ""),
                    f.get("inode"),
                )
            )
    return out


class Deleter:
    def __init__(self, report: dict[str, Any], *, dry_run: bool, log: TextIO | None = None) -> None:
        scan = report["scan"]
        self.root = os.path.normpath(scan["root"])
        self.cutoff = float(scan["cutoff_epoch"])
        self.time_field = scan["time_field_effective"]
        self.root_device = scan.get("root_device")
        self.root_inode = scan.get("root_inode")
        self.started = float(
            scan.get("started_epoch", self.cutoff + float(scan["threshold_seconds"]))
        )
        self.policy = Policy.make(
            root=self.root,
            threshold_seconds=float(scan["threshold_seconds"]),
            now=self.cutoff + float(scan["threshold_seconds"]),
            time_field=self.time_field,
            exclude=scan.get("exclude", []),
            protected=scan.get("protected", []),
        )
        self.dry_run = dry_run
        self.log = log
        self.outcome = Outcome(dry_run=dry_run, root=self.root)
        self.dev = -1

    # -- helpers -------------------------------------------------------------------------
    def _lu(self, st: os.stat_result) -> float:
        return last_used(self.time_field, st.st_atime, st.st_mtime, st.st_ctime)

    def _changed(self, path: str, st: os.stat_result) -> bool:
        """Used since the scan (by the report's time field) or changed since (ctime: written,
        renamed, chmod-ed, replaced), whatever the time field: keep it."""
        if self._lu(st) >= self.cutoff:
            self._keep(path, "used since the scan")
            return True
        if st.st_ctime > self.started:
            self._keep(path, "changed since the scan (ctime)")
            return True
        return False

    def _keep(self, path: str, reason: str) -> None:
        self.outcome.kept.append(Kept(path, reason))

    def _error(self, path: str, exc: OSError) -> None:
        self.outcome.errors.append(Kept(path, exc.strerror or str(exc)))

    def _removed(self, path: str, st: os.stat_result) -> None:
        mode = st.st_mode
        what = (
            "dir"
            if stat.S_ISDIR(mode)
            else "file"
            if stat.S_ISREG(mode)
            else "symlink"
            if stat.S_ISLNK(mode)
            else "other"
        )
        removal = Removal(path, what, st.st_size, st.st_uid)
        self.outcome.removed.append(removal)
        if self.log is not None and not self.dry_run:
            from watcloud.core.timez import now

            entry = {"time": now().isoformat(timespec="seconds"), "action": "removed"}
            self.log.write(json.dumps(entry | asdict(removal), ensure_ascii=True) + "\n")
            self.log.flush()

    def _kept_by_policy(self, rel: str) -> bool:
        parts = rel.split("/")
        return any(self.policy.kept("/".join(parts[: i + 1]), parts[i]) for i in range(len(parts)))

    @contextlib.contextmanager
    def _open_parent(self, rel: str) -> Iterator[int]:
        """A descriptor of the directory holding root-relative `rel`, reached without following
        a symlink at any step. Raises OSError (ELOOP/ENOTDIR/EXDEV) when the path changed."""
        fd = os.open(self.root, DIR_FLAGS)
        try:
            st = os.fstat(fd)
            if self.root_device is not None and (st.st_dev, st.st_ino) != (
                self.root_device,
                self.root_inode,
            ):
                raise OSError(errno.ESTALE, "the scanned root was replaced since the scan")
            self.dev = st.st_dev
            for comp in rel.split("/")[:-1]:
                nfd = os.open(comp, DIR_FLAGS | NOATIME, dir_fd=fd)
                os.close(fd)
                fd = nfd
                if os.fstat(fd).st_dev != self.dev:
                    raise OSError(errno.EXDEV, "path crosses into another file system")
            yield fd
        finally:
            os.close(fd)

    # -- the work ------------------------------------------------------------------------
    def run(self, cands: list[Candidate]) -> Outcome:
        for c in cands:
            try:
                rel = relative_to_root(self.root, c.path)
            except ValueError:
                self._keep(c.path, "refused: outside the scanned root")
                continue
            if not rel or ".." in rel.split("/"):
                self._keep(c.path, "refused: not below the scanned root")
                continue
            if self._kept_by_policy(rel):
                self._keep(c.path, "excluded or protected")
                continue
            try:
                with self._open_parent(rel) as pfd:
                    self._remove_entry(pfd, rel.rsplit("/", 1)[-1], c.path, rel, c)
            except OSError as exc:
                if exc.errno == errno.ENOENT:
                    self._keep(c.path, "gone since the scan")
                elif exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    self._keep(c.path, "path changed since the scan (a symlink or a file on it)")
                else:
                    self._error(c.path, exc)
        return self.outcome

    def _remove_entry(self, pfd: int, name: str, path: str, rel: str, c: Candidate) -> None:
        st = os.stat(name, dir_fd=pfd, follow_symlinks=False)
        if self._changed(path, st):
            return
        if stat.S_ISDIR(st.st_mode):
            if c.kind != "tree":
                self._keep(path, "now a directory; the report listed a file")
                return
            self._remove_tree(pfd, name, path, rel, st)
            return
        if c.kind == "file" and c.inode and st.st_ino != c.inode:
            self._keep(path, "replaced since the scan (another inode)")
            return
        if not self.dry_run:
            os.unlink(name, dir_fd=pfd)
        self._removed(path, st)

    def _remove_tree(self, pfd: int, name: str, path: str, rel: str, st: os.stat_result) -> bool:
        """Remove the directory `name` under `pfd` and what is still expired in it.

        Returns True when the directory itself was (or, dry run, would be) removed."""
        if st.st_dev != self.dev:
            self._keep(path, "another file system (mount point)")
            return False
        try:
            try:
                fd = os.open(name, DIR_FLAGS | NOATIME, dir_fd=pfd)
            except PermissionError:
                fd = os.open(name, DIR_FLAGS, dir_fd=pfd)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                self._keep(path, "replaced by a symlink or a file during deletion: not followed")
                return False
            raise
        try:
            fst = os.fstat(fd)
            if (fst.st_dev, fst.st_ino) != (st.st_dev, st.st_ino):
                self._keep(path, "replaced while being removed")
                return False
            everything = True
            with os.scandir(fd) as it:
                entries = list(it)
            for e in entries:
                cpath, crel = f"{path}/{e.name}", f"{rel}/{e.name}"
                try:
                    est = e.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if self.policy.kept(crel, e.name):
                    self._keep(cpath, "excluded or protected")
                    everything = False
                    continue
                if self._changed(cpath, est):
                    everything = False
                    continue
                try:
                    if e.is_dir(follow_symlinks=False):
                        everything &= self._remove_tree(fd, e.name, cpath, crel, est)
                        continue
                    if not self.dry_run:
                        os.unlink(e.name, dir_fd=fd)
                    self._removed(cpath, est)
                except OSError as exc:
                    self._error(cpath, exc)
                    everything = False
        finally:
            os.close(fd)
        if not everything:
            self._keep(path, "not empty: something under it is kept")
            return False
        try:
            if not self.dry_run:
                os.rmdir(name, dir_fd=pfd)
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
                self._keep(path, "not empty: something appeared under it")
            else:
                self._error(path, exc)
            return False
        self._removed(path, st)
        return True


def delete(report: dict[str, Any], *, dry_run: bool, log_path: Path | None) -> Outcome:
    """Remove what `report` lists and is still expired; each removal appended to `log_path`.

    `log_path=None` keeps no log (the library's caller decides; the CLI requires one). The log
    is opened before anything is removed, never through a symlink at its last step; if it
    cannot be opened, nothing is deleted.
    """
    cands = candidates(report)
    if dry_run or log_path is None:
        return Deleter(report, dry_run=dry_run).run(cands)
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(log_path, flags, 0o600)
    except OSError as exc:
        raise InputError(
            f"deletion log {log_path}: cannot open: {exc.strerror} (nothing was deleted)"
        ) from None
    with open(fd, "a", encoding="utf-8") as log:
        outcome = Deleter(report, dry_run=False, log=log).run(cands)
        log.flush()
        os.fsync(log.fileno())
    return outcome
