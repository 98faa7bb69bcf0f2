"""Delivery through watcloud.notify: HTML email (`render("outage", ...)`), Discord, admin mail.

Exactly once through a crash: an announcement becomes one message per email recipient (no user
sees another's address) and one Discord message, each with a stable id
(`outage-<notice>-<kind>-<fingerprint>-<recipient tag>`). The watcher records them in its state
(committed) before any is handed over; email goes through notify's outbox (on by default for
this tool, `outage-outbox.sqlite` beside the state database), so a message the relay already
accepted is answered "duplicate" when a restarted pass hands it over again. Messages are handed
to the relay one at a time, so at most one is ever in flight when the process dies.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from watcloud import notify  # cheap: its heavy parts load when a message is sent
from watcloud.core.config import read_secret
from watcloud.core.errors import ConfigError
from watcloud.outage.announce import Announcement
from watcloud.outage.config import OutageConfig
from watcloud.outage.state import OutboxItem


@dataclass
class Sent:
    channel: str
    ok: bool
    detail: str
    final: bool = True  # False: a transient failure, kept queued for the next pass


def recipient_tag(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:12]


class Delivery:
    def __init__(self, cfg: OutageConfig, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.cfg = cfg
        self._smtp: Any = None
        self.sleep = sleep

    def _settings(self) -> Any:
        if self._smtp is None:
            settings = notify.load_notify_config(self.cfg.email.smtp_config)
            spool = self.cfg.outbox_path()
            if spool is not None:
                settings = settings.model_copy(update={"spool": spool})
            self._smtp = settings
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

    def items(
        self, ann: Announcement, base_id: str, channel: str, *, key: str, kind: str, fp: str
    ) -> list[OutboxItem]:
        """The messages of one announcement on one channel, ready to be recorded."""
        if channel == "email":
            rendered = notify.render("outage", ann.data())
            payload = {"text": rendered.text, "html": rendered.html}
            return [
                OutboxItem(
                    f"{base_id}-{recipient_tag(rcpt)}", key, kind, fp, "email", rcpt,
                    ann.subject, payload,
                )
                for rcpt in dict.fromkeys(self.cfg.email.to)
            ]  # fmt: skip
        if channel == "discord":
            return [
                OutboxItem(
                    f"{base_id}-discord", key, kind, fp, "discord", None, ann.subject,
                    ann.discord(),
                )
            ]  # fmt: skip
        raise ConfigError(f"unknown delivery channel {channel!r}")

    def deliver(self, items: list[OutboxItem], on_done: Callable[[OutboxItem, Sent], None]) -> None:
        """Hand each message over, one at a time; `on_done` records each answer at once."""
        gap = self._gap()
        for n, item in enumerate(items):
            if n and gap and item.channel == "email":
                self.sleep(gap)
            sent = self._email(item) if item.channel == "email" else self._discord(item)
            on_done(item, sent)

    def _gap(self) -> float:
        if not any(self.cfg.email.to):
            return 0.0
        s = self._settings()
        gaps = [1.0 / s.rate_per_second if s.rate_per_second else 0.0]
        gaps.append(60.0 / s.rate_per_minute if s.rate_per_minute else 0.0)
        return max(gaps)

    def _email(self, item: OutboxItem) -> Sent:
        assert item.recipient is not None
        message = notify.Message(
            to=[item.recipient],
            subject=item.subject,
            text=item.payload["text"],
            html=item.payload["html"],
            id=item.msg_id,
            headers={"X-WATcloud-Tool": "outage"},
        )
        report = notify.deliver([message], self._settings())
        [result] = report.results
        ok = result.status in ("sent", "duplicate")
        final = result.status in ("sent", "duplicate", "failed")
        detail = result.status if ok else f"{result.status}: {result.error or result.recipients}"
        return Sent("email", ok, detail, final)

    def _discord(self, item: OutboxItem) -> Sent:
        url = self._discord_url()
        if not url:
            return Sent("discord", False, "no webhook configured", final=False)
        try:
            notify.send_discord(url, content=item.payload["content"], embeds=item.payload["embeds"])
        except Exception as exc:  # notify raises DeliveryError; anything else is a failure too
            return Sent("discord", False, f"{type(exc).__name__}: {exc}", final=False)
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
