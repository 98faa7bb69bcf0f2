"""`make zipapp`: one self-contained watcloud.pyz (shiv) that a login node runs with nothing
but Python 3.11. Built once per session into a temporary directory, run with the base
interpreter in isolated mode (-I -S: no venv, no user or system site-packages)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import missing
from tests.deploy.conftest import ROOT

BASE_PYTHON = getattr(sys, "_base_executable", sys.executable)


@pytest.fixture(scope="session")
def pyz(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (Path(sys.executable).parent / "shiv").exists():
        missing("shiv not installed (pip install -e '.[test]')")
    out = tmp_path_factory.mktemp("zipapp") / "watcloud.pyz"
    venv = Path(sys.executable).parent.parent
    proc = subprocess.run(
        ["make", "--no-print-directory", "zipapp", f"ZIPAPP={out}", f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def run(pyz: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SHIV_ROOT": str(tmp_path / "shiv"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    return subprocess.run(
        [BASE_PYTHON, "-I", "-S", str(pyz), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )


@pytest.mark.timeout(900)  # the session's zipapp build happens in this test's setup
def test_status_help_from_the_zipapp(pyz: Path, tmp_path: Path) -> None:
    proc = run(pyz, tmp_path, "status", "--help")
    assert proc.returncode == 0, proc.stderr
    assert "Usage: watcloud status" in proc.stdout
    # it ran from the zipapp's own extracted packages, not from this checkout or the venv
    proc = run(pyz, tmp_path, "quota", "--help")
    assert proc.returncode == 0, proc.stderr
    extracted = list((tmp_path / "shiv").glob("watcloud.pyz_*/site-packages/watcloud/cli.py"))
    assert len(extracted) == 1


def test_zipapp_bad_config_is_one_line(pyz: Path, tmp_path: Path) -> None:
    bad = tmp_path / "cluster.yaml"
    bad.write_text("machine_info_url: [\n")
    proc = run(pyz, tmp_path, "status", "--config", str(bad))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert os.path.getsize(pyz) > 0
