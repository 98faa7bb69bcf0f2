"""`daemon status`: a Docker Engine API stand-in on a real unix socket, a fake systemctl."""

from __future__ import annotations

import json
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.conftest import serve_text, write_config, write_exe
from tests.cluster.docker_standin import Server, make_handler
from watcloud.cluster import daemon
from watcloud.cluster.config import ClusterConfig, DaemonSpec

pytestmark = pytest.mark.integration
SPEC = ClusterConfig().daemons[0]
UNIT_ARGS = (
    "--user show docker-rootless.service --property=LoadState,ActiveState,SubState,UnitFileState"
)


class DockerApi:
    """Answers `GET /_ping` and `GET /version` like dockerd, on a unix socket."""

    def __init__(self, path: str, ping_body: bytes = b"OK") -> None:
        self.path = path
        self.requests: list[str] = []
        self.server = Server(path, make_handler(ping_body, self.requests))
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sockdir() -> Iterator[Path]:
    d = Path(tempfile.mkdtemp(prefix="wcd-", dir="/tmp"))  # short: sun_path is 108 bytes
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def docker_api(sockdir: Path) -> Iterator[DockerApi]:
    (sockdir / "run").mkdir()
    api = DockerApi(str(sockdir / "run" / "docker.sock"))
    yield api
    api.close()


def test_probe_speaks_the_engine_api(docker_api: DockerApi) -> None:
    p = daemon.probe_socket(docker_api.path)
    assert p.answered and p.version == "28.2.2" and p.api_version == "1.50"
    assert docker_api.requests == ["/_ping", "/version"]


def test_probe_wrong_answer_is_not_running(sockdir: Path) -> None:
    api = DockerApi(str(sockdir / "other.sock"), ping_body=b"hello")
    try:
        p = daemon.probe_socket(api.path)
    finally:
        api.close()
    assert p.exists and not p.answered and "/_ping answered 200 'hello'" in (p.error or "")


def test_stale_socket_file(sockdir: Path) -> None:
    path = str(sockdir / "stale.sock")
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.close()  # the file stays, nobody listens
    p = daemon.probe_socket(path)
    assert p.exists and not p.answered and "stale socket" in (p.error or "")
    assert not daemon.probe_socket(str(sockdir / "absent.sock")).exists


def test_candidates_honour_docker_host_and_expand_vars() -> None:
    env = {"DOCKER_HOST": "unix:///run/user/1000/d.sock", "XDG_RUNTIME_DIR": "/run/user/1000"}
    socks, note = daemon.candidate_sockets(SPEC, env)
    assert socks == ["/run/user/1000/d.sock", "/tmp/run/docker.sock", "/run/user/1000/docker.sock"]
    assert note is None
    socks, note = daemon.candidate_sockets(SPEC, {"DOCKER_HOST": "tcp://127.0.0.1:2375"})
    assert socks == ["/tmp/run/docker.sock"]  # XDG_RUNTIME_DIR unset: that candidate dropped
    assert note is not None and "not a unix socket" in note


def unit(load: str, active: str, sub: str) -> daemon.UnitState:
    return daemon.UnitState(True, {"LoadState": load, "ActiveState": active, "SubState": sub})


def absent(path: str = "/tmp/run/docker.sock") -> daemon.SocketProbe:
    return daemon.SocketProbe(path, exists=False)


def test_decide_cases() -> None:
    live = daemon.SocketProbe("/tmp/run/docker.sock", True, True, "28.2.2", "1.50")
    r = daemon.decide(
        SPEC, [live], None, in_slurm_job=True, slurm_start_found=True, installed_hint=False
    )
    assert (r.state, r.how, r.version) == ("running", "SLURM job", "28.2.2 (API 1.50)")

    r = daemon.decide(
        SPEC, [absent()], None, in_slurm_job=True, slurm_start_found=True, installed_hint=False
    )
    assert r.state == "stopped" and r.start_command == "slurm-start-dockerd.sh"

    r = daemon.decide(
        SPEC, [absent()], unit("loaded", "inactive", "dead"),
        in_slurm_job=False, slurm_start_found=False, installed_hint=False,
    )  # fmt: skip
    assert (
        r.state == "stopped" and r.start_command == "systemctl --user start docker-rootless.service"
    )

    r = daemon.decide(
        SPEC, [absent()], unit("not-found", "inactive", "dead"),
        in_slurm_job=False, slurm_start_found=False, installed_hint=False,
    )  # fmt: skip
    assert r.state == "not installed" and r.start_command is None

    r = daemon.decide(
        SPEC, [absent()], None, in_slurm_job=False, slurm_start_found=True, installed_hint=False
    )
    assert (
        r.state == "stopped" and r.start_command == "slurm-start-dockerd.sh  (inside a SLURM job)"
    )


def test_status_with_systemd_unit_running(fake_bin: Path, sockdir: Path) -> None:
    runtime = sockdir / "xdg"
    runtime.mkdir()
    api = DockerApi(str(runtime / "docker.sock"))
    serve_text(
        fake_bin,
        "systemctl",
        {
            UNIT_ARGS: "LoadState=loaded\nActiveState=active\nSubState=running\n"
            "UnitFileState=enabled\n"
        },
    )
    try:
        r = daemon.status(SPEC, {"XDG_RUNTIME_DIR": str(runtime)})
    finally:
        api.close()
    assert r.state == "running" and r.how == "systemd user unit" and r.socket == api.path
    assert any("active (running)" in d for d in r.details)


def test_status_without_user_manager(fake_bin: Path) -> None:
    write_exe(
        fake_bin, "systemctl", 'echo "Failed to connect to bus: No medium found" >&2; exit 1\n'
    )
    spec = DaemonSpec(
        name="docker-rootless", unit="docker-rootless.service", sockets=["/nonexistent/d.sock"]
    )
    r = daemon.status(spec, {})
    assert r.state == "not installed"
    assert any("not checked (Failed to connect to bus" in d for d in r.details)


def test_docker_host_not_unix_does_not_claim_the_configured_socket(sockdir: Path) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(str(sockdir / "d.sock"))
        listener.listen()
        spec = DaemonSpec(
            name="docker", sockets=[str(sockdir / "d.sock")], ping=False, host_env="DOCKER_HOST"
        )
        r = daemon.status(spec, {"DOCKER_HOST": "tcp://127.0.0.1:2375"})
    assert (r.state, r.socket, r.how) == ("running", str(sockdir / "d.sock"), "socket")
    assert any("DOCKER_HOST=tcp://127.0.0.1:2375 is not a unix socket" in d for d in r.details)


# ---- end to end ------------------------------------------------------------------------------


def test_cli_running_via_docker_host(
    run_watcloud: Any, docker_api: DockerApi, fake_bin: Path, tmp_path: Path
) -> None:
    write_exe(fake_bin, "systemctl", 'echo "Failed to connect to bus" >&2; exit 1\n')
    cfg = write_config(tmp_path, None)
    proc = run_watcloud(
        "daemon", "status", "-c", str(cfg), env={"DOCKER_HOST": f"unix://{docker_api.path}"}
    )
    assert proc.returncode == 0, proc.stderr
    assert (
        f"docker-rootless: running (socket {docker_api.path}, "
        "Docker 28.2.2 (API 1.50), via DOCKER_HOST)" in proc.stdout
    )


def test_cli_stopped_in_slurm_job_json(
    run_watcloud: Any, fake_bin: Path, tmp_path: Path, sockdir: Path
) -> None:
    write_exe(fake_bin, "slurm-start-dockerd.sh", "exit 0\n")
    cfg = write_config(
        tmp_path,
        None,
        daemons=[
            {
                "name": "docker",
                "sockets": [str(sockdir / "none.sock")],
                "slurm_start": "slurm-start-dockerd.sh",
            }
        ],
    )
    proc = run_watcloud(
        "daemon", "status", "-c", str(cfg), "-o", "json", env={"SLURM_JOB_ID": "77"}
    )
    assert proc.returncode == 1
    (d,) = json.loads(proc.stdout)["daemons"]
    assert d["state"] == "stopped" and d["start_command"] == "slurm-start-dockerd.sh"
    text = run_watcloud("daemon", "status", "-c", str(cfg), env={"SLURM_JOB_ID": "77"})
    assert "start it with: slurm-start-dockerd.sh" in text.stdout


def test_cli_bad_daemon_config(run_watcloud: Any, tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("daemons: [{name: d, ping: maybe}]\n")
    proc = run_watcloud("daemon", "status", "-c", str(cfg))
    assert proc.returncode == 2 and "key 'daemons.0.ping'" in proc.stderr
    assert proc.stderr.count("\n") == 1


# ---- the four states, commands that exist, honest "via" labels -------------------------------


def _stale(path: Path) -> None:
    s = socket.socket(socket.AF_UNIX)
    s.bind(str(path))
    s.close()  # the file stays, nobody listens


def test_stale_socket_is_not_reported_as_not_installed(fake_bin: Path, sockdir: Path) -> None:
    _stale(sockdir / "docker.sock")
    spec = DaemonSpec(name="docker-rootless", sockets=[str(sockdir / "docker.sock")])
    r = daemon.status(spec, {})
    assert (r.state, r.socket) == ("stale socket", str(sockdir / "docker.sock"))
    assert any("nothing listens" in d for d in r.details)


def test_socket_that_accepts_but_does_not_answer(sockdir: Path) -> None:
    api = DockerApi(str(sockdir / "odd.sock"), ping_body=b"hello")
    try:
        r = daemon.status(DaemonSpec(name="docker", sockets=[api.path]), {})
    finally:
        api.close()
    assert r.state == "not responding"


def test_installed_but_stopped_and_not_installed(fake_bin: Path, sockdir: Path) -> None:
    spec = DaemonSpec(name="docker-rootless", sockets=[str(sockdir / "none.sock")])
    assert daemon.status(spec, {}).state == "not installed"
    write_exe(fake_bin, "dockerd-rootless.sh", "exit 0\n")
    r = daemon.status(spec, {})
    assert r.state == "stopped" and r.start_command is None  # nothing here that starts it


def test_slurm_job_without_the_start_script_suggests_nothing(
    run_watcloud: Any, fake_bin: Path, tmp_path: Path, sockdir: Path
) -> None:
    cfg = write_config(
        tmp_path,
        None,
        daemons=[
            {
                "name": "docker-rootless",
                "sockets": [str(sockdir / "none.sock")],
                "slurm_start": "slurm-start-dockerd.sh",
            }
        ],
    )
    proc = run_watcloud("daemon", "status", "-c", str(cfg), env={"SLURM_JOB_ID": "77"})
    assert proc.returncode == 1
    assert "docker-rootless: not installed" in proc.stdout
    assert "start it with" not in proc.stdout
    assert "slurm-start-dockerd.sh is not on PATH on this node" in proc.stdout


def test_via_label_follows_the_socket_that_answered(fake_bin: Path, sockdir: Path) -> None:
    runtime = sockdir / "xdg"
    runtime.mkdir()
    (sockdir / "run").mkdir()
    spec = DaemonSpec(
        name="docker-rootless",
        sockets=["$XDG_RUNTIME_DIR/docker.sock"],
        slurm_socket=str(sockdir / "run" / "docker.sock"),
    )
    env = {"SLURM_JOB_ID": "77", "XDG_RUNTIME_DIR": str(runtime)}
    api = DockerApi(str(runtime / "docker.sock"))
    try:
        r = daemon.status(spec, env)
    finally:
        api.close()
    assert (r.state, r.how) == ("running", "socket")  # not "SLURM job": it is $XDG_RUNTIME_DIR's
    api = DockerApi(str(sockdir / "run" / "docker.sock"))
    try:
        r = daemon.status(spec, env)
    finally:
        api.close()
    assert (r.state, r.how) == ("running", "SLURM job")
