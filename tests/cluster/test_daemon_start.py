"""`watcloud daemon start`: the documented way for where you are, only commands that exist."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.conftest import serve_text, write_config, write_exe
from watcloud.cluster import daemon
from watcloud.cluster.config import ClusterConfig

pytestmark = pytest.mark.integration
SPEC = ClusterConfig().daemons[0]
STANDIN = Path(__file__).with_name("docker_standin.py")


def report(state: str) -> daemon.DaemonReport:
    return daemon.DaemonReport(SPEC.name, state, "/tmp/run/docker.sock", None, None, None, [])


def loaded() -> daemon.UnitState:
    return daemon.UnitState(True, {"LoadState": "loaded", "ActiveState": "inactive"})


def test_plan_for_where_you_are() -> None:
    plan = daemon.plan_start(
        SPEC, report("stopped"), None, in_slurm_job=True, slurm_start_found=True, srun_found=True
    )
    assert plan.command == ["slurm-start-dockerd.sh"] and plan.detach
    plan = daemon.plan_start(
        SPEC, report("stopped"), None, in_slurm_job=True, slurm_start_found=False, srun_found=True
    )
    assert plan.command is None and "not on PATH on this node" in plan.message
    plan = daemon.plan_start(
        SPEC, report("stopped"), loaded(),
        in_slurm_job=False, slurm_start_found=True, srun_found=True,
    )  # fmt: skip
    assert plan.command == ["systemctl", "--user", "start", "docker-rootless.service"]
    plan = daemon.plan_start(
        SPEC, report("stopped"), None, in_slurm_job=False, slurm_start_found=True, srun_found=True
    )
    assert plan.command is None and "srun --pty bash" in plan.message
    plan = daemon.plan_start(
        SPEC, report("stopped"), None, in_slurm_job=False, slurm_start_found=True, srun_found=False
    )
    assert plan.command is None and "srun" not in plan.message
    plan = daemon.plan_start(
        SPEC, report("not installed"), None,
        in_slurm_job=False, slurm_start_found=False, srun_found=False,
    )  # fmt: skip
    assert plan.command is None and "not installed here" in plan.message
    plan = daemon.plan_start(
        SPEC, report("running"), None, in_slurm_job=True, slurm_start_found=True, srun_found=True
    )
    assert plan.command is None and "already running" in plan.message


@pytest.fixture
def sockdir() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="wcs-", dir="/tmp"))  # short: sun_path is 108 bytes
    yield d
    pidfile = d / "pid"
    if pidfile.exists():
        os.kill(int(pidfile.read_text()), signal.SIGTERM)
    shutil.rmtree(d, ignore_errors=True)


def test_start_inside_a_slurm_job(
    run_watcloud: Any, fake_bin: Path, tmp_path: Path, sockdir: Path
) -> None:
    sock = sockdir / "run" / "docker.sock"
    write_exe(
        fake_bin,
        "slurm-start-dockerd.sh",
        f'"{sys.executable}" "{STANDIN}" "{sock}" "{sockdir / "pid"}" &\n',
    )
    write_exe(fake_bin, "systemctl", 'echo "Failed to connect to bus" >&2; exit 1\n')
    cfg = write_config(
        tmp_path,
        None,
        daemons=[
            {
                "name": "docker-rootless",
                "slurm_start": "slurm-start-dockerd.sh",
                "slurm_socket": str(sock),
                "host_env": "DOCKER_HOST",
            }
        ],
    )
    env = {"SLURM_JOB_ID": "4242", "DOCKER_HOST": ""}
    dry = run_watcloud("daemon", "start", "--dry-run", "-c", str(cfg), env=env)
    assert dry.returncode == 0 and "would run: slurm-start-dockerd.sh" in dry.stdout
    assert not sock.exists()
    proc = run_watcloud("daemon", "start", "--wait", "20", "-c", str(cfg), env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "inside SLURM job: running slurm-start-dockerd.sh",
        f"docker-rootless: running (socket {sock}, Docker 28.2.2 (API 1.50))",
        f"use it with: export DOCKER_HOST=unix://{sock}",
    ]
    status = run_watcloud("daemon", "status", "-c", str(cfg), env=env)
    assert f"running (socket {sock}, Docker 28.2.2 (API 1.50), via SLURM job)" in status.stdout
    again = run_watcloud("daemon", "start", "-c", str(cfg), env=env)
    assert again.returncode == 0 and "already running" in again.stdout


def test_login_node_says_how_to_get_a_job(
    run_watcloud: Any, fake_bin: Path, tmp_path: Path, sockdir: Path
) -> None:
    write_exe(fake_bin, "slurm-start-dockerd.sh", "exit 0\n")
    write_exe(fake_bin, "srun", "exit 0\n")
    serve_text(
        fake_bin,
        "systemctl",
        {
            "--user show docker-rootless.service "
            "--property=LoadState,ActiveState,SubState,UnitFileState": "LoadState=not-found\n"
        },
    )
    cfg = write_config(
        tmp_path,
        None,
        daemons=[
            {
                "name": "docker-rootless",
                "unit": "docker-rootless.service",
                "slurm_start": "slurm-start-dockerd.sh",
                "slurm_socket": str(sockdir / "none.sock"),
            }
        ],
    )
    proc = run_watcloud("daemon", "start", "-c", str(cfg), env={"SLURM_JOB_ID": ""})
    assert proc.returncode == 1
    assert "runs inside SLURM jobs on this cluster: start one with `srun --pty bash`" in (
        proc.stdout
    )
    unknown = run_watcloud("daemon", "start", "--name", "podman", "-c", str(cfg))
    assert unknown.returncode == 2 and "no daemon named 'podman'" in unknown.stderr
