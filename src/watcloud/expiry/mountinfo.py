"""`/proc/self/mountinfo` parsing and what "atime" means on a mount (pure functions).

Format (proc(5)): `id parent major:minor root mount_point mount_options [optional...] - fstype
source super_options`. Paths escape space, tab, newline and backslash as octal (`\\040`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

_OCTAL = re.compile(r"\\([0-7]{3})")


def _unescape(text: str) -> str:
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), text)


@dataclass(frozen=True)
class Mount:
    mount_id: int
    parent_id: int
    major: int
    minor: int
    root: str
    mount_point: str
    options: tuple[str, ...]  # per-mount options: rw, noatime, relatime, nodiratime, ...
    fstype: str
    source: str
    super_options: tuple[str, ...]  # per-superblock options: lazytime, errors=..., ...

    @property
    def all_options(self) -> tuple[str, ...]:
        return self.options + tuple(o for o in self.super_options if o not in self.options)


def parse_mountinfo(text: str) -> list[Mount]:
    """Every well-formed line of `text`; malformed lines are skipped (the kernel writes them)."""
    mounts = []
    for line in text.split("\n"):  # not splitlines(): \x1c-\x1e, \x85 may be in names
        parts = line.split(" ")
        try:
            sep = parts.index("-", 6)
            major, minor = parts[2].split(":")
            mounts.append(
                Mount(
                    mount_id=int(parts[0]),
                    parent_id=int(parts[1]),
                    major=int(major),
                    minor=int(minor),
                    root=_unescape(parts[3]),
                    mount_point=_unescape(parts[4]),
                    options=tuple(parts[5].split(",")),
                    fstype=parts[sep + 1],
                    source=_unescape(parts[sep + 2]),
                    super_options=tuple(parts[sep + 3].split(",")) if len(parts) > sep + 3 else (),
                )
            )
        except (ValueError, IndexError):
            continue
    return mounts


def find_mount(mounts: list[Mount], path: str, dev: tuple[int, int] | None = None) -> Mount | None:
    """The mount holding absolute `path`: the last-mounted, longest mount point prefix.

    When `dev` (major, minor of the path's st_dev) is given, mounts of that device are preferred
    (over-mounts and bind mounts make the longest prefix alone ambiguous).
    """
    path = os.path.normpath(path)

    def covers(mp: str) -> bool:
        return mp == "/" or path == mp or path.startswith(mp.rstrip("/") + "/")

    candidates = [m for m in mounts if covers(m.mount_point)]
    if dev is not None:
        same = [m for m in candidates if (m.major, m.minor) == dev]
        candidates = same or candidates
    if not candidates:
        return None
    # Longest mount point wins; for equal ones the later line (mounted on top) wins.
    best_len = max(len(m.mount_point) for m in candidates)
    return [m for m in candidates if len(m.mount_point) == best_len][-1]


@dataclass(frozen=True)
class AtimeInfo:
    mode: str  # "strictatime" | "relatime" | "noatime"
    nodiratime: bool
    lazytime: bool
    description: str
    warnings: list[str] = field(default_factory=list)


def atime_semantics(options: tuple[str, ...] | list[str]) -> AtimeInfo:
    """What a file's atime tells on a mount with these options (per-mount and super options)."""
    opts = set(options)
    lazy = "lazytime" in opts
    nodir = "nodiratime" in opts
    warnings: list[str] = []
    if "noatime" in opts:
        mode = "noatime"
        desc = (
            "noatime: reads never update atime; atime only tells when a file was created or "
            "last written, so reads are invisible"
        )
        warnings.append(
            "mounted noatime: reads are invisible to the scan; 'last used' falls back to "
            "mtime and ctime (files that are only read look unused)"
        )
    elif "relatime" in opts:
        mode = "relatime"
        desc = (
            "relatime: a read updates atime only when atime is older than mtime or ctime, "
            "or more than 24 hours old; atime is accurate to about a day"
        )
    else:
        mode = "strictatime"
        desc = "strictatime: every read updates atime (each one costs a metadata write)"
    if nodir and mode != "noatime":
        desc += "; nodiratime: listing a directory never updates the directory's atime"
    if lazy:
        desc += (
            "; lazytime: timestamp updates stay in memory and reach the disk within 24 hours "
            "(stat shows them at once; a crash can lose them)"
        )
    return AtimeInfo(
        mode=mode, nodiratime=nodir, lazytime=lazy, description=desc, warnings=warnings
    )


TIME_FIELDS = ("newest", "atime", "mtime", "ctime")


def effective_time_field(requested: str | None, info: AtimeInfo) -> tuple[str, list[str]]:
    """The time field the scan uses and the warnings to print.

    `requested` None means the default: the newest of atime, mtime and ctime, except on a
    `noatime` mount, where atime says nothing about reads: then the newest of mtime and ctime.
    Returns one of "newest", "newest-mc", "atime", "mtime", "ctime".
    """
    warnings: list[str] = list(info.warnings)
    if requested is None or requested == "newest":
        if info.mode == "noatime":
            return "newest-mc", warnings
        return "newest", warnings
    if requested not in TIME_FIELDS:
        raise ValueError(f"unknown time field {requested!r} (expected one of {TIME_FIELDS})")
    if requested == "atime" and info.mode == "noatime":
        warnings.append("--time atime on a noatime mount: atime is never updated by reads")
    return requested, warnings
