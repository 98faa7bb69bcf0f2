"""The imperative shell: lock, read, plan, write the account files, then homes and keys.

Locking follows shadow-utils (`lib/commonio.c`) so `useradd`, `usermod`, `passwd`, `vipw` and
this tool never lose each other's changes:

1. `lckpwdf` semantics: an exclusive POSIX record lock (`fcntl(F_SETLK)`) on `/etc/.pwd.lock`,
   retried for up to 15 seconds, held for the whole transaction.
2. For each of passwd, shadow, group, gshadow: write our pid to `<file>.<pid>`, `link()` it to
   `<file>.lock` (atomic on every filesystem, NFS included), check the link count is 2, unlink
   the pid file. A lock file naming a dead process (or no pid) is stale and removed.

The files are read after the locks are taken, so the plan is computed on what is really there.
Each write goes to `<file>+` beside the target with the original owner and mode, is fsynced and
renamed over the target, the directory fsynced after; the first write of a file in a transaction
first saves the old content as `<file>-` (same owner and mode), like shadow-utils. The order of
the writes is `plan.AccountPlan.steps` (see `plan` for why a cut anywhere is consistent).

Homes, managed directories, authorized_keys and linger flags are not fsynced one by one (like
`useradd -m`): thousands of fsyncs of fresh files cost seconds. A key file is still replaced by
rename, so a reader sees the old or the new list; after a power cut the next run repairs
anything the page cache had not written.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from watcloud.core.errors import ConfigError, InputError, WatcloudError
from watcloud.users.config import UsersConfig, path_problem, root_problem
from watcloud.users.files import FILES, AccountDb, AccountFile, etc, is_number, read_db
from watcloud.users.plan import (
    AccountPlan,
    Change,
    FsAction,
    FsQuery,
    PathInfo,
    fs_queries,
    plan_accounts,
    plan_fs,
)

Hook = Callable[[str], None]
LOCK_TIMEOUT = 15.0  # seconds, as glibc's lckpwdf and shadow-utils' LOCK_TRIES
KEYS_MAX = 1 << 20


class LockError(WatcloudError):
    """Another tool holds the account-file locks for longer than the timeout."""


class UnsafePath(WatcloudError):
    """A path inside a user-writable directory goes through a symlink or a non-directory."""


def _noop(_: str) -> None:
    return None


def today_days(clock: Callable[[], float] = time.time) -> int:
    """Days since the epoch (shadow's 'last change' field); SOURCE_DATE_EPOCH wins if set."""
    sde = os.environ.get("SOURCE_DATE_EPOCH", "")
    seconds = int(sde) if is_number(sde) else clock()
    return int(seconds // 86400)


def is_root() -> bool:
    return os.geteuid() == 0


# ---------------------------------------------------------------------------- locks


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _link_lock(directory: Path, kind: str) -> bool:
    """One attempt at shadow-utils' link lock on `<kind>.lock`; True when we hold it."""
    pid = os.getpid()
    tmp = directory / f"{kind}.{pid}"
    lock = directory / f"{kind}.lock"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, str(pid).encode())
    finally:
        os.close(fd)
    try:
        try:
            os.link(tmp, lock)
            return os.stat(tmp).st_nlink == 2
        except FileExistsError:
            pass
        try:
            text = lock.read_bytes().strip()
        except FileNotFoundError:
            return False  # released meanwhile: try again
        holder = int(text) if text.isdigit() else 0
        if holder == pid:
            return True
        if holder <= 0 or not _pid_alive(holder):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(lock)  # stale: its owner died (e.g. killed mid-apply)
        return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def _stale_temps(directory: Path) -> list[str]:
    """What killed runs leave in etc: `<file>.<pid>` of a dead pid, `<file>+`, `<file>-+`,
    and `<file>.lock` (removed by taking the locks, which treats a dead holder as stale)."""
    out = []
    fixed = {f"{k}{s}" for k in FILES for s in ("+", "-+")}
    try:
        entries = list(os.scandir(directory))
    except FileNotFoundError:
        return []
    for entry in entries:
        kind, dot, rest = entry.name.partition(".")
        if rest == "lock" and kind in FILES:
            try:
                text = Path(entry.path).read_bytes().strip()
            except OSError:
                continue
            if not (text.isdigit() and _pid_alive(int(text))):
                out.append(entry.name)  # its holder died: a live one is left to finish
        elif entry.name in fixed or (
            kind in FILES
            and dot
            and rest.isascii()
            and rest.isdigit()
            and int(rest) != os.getpid()
            and not _pid_alive(int(rest))
        ):
            out.append(entry.name)
    return out


def _remove_stale_temps(directory: Path) -> None:
    """Called with every lock held, so no live writer (ours or shadow-utils') owns one."""
    for name in _stale_temps(directory):
        if not name.endswith(".lock"):
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                os.unlink(directory / name)


@contextlib.contextmanager
def account_locks(
    root: Path,
    *,
    timeout: float = LOCK_TIMEOUT,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[None]:
    """Hold `/etc/.pwd.lock` (lckpwdf) and the four `<file>.lock` links under `root`."""
    directory = etc(root)
    directory.mkdir(parents=True, exist_ok=True)
    deadline = clock() + timeout
    fd = os.open(directory / ".pwd.lock", os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
    held: list[str] = []
    try:
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EACCES, errno.EAGAIN):
                    raise
            if clock() >= deadline:
                raise LockError(f"{directory}/.pwd.lock is held by another process; try again")
            sleep(0.05)
        for kind in FILES:
            while not _link_lock(directory, kind):
                if clock() >= deadline:
                    raise LockError(f"{directory}/{kind}.lock is held by another process")
                sleep(0.05)
            held.append(kind)
        _remove_stale_temps(directory)
        yield
    finally:
        for kind in reversed(held):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(directory / f"{kind}.lock")
        os.close(fd)  # releases the fcntl lock


# ---------------------------------------------------------------------------- account files


@dataclass
class Ownership:
    """Whether chown is attempted: as root always; as non-root under --root never (noted)."""

    enforce: bool
    notes: list[str] = field(default_factory=list)

    def fchown(self, fd: int, uid: int, gid: int) -> None:
        if self.enforce:
            os.fchown(fd, uid, gid)

    def lchown_at(self, name: str, dir_fd: int, uid: int, gid: int) -> None:
        if self.enforce:
            os.chown(name, uid, gid, dir_fd=dir_fd, follow_symlinks=False)


def _default_meta(kind: str, db: AccountDb) -> tuple[int, int, int]:
    """(mode, uid, gid) for a file that does not exist yet, as Debian ships them."""
    if kind in ("shadow", "gshadow"):
        gid = next(
            (int(ln.fields[2]) for ln in db.group.lines if ln.fields and ln.fields[0] == "shadow"),
            0,
        )
        return 0o640, 0, gid
    return 0o644, 0, 0


def _fsync_dir(path: Path) -> None:
    dfd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _write_replace(
    target: Path,
    data: bytes,
    mode: int,
    uid: int,
    gid: int,
    own: Ownership,
    hook: Hook,
    step: str,
    *,
    sync_dir: bool = True,
) -> None:
    tmp = target.with_name(target.name + "+")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)  # left by a killed run; we hold the lock, so nobody else's
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        own.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
        os.fsync(fd)
    finally:
        os.close(fd)
    hook(f"{step}:written")
    os.rename(tmp, target)
    if sync_dir:  # the rename is durable before the next file's rename starts
        _fsync_dir(target.parent)
    hook(f"{step}:renamed")


def write_accounts(root: Path, db: AccountDb, acc: AccountPlan, own: Ownership, hook: Hook) -> None:
    directory = etc(root)
    backed_up: set[str] = set()
    for kind, data in acc.steps:
        f: AccountFile = db.file(kind)
        if f.exists and f.mode is not None and f.uid is not None and f.gid is not None:
            mode, uid, gid = f.mode, f.uid, f.gid
        else:
            mode, uid, gid = _default_meta(kind, db)
        if kind not in backed_up and f.exists:
            _write_replace(
                directory / f"{kind}-", f.raw, mode, uid, gid, own, hook, f"backup:{kind}"
            )
            backed_up.add(kind)
        _write_replace(directory / kind, data, mode, uid, gid, own, hook, f"write:{kind}")


# ---------------------------------------------------------------------------- safe paths


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


@contextlib.contextmanager
def _opened(name: str, flags: int, dir_fd: int, mode: int = 0o777) -> Iterator[int]:
    fd = os.open(name, flags, mode, dir_fd=dir_fd)
    try:
        yield fd
    finally:
        os.close(fd)


def _parts(path: str) -> list[str]:
    return [p for p in path.split("/") if p and p != "."]


def _trusted(st: os.stat_result) -> bool:
    """Only root (or, under --root without root, we) can change what this entry holds."""
    return st.st_uid in (0, os.geteuid()) and not st.st_mode & 0o022


@contextlib.contextmanager
def open_parent(
    root: Path,
    path: str,
    boundary: str,
    *,
    create: bool = False,
    owner: tuple[int, int] = (0, 0),
    dir_mode: int = 0o700,
    own: Ownership | None = None,
    trust: list[bool] | None = None,
) -> Iterator[tuple[int, str]]:
    """A directory fd for `path`'s parent and its last component (closed on leaving the `with`).

    Every component is opened relative to its parent's fd with O_NOFOLLOW, from the root down.
    A symlink is followed only above `boundary` (e.g. /home for a home), only when it belongs to
    root and every directory on the way to it can be written by root alone (an admin's link
    such as /home -> /data/home); anything else a user could have planted (a link in /scratch,
    which everyone can write; anything at or below a home) is refused. `create` makes missing
    directories: root-owned 0755 above the boundary, `owner`/`dir_mode` at and below it.
    `trust`, if given, gets one flag: whether only root could have changed the way there.
    """
    parts = _parts(path)
    if ".." in parts or not parts:
        raise UnsafePath(f"{path}: not a usable path")
    bparts = _parts(boundary) if boundary else parts
    if parts[: len(bparts)] != bparts:
        bparts = parts
    split = len(bparts) - 1  # parts[split:] are at or below the boundary
    fd = os.open(str(root), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    trusted = _trusted(os.fstat(fd))
    try:
        for i, comp in enumerate(parts[:-1]):
            below = i >= split
            try:
                nfd = os.open(comp, _DIR_FLAGS, dir_fd=fd)
            except FileNotFoundError:
                if not create:
                    raise
                os.mkdir(comp, dir_mode if below else 0o755, dir_fd=fd)
                nfd = os.open(comp, _DIR_FLAGS, dir_fd=fd)
                if below and own is not None:
                    own.fchown(nfd, *owner)
                os.fchmod(nfd, dir_mode if below else 0o755)
            except OSError as exc:
                if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                    raise
                st = os.stat(comp, dir_fd=fd, follow_symlinks=False)
                if below or not trusted or not stat.S_ISLNK(st.st_mode) or not _trusted(st):
                    raise UnsafePath(f"{path}: {comp!r} is a symlink or not a directory") from None
                flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
                nfd = os.open(comp, flags, dir_fd=fd)  # an admin's symlink
            os.close(fd)
            fd = nfd
            trusted = trusted and not below and _trusted(os.fstat(fd))
        if trust is not None:
            trust.append(trusted)
        yield fd, parts[-1]
    finally:
        os.close(fd)


def trusted_way(root: Path, path: str) -> bool:
    """Whether only root could have changed the directories leading to `path` (False when the
    way there cannot be opened)."""
    flag: list[bool] = []
    try:
        with open_parent(root, path, path, trust=flag):
            pass
    except (OSError, UnsafePath):
        return False
    return flag[0]


def observe(root: Path, queries: list[FsQuery]) -> dict[str, PathInfo]:
    """What is at each queried path, without following a symlink inside a home.

    Shortcuts that keep a 10,000-user no-op fast: a path inside a home that does not exist is
    missing without further look-ups, and linger flags come from one listing of their directory.
    """
    out: dict[str, PathInfo] = {}
    base = str(root).rstrip("/")
    home_exists: dict[str, bool] = {}
    parent_trusted: dict[str, bool] = {}

    def trusted_parent(path: str) -> bool:
        """Whether only root could have changed the directories leading to `path` (cached)."""
        parent = path.rsplit("/", 1)[0] or "/"
        got = parent_trusted.get(parent)
        if got is None:
            got = parent_trusted[parent] = trusted_way(root, path)
        return got

    linger_dir = "/var/lib/systemd/linger/"
    try:
        lingering = set(os.listdir(base + linger_dir))
    except (FileNotFoundError, NotADirectoryError):
        lingering = set()
    for q in queries:
        if q.path in out and not q.read:
            continue
        if q.path.startswith(linger_dir) and "/" not in q.path[len(linger_dir) :]:
            name = q.path[len(linger_dir) :]
            out[q.path] = PathInfo("file") if name in lingering else PathInfo("missing")
            continue
        if q.home and q.path != q.home:
            exists = home_exists.get(q.home)
            if exists is None:
                exists = home_exists[q.home] = os.path.lexists(base + q.home)
            if not exists:
                out[q.path] = PathInfo("missing")
                continue
        if (not q.home or q.home == q.path) and not q.read and trusted_parent(q.path):
            # only root can change the way there, and lstat never follows the last component
            info = out[q.path] = _lstat_info(base + q.path)
            if q.home == q.path:
                home_exists[q.home] = info.kind != "missing"
            continue
        out[q.path] = _observe_one(root, q)
    return out


def _lstat_info(full: str) -> PathInfo:
    try:
        st = os.lstat(full)
    except FileNotFoundError:
        return PathInfo("missing")
    except NotADirectoryError:
        return PathInfo("unsafe")
    return _info(st)


def _info(st: os.stat_result, content: bytes | None = None) -> PathInfo:
    """What an lstat result shows (a symlink is never followed)."""
    mode = stat.S_IMODE(st.st_mode)
    kind: Literal["link", "dir", "file", "other"]
    if stat.S_ISLNK(st.st_mode):
        kind = "link"
    elif stat.S_ISDIR(st.st_mode):
        kind = "dir"
    elif stat.S_ISREG(st.st_mode):
        kind = "file"
    else:
        kind = "other"
    return PathInfo(kind, mode, st.st_uid, st.st_gid, content)


def _observe_one(root: Path, q: FsQuery) -> PathInfo:
    try:
        with open_parent(root, q.path, q.home) as (pfd, name):
            st = os.stat(name, dir_fd=pfd, follow_symlinks=False)
            if not q.read or not stat.S_ISREG(st.st_mode):
                return _info(st)
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
            with _opened(name, flags, pfd) as fd:
                return _info(st, os.read(fd, KEYS_MAX))
    except FileNotFoundError:
        return PathInfo("missing")
    except (UnsafePath, PermissionError, NotADirectoryError):
        return PathInfo("unsafe")


# ---------------------------------------------------------------------------- fs actions


def _copy_tree(src: Path, dst_fd: int, uid: int, gid: int, own: Ownership) -> None:
    """Copy `src` (the skeleton, admin-owned) into the directory `dst_fd`, owned by uid:gid."""
    try:
        entries = list(os.scandir(src))
    except FileNotFoundError:
        return
    for entry in entries:
        name = entry.name
        st = entry.stat(follow_symlinks=False)
        if stat.S_ISLNK(st.st_mode):
            os.symlink(os.readlink(entry.path), name, dir_fd=dst_fd)
            own.lchown_at(name, dst_fd, uid, gid)
        elif stat.S_ISDIR(st.st_mode):
            os.mkdir(name, 0o700, dir_fd=dst_fd)
            with _opened(name, _DIR_FLAGS, dst_fd) as sub:
                _copy_tree(Path(entry.path), sub, uid, gid, own)
                own.fchown(sub, uid, gid)
                os.fchmod(sub, stat.S_IMODE(st.st_mode))
        elif stat.S_ISREG(st.st_mode):
            with open(entry.path, "rb") as fh:
                data = fh.read()
            fd = os.open(
                name,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                0o600,
                dir_fd=dst_fd,
            )
            try:
                os.write(fd, data)
                own.fchown(fd, uid, gid)
                os.fchmod(fd, stat.S_IMODE(st.st_mode))
            finally:
                os.close(fd)


def _write_at(
    pfd: int, name: str, data: bytes, mode: int, uid: int, gid: int, own: Ownership
) -> None:
    prefix = f".{name}.watcloud-"
    for entry in os.listdir(pfd):  # left by killed runs (a fixed name now; random before)
        if entry.startswith(prefix):
            with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                os.unlink(entry, dir_fd=pfd)  # never follows: a planted link just goes
    tmp = prefix + "tmp"
    fd = os.open(
        tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=pfd
    )
    try:
        os.write(fd, data)
        own.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp, dir_fd=pfd)
        raise
    os.close(fd)
    os.rename(tmp, name, src_dir_fd=pfd, dst_dir_fd=pfd)  # rename never follows `name`


def run_action(root: Path, cfg: UsersConfig, act: FsAction, own: Ownership) -> None:
    owner = (act.uid, act.gid)
    if act.op == "create_home":
        # Built under a temporary name and renamed into place: a home exists complete or not
        # at all, even if the run is killed half-way through copying the skeleton.
        with open_parent(root, act.path, act.home, create=True) as (pfd, name):
            tmp = f".{name}.watcloud-new"
            with contextlib.suppress(FileNotFoundError):
                shutil.rmtree(tmp, dir_fd=pfd)  # left by a killed run
            os.mkdir(tmp, 0o700, dir_fd=pfd)
            with _opened(tmp, _DIR_FLAGS, pfd) as hfd:
                _copy_tree(Path(root, *_parts(cfg.skel)), hfd, act.uid, act.gid, own)
                os.fchmod(hfd, act.mode)
                own.fchown(hfd, act.uid, act.gid)
            os.rename(tmp, name, src_dir_fd=pfd, dst_dir_fd=pfd)
    elif act.op == "fix_home_owner":
        with (
            open_parent(root, act.path, act.home) as (pfd, name),
            _opened(name, _DIR_FLAGS, pfd) as hfd,
        ):
            own.fchown(hfd, act.uid, act.gid)
    elif act.op == "ensure_dir":
        created = open_parent(root, act.path, act.home, create=True, owner=owner, own=own)
        with created as (pfd, name):
            with contextlib.suppress(FileExistsError):
                os.mkdir(name, 0o700, dir_fd=pfd)
            if stat.S_ISLNK(os.stat(name, dir_fd=pfd, follow_symlinks=False).st_mode):
                raise UnsafePath(f"{act.path}: is a symlink")
            with _opened(name, _DIR_FLAGS, pfd) as dfd:
                own.fchown(dfd, act.uid, act.gid)
                os.fchmod(dfd, act.mode)
    elif act.op == "write_keys":
        created = open_parent(root, act.path, act.home, create=True, owner=owner, own=own)
        with created as (pfd, name):
            _write_at(pfd, name, act.content, act.mode, act.uid, act.gid, own)
    elif act.op in ("remove_keys", "linger_off"):
        boundary = act.home if act.op == "remove_keys" else ""
        with (
            open_parent(root, act.path, boundary) as (pfd, name),
            contextlib.suppress(FileNotFoundError),
        ):
            os.unlink(name, dir_fd=pfd)
    elif act.op == "linger_on":
        flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        with (
            open_parent(root, act.path, "", create=True) as (pfd, name),
            _opened(name, flags, pfd, 0o644),
        ):
            pass
    elif act.op == "remove_home":
        with open_parent(root, act.path, act.home) as (pfd, name):
            try:
                st = os.stat(name, dir_fd=pfd, follow_symlinks=False)
            except FileNotFoundError:
                return
            if not stat.S_ISDIR(st.st_mode):
                return
            if own.enforce and st.st_uid != act.uid:
                own.notes.append(f"{act.path}: not owned by uid {act.uid}; left in place")
                return
            shutil.rmtree(name, dir_fd=pfd)  # fd-based: never follows a symlink inside


# ---------------------------------------------------------------------------- the whole run


@dataclass
class Plan:
    accounts: AccountPlan
    fs_actions: list[FsAction]
    changes: list[Change]
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def _etc_dir(root: Path) -> str:
    """etc as messages name it: /etc, or its real path under --root."""
    return "/etc" if str(root) in ("/", "") else str(etc(root))


def check_root(root: Path) -> None:
    """A mistyped --root must not quietly become a brand-new tree of account files."""
    if not Path(root).is_dir():
        raise InputError(f"--root {root}: not an existing directory")


def ownership_for(root: Path) -> Ownership:
    if is_root():
        return Ownership(True)
    if Path(root).resolve() == Path("/"):
        raise WatcloudError("changing the real system needs root (or give --root DIR)")
    return Ownership(
        False, ["not running as root: files under --root are left owned by the current user"]
    )


def _virtual(base: str, path: str) -> str | None:
    """Where `path` under the root `base` really is (symlinks resolved), or None if outside."""
    full = os.path.realpath(base + path)
    if base == "/":
        return full
    if full == base:
        return "/"
    return full[len(base) :] if full.startswith(base + "/") else None


def check_resolved(root: Path, cfg: UsersConfig) -> None:
    """What config checks cannot see: symlinks on disk that send a path somewhere refused.

    Checked where a symlink would be followed: the allowed roots, skel, every home, and key
    files and managed directories outside homes (inside a home nothing is ever followed).
    A parent directory is resolved once, so 10,000 homes in /home cost 10,000 lstat calls.
    """
    base = os.path.realpath(root)
    roots = list(cfg.allowed_roots)
    for r in cfg.allowed_roots:
        got = _virtual(base, r)
        if got is None:
            raise ConfigError(f"allowed_roots {r!r} resolves to a path outside --root")
        why = root_problem(got)
        if why:
            raise ConfigError(f"allowed_roots {r!r} resolves to {got!r}: {why}")
        if got not in roots:
            roots.append(got)
    skel = _virtual(base, cfg.skel)
    if skel is None:
        raise ConfigError(f"skel {cfg.skel!r} resolves to a path outside --root")
    if not (skel == "/etc/skel" or skel.startswith("/etc/skel/")):
        raise ConfigError(f"skel {cfg.skel!r} resolves to {skel!r}, not /etc/skel")
    parents: dict[str, str | None] = {}
    trusted: dict[str, bool] = {}

    def check(what: str, path: str) -> None:
        parent, _, last = path.rpartition("/")
        if parent not in trusted:
            trusted[parent] = trusted_way(root, path)
        if not trusted[parent]:
            return  # a user could have made the way: walked with O_NOFOLLOW, never resolved
        if parent not in parents:
            parents[parent] = _virtual(base, parent or "/")
        got = parents[parent]
        if got is not None:
            got = got.rstrip("/") + "/" + last
            if os.path.islink(base.rstrip("/") + got):
                got = _virtual(base, got)
        if got is None:
            raise ConfigError(f"{what} {path!r} resolves to a path outside --root")
        if got != path and (why := path_problem(got, roots)) is not None:
            raise ConfigError(f"{what} {path!r} resolves to {got!r}, which {why}")

    homes = cfg.homes()
    for user in cfg.users:
        name, home = user.username, homes[user.username]
        check(f"user {name!r}: home", home)
        kp, dirs = cfg.paths()[name]
        if not kp.startswith(home + "/"):
            check(f"user {name!r}: ssh_authorized_keys_path", kp)
        for p in dirs:
            if not p.startswith(home + "/"):
                check(f"user {name!r}: managed directory", p)


def make_plan(
    root: Path, cfg: UsersConfig, *, today: int | None = None, db: AccountDb | None = None
) -> Plan:
    """The full plan against `root` (files read now, no locks: a dry run)."""
    check_root(root)
    check_resolved(root, cfg)
    db = db if db is not None else read_db(root)
    acc = plan_accounts(db, cfg, today_days() if today is None else today, _etc_dir(root))
    seen = observe(root, fs_queries(cfg, acc))
    own = is_root()
    actions, fs_changes = plan_fs(cfg, acc, seen, manage_ownership=own)
    notes = [] if own else ["not running as root: ownership is not checked or changed"]
    return Plan(acc, actions, acc.changes + fs_changes, notes)


def _key(c: Change) -> tuple[str, str, str, tuple[str, ...]]:
    return (c.action, c.kind, c.name, tuple(c.details))


def apply(
    root: Path,
    cfg: UsersConfig,
    *,
    today: int | None = None,
    expected: list[Change] | None = None,
    hook: Hook = _noop,
    lock_timeout: float = LOCK_TIMEOUT,
) -> Plan:
    """Lock, re-read, plan, write; then homes and keys. Returns the plan that was carried out.

    `expected`: the changes a person confirmed; if the files moved since, nothing is written.
    `hook(step)` is called at each step (tests use it to kill the process there).
    """
    check_root(root)
    own = ownership_for(root)
    check_resolved(root, cfg)
    day = today_days() if today is None else today
    etc_dir = _etc_dir(root)
    fs_plan: tuple[list[FsAction], list[Change]] = ([], [])

    def decide(db: AccountDb) -> AccountPlan:
        nonlocal fs_plan
        acc = plan_accounts(db, cfg, day, etc_dir)
        # the filesystem plan too, before anything is written: it refuses a path that
        # belongs to another user (exit 2, nothing changed)
        seen = observe(root, fs_queries(cfg, acc))
        fs_plan = plan_fs(cfg, acc, seen, manage_ownership=own.enforce)
        fs_changes = fs_plan[1]
        if expected is not None and sorted(map(_key, acc.changes + fs_changes)) != sorted(
            map(_key, expected)
        ):
            raise WatcloudError(
                "the account files or homes changed since the plan was shown; nothing was "
                "written, run again"
            )
        return acc

    # Nothing to write in the account files: no locks, so not even /etc's mtime moves.
    first = read_db(root)
    acc = decide(first)
    # a killed run's locks and temporary files: taking the locks clears them
    if acc.steps or _stale_temps(etc(root)):
        with account_locks(root, timeout=lock_timeout):
            hook("locked")
            db = read_db(root)  # what is there now that nobody else can write
            if any(db.file(k).raw != first.file(k).raw for k in FILES):
                acc = decide(db)  # someone wrote in between: decide again on what is there
            hook("planned")
            write_accounts(root, db, acc, own, hook)
        hook("unlocked")
        seen = observe(root, fs_queries(cfg, acc))  # the files changed: look again
        fs_plan = plan_fs(cfg, acc, seen, manage_ownership=own.enforce)
    else:
        hook("unlocked")
    actions, fs_changes = fs_plan
    failures: list[str] = []
    for i, act in enumerate(actions):
        hook(f"fs:{i}:{act.op}")
        try:
            run_action(root, cfg, act, own)
        except UnsafePath as exc:
            own.notes.append(f"skipped {act.op} for {act.user}: {exc}")
        except OSError as exc:  # one home failing (EACCES, ENOSPC) must not stop the others
            failures.append(f"{act.op} {act.path} for {act.user} failed: {exc.strerror or exc}")
    hook("done")
    return Plan(acc, actions, acc.changes + fs_changes, own.notes + failures, failures)
