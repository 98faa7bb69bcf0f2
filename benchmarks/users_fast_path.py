"""Benchmark: `watcloud users apply` through the dispatcher's fast entry (`users/run.py`, no
Typer import) against the same command through the Typer app alone (the fast entry switched
off), 300 users + 50 groups into a fresh fake root each run, alternating, median of N.

Decides whether the start-up shortcut is worth keeping (issue 21). Usage:
python benchmarks/users_fast_path.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from users_apply import fresh_root, make_config

FAST = "import sys, watcloud.cli as c; sys.exit(c.run(sys.argv[1:]))"
TYPER = (
    "import sys, watcloud.cli as c; "
    "c.COMMANDS['users'] = c.COMMANDS['users']._replace(fast=None); sys.exit(c.run(sys.argv[1:]))"
)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    times: dict[str, list[float]] = {"fast": [], "typer": []}
    with tempfile.TemporaryDirectory(prefix="users-fast-") as tmp:
        base = Path(tmp)
        cfg = base / "c.json"
        cfg.write_text(json.dumps(make_config(300, 50, False)))
        n = 0
        for _ in range(args.repeat):
            for name, code in (("fast", FAST), ("typer", TYPER)):
                n += 1
                root = fresh_root(base, f"r{n}")
                argv = ["users", "apply", "-c", str(cfg), "--root", str(root), "--yes"]
                start = time.perf_counter()
                subprocess.run([sys.executable, "-c", code, *argv], check=True, capture_output=True)
                times[name].append(time.perf_counter() - start)
    fast, typer = statistics.median(times["fast"]), statistics.median(times["typer"])
    print(
        f"users apply, 300 users + 50 groups, median of {args.repeat}: fast entry {fast:.3f} s, "
        f"Typer app alone {typer:.3f} s: the Typer path takes {typer / fast:.2f}x the fast entry"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
