"""The cluster tools' config (`~/.config/watcloud/cluster.yaml`); every option has a default."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from watcloud.core.config import StrictModel, load_config
from watcloud.core.paths import default_config_path

TOOL = "cluster"
DEFAULT_MACHINE_INFO_URL = "https://cloud.watonomous.ca/fixtures/machine-info.json"
DEFAULT_HEALTHCHECKS_URL = "https://healthchecks.io"
API_KEY_ENV = "WATCLOUD_HEALTHCHECKS_API_KEY"


class DaemonSpec(StrictModel):
    """One daemon `watcloud daemon status` looks after."""

    name: str
    # systemd user unit (None: not managed by systemd)
    unit: str | None = None
    # candidate sockets, tried in order; `$VAR` and `~` are expanded
    sockets: list[str] = Field(default_factory=list)
    # speak the Docker Engine API (`GET /_ping`, `GET /version`) over the socket
    ping: bool = True
    # honour this environment variable (e.g. DOCKER_HOST=unix:///path) before `sockets`
    host_env: str | None = None
    # command that starts it inside a SLURM job (shown as the fix, run by `daemon start`)
    slurm_start: str | None = None
    # the socket `slurm_start` creates (probed after `host_env`, before `sockets`)
    slurm_socket: str | None = None


def _default_daemons() -> list[DaemonSpec]:
    return [
        DaemonSpec(
            name="docker-rootless",
            unit="docker-rootless.service",
            sockets=["$XDG_RUNTIME_DIR/docker.sock"],
            ping=True,
            host_env="DOCKER_HOST",
            slurm_start="slurm-start-dockerd.sh",
            slurm_socket="/tmp/run/docker.sock",
        )
    ]


class ClusterConfig(StrictModel):
    machine_info_url: str = DEFAULT_MACHINE_INFO_URL
    healthchecks_url: str = DEFAULT_HEALTHCHECKS_URL
    # read-only API key; the environment variable wins, then this file (never the key itself)
    healthchecks_api_key_file: Path | None = None
    source_timeout: float = Field(default=3.0, gt=0, le=60)
    cache_ttl: float = Field(default=30.0, ge=0, le=3600)
    use_slurm: bool = True
    sysfs_root: Path = Path("/sys")
    proc_root: Path = Path("/proc")
    home: Path | None = None  # default: $HOME
    tmp_dir: Path = Path("/tmp")  # a SLURM job's /tmp, measured against its tmpdisk
    hostname: str | None = None  # default: this machine's; matched against machine-info
    cpu_sample_seconds: float = Field(default=0.25, ge=0, le=5)
    daemons: list[DaemonSpec] = Field(default_factory=_default_daemons)


def load(path: Path | None) -> ClusterConfig:
    return load_config(ClusterConfig, path, default_path=default_config_path(TOOL))
