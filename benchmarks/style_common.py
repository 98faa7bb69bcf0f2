"""Shared helpers for the style benchmarks: the corpus, timing of commands, peers."""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# `../shared/data` relative to the repo root (a git worktree under /work/wt/<tool> finds it
# one level further up); WATCLOUD_SHARED_DATA overrides.
_CANDIDATES = [
    Path(os.environ.get("WATCLOUD_SHARED_DATA", REPO.parent / "shared" / "data")),
    REPO.parents[1] / "shared" / "data",
]
CORPUS_TAR = next(
    (c / "docs" / "docs-corpus.tar.gz" for c in _CANDIDATES if (c / "docs").is_dir()),
    _CANDIDATES[0] / "docs" / "docs-corpus.tar.gz",
)
BIN = Path(sys.executable).parent


def extract_corpus(dest: Path) -> Path:
    """Unpack the WATcloud docs corpus into `dest` (a temp dir; never into the repo)."""
    if not CORPUS_TAR.exists():
        sys.exit(f"corpus not found: {CORPUS_TAR}")
    with tarfile.open(CORPUS_TAR) as tar:
        tar.extractall(dest, filter="data")
    roots = [p for p in dest.iterdir() if p.is_dir()]
    return roots[0] if len(roots) == 1 else dest


def doc_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix in (".md", ".mdx"))


@dataclass
class Timed:
    stdout: str
    returncode: int
    wall: float
    cpu: float  # user + system of the child


def run_timed(
    cmd: list[str], cwd: Path, repeat: int = 3, env: dict[str, str] | None = None
) -> Timed:
    """Run `cmd` `repeat` times; the fastest wall time and the CPU time of that run."""
    best: Timed | None = None
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})}
        )
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        t = Timed(proc.stdout, proc.returncode, wall, cpu)
        if best is None or t.wall < best.wall:
            best = t
    assert best is not None
    return best


# Harper with its default rules, as a user would run it on each Markdown file.
HARPER_PLAIN = r"""
import json, sys
import harper
linter = harper.Linter()
out = []
for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    import bisect
    for rule, lints in linter.organized_lints(text).items():
        for lint in lints:
            line = bisect.bisect_right(line_starts, lint.span.start)
            out.append({"path": path, "line": line, "rule": rule, "text": lint.problem_text})
sys.stderr.write(json.dumps(out))
"""


def _findings(stdout: str, pattern: str, rule: str = "") -> list[dict[str, object]]:
    """One finding per output line matching `pattern` (groups path, line, text and, when the
    tool names its rules, rule; else `rule`)."""
    found: list[dict[str, object]] = []
    for line in stdout.splitlines():
        m = re.match(pattern, line)
        if m:
            d = m.groupdict()
            found.append(
                {
                    "path": d["path"],
                    "line": int(d["line"]),
                    "rule": d.get("rule") or rule,
                    "text": d["text"],
                }
            )
    return found


def run_peers(
    root: Path, files: list[Path], repeat: int = 3
) -> dict[str, tuple[Timed, list[dict[str, object]]]]:
    """codespell, proselint and plain harper-py on the same files: (timing, findings)."""
    rel = [str(f.relative_to(root)) for f in files]
    out: dict[str, tuple[Timed, list[dict[str, object]]]] = {}
    t = run_timed([str(BIN / "codespell"), *rel], root, repeat)
    plain = r"(?P<path>.+?):(?P<line>\d+): (?P<text>.*)"
    out["codespell"] = (t, _findings(t.stdout, plain, rule="codespell"))
    t = run_timed([str(BIN / "proselint"), "-o", "compact", "check", *rel], root, repeat)
    compact = r"(?P<path>.+?):(?P<line>\d+):\d+: (?P<rule>[\w.]+): (?P<text>.*)"
    out["proselint"] = (t, _findings(t.stdout, compact))
    # harper-py prints nothing to stdout here, but its findings go to stderr to be safe.
    best: Timed | None = None
    harper_found: list[dict[str, object]] = []
    for _ in range(min(repeat, 2)):  # ~10 s per run; two are enough for its minimum
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", HARPER_PLAIN, *rel], cwd=root, capture_output=True, text=True
        )
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if best is None or wall < best.wall:
            best = Timed(proc.stdout, proc.returncode, wall, cpu)
            harper_found = json.loads(proc.stderr.strip().splitlines()[-1])
    assert best is not None
    out["harper-py (default rules)"] = (best, harper_found)
    return out


def ours(
    root: Path, extra: list[str] | None = None, repeat: int = 3
) -> tuple[Timed, list[dict[str, object]]]:
    t = run_timed(
        [str(BIN / "watcloud"), "style", "check", "-o", "json", *(extra or [])], root, repeat
    )
    return t, json.loads(t.stdout or "[]")


def temp_dir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="watcloud-style-bench-")
