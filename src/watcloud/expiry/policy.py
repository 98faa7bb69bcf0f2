"""The expiry policy (pure): threshold, exclusion globs, protected paths, time field.

Exclusion globs (`fnmatch` syntax, case-sensitive): a pattern without `/` matches an entry's
name at any depth (`*.keep`, `.git`); a pattern with `/` matches the path relative to the scan
root (`alice/keep/*`, `*/checkpoints`). Protected paths are exact paths (absolute, or relative
to the root). An excluded or protected entry never expires, nor does anything under it, nor
the top-level directory that holds it.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")


def parse_duration(text: str) -> float:
    """`70d`, `12h`, `2w`, `90m`, `30s` or a bare number of days, as seconds."""
    m = _DURATION.match(str(text))
    if not m:
        raise ValueError(f"invalid duration {text!r} (expected e.g. 70d, 12h, 2w, 90m, 30s)")
    unit = m.group(2) or "d"
    return float(m.group(1)) * _UNITS[unit]


def format_duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _compile(patterns: Iterable[str]) -> re.Pattern[str] | None:
    pats = list(patterns)
    if not pats:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in pats))


@dataclass(frozen=True)
class Policy:
    threshold_seconds: float
    cutoff: float  # epoch seconds: an entry last used before this is expired
    time_field: str  # "newest" | "newest-mc" | "atime" | "mtime" | "ctime"
    exclude: tuple[str, ...] = ()
    protected: tuple[str, ...] = ()  # root-relative, normalised
    name_re: re.Pattern[str] | None = field(default=None, compare=False, repr=False)
    rel_re: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def make(
        cls,
        *,
        root: str,
        threshold_seconds: float,
        now: float,
        time_field: str = "newest",
        exclude: Iterable[str] = (),
        protected: Iterable[str] = (),
    ) -> Policy:
        excl = tuple(exclude)
        prot = tuple(sorted({relative_to_root(root, p) for p in protected}))
        return cls(
            threshold_seconds=threshold_seconds,
            cutoff=now - threshold_seconds,
            time_field=time_field,
            exclude=excl,
            protected=prot,
            name_re=_compile(p for p in excl if "/" not in p),
            rel_re=_compile(p.strip("/") for p in excl if "/" in p),
        )

    def kept(self, rel: str, name: str) -> bool:
        """Is the entry at root-relative `rel` (basename `name`) excluded or protected?"""
        if self.name_re is not None and self.name_re.match(name):
            return True
        if self.rel_re is not None and self.rel_re.match(rel):
            return True
        return rel in self.protected

    def last_used(self, atime: float, mtime: float, ctime: float) -> float:
        return last_used(self.time_field, atime, mtime, ctime)


def last_used(time_field: str, atime: float, mtime: float, ctime: float) -> float:
    if time_field == "newest":
        return max(atime, mtime, ctime)
    if time_field == "newest-mc":
        return max(mtime, ctime)
    if time_field == "atime":
        return atime
    if time_field == "mtime":
        return mtime
    if time_field == "ctime":
        return ctime
    raise ValueError(f"unknown time field {time_field!r}")


def relative_to_root(root: str, path: str) -> str:
    """`path` (absolute, or relative to `root`) as a normalised root-relative path.

    Raises ValueError when it lies outside the root (`..`, another tree).
    """
    root = os.path.normpath(root)
    full = os.path.normpath(path if os.path.isabs(path) else os.path.join(root, path))
    if full == root:
        return ""
    prefix = root.rstrip("/") + "/"
    if not full.startswith(prefix):
        raise ValueError(f"{path!r} is outside the scanned root {root!r}")
    return full[len(prefix) :]
