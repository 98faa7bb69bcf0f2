"""Delivery through watcloud.notify: HTML email (`render("outage", ...)`), Discord, admin mail.

Every message carries a stable idempotency id (`outage-<notice>-<kind>-<fingerprint>`): with
notify's spool configured, a second send of the same announcement is refused even if this
process died between sending it and recording it in the outage state.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from watcloud import notify  # cheap: its heavy parts load when a message is sent
from watcloud.core.config import read_secret
from watcloud.core.errors import ConfigError
from watcloud.outage.announce import Announcement
from watcloud.outage.config import OutageConfig


@dataclass
class Sent:
    channel: str
    ok: bool
    detail: str


class Delivery:
    def __init__(self, cfg: OutageConfig) -> None:
        self.cfg = cfg
        self._smtp: Any = None

    def _settings(self) -> Any:
        if self._smtp is None:
            self._smtp = notify.load_smtp_settings(self.cfg.email.smtp_config)
        return self._smtp

    def _discord_url(self) -> str | None:
        return read_secret(self.cfg.discord.webhook_env, self.cfg.discord.webhook_file)

    def channels(self) -> list[str]:
        out = []
        if self.cfg.email.to:
            out.append("email")
        if self._discord_url():
            out.append("discord")
        return out

    def send(self, ann: Announcement, msg_id: str, channel: str) -> Sent:
        if channel == "email":
            return self._email(ann, msg_id)
        if channel == "discord":
            return self._discord(ann)
        raise ConfigError(f"unknown delivery channel {channel!r}")

    def _email(self, ann: Announcement, msg_id: str) -> Sent:
        rendered = notify.render("outage", ann.data())
        message = notify.Message(
            to=list(self.cfg.email.to),
            subject=ann.subject,
            text=rendered.text,
            html=rendered.html,
            id=msg_id,
            headers={"X-WATcloud-Tool": "outage"},
        )
        [result] = notify.send_batch([message], self._settings())
        detail = (
            result.status if result.ok else f"{result.status}: {result.error or result.recipients}"
        )
        return Sent("email", result.ok, detail)

    def _discord(self, ann: Announcement) -> Sent:
        url = self._discord_url()
        if not url:
            return Sent("discord", False, "no webhook configured")
        payload: dict[str, Any] = ann.discord()
        try:
            notify.send_discord(url, content=payload["content"], embeds=payload["embeds"])
        except Exception as exc:  # notify raises DeliveryError; anything else is a failure too
            return Sent("discord", False, f"{type(exc).__name__}: {exc}")
        return Sent("discord", True, "sent")

    def warn_admins(self, subject: str, body: str, msg_id: str) -> None:
        """A warning on stderr, and by email to the admins when configured."""
        sys.stderr.write(f"warning: {subject}: {body}\n")
        if not self.cfg.admins:
            return
        try:
            rendered = notify.render("announcement", {"title": subject, "body": body, "link": None})
            message = notify.Message(
                to=list(self.cfg.admins),
                subject=f"[watcloud outage] {subject}",
                text=rendered.text,
                html=rendered.html,
                id=msg_id,
            )
            notify.send_batch([message], self._settings())
        except Exception as exc:  # a warning must never crash the poller
            sys.stderr.write(f"warning: could not email the admins: {exc}\n")
