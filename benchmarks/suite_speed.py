"""Is the test suite slower than it was at an earlier revision? (issue 21: "the suite no slower")

Runs the tests that exist at both revisions (the same pytest node ids) at both, interleaved:
the common tests are cut into chunks of whole test files, and each chunk runs at one revision
then the other (the order alternating from chunk to chunk), so the machine's load (this one is
shared) falls on both alike. Each run is measured by the CPU time (user + system) of pytest and
every process it waited for, from `wait4`, which a busy machine disturbs far less than wall time;
wall time is printed too.

The earlier revision is checked out in a temporary git worktree and imported through PYTHONPATH
with this checkout's virtual environment (the two revisions must have the same dependencies; the
script stops if pyproject.toml differs). The later one is this checkout's working tree. Both
trees are byte-compiled first, and the venv is kept pointing at this checkout.

    sudo CI=true .venv/bin/python benchmarks/suite_speed.py fb633e2          # whole suite
    sudo CI=true .venv/bin/python benchmarks/suite_speed.py fb633e2 tests/outage tests/style

Prints one line per chunk and a total: CPU seconds at each revision and the ratio later/earlier.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PY = REPO / ".venv" / "bin" / "python"


def git(*args: str, cwd: Path = REPO) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


def env_for(tree: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree / "src")
    env["PATH"] = f"{REPO / '.venv' / 'bin'}:{env.get('PATH', '')}"
    return env


def collect(tree: Path, paths: list[str]) -> list[str]:
    paths = [p for p in paths if (tree / p.split("::")[0]).exists()]  # one may be new
    if not paths:
        return []
    out = subprocess.run(
        [str(PY), "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *paths],
        cwd=tree,
        env=env_for(tree),
        capture_output=True,
        text=True,
    ).stdout
    return [line for line in out.splitlines() if "::" in line and not line.startswith(" ")]


def run(tree: Path, ids: list[str]) -> tuple[float, float, int]:
    """CPU seconds (pytest and what it reaped), wall seconds, exit code."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [str(PY), "-m", "pytest", "-q", "-p", "no:cacheprovider", *ids],
        cwd=tree,
        env=env_for(tree),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return ru.ru_utime + ru.ru_stime, time.perf_counter() - t0, proc.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("earlier", help="the earlier revision (e.g. fb633e2)")
    ap.add_argument("paths", nargs="*", default=["tests"], help="test paths (default: tests)")
    ap.add_argument("--chunks", type=int, default=16, help="how many chunks (default 16)")
    args = ap.parse_args()

    rev = git("rev-parse", "--short", args.earlier).strip()
    if git("diff", rev, "--", "pyproject.toml").strip():
        sys.exit(f"error: pyproject.toml differs between {rev} and the working tree")
    tmp = Path(tempfile.mkdtemp(prefix="suite-speed-"))
    old = tmp / "earlier"
    git("worktree", "add", "--detach", str(old), rev)
    # The zipapp test runs `make zipapp VENV=<this venv>`, whose venv target reinstalls this
    # checkout in editable mode when pyproject.toml is newer than the venv's stamp: the fresh
    # worktree's is, and the venv would then import the earlier revision for good. Mark the venv
    # up to date, and put its editable path back at the end whatever happens.
    pth = next((REPO / ".venv" / "lib").glob("python3*/site-packages/__editable__.watcloud-*.pth"))
    saved_pth = pth.read_bytes()
    (REPO / ".venv" / ".installed").touch()
    try:
        for tree in (old, REPO):  # byte-compile first: the fresh worktree has no __pycache__
            subprocess.run([str(PY), "-m", "compileall", "-q", "src", "tests"], cwd=tree)
        ids_old, ids_new = collect(old, args.paths), collect(REPO, args.paths)
        common = sorted(set(ids_old) & set(ids_new))
        print(
            f"tests: {len(ids_old)} at {rev}, {len(ids_new)} now, {len(common)} at both "
            f"(only those run)",
            flush=True,
        )
        if not common:
            sys.exit("error: no test exists at both revisions")
        by_file: dict[str, list[str]] = defaultdict(list)
        for nid in common:
            by_file[nid.split("::", 1)[0]].append(nid)
        files = sorted(by_file, key=lambda f: -len(by_file[f]))
        chunks: list[list[str]] = [[] for _ in range(max(1, min(args.chunks, len(files))))]
        for i, f in enumerate(files):  # deal files round-robin so chunks are alike in size
            chunks[i % len(chunks)].extend(by_file[f])
        tot = {"earlier": [0.0, 0.0], "now": [0.0, 0.0]}
        failed: list[str] = []
        for i, ids in enumerate(chunks):
            order = [("earlier", old), ("now", REPO)]
            if i % 2:
                order.reverse()
            got = {}
            for name, tree in order:
                cpu, wall, rc = run(tree, ids)
                got[name] = (cpu, wall)
                tot[name][0] += cpu
                tot[name][1] += wall
                if rc != 0:
                    failed.append(f"chunk {i + 1} at {name} (exit {rc})")
            print(
                f"chunk {i + 1:2}/{len(chunks)} {len(ids):4} tests  "
                f"cpu {got['earlier'][0]:7.1f} s -> {got['now'][0]:7.1f} s  "
                f"wall {got['earlier'][1]:6.1f} s -> {got['now'][1]:6.1f} s",
                flush=True,
            )
        (ce, we), (cn, wn) = tot["earlier"], tot["now"]
        print(
            f"total: cpu {ce:.1f} s at {rev} -> {cn:.1f} s now (ratio {cn / ce:.3f}); "
            f"wall {we:.1f} s -> {wn:.1f} s (ratio {wn / we:.3f})"
        )
        for f in failed:
            print(f"failed: {f}")
    finally:
        pth.write_bytes(saved_pth)
        git("worktree", "remove", "--force", str(old))


if __name__ == "__main__":
    main()
