"""The dns-failover config file (YAML), validated with pydantic.

Secrets (the Cloudflare API token, the TSIG secret) never live in the file: the file names the
environment variable or the secret file to read them from.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from watcloud.core.config import StrictModel, load_config, read_secret
from watcloud.core.paths import default_config_path, state_dir

TOOL = "dnsfailover"
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$")
_STATUS_RANGE = re.compile(r"^(\d{3})(?:-(\d{3}))?$|^([1-5])xx$")


def _fqdn(value: str) -> str:
    name = value.strip().rstrip(".").lower()
    if not name or len(name) > 253 or not all(_LABEL.match(p) for p in name.split(".")):
        raise ValueError(f"not a DNS name: {value!r}")
    return name


# A DNS name, normalised: lower case, no trailing dot.
Fqdn = Annotated[str, AfterValidator(_fqdn)]


class CloudflareConfig(StrictModel):
    kind: Literal["cloudflare"]
    zone: Fqdn = Field(description="zone name, e.g. watonomous.ca (looked up by name)")
    token_env: str = "CLOUDFLARE_API_TOKEN"
    token_file: Path | None = None
    base_url: str | None = Field(
        default=None, description="API base URL; default the SDK's (api.cloudflare.com/client/v4)"
    )
    timeout: float = Field(default=10.0, gt=0)
    attempts: int = Field(default=4, ge=1, le=20)
    backoff: float = Field(default=1.0, ge=0)
    max_delay: float = Field(default=60.0, ge=0)
    rate_limit: int = Field(default=1200, ge=1, description="requests per rate_window")
    rate_window: float = Field(default=300.0, gt=0)

    def token(self) -> str:
        value = read_secret(self.token_env, self.token_file, required=True)
        assert value is not None
        return value


class Rfc2136Config(StrictModel):
    kind: Literal["rfc2136"]
    server: str = Field(description="address of the primary (an IP address)")
    port: int = Field(default=53, ge=1, le=65535)
    zone: Fqdn
    tsig_key_name: str | None = None
    tsig_algorithm: Literal[
        "hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224", "hmac-sha1", "hmac-md5"
    ] = "hmac-sha256"
    tsig_secret_env: str = "WATCLOUD_DNS_TSIG_SECRET"
    tsig_secret_file: Path | None = None
    timeout: float = Field(default=5.0, gt=0)
    attempts: int = Field(default=3, ge=1, le=20)
    backoff: float = Field(default=0.5, ge=0)
    owner_prefix: str = Field(
        default="_dnsfailover", description="ownership TXT lives at <owner_prefix>-<type>.<fqdn>"
    )

    @field_validator("server")
    @classmethod
    def _server(cls, v: str) -> str:
        try:
            ipaddress.ip_address(v)
        except ValueError:
            raise ValueError(f"server must be an IP address, got {v!r}") from None
        return v

    def tsig_secret(self) -> str | None:
        if self.tsig_key_name is None:
            return None
        return read_secret(self.tsig_secret_env, self.tsig_secret_file, required=True)


StatusSpec = int | str


class CheckConfig(StrictModel):
    type: Literal["http", "https", "tcp"] = "http"
    port: int | None = Field(default=None, ge=1, le=65535, description="80/443; tcp: required")
    path: str = "/healthz"
    host_header: str | None = Field(default=None, description="default: the service's fqdn")
    sni: str | None = Field(default=None, description="default: the service's fqdn")
    expected_status: list[StatusSpec] = Field(default_factory=lambda: list[StatusSpec](["200-399"]))
    body_match: str | None = Field(default=None, description="regular expression")
    verify_tls: bool = True
    ca_file: Path | None = None
    timeout: float = Field(default=2.0, gt=0)
    interval: float = Field(default=10.0, gt=0)

    @field_validator("path")
    @classmethod
    def _path(cls, v: str) -> str:
        if not v.startswith("/"):
            raise ValueError("must start with '/'")
        return v

    @field_validator("expected_status")
    @classmethod
    def _statuses(cls, v: list[StatusSpec]) -> list[StatusSpec]:
        if not v:
            raise ValueError("at least one status or range")
        for item in v:
            if isinstance(item, int):
                if not 100 <= item <= 599:
                    raise ValueError(f"status {item} outside 100-599")
                continue
            m = _STATUS_RANGE.match(item.strip())
            if m is None:
                raise ValueError(f"{item!r}: expected 200, '200-299' or '2xx'")
            if m.group(2) and int(m.group(2)) < int(m.group(1)):
                raise ValueError(f"{item!r}: empty range")
        return v

    @field_validator("body_match")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"invalid regular expression: {exc}") from None
        return v

    @model_validator(mode="after")
    def _check(self) -> CheckConfig:
        if self.type == "tcp" and self.port is None:
            raise ValueError("a tcp check needs a port")
        if self.timeout > self.interval:
            raise ValueError("timeout must not exceed interval")
        return self

    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return 443 if self.type == "https" else 80

    def status_ok(self, status: int) -> bool:
        for item in self.expected_status:
            if isinstance(item, int):
                if status == item:
                    return True
                continue
            m = _STATUS_RANGE.match(item.strip())
            assert m is not None
            if m.group(3):
                if status // 100 == int(m.group(3)):
                    return True
            elif int(m.group(1)) <= status <= int(m.group(2) or m.group(1)):
                return True
        return False


class ServiceConfig(StrictModel):
    fqdn: Fqdn
    type: Literal["A", "AAAA"] = "A"
    ttl: int = Field(default=60, ge=1, le=86400)
    hosts: list[str] = Field(min_length=1)
    check: CheckConfig = Field(default_factory=CheckConfig)
    down_after: int = Field(default=3, ge=1, description="consecutive failures to remove")
    up_after: int = Field(default=2, ge=1, description="consecutive successes to restore")
    min_records: int = Field(default=1, ge=0)

    @model_validator(mode="after")
    def _hosts(self) -> ServiceConfig:
        want = 4 if self.type == "A" else 6
        seen = set()
        for h in self.hosts:
            try:
                addr = ipaddress.ip_address(h)
            except ValueError:
                raise ValueError(f"hosts: {h!r} is not an IP address") from None
            if addr.version != want:
                raise ValueError(f"hosts: {h} is not an IPv{want} address (type {self.type})")
            if str(addr) in seen:
                raise ValueError(f"hosts: {h} listed twice")
            seen.add(str(addr))
        return self

    @property
    def host_header(self) -> str:
        return self.check.host_header or self.fqdn

    @property
    def sni(self) -> str:
        return self.check.sni or self.fqdn

    @property
    def key(self) -> str:
        return f"{self.fqdn}/{self.type}"


class LockConfig(StrictModel):
    kind: Literal["file", "kubernetes-lease", "none"] = "file"
    # file
    path: Path | None = Field(default=None, description="default $XDG_STATE_HOME/watcloud/...")
    # kubernetes-lease
    lease_name: str = "watcloud-dnsfailover"
    namespace: str | None = Field(default=None, description="default: the pod's namespace")
    identity: str | None = Field(default=None, description="default: $POD_NAME, else hostname")
    api_url: str | None = Field(default=None, description="default: in-cluster API server")
    token_file: Path | None = Field(default=None, description="default: service account token")
    ca_file: Path | None = Field(default=None, description="default: service account CA")
    lease_duration: float = Field(default=15.0, gt=0)
    renew_every: float = Field(default=5.0, gt=0)

    @model_validator(mode="after")
    def _times(self) -> LockConfig:
        if self.renew_every >= self.lease_duration:
            raise ValueError("renew_every must be shorter than lease_duration")
        return self

    def effective_path(self) -> Path:
        return self.path or state_dir() / "dnsfailover.lock"


class AnnounceConfig(StrictModel):
    discord_webhook_env: str | None = None
    email_to: list[str] = Field(default_factory=list)
    smtp_config: Path | None = None


class DnsFailoverConfig(StrictModel):
    provider: Annotated[CloudflareConfig | Rfc2136Config, Field(discriminator="kind")]
    services: list[ServiceConfig] = Field(min_length=1)
    owner_id: str = Field(default="default", pattern=r"^[A-Za-z0-9_.-]{1,40}$")
    resync_interval: float = Field(default=300.0, gt=0)
    listen: str = Field(default="127.0.0.1:9153", description="host:port for /metrics, /healthz")
    lock: LockConfig = Field(default_factory=LockConfig)
    announce: AnnounceConfig = Field(default_factory=AnnounceConfig)

    @model_validator(mode="after")
    def _unique(self) -> DnsFailoverConfig:
        keys = [s.key for s in self.services]
        dupes = sorted({k for k in keys if keys.count(k) > 1})
        if dupes:
            raise ValueError(f"services: {', '.join(dupes)} listed twice")
        zone = self.provider.zone
        for s in self.services:
            if s.fqdn != zone and not s.fqdn.endswith("." + zone):
                raise ValueError(f"services: {s.fqdn} is not inside zone {zone}")
        host, sep, port = self.listen.rpartition(":")
        if not sep or not port.isdigit() or not host:
            raise ValueError(f"listen: expected host:port, got {self.listen!r}")
        return self

    def listen_addr(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)


# The name before issue 21 (one naming scheme: `<Tool>Config`); tests/deploy still uses it.
Config = DnsFailoverConfig


def load(path: Path | None) -> DnsFailoverConfig:
    default = default_config_path(TOOL)
    if path is None and not default.exists():
        from watcloud.core.errors import ConfigError

        raise ConfigError(f"no config: give --config FILE or create {default}")
    return load_config(DnsFailoverConfig, path, default_path=default)
