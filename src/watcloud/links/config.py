"""`links.yaml`: one file, two sections (`internal`, `external`); every option has a default."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from watcloud.core.config import StrictModel, load_config
from watcloud.core.paths import default_config_path


class InternalConfig(StrictModel):
    base_path: str = ""  # Next.js basePath, e.g. "/docs"; --base-path overrides
    ignore: list[str] = Field(default_factory=list)  # regexes (re.search) on href or resolved URL
    site_hosts: list[str] = Field(default_factory=list)  # hosts whose absolute URLs are internal
    check_fragments: bool = True
    jobs: int = Field(default=0, ge=0)  # worker processes; 0 = one per core (1 for small sites)


class HostConfig(StrictModel):
    headers: dict[str, str] = Field(default_factory=dict)  # sent as is (no secrets here)
    headers_from_env: dict[str, str] = Field(default_factory=dict)  # header -> env variable
    concurrency: int | None = Field(default=None, ge=1)  # overrides per_host_concurrency
    interval: float | None = Field(default=None, ge=0)  # overrides per_host_interval


class ExternalConfig(StrictModel):
    ignore: list[str] = Field(default_factory=list)  # regexes (re.search) on the URL
    state_path: Path | None = None  # default $XDG_STATE_HOME/watcloud/links.sqlite3
    grace_days: float = Field(default=3.0, ge=0)  # failing longer than this fails the build
    fail_after_runs: int | None = Field(default=10, ge=1)  # ... or this many failed runs in a row
    timeout: float = Field(default=10.0, gt=0)  # seconds per request
    attempts: int = Field(default=3, ge=1)  # tries per request (timeouts, connection, 5xx, 429)
    backoff: float = Field(default=0.5, ge=0)  # first retry delay; doubles, with jitter
    max_retry_after: float = Field(default=60.0, ge=0)  # cap on a server's Retry-After
    concurrency: int = Field(default=32, ge=1)  # requests in flight in all
    per_host_concurrency: int = Field(default=2, ge=1)  # requests in flight per host
    per_host_interval: float = Field(default=0.1, ge=0)  # seconds between request starts per host
    private_prefixes: list[str] = Field(default_factory=list)  # login-only URLs
    github_hosts: list[str] = Field(default_factory=lambda: ["github.com"])
    hosts: dict[str, HostConfig] = Field(default_factory=dict)  # per-host settings
    check_fragments: bool = False  # --check-fragments
    site_hosts: list[str] = Field(default_factory=list)  # the site's own hosts: not external
    # when not one host name resolves (a runner without DNS): fail (exit 2) or skip (exit 0)
    if_no_dns: Literal["fail", "skip"] = "fail"


class LinksConfig(StrictModel):
    internal: InternalConfig = Field(default_factory=InternalConfig)
    external: ExternalConfig = Field(default_factory=ExternalConfig)


def load(path: Path | None) -> LinksConfig:
    return load_config(LinksConfig, path, default_path=default_config_path("links"))
