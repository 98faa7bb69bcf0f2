"""Build a cgroup v2 tree (and /proc/self/cgroup) in a temporary directory."""

from __future__ import annotations

from pathlib import Path


def make_tree(
    root: Path,
    own: str,
    files: dict[str, dict[str, str]],
) -> tuple[Path, Path]:
    """`files` maps a cgroup path (e.g. "/user.slice/user-1000.slice") to {file: content}.
    Returns (sysfs_root, proc_root)."""
    sysfs, proc = root / "sys", root / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "cgroup").write_text(f"0::{own}\n")
    base = sysfs / "fs" / "cgroup"
    base.mkdir(parents=True)
    parts = own.strip("/").split("/")
    for i in range(1, len(parts) + 1):
        (base / "/".join(parts[:i])).mkdir(exist_ok=True)
    for path, content in files.items():
        d = base / path.strip("/")
        d.mkdir(parents=True, exist_ok=True)
        for name, text in content.items():
            (d / name).write_text(text)
    return sysfs, proc


def cpu_stat(usage_usec: int) -> str:
    return (
        f"usage_usec {usage_usec}\nuser_usec {usage_usec // 2}\nsystem_usec {usage_usec // 2}\n"
        "nr_periods 0\nnr_throttled 0\nthrottled_usec 0\n"
    )


USER = "/user.slice/user-1000.slice"
SESSION = USER + "/session-7.scope"
