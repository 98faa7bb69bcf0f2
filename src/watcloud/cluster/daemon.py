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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from watcloud.cluster.config import DaemonSpec

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
            return SocketProbe(path, True, error=exc.strerror or str(exc))
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
        if isinstance(exc, ConnectionRefusedError):
            reason = "connection refused (stale socket: nothing listens)"
        return SocketProbe(path, True, error=reason or type(exc).__name__)
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
    for s in spec.sockets:
        p = expand(s, env)
        if p and p not in out:
            out.append(p)
    return out, note


@dataclass(frozen=True)
class DaemonReport:
    name: str
    state: str  # running | stopped | not installed
    socket: str | None  # the socket that answered, or the one it should use
    version: str | None
    how: str | None  # where it runs: "SLURM job", "systemd user unit", "DOCKER_HOST"
    start_command: str | None
    details: list[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": self.state,
            "socket": self.socket,
            "version": self.version,
            "how": self.how,
            "start_command": self.start_command,
            "details": self.details,
        }


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
) -> DaemonReport:
    """The daemon's state from what was probed. Pure."""
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

    start = None
    if in_slurm_job and spec.slurm_start:
        start = spec.slurm_start
    elif unit is not None and unit.installed and spec.unit:
        start = f"systemctl --user start {spec.unit}"
    elif spec.slurm_start and slurm_start_found:
        start = f"{spec.slurm_start}  (inside a SLURM job)"

    how = None
    if live is not None:
        if env_socket is not None and live.path == env_socket:
            how = spec.host_env or "environment"
        elif unit is not None and unit.active:
            how = "systemd user unit"
        elif in_slurm_job:
            how = "SLURM job"
        else:
            how = "socket"
        version = None
        if live.version:
            version = live.version + (f" (API {live.api_version})" if live.api_version else "")
        return DaemonReport(spec.name, "running", live.path, version, how, None, details)

    installed = (
        installed_hint
        or (unit is not None and unit.installed)
        or (spec.slurm_start is not None and slurm_start_found)
    )
    state = "stopped" if installed else "not installed"
    expected = next((p.path for p in probes), None)
    return DaemonReport(spec.name, state, expected, None, None, start, details)


def status(spec: DaemonSpec, env: Mapping[str, str], timeout: float = 3.0) -> DaemonReport:
    sockets, note = candidate_sockets(spec, env)
    probes = [probe_socket(s, ping=spec.ping, timeout=timeout) for s in sockets]
    unit = unit_state(spec.unit, timeout) if spec.unit else None
    binaries = ("dockerd-rootless.sh", "dockerd") if spec.name.startswith("docker") else ()
    return decide(
        spec,
        probes,
        unit,
        in_slurm_job=bool(env.get("SLURM_JOB_ID")),
        slurm_start_found=bool(spec.slurm_start and shutil.which(spec.slurm_start.split()[0])),
        installed_hint=any(shutil.which(b) for b in binaries),
        note=note,
        env_socket=env_socket(spec, env),
    )
