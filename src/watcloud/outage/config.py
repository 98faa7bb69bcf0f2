"""`outage.yaml`: every option with its default (see docs/outage.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from watcloud.core.config import StrictModel, load_config
from watcloud.core.paths import default_config_path, state_dir
from watcloud.outage.classify import DEFAULT_BUILDINGS

LISTING_URL = "https://plantops.uwaterloo.ca/service-interruptions/"
DEFAULT_MACHINES = ["All machines in the CPH server room"]
SLURM_NOTE = (
    "SLURM jobs still running when the power goes off are terminated. Choose time limits that "
    "end before the start, save checkpoints, and copy out any data you need during the outage."
)

DATA_NOTE = (
    "Copy any data you will need during the outage off the affected machines before it starts."
)


class WebSource(StrictModel):
    enabled: bool = True
    listing_url: str = LISTING_URL
    min_interval: float = Field(1.0, ge=1.0, description="seconds between requests (>= 1)")
    timeout: float = Field(15.0, gt=0)
    attempts: int = Field(3, ge=1, le=10)
    backoff: float = Field(2.0, ge=0)
    contact: str = "https://cloud.watonomous.ca (infra-outreach@watonomous.ca)"
    refetch_days_after_event: float = Field(1.0, ge=0)


class ImapSource(StrictModel):
    enabled: bool = False
    host: str = "localhost"
    port: int = 993
    security: str = Field("tls", pattern="^(tls|starttls|none)$")
    username: str = ""
    password_env: str = "WATCLOUD_OUTAGE_IMAP_PASSWORD"
    password_file: Path | None = None
    folder: str = "INBOX"
    processed_folder: str | None = None  # move processed mail here; else flag \\Seen + keyword
    cafile: Path | None = None
    timeout: float = Field(30.0, gt=0)


class EmailDelivery(StrictModel):
    to: list[str] = Field(default_factory=list)
    smtp_config: Path | None = None  # notify's SMTP settings file; else WATCLOUD_SMTP_* env
    # notify's outbox (exactly once across crashes): on by default, beside the state database.
    outbox: bool = True
    outbox_path: Path | None = None  # default: <state_db directory>/outage-outbox.sqlite


class DiscordDelivery(StrictModel):
    webhook_env: str = "WATCLOUD_OUTAGE_DISCORD_WEBHOOK"
    webhook_file: Path | None = None


class ImpactConfig(StrictModel):
    # building code -> machine names (SLURM node names for compute nodes)
    machines: dict[str, list[str]] = Field(default_factory=dict)
    # machine -> compute | login | storage | other (overrides machine-info)
    roles: dict[str, Literal["compute", "login", "storage", "other"]] = Field(default_factory=dict)
    # machine-info.json: a path or an http(s) URL; entries with a `location` are mapped too
    machine_info: str | None = None
    # read nodes, partitions and jobs from SLURM (when `scontrol` is installed here)
    slurm: bool = True
    slurm_timeout: float = Field(15.0, gt=0)
    data_note: str = DATA_NOTE


class ReserveConfig(StrictModel):
    # the watcher creates, updates and deletes the maintenance reservations itself
    enabled: bool = False
    margin_before_hours: float = Field(1.0, ge=0)
    margin_after_hours: float = Field(1.0, ge=0)
    # a window whose end is not stated is reserved for this long
    unknown_end_hours: float = Field(12.0, gt=0)
    users: list[str] = Field(default_factory=lambda: ["root"], min_length=1)
    prefix: str = Field("outage-", pattern=r"^[A-Za-z0-9_.-]+$")


class OutageConfig(StrictModel):
    buildings: dict[str, list[str]] = Field(default_factory=lambda: dict(DEFAULT_BUILDINGS))
    campus_wide: bool = True
    machines_affected: list[str] = Field(default_factory=lambda: list(DEFAULT_MACHINES))
    slurm_note: str = SLURM_NOTE
    state_db: Path | None = None
    poll_interval: float = Field(900.0, ge=60)
    reminder_hours: float | None = Field(None, gt=0)
    admins: list[str] = Field(default_factory=list)
    web: WebSource = WebSource()
    imap: ImapSource = ImapSource()
    email: EmailDelivery = EmailDelivery()
    discord: DiscordDelivery = DiscordDelivery()
    impact: ImpactConfig = ImpactConfig()
    reserve: ReserveConfig = ReserveConfig()

    def db_path(self) -> Path:
        return self.state_db or state_dir() / "outage.db"

    def outbox_path(self) -> Path | None:
        """notify's outbox for announcements, or None when `email.outbox` is false."""
        if not self.email.outbox:
            return None
        return self.email.outbox_path or self.db_path().with_name("outage-outbox.sqlite")


def load(path: Path | None) -> OutageConfig:
    return load_config(OutageConfig, path, default_path=default_config_path("outage"))
