"""The scan report: a stable JSON document (schema in docs/expiry.md) and a text summary.

Paths are the file system's bytes decoded with `surrogateescape` and written with
`ensure_ascii=True`, so a name that is not UTF-8 survives the round trip through JSON exactly
(`os.fsencode(path)` gives the original bytes back).
"""

from __future__ import annotations

import json
import os
import pwd
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from watcloud.core.errors import InputError
from watcloud.core.fsutil import read_text
from watcloud.core.timez import CLUSTER_TZ
from watcloud.expiry.mountinfo import AtimeInfo, Mount
from watcloud.expiry.policy import Policy, format_duration
from watcloud.expiry.scan import (
    T_BLOCKS,
    T_BYTES,
    T_DIRS,
    T_FILES,
    T_INCOMPLETE,
    T_ISDIR,
    T_KEPT,
    T_NEWEST,
    T_UID,
    U_BLOCKS,
    U_BYTES,
    U_DIRS,
    U_FILES,
    U_HEAP,
    U_XBLOCKS,
    U_XBYTES,
    U_XFILES,
    ScanResult,
)

SCHEMA = "watcloud-expiry-report/1"


def iso(epoch: float) -> str:
    """An epoch time as ISO 8601 in the cluster's zone, with its offset, to the second."""
    return datetime.fromtimestamp(epoch, UTC).astimezone(CLUSTER_TZ).isoformat(timespec="seconds")


def user_name(uid: int, cache: dict[int, str | None]) -> str | None:
    """The login name of `uid`, looked up once; None for a uid with no passwd entry."""
    if uid not in cache:
        try:
            cache[uid] = pwd.getpwuid(uid).pw_name
        except KeyError:
            cache[uid] = None
    return cache[uid]


def build_report(
    result: ScanResult,
    policy: Policy,
    *,
    started: float,
    finished: float,
    mount: Mount | None,
    atime: AtimeInfo,
    requested_time: str,
    warnings: list[str],
    resolve: Callable[[int], str | None] | None = None,
) -> dict[str, Any]:
    acc = result.acc
    names: dict[int, str | None] = {}
    lookup = resolve or (lambda uid: user_name(uid, names))
    cutoff = policy.cutoff
    root = result.root

    tops_by_uid: dict[int, list[dict[str, Any]]] = {}
    top_level = []
    for name in sorted(acc.tops):
        t = acc.tops[name]
        if t[T_UID] is None:
            continue  # an entry that vanished or failed before it was seen
        expired = bool(t[T_NEWEST] < cutoff and not t[T_KEPT] and not t[T_INCOMPLETE])
        entry = {
            "path": os.path.join(root, name),
            "uid": t[T_UID],
            "user": lookup(t[T_UID]),
            "type": "dir" if t[T_ISDIR] else "file",
            "files": t[T_FILES],
            "dirs": t[T_DIRS],
            "bytes": t[T_BYTES],
            "allocated_bytes": t[T_BLOCKS] * 512,
            "last_used": iso(t[T_NEWEST]),
            "last_used_epoch": t[T_NEWEST],
            "expired": expired,
            "kept": bool(t[T_KEPT]),
            "incomplete": bool(t[T_INCOMPLETE]),
        }
        top_level.append(entry)
        if expired:
            tops_by_uid.setdefault(t[T_UID], []).append(entry)

    users = []
    totals = {"bytes": 0, "allocated_bytes": 0, "expired_files": 0, "expired_bytes": 0}
    for uid, u in acc.users.items():
        heap = sorted(u[U_HEAP], key=lambda x: (-x[0], x[1]))  # oldest first
        oldest = [
            {
                "path": path,
                "last_used": iso(-neg_lu),
                "last_used_epoch": -neg_lu,
                "bytes": size,
                "allocated_bytes": blocks * 512,
                "inode": ino,
                "expired": (not kept) and -neg_lu < cutoff,
                "kept": kept,
            }
            for neg_lu, path, size, blocks, ino, kept in heap
        ]
        expired_tops = [
            {k: e[k] for k in ("path", "type", "last_used", "last_used_epoch", "bytes")}
            | {"allocated_bytes": e["allocated_bytes"], "files": e["files"], "dirs": e["dirs"]}
            for e in tops_by_uid.get(uid, [])
        ]
        users.append(
            {
                "uid": uid,
                "user": lookup(uid),
                "files": u[U_FILES],
                "dirs": u[U_DIRS],
                "bytes": u[U_BYTES],
                "allocated_bytes": u[U_BLOCKS] * 512,
                "expired_files": u[U_XFILES],
                "expired_bytes": u[U_XBYTES],
                "expired_allocated_bytes": u[U_XBLOCKS] * 512,
                "expired_top_level": expired_tops,
                "oldest_files": oldest,
            }
        )
        totals["bytes"] += u[U_BYTES]
        totals["allocated_bytes"] += u[U_BLOCKS] * 512
        totals["expired_files"] += u[U_XFILES]
        totals["expired_bytes"] += u[U_XBYTES]
    users.sort(key=lambda x: (-x["expired_bytes"], x["uid"]))

    counts = dict(acc.counts)
    counts.update(totals)
    fs = None
    if mount is not None:
        fs = {
            "type": mount.fstype,
            "source": mount.source,
            "mount_point": mount.mount_point,
            "device": f"{mount.major}:{mount.minor}",
            "mount_options": list(mount.options),
            "super_options": list(mount.super_options),
        }
    scan_warnings = list(warnings)
    if counts.get("noatime_refused"):
        scan_warnings.append(
            f"O_NOATIME was refused for {counts['noatime_refused']} directories (not their "
            "owner and no CAP_FOWNER): listing them may have updated their atime"
        )
    return {
        "schema": SCHEMA,
        "scan": {
            "root": root,
            "root_device": result.root_stat.st_dev,
            "root_inode": result.root_stat.st_ino,
            "host": socket.gethostname(),
            "started": iso(started),
            "started_epoch": started,
            "finished": iso(finished),
            "duration_seconds": round(finished - started, 3),
            "filesystem": fs,
            "atime": {
                "mode": atime.mode,
                "nodiratime": atime.nodiratime,
                "lazytime": atime.lazytime,
                "description": atime.description,
            },
            "time_field": requested_time,
            "time_field_effective": policy.time_field,
            "threshold": format_duration(policy.threshold_seconds),
            "threshold_seconds": policy.threshold_seconds,
            "cutoff": iso(cutoff),
            "cutoff_epoch": cutoff,
            "exclude": list(policy.exclude),
            "protected": [os.path.join(root, p) for p in policy.protected],
            "workers": {"processes": result.processes, "threads": result.threads},
            "counts": counts,
            "warnings": scan_warnings,
            "errors": [{"path": p, "error": e} for p, e in acc.errors],
        },
        "users": users,
        "top_level": top_level,
    }


def dumps(report: dict[str, Any]) -> str:
    """The tool's JSON (a report, a deletion outcome): ASCII-only, so that a surrogate-escaped
    name (not UTF-8 on disk) is written as `\\udcXX` and read back to the same bytes."""
    return json.dumps(report, indent=2, ensure_ascii=True) + "\n"


def load_report(path: Path) -> dict[str, Any]:
    """Read and check a report written by `scan --output json` (one-line errors)."""
    text = read_text(path, "report")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise InputError(f"{path}: not an expiry report (expected schema {SCHEMA!r})")
    try:
        scan = data["scan"]
        for key in ("root", "cutoff_epoch", "time_field_effective", "threshold_seconds"):
            scan[key]
        for u in data["users"]:
            u["uid"], u["expired_top_level"], u["oldest_files"]
    except (KeyError, TypeError) as exc:
        raise InputError(f"{path}: malformed expiry report (missing {exc})") from None
    return data


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def printable(text: object) -> str:
    """`text` on one line that a terminal shows as it is: nothing a file name can forge.

    Escaped: control characters (C0, DEL, C1: `\\n`, `\\x1b`, `\\x85`), format characters
    (bidi overrides such as U+202E, zero-width ones), line and paragraph separators, and the
    backslash itself (so an escape in a name cannot pass for one we wrote); a byte that is not
    UTF-8 (a surrogate from `surrogateescape`) is shown as `\\xNN`, the byte it stands for.
    """
    s = str(text)
    if s.isprintable() and "\\" not in s:
        return s  # the common case: nothing to look at character by character
    out = []
    for ch in s:
        code = ord(ch)
        if ch in _NAMED:
            out.append(_NAMED[ch])
        elif 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        elif code < 0x100:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def text_summary(report: dict[str, Any], *, max_paths: int = 20) -> str:
    """The report for people: every name and path from the disk goes through `printable`."""
    p = printable
    s = report["scan"]
    c = s["counts"]
    fs = s["filesystem"]
    lines = [f"Expiry scan of {p(s['root'])} on {p(s['host'])} ({s['finished']})"]
    if fs:
        lines.append(
            f"  filesystem  {p(fs['type'])} {p(fs['source'])} at {p(fs['mount_point'])} "
            f"({p(','.join(fs['mount_options']))})"
        )
    lines.append(f"  atime       {s['atime']['description']}")
    lines.append(
        f"  last used   {s['time_field_effective']}; threshold {s['threshold']} "
        f"(used before {s['cutoff']} is expired)"
    )
    lines.append(
        f"  scanned     {c['files']:,} files, {c['dirs']:,} dirs, {c['symlinks']:,} symlinks, "
        f"{human_bytes(c['bytes'])} ({human_bytes(c['allocated_bytes'])} allocated) "
        f"in {s['duration_seconds']:.2f} s"
    )
    lines.append(
        f"  expired     {c['expired_files']:,} files, {human_bytes(c['expired_bytes'])}; "
        f"{sum(1 for t in report['top_level'] if t['expired'])} of "
        f"{len(report['top_level'])} top-level entries"
    )
    if c.get("errors"):
        lines.append(
            f"  errors      {c['errors']} (first: {p(s['errors'][0]['path'])}: "
            f"{p(s['errors'][0]['error'])})"
        )
    lines.extend(f"  warning     {p(w)}" for w in s["warnings"])
    lines.append("")
    header = f"{'user':<16} {'files':>10} {'size':>11} {'expired files':>14} {'expired size':>13}"
    lines.append(header)
    for u in report["users"]:
        who = p(u["user"] or f"uid {u['uid']}")
        lines.append(
            f"{who:<16} {u['files']:>10,} {human_bytes(u['bytes']):>11} "
            f"{u['expired_files']:>14,} {human_bytes(u['expired_bytes']):>13}"
        )
    expired = [t for t in report["top_level"] if t["expired"]]
    if expired:
        lines.append("")
        lines.append("Expired top-level entries (everything under them unused):")
        for t in expired[:max_paths]:
            who = p(t["user"] or f"uid {t['uid']}")
            lines.append(
                f"  {p(t['path'])}  {who}  last used {t['last_used'][:10]}  "
                f"{human_bytes(t['bytes'])}, {t['files']:,} file{'' if t['files'] == 1 else 's'}"
            )
        if len(expired) > max_paths:
            lines.append(f"  ... and {len(expired) - max_paths} more (see --output json)")
    oldest = sorted(
        (
            (f["last_used_epoch"], f["path"], f["bytes"], u["user"] or f"uid {u['uid']}")
            for u in report["users"]
            for f in u["oldest_files"]
            if f["expired"]
        ),
    )[:10]
    if oldest:
        lines.append("")
        lines.append("Oldest expired files:")
        for lu, path, size, who in oldest:
            lines.append(f"  {iso(lu)[:10]}  {human_bytes(size):>10}  {p(who):<12} {p(path)}")
    return "\n".join(lines) + "\n"
