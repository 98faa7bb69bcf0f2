"""Shared test helpers.

Under `CI=true` a missing dependency (a binary, root, a Debian package) is an error, never a
skip: CI must prove every integration test ran.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def missing(reason: str) -> None:
    """Skip the test locally; fail it under CI=true."""
    if IN_CI:
        pytest.fail(f"CI=true and a test dependency is missing: {reason}")
    pytest.skip(reason)


def require_binary(*names: str) -> list[str]:
    """Paths of the named executables (skipped locally / failed in CI when one is absent)."""
    found = []
    for name in names:
        path = shutil.which(name) or next(
            (p for d in ("/usr/sbin", "/sbin") if os.access(p := f"{d}/{name}", os.X_OK)), None
        )
        if path is None:
            missing(f"executable {name!r} not found (see scripts/debian-packages.txt)")
        found.append(str(path))
    return found


def require_root() -> None:
    if os.geteuid() != 0:
        missing("needs root")


@pytest.fixture(autouse=True)
def _isolated_xdg(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests never read or write the developer's real config, cache or state."""
    home = tmp_path_factory.mktemp("xdg")
    for var in ("XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))


def watcloud_exe() -> str:
    """The installed `watcloud` console script (end-to-end tests run it, not the module)."""
    exe = Path(sys.executable).parent / "watcloud"
    if not exe.exists():
        found = shutil.which("watcloud")
        if found is None:
            pytest.fail("the `watcloud` command is not installed (run `make test`)")
        return found
    return str(exe)


@pytest.fixture
def run_watcloud() -> Iterator[object]:
    """Run the installed `watcloud` command: `run_watcloud("status", "--output", "json")`."""

    def run(
        *args: str, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        full_env = {**os.environ, **(env or {})}
        return subprocess.run(
            [watcloud_exe(), *args],
            input=input,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
        )

    yield run


@pytest.fixture(scope="session")
def slurm_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A real SLURM (munged, slurmctld, three slurmd, two dead nodes) on loopback; see
    tests/slurmlab.py. Started once per session; under CI=true failing to start is an error."""
    from tests import slurmlab

    if os.geteuid() != 0:
        missing("the SLURM lab needs root (slurmd runs jobs as their user)")
    absent = slurmlab.missing_tools()
    if absent:
        missing(f"SLURM/munge executables not found: {', '.join(absent)} (see debian-packages.txt)")
    gen = slurmlab.lab(tmp_path_factory.mktemp("slurm"))
    try:
        the_lab = next(gen)
    except slurmlab.LabError as exc:
        pytest.fail(f"the SLURM lab did not start: {exc}")
    yield the_lab
    gen.close()


@pytest.fixture
def slurm(slurm_lab: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The session's SLURM lab with its client environment set; no jobs or reservations left
    behind by the test."""
    from tests.slurmlab import SlurmLab

    assert isinstance(slurm_lab, SlurmLab)
    for key, value in slurm_lab.env.items():
        monkeypatch.setenv(key, value)
    slurm_lab.clean()
    yield slurm_lab
    slurm_lab.clean()
