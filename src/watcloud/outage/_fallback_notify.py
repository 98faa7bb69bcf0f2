"""A minimal stand-in for watcloud.notify, used only when that package is not installed.

It follows notify's contract for the few calls outage makes (render, send_batch, send_discord,
load_smtp_settings from `WATCLOUD_SMTP_*` environment variables) without pooling, spooling or
rate limiting. When watcloud.notify is present, outage uses it instead.
"""

from __future__ import annotations

import html as htmlmod
import os
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any


@dataclass
class Message:
    to: list[str]
    subject: str
    text: str | None = None
    html: str | None = None
    id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class SendResult:
    id: str
    status: str
    recipients: dict[str, str]
    attempts: int
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("sent", "duplicate")


@dataclass
class Rendered:
    subject: str
    html: str
    text: str


@dataclass
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    security: str = "none"
    username: str | None = None
    password: str | None = None
    sender: str = "watcloud@localhost"


def load_smtp_settings(path: Path | None = None) -> SmtpSettings:
    env = os.environ
    return SmtpSettings(
        host=env.get("WATCLOUD_SMTP_HOST", "localhost"),
        port=int(env.get("WATCLOUD_SMTP_PORT", "25")),
        security=env.get("WATCLOUD_SMTP_SECURITY", "none"),
        username=env.get("WATCLOUD_SMTP_USERNAME") or None,
        password=env.get("WATCLOUD_SMTP_PASSWORD") or None,
        sender=env.get("WATCLOUD_SMTP_FROM", "watcloud@localhost"),
    )


def render(template: str, data: dict[str, Any], *, inline_css: bool = True) -> Rendered:
    title = str(data.get("title", ""))
    rows = [(k.replace("_", " ").title(), v) for k, v in data.items() if k != "title"]
    text = (
        title
        + "\n\n"
        + "\n".join(f"{k}: {', '.join(v) if isinstance(v, list) else v}" for k, v in rows)
    )
    cells = "".join(
        f"<tr><th>{htmlmod.escape(k)}</th><td>"
        f"{htmlmod.escape(', '.join(v) if isinstance(v, list) else str(v))}</td></tr>"
        for k, v in rows
    )
    page = f"<html><body><h1>{htmlmod.escape(title)}</h1><table>{cells}</table></body></html>"
    return Rendered(title, page, text + "\n")


def send_batch(messages: list[Message], settings: SmtpSettings) -> list[SendResult]:
    results = []
    for m in messages:
        msg = EmailMessage()
        msg["From"] = settings.sender
        msg["To"] = ", ".join(m.to)
        msg["Subject"] = m.subject
        msg["Message-ID"] = make_msgid(domain="watcloud")
        msg["X-WATcloud-Id"] = m.id or ""
        for k, v in m.headers.items():
            msg[k] = v
        msg.set_content(m.text or "")
        if m.html:
            msg.add_alternative(m.html, subtype="html")
        try:
            cls = smtplib.SMTP_SSL if settings.security == "tls" else smtplib.SMTP
            with cls(settings.host, settings.port, timeout=30) as smtp:
                if settings.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if settings.username and settings.password:
                    smtp.login(settings.username, settings.password)
                refused = smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            results.append(SendResult(m.id or "", "failed", {}, 1, str(exc)))
            continue
        recipients = {r: "ok" if r not in refused else str(refused[r]) for r in m.to}
        status = "sent" if not refused else "failed"
        results.append(SendResult(m.id or "", status, recipients, 1))
    return results


def send_discord(
    webhook_url: str, *, content: str | None = None, embeds: list[dict[str, Any]] | None = None
) -> None:
    import httpx

    response = httpx.post(
        webhook_url, json={"content": content, "embeds": embeds or []}, timeout=15
    )
    response.raise_for_status()
