"""notify's config (`NotifyConfig`, the `smtp:` section of notify.yaml): a YAML file (validated)
and `WATCLOUD_SMTP_*` environment variables.

The password is never read from the file: it comes from `$WATCLOUD_SMTP_PASSWORD` (or the
variable `password_env` names) or from `password_file`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator

from watcloud.core.config import StrictModel, describe_validation_error, load_config, read_secret
from watcloud.core.errors import ConfigError
from watcloud.core.paths import default_config_path

Security = Literal["none", "starttls", "tls"]
DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}
ENV_PREFIX = "WATCLOUD_SMTP_"
# Environment variable suffix -> settings key.
ENV_KEYS = {
    "HOST": "host",
    "PORT": "port",
    "SECURITY": "security",
    "USERNAME": "username",
    "FROM": "from",
    "POOL_SIZE": "pool_size",
    "MESSAGES_PER_CONNECTION": "messages_per_connection",
    "RATE_PER_SECOND": "rate_per_second",
    "RATE_PER_MINUTE": "rate_per_minute",
    "MAX_ATTEMPTS": "max_attempts",
    "TIMEOUT": "timeout",
    "SPOOL": "spool",
    "LIST_UNSUBSCRIBE": "list_unsubscribe",
    "REPLY_TO": "reply_to",
    "LIST_ADDRESS": "list_address",
    "AFTER_CRASH": "after_crash",
}
_OFF = {"off", "false", "no", "none"}


class NotifyConfig(StrictModel):
    """How to reach the relay and how hard to push it. Every key has a default."""

    host: str = "localhost"
    port: int | None = Field(default=None, ge=1, le=65535)  # None: 25 / 587 / 465 by security
    security: Security = "starttls"
    username: str | None = None
    # Secrets: never in the file. `password` may be set by code (and by $WATCLOUD_SMTP_PASSWORD).
    password: str | None = Field(default=None, repr=False, exclude=True)
    password_env: str = "WATCLOUD_SMTP_PASSWORD"
    password_file: Path | None = None
    sender: str = Field(
        default="WATcloud <no-reply@localhost>",
        validation_alias=AliasChoices("from", "sender", "from_"),
    )
    ehlo_name: str | None = None  # None: the machine's FQDN (smtplib's default)
    timeout: float = Field(default=30.0, gt=0)
    tls_verify: bool = True
    ca_file: Path | None = None  # extra CA bundle (a private relay's certificate)
    # Pool
    pool_size: int = Field(default=4, ge=1, le=64)
    messages_per_connection: int = Field(default=100, ge=1)
    # Rate limit shared by the whole pool (token buckets); None = unlimited.
    rate_per_second: float | None = Field(default=None, gt=0)
    rate_per_minute: float | None = Field(default=None, gt=0)
    burst: int = Field(default=1, ge=1)  # tokens the per-second bucket can save up
    # Retries (transient failures only: 421, other 4xx, timeouts, dropped connections)
    max_attempts: int = Field(default=5, ge=1)
    backoff_base: float = Field(default=1.0, ge=0)
    backoff_cap: float = Field(default=60.0, ge=0)
    jitter: float = Field(default=0.5, ge=0, le=1)  # delay * uniform(1 - jitter, 1 + jitter)
    # Spool: SQLite outbox + sent log (exactly-once across runs). On by default: None means
    # `$XDG_STATE_HOME/watcloud/<tool>-outbox.sqlite` for the calling tool; only an explicit
    # `false` (YAML `spool: false`, `WATCLOUD_SMTP_SPOOL=off`) turns it off.
    spool: Path | Literal[False] | None = None
    spool_keep_days: float = Field(default=90.0, gt=0)  # how long a sent id stays "duplicate"
    # A copy a killed run was finishing (intent committed, its final "." maybe written): "sent"
    # concludes it delivered (never twice, may lose it); "resend" sends it again (never lost,
    # may be twice). See docs/notify.md, "Crashes".
    after_crash: Literal["sent", "resend"] = "sent"
    # Headers. `Auto-Submitted` (RFC 3834) stops vacation responders from answering.
    auto_submitted: str = "auto-generated"
    reply_to: str | None = None  # e.g. "WATcloud admins <admins@example.org>"
    list_address: str | None = None  # names a list: List-Id, List-Unsubscribe, To: with bcc
    list_id: str | None = None  # None: from list_address ("<announce.example.org>")
    list_unsubscribe: str | None = None  # e.g. "<mailto:unsub@example.org>, <https://...>"
    list_unsubscribe_post: bool = False  # RFC 8058 one-click (needs an https URL above)
    message_id_domain: str | None = None  # None: the domain of `from`

    @field_validator("sender")
    @classmethod
    def _check_sender(cls, value: str) -> str:
        from email.utils import parseaddr

        address = parseaddr(value)[1]
        if "@" not in address:
            raise ValueError("'from' must be an email address like 'WATcloud <a@example.org>'")
        if not address.isascii():
            raise ValueError("the 'from' address must be ASCII (the display name may not be)")
        return value

    @field_validator("spool", mode="before")
    @classmethod
    def _spool_off(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().lower() in _OFF:
            return False
        if value is True:
            return None  # `spool: true`: the default location
        return value

    @field_validator("reply_to", "list_address")
    @classmethod
    def _check_address(cls, value: str | None) -> str | None:
        from email.utils import parseaddr

        if value is not None and ("@" not in parseaddr(value)[1] or not value.isascii()):
            raise ValueError("must be an ASCII email address like 'Admins <admins@example.org>'")
        return value

    @property
    def list_id_header(self) -> str | None:
        """`List-Id` (RFC 2919): `list_id`, else the list address with `@` made a dot."""
        if self.list_id:
            return self.list_id if "<" in self.list_id else f"<{self.list_id}>"
        if self.list_address:
            from email.utils import parseaddr

            return "<" + parseaddr(self.list_address)[1].replace("@", ".") + ">"
        return None

    @property
    def list_unsubscribe_header(self) -> str | None:
        """`List-Unsubscribe`: `list_unsubscribe`, else a mailto: to the list address."""
        if self.list_unsubscribe:
            return self.list_unsubscribe
        if self.list_address:
            from email.utils import parseaddr

            return f"<mailto:{parseaddr(self.list_address)[1]}?subject=unsubscribe>"
        return None

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else DEFAULT_PORTS[self.security]

    @property
    def envelope_sender(self) -> str:
        from email.utils import parseaddr

        return parseaddr(self.sender)[1]

    def resolve_password(self) -> str | None:
        """The password: set by code, else from `password_env`, else from `password_file`."""
        if self.password:
            return self.password
        return read_secret(self.password_env, self.password_file)


def load_notify_config(path: Path | None = None) -> NotifyConfig:
    """SMTP settings from a YAML file (`path`, which must exist, else
    ~/.config/watcloud/notify.yaml when it exists), then `WATCLOUD_SMTP_*` environment
    variables filling in or overriding keys (an empty variable is ignored)."""
    file = Path(path) if path is not None else default_config_path("notify")
    source = str(file) if path is not None or file.exists() else "<defaults>"
    raw = load_config(_RawConfig, path, default_path=file)
    data: dict[str, Any] = dict(raw.smtp or {})
    if "password" in data:
        raise ConfigError(
            f"{source}: key 'smtp.password': secrets are not read from the config file; "
            "set WATCLOUD_SMTP_PASSWORD or smtp.password_file"
        )
    for suffix, key in ENV_KEYS.items():
        value = os.environ.get(ENV_PREFIX + suffix)
        if value:
            data[key] = value
    try:
        settings = NotifyConfig.model_validate(data)
    except ValidationError as exc:
        detail = describe_validation_error(exc)
        if source != "<defaults>":
            detail = re.sub(r"key '(?!<)", "key 'smtp.", detail)
            where = f"{source} (with WATCLOUD_SMTP_* variables)"
        else:
            where = "WATCLOUD_SMTP_* environment"
        raise ConfigError(f"{where}: {detail}") from None
    if settings.password_file is not None and not settings.password_file.is_absolute():
        base = file.parent if source != "<defaults>" else Path.cwd()
        settings = settings.model_copy(update={"password_file": base / settings.password_file})
    return settings


class _RawConfig(StrictModel):
    """The notify config file: an `smtp:` mapping (validated by NotifyConfig) and `discord:`."""

    smtp: dict[str, Any] | None = None
    discord: dict[str, Any] | None = None


# The names scripts used before `NotifyConfig` and `load_notify_config`
# (`watcloud.notify.SmtpSettings`, `watcloud.notify.load_smtp_settings`).
SmtpSettings = NotifyConfig
load_smtp_settings = load_notify_config
