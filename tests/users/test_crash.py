"""Crash consistency: apply SIGKILLed at every write, rename, fsync and unlink, then run again.

For each change kind (add, delete, gid change, key change) an uninterrupted run under strace
counts the calls of each syscall; then, for every syscall S and every N up to its count, a
fresh copy of the starting root is applied under `strace -f -e inject=S:signal=KILL:when=N`
(the process dies on entering its Nth call of S), and the next, uninterrupted run must exit 0
and converge to the very files of the uninterrupted run, judged clean by pwck -r and grpck -r.
The reruns happen in this process (no start-up cost), so every kill point stays affordable.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

from tests.conftest import require_binary, require_root
from tests.users.helpers import ed25519_key, make_root, small_config, write_config
from tests.users.test_apply import pwck_clean
from watcloud.users.apply import apply
from watcloud.users.config import load, validate

REPO = Path(__file__).resolve().parents[2]
TODAY = 20000
# The boundaries: every call that changes what is on disk or makes it durable.
SYSCALLS = ("write", "rename", "renameat", "renameat2", "fsync", "fdatasync", "unlink", "unlinkat")


def _config(**over: Any) -> dict[str, Any]:
    """One user with a key, linger and a managed directory, one extra group: small but full."""
    cfg = small_config(**over)
    cfg["users"] = [cfg["users"][0], cfg["users"][1]]
    cfg["managed_directories"] = [{"path": "/scratch/%u", "mode": "0750"}]
    cfg["removed_user_home"] = "remove"
    return cfg


def _scenarios() -> dict[str, tuple[dict[str, Any] | None, dict[str, Any]]]:
    """kind -> (config applied first, or None for a bare root; the config then applied)."""
    base = _config()
    delete = _config()
    del delete["users"][1]  # bob (and his private group, home, linger flag) go
    delete["users"][0]["linger"] = True
    bob_lingers = _config()
    bob_lingers["users"][1]["linger"] = True
    gid = _config()
    gid["groups"][0]["gid"] = 2600  # students: 2500 -> 2600
    key = _config()
    key["users"][0]["ssh_authorized_keys"] = [ed25519_key(7, "alice@new")]
    return {
        "add": (None, base),
        "delete": (bob_lingers, delete),
        "gid change": (base, gid),
        "key change": (base, key),
    }


def _tree(root: Path) -> dict[str, tuple[bytes | str, int, int, int]]:
    """Everything under root but the `-` backups (they hold whichever state came before)."""
    out: dict[str, tuple[bytes | str, int, int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            rel = str(p.relative_to(root))
            if rel.startswith("etc/") and rel.endswith("-") and rel.count("/") == 1:
                continue
            st = p.lstat()
            body: bytes | str
            if p.is_symlink():
                body = os.readlink(p)
            elif p.is_file():
                body = p.read_bytes()
            else:
                body = "<dir>"
            out[rel] = (body, st.st_mode, st.st_uid, st.st_gid)
    return out


def _copy(src: Path, dst: Path) -> None:
    """A copy with owners, modes and links as they are (shutil.copytree drops the owners)."""
    subprocess.run(["cp", "-a", str(src), str(dst)], check=True)


def _strace(
    strace: str, args: list[str], root: Path, config: Path
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [strace, "-f", "-qq", *args, sys.executable, "-m", "tests.users.apply_runner"]
    return subprocess.run(
        [*cmd, str(root), str(config)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def _count(strace: str, root: Path, config: Path, log: Path) -> Counter[str]:
    res = _strace(strace, ["-o", str(log), "-e", "trace=" + ",".join(SYSCALLS)], root, config)
    assert res.returncode == 0, res.stderr
    calls: Counter[str] = Counter()
    for line in log.read_text().splitlines():
        name = line.split(None, 1)[1].split("(", 1)[0] if " " in line else ""
        if name in SYSCALLS:
            calls[name] += 1
    return calls


def _killed(strace: str, start: Path, config: Path, root: Path, point: tuple[str, int]) -> int:
    """Apply on a copy of `start` until the `point` (syscall, N) kills it; the exit status."""
    _copy(start, root)
    inject = f"inject={point[0]}:signal=KILL:when={point[1]}"
    return _strace(strace, ["-o", "/dev/null", "-e", inject], root, config).returncode


def test_every_kill_point_is_finished_by_the_next_run(tmp_path: Path) -> None:
    (strace,) = require_binary("strace")
    require_root()  # pwck -R chroots; ownership as on a real system
    total = 0
    for kind, (first, then) in _scenarios().items():
        slug = kind.replace(" ", "-")
        start = make_root(tmp_path / slug)
        (start / "scratch").mkdir(mode=0o755)
        if first is not None:
            apply(start, validate(first), today=TODAY)
        config = write_config(tmp_path / f"{slug}.json", then)
        ref = tmp_path / f"{slug}-ref"
        _copy(start, ref)
        calls = _count(strace, ref, config, tmp_path / f"{slug}.strace")
        assert calls["write"] and calls["renameat"] + calls["rename"], (kind, calls)
        print(kind, dict(calls))
        pwck_clean(ref)
        want = _tree(ref)
        if kind == "delete":
            assert "home/bob" not in want and "var/lib/systemd/linger/bob" not in want
        cfg = load(config)
        points = [(name, n) for name, count in sorted(calls.items()) for n in range(1, count + 1)]

        with ThreadPoolExecutor(2) as pool:  # the killed runs are child processes: 2 at once
            roots = [tmp_path / f"{slug}-{i}" for i in range(len(points))]
            codes = list(pool.map(partial(_killed, strace, start, config), roots, points))
        for point, root, code in zip(points, roots, codes, strict=True):
            assert code in (-signal.SIGKILL, 128 + signal.SIGKILL), (kind, point, code)
            done = apply(root, cfg, today=TODAY)  # the next run: must finish the job exactly
            assert not done.failures and not done.notes, (kind, point, done.notes)  # exit 0
            assert _tree(root) == want, (kind, point)
            pwck_clean(root)
            shutil.rmtree(root)
            total += 1
    # every boundary of the four kinds was a kill point (the figure docs/users.md records)
    print(f"kill points: {total}, all finished by the next run")
    assert total > 100
