"""Fixtures of the deployment tests: the repository root and the deploy/ tree."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import missing

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def deploy_tool(name: str) -> str:
    """A tool that deploy/tools.sh fetches from Debian's archive (kubectl)."""
    proc = subprocess.run(
        ["bash", str(DEPLOY / "tools.sh"), name], capture_output=True, text=True, timeout=300
    )
    if proc.returncode != 0:
        missing(f"deploy/tools.sh {name}: {proc.stderr.strip()}")
    return proc.stdout.strip()


@pytest.fixture(scope="session")
def kubectl() -> str:
    return deploy_tool("kubectl")
