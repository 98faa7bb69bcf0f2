"""The cluster tools' config; every option has a default.

Two files, both optional: the site-wide `/etc/watcloud/cluster.yaml` the admins install (its path
overridable with `WATCLOUD_CLUSTER_SITE_CONFIG`), then the user's `~/.config/watcloud/cluster.yaml`
(or `--config FILE`), whose keys win. Each file is validated on its own, so an error names the
file it is in.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from watcloud.cluster.fast import site_config_file
from watcloud.core.config import StrictModel, load_config
from watcloud.core.paths import default_config_path

TOOL = "cluster"
DEFAULT_MACHINE_INFO_URL = "https://cloud.watonomous.ca/fixtures/machine-info.json"
DEFAULT_HEALTHCHECKS_URL = "https://healthchecks.io"
API_KEY_ENV = "WATCLOUD_HEALTHCHECKS_API_KEY"


def site_config_path() -> Path:
    """The site-wide config: `$WATCLOUD_CLUSTER_SITE_CONFIG`, else /etc/watcloud/cluster.yaml."""
    return Path(site_config_file())


def _check_url(value: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        raise ValueError(f"expected a URL starting with {' or '.join(s + '://' for s in schemes)}")
    if parts.scheme != "file" and not parts.hostname:
        raise ValueError("the URL has no host")
    return value


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
    # without an API key: host -> the public JSON status badge of the checks tagged host=NAME
    # (healthchecks.io "Badges" page, JSON format); the admins list them in the site config
    healthchecks_badges: dict[str, str] = Field(default_factory=dict)
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
    # where `watcloud slurm notify` mails (None: give --to)
    notify_email: str | None = None
    # SMTP settings file for `watcloud slurm notify` (None: notify's default file and env)
    smtp_config: Path | None = None

    @field_validator("machine_info_url")
    @classmethod
    def _machine_info_url(cls, v: str) -> str:
        return _check_url(v, ("https", "http", "file"))

    @field_validator("notify_email")
    @classmethod
    def _notify_email(cls, v: str | None) -> str | None:
        if v is not None and ("@" not in v or any(c.isspace() for c in v)):
            raise ValueError("expected an email address like alice@example.org")
        return v

    @field_validator("healthchecks_badges")
    @classmethod
    def _badges(cls, v: dict[str, str]) -> dict[str, str]:
        for url in v.values():
            _check_url(url, ("https", "http"))
        return v

    @field_validator("healthchecks_url")
    @classmethod
    def _healthchecks_url(cls, v: str) -> str:
        return _check_url(v, ("https", "http"))


def load(path: Path | None) -> ClusterConfig:
    """The site config, then the user's (`path`, else the default path when it exists)."""
    user = load_config(ClusterConfig, path, default_path=default_config_path(TOOL))
    site_path = site_config_path()
    if not site_path.is_file():
        return user
    site = load_config(ClusterConfig, site_path)
    merged = {
        **site.model_dump(exclude_unset=True),
        **user.model_dump(exclude_unset=True),
    }
    return ClusterConfig.model_validate(merged)
