"""`watcloud daemon status`: is the user's Docker rootless daemon (or another configured
daemon) running, and how to start it.

Sockets are probed by speaking HTTP over the unix socket (`GET /_ping`, `GET /version` of the
Docker Engine API), not just by connecting. The systemd user unit's state comes from
`systemctl --user show`. Decisions (`decide`) are pure; probing is the thin shell around it.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from watcloud.cluster.config import DaemonSpec
from watcloud.core.output import fields_json

SHOW_PROPS = "LoadState,ActiveState,SubState,UnitFileState"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


@dataclass(frozen=True)
class SocketProbe:
    path: str
    exists: bool
    answered: bool = False  # `GET /_ping` said OK
    version: str | None = None
    api_version: str | None = None
    error: str | None = None
    refused: bool = False  # the file is there but nothing listens: a stale socket


def probe_socket(path: str, *, ping: bool = True, timeout: float = 3.0) -> SocketProbe:
    if not os.path.exists(path):
        return SocketProbe(path, exists=False)
    if not ping:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(timeout)
                s.connect(path)
            return SocketProbe(path, True, answered=True)
        except OSError as exc:
            refused = isinstance(exc, ConnectionRefusedError)
            return SocketProbe(path, True, error=exc.strerror or str(exc), refused=refused)
    conn = _UnixConnection(path, timeout)
    try:
        conn.request("GET", "/_ping")
        r = conn.getresponse()
        body = r.read().decode("utf-8", "replace").strip()
        if r.status != 200 or body != "OK":
            return SocketProbe(path, True, error=f"/_ping answered {r.status} {body[:60]!r}")
        conn.request("GET", "/version")
        r = conn.getresponse()
        raw = r.read()
        info: Any = json.loads(raw) if r.status == 200 else {}
        if not isinstance(info, dict):
            info = {}
        return SocketProbe(
            path,
            True,
            answered=True,
            version=str(info.get("Version")) if info.get("Version") else None,
            api_version=str(info.get("ApiVersion")) if info.get("ApiVersion") else None,
        )
    except (OSError, http.client.HTTPException, ValueError) as exc:
        reason = "no answer (timed out)" if isinstance(exc, TimeoutError) else str(exc)
        refused = isinstance(exc, ConnectionRefusedError)
        if refused:
            reason = "connection refused (stale socket: nothing listens)"
        return SocketProbe(path, True, error=reason or type(exc).__name__, refused=refused)
    finally:
        conn.close()


def parse_systemctl_show(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


@dataclass(frozen=True)
class UnitState:
    available: bool  # a user manager answered
    props: Mapping[str, str] = field(default_factory=dict)
    error: str | None = None

    @property
    def installed(self) -> bool:
        return self.available and self.props.get("LoadState") not in (None, "not-found")

    @property
    def active(self) -> bool:
        return self.props.get("ActiveState") == "active"


def unit_state(unit: str, timeout: float = 3.0) -> UnitState:
    exe = shutil.which("systemctl")
    if exe is None:
        return UnitState(False, error="systemctl not found")
    try:
        proc = subprocess.run(
            [exe, "--user", "show", unit, f"--property={SHOW_PROPS}"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return UnitState(False, error=f"systemctl --user show: {exc}")
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or ["no user manager"])[0]
        return UnitState(False, error=first)
    return UnitState(True, parse_systemctl_show(proc.stdout))


def expand(path: str, env: Mapping[str, str]) -> str | None:
    """`$VAR/x` and `~` expanded from `env`; None when a variable is unset."""
    missing = False

    def sub(name: str) -> str:
        nonlocal missing
        if name not in env or not env[name]:
            missing = True
            return ""
        return env[name]

    out = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: sub(m.group(1)), path)
    if out.startswith("~") and env.get("HOME"):
        out = env["HOME"] + out[1:]
    return None if missing else out


def env_socket(spec: DaemonSpec, env: Mapping[str, str]) -> str | None:
    """The unix socket `spec.host_env` names (`unix:///path`), else None."""
    value = env.get(spec.host_env) if spec.host_env else None
    return value[len("unix://") :] if value and value.startswith("unix://") else None


def candidate_sockets(spec: DaemonSpec, env: Mapping[str, str]) -> tuple[list[str], str | None]:
    """Sockets to try in order, and a note (e.g. a DOCKER_HOST that is not a unix socket)."""
    out: list[str] = []
    note = None
    if (from_env := env_socket(spec, env)) is not None:
        out.append(from_env)
    elif spec.host_env and env.get(spec.host_env):
        note = f"{spec.host_env}={env[spec.host_env]} is not a unix socket; not probed"
    for s in ([spec.slurm_socket] if spec.slurm_socket else []) + spec.sockets:
        p = expand(s, env)
        if p and p not in out:
            out.append(p)
    return out, note


STATES = ("running", "not responding", "stale socket", "stopped", "not installed")


@dataclass(frozen=True)
class DaemonReport:
    name: str
    state: str  # one of STATES
    socket: str | None  # the socket that answered, or the one it should use
    version: str | None
    how: str | None  # what runs it: "SLURM job", "systemd user unit", "DOCKER_HOST", "socket"
    start_command: str | None  # a command that exists here (None: nothing to suggest)
    details: list[str]

    def as_json(self) -> dict[str, Any]:
        return fields_json(self)


def start_command(
    spec: DaemonSpec,
    unit: UnitState | None,
    *,
    in_slurm_job: bool,
    slurm_start_found: bool,
) -> str | None:
    """The documented way to start the daemon where we are, only when its command exists:
    inside a SLURM job the start script; elsewhere the systemd user unit; else the script,
    labelled as one for SLURM jobs. Pure."""
    if in_slurm_job and spec.slurm_start and slurm_start_found:
        return spec.slurm_start
    if unit is not None and unit.installed and spec.unit:
        return f"systemctl --user start {spec.unit}"
    if not in_slurm_job and spec.slurm_start and slurm_start_found:
        return f"{spec.slurm_start}  (inside a SLURM job)"
    return None


def decide(
    spec: DaemonSpec,
    probes: Sequence[SocketProbe],
    unit: UnitState | None,
    *,
    in_slurm_job: bool,
    slurm_start_found: bool,
    installed_hint: bool,
    note: str | None = None,
    env_socket: str | None = None,
    env: Mapping[str, str] | None = None,
) -> DaemonReport:
    """The daemon's state from what was probed. Pure.

    `running`: a socket answered. `not responding`: a socket accepts connections but does not
    answer the Engine API. `stale socket`: a socket file nobody listens on. `stopped`: no socket,
    but the daemon is installed (a unit, `dockerd`, or the SLURM start script). `not installed`:
    none of these.
    """
    details = [note] if note else []
    for p in probes:
        if p.exists and not p.answered:
            details.append(f"{p.path}: {p.error}")
    live = next((p for p in probes if p.answered), None)
    if unit is not None and unit.available:
        ps = unit.props
        details.append(
            f"systemd user unit {spec.unit}: {ps.get('LoadState', '?')}, "
            f"{ps.get('ActiveState', '?')} ({ps.get('SubState', '?')})"
        )
    elif unit is not None and unit.error:
        details.append(f"systemd user unit {spec.unit}: not checked ({unit.error})")
    if in_slurm_job and spec.slurm_start and not slurm_start_found:
        details.append(f"{spec.slurm_start} is not on PATH on this node")

    if live is not None:
        return DaemonReport(
            spec.name,
            "running",
            live.path,
            _version(live),
            _how(spec, live.path, unit, in_slurm_job, env_socket, env or {}),
            None,
            details,
        )
    start = start_command(
        spec, unit, in_slurm_job=in_slurm_job, slurm_start_found=slurm_start_found
    )
    installed = installed_hint or (unit is not None and unit.installed) or slurm_start_found
    present = [p for p in probes if p.exists]
    expected: str | None
    if any(not p.refused for p in present):
        state, expected = "not responding", next(p.path for p in present if not p.refused)
    elif present:
        state, expected = "stale socket", present[0].path
    else:
        state = "stopped" if installed else "not installed"
        expected = next((p.path for p in probes), None)
    return DaemonReport(spec.name, state, expected, None, None, start, details)


def _version(p: SocketProbe) -> str | None:
    if not p.version:
        return None
    return p.version + (f" (API {p.api_version})" if p.api_version else "")


def _how(
    spec: DaemonSpec,
    path: str,
    unit: UnitState | None,
    in_slurm_job: bool,
    env_socket: str | None,
    env: Mapping[str, str],
) -> str:
    """What runs the daemon behind `path`, judged from which socket it is."""
    if env_socket is not None and path == env_socket:
        return spec.host_env or "environment"
    slurm_socket = expand(spec.slurm_socket, env) if spec.slurm_socket else None
    if path == slurm_socket:
        return "SLURM job" if in_slurm_job else "socket"
    if unit is not None and unit.active:
        return "systemd user unit"
    return "socket"


def status(spec: DaemonSpec, env: Mapping[str, str], timeout: float = 3.0) -> DaemonReport:
    return observe(spec, env, timeout)[0]


def observe(
    spec: DaemonSpec, env: Mapping[str, str], timeout: float = 3.0
) -> tuple[DaemonReport, UnitState | None, bool]:
    """The daemon's report, its systemd user unit, and whether the SLURM start script exists."""
    sockets, note = candidate_sockets(spec, env)
    probes = [probe_socket(s, ping=spec.ping, timeout=timeout) for s in sockets]
    unit = unit_state(spec.unit, timeout) if spec.unit else None
    binaries = ("dockerd-rootless.sh", "dockerd") if spec.name.startswith("docker") else ()
    script = bool(spec.slurm_start and shutil.which(spec.slurm_start.split()[0]))
    report = decide(
        spec,
        probes,
        unit,
        in_slurm_job=bool(env.get("SLURM_JOB_ID")),
        slurm_start_found=script,
        installed_hint=any(shutil.which(b) for b in binaries),
        note=note,
        env_socket=env_socket(spec, env),
        env=env,
    )
    return report, unit, script


# ---- `watcloud daemon start` -------------------------------------------------------------------


@dataclass(frozen=True)
class StartPlan:
    command: list[str] | None  # what to run; None: nothing here can start it
    detach: bool  # run in the background and watch the socket (the SLURM start script)
    message: str  # what will be done, or why nothing can be


def plan_start(
    spec: DaemonSpec,
    current: DaemonReport,
    unit: UnitState | None,
    *,
    in_slurm_job: bool,
    slurm_start_found: bool,
    srun_found: bool,
) -> StartPlan:
    """How to start the daemon where we are, the documented way. Pure.

    Inside a SLURM job: the cluster's start script. On a login node with a systemd user unit:
    `systemctl --user start UNIT`. On a login node where Docker runs only inside jobs: say how
    to get a job first (`srun`), never a command that is not there.
    """
    if current.state == "running":
        return StartPlan(None, False, f"{spec.name} is already running ({current.socket})")
    if in_slurm_job:
        if spec.slurm_start and slurm_start_found:
            cmd = spec.slurm_start.split()
            return StartPlan(cmd, True, f"inside SLURM job: running {spec.slurm_start}")
        if spec.slurm_start:
            return StartPlan(None, False, f"{spec.slurm_start} is not on PATH on this node")
    if unit is not None and unit.installed and spec.unit:
        cmd = ["systemctl", "--user", "start", spec.unit]
        return StartPlan(cmd, False, f"starting the systemd user unit: {' '.join(cmd)}")
    if not in_slurm_job and spec.slurm_start and slurm_start_found:
        get_job = "start one with `srun --pty bash` (add the resources you need), then run"
        if not srun_found:
            get_job = "start a SLURM job, then run"
        return StartPlan(
            None,
            False,
            f"{spec.name} runs inside SLURM jobs on this cluster: {get_job} "
            "`watcloud daemon start` in it",
        )
    return StartPlan(
        None,
        False,
        f"{spec.name} is not installed here (no systemd user unit"
        + (f", no {spec.slurm_start}" if spec.slurm_start else "")
        + ")",
    )


def run_start(
    plan: StartPlan,
    log_path: str,
    *,
    timeout: float,
) -> str | None:
    """Run the plan's command; None when it was launched (or finished) fine, else why not.
    A detached command runs in its own session with its output in `log_path`."""
    assert plan.command is not None
    exe = shutil.which(plan.command[0])
    if exe is None:
        return f"{plan.command[0]}: command not found"
    argv = [exe, *plan.command[1:]]
    if plan.detach:
        os.makedirs(os.path.dirname(log_path) or ".", exist_ok=True)
        with open(log_path, "ab") as log:
            try:
                subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
                )
            except OSError as exc:
                return f"{plan.command[0]}: {exc.strerror}"
        return None
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return f"`{' '.join(plan.command)}` did not finish within {timeout:g} s"
    except OSError as exc:
        return f"{plan.command[0]}: {exc.strerror}"
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or ["no message"])[0]
        return f"`{' '.join(plan.command)}` exited {proc.returncode}: {first}"
    return None


def wait_running(
    spec: DaemonSpec,
    env: Mapping[str, str],
    wait: float,
    *,
    probe_timeout: float = 3.0,
    interval: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> DaemonReport:
    """Probe until the daemon answers or `wait` seconds have passed; the last report."""
    deadline = clock() + wait
    while True:
        report = status(spec, env, probe_timeout)
        if report.state == "running" or clock() >= deadline:
            return report
        sleep(interval)
