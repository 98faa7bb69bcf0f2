"""The `make demo` step runs on bundled data and shows a plan, an apply and a no-op plan."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_demo_step_runs() -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    res = subprocess.run(
        ["bash", "70-users.sh"],
        cwd=REPO / "demo",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "Plan: 15 to add, 0 to change, 0 to delete." in out
    assert "Applied: 15 to add" in out
    assert "No changes. The system matches the config." in out
    assert "  ~ user bob (shell: '/bin/bash' -> '/bin/zsh')" in out
    assert "Plan: 0 to add, 1 to change, 1 to delete." in out
