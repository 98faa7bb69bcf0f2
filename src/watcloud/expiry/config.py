"""`~/.config/watcloud/expiry.yaml`: every option has a default (docs/expiry.md lists them)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from watcloud.core.config import StrictModel
from watcloud.expiry.policy import parse_duration


class ExpiryConfig(StrictModel):
    threshold: str = "70d"
    time: Literal["newest", "atime", "mtime", "ctime"] = "newest"
    exclude: list[str] = Field(default_factory=list)
    protected: list[str] = Field(default_factory=list)
    oldest_files_per_user: int = Field(default=100, ge=1, le=100_000)
    processes: int | None = Field(default=None, ge=1, le=256)
    threads: int = Field(default=1, ge=1, le=256)
    grace_days: int = Field(default=14, ge=0, le=3650)
    email_domain: str | None = None
    email_overrides: dict[str, str] = Field(default_factory=dict)
    smtp_config: Path | None = None
    notify_max_items: int = Field(default=50, ge=1, le=10_000)
    deletion_log: Path | None = None

    @field_validator("threshold")
    @classmethod
    def _threshold(cls, value: str) -> str:
        parse_duration(value)
        return value
