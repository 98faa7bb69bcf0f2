"""Build the MIME message: multipart/alternative (text + HTML), inline images as
multipart/related, Message-ID, Date, List-Unsubscribe. Stdlib `email` only."""

from __future__ import annotations

import html as htmllib
import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr

from watcloud.core.timez import now
from watcloud.notify.model import Message
from watcloud.notify.settings import SmtpSettings

# 7-bit transfer encodings (quoted-printable/base64) so no relay needs 8BITMIME.
POLICY = SMTP.clone(cte_type="7bit", max_line_length=78)
LOGO_CID = "watcloud-logo"
_RESERVED = {"from", "to", "subject", "date", "message-id", "mime-version", "content-type"}


def message_id(msg: Message, settings: SmtpSettings) -> str:
    """A stable Message-ID from the idempotency key: a retried or re-spooled message keeps it,
    so a receiving system can recognise a copy."""
    domain = settings.message_id_domain or settings.envelope_sender.rpartition("@")[2]
    return f"<{msg.key}@{domain or 'localhost'}>"


def html_to_text(html: str) -> str:
    """A plain-text fallback for an HTML-only message (tags dropped, links kept)."""
    s = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", "", html)
    s = re.sub(r'(?is)<a\b[^>]*href="([^"]+)"[^>]*>(.*?)</a>', r"\2 (\1)", s)
    s = re.sub(r"(?i)<br\s*/?>", "\n", s)
    s = re.sub(r"(?i)</(p|div|h[1-6]|li|tr|table)>", "\n\n", s)
    s = re.sub(r"(?s)<[^>]+>", "", s)
    s = htmllib.unescape(s)
    lines = [re.sub(r"[ \t\r\f\v]+", " ", ln).strip() for ln in s.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def build(msg: Message, settings: SmtpSettings) -> EmailMessage:
    """The message as it goes on the wire (headers the caller set win, except the reserved)."""
    em = EmailMessage(policy=POLICY)
    em["From"] = settings.sender
    em["To"] = ", ".join(msg.to)
    em["Subject"] = msg.subject
    em["Date"] = msg.headers.get("Date") or format_datetime(now())
    em["Message-ID"] = msg.headers.get("Message-ID") or message_id(msg, settings)
    if settings.list_unsubscribe and "List-Unsubscribe" not in msg.headers:
        em["List-Unsubscribe"] = settings.list_unsubscribe
        if settings.list_unsubscribe_post:
            em["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    em["X-Watcloud-Id"] = msg.key
    for name, value in msg.headers.items():
        if name.lower() in _RESERVED or name.lower() in ("message-id", "date"):
            continue
        del em[name]
        em[name] = value

    text = msg.text
    if text is None and msg.html is not None:
        text = html_to_text(msg.html)
    em.set_content(text or "", subtype="plain", charset="utf-8")
    if msg.html is not None:
        em.add_alternative(msg.html, subtype="html", charset="utf-8")
        images = dict(msg.inline_images)
        if f"cid:{LOGO_CID}" in msg.html and LOGO_CID not in images:
            from watcloud.notify.templating import logo_png

            images[LOGO_CID] = logo_png()
        if images:
            html_part = em.get_body(preferencelist=("html",))
            assert isinstance(html_part, EmailMessage)
            for cid, data in images.items():
                html_part.add_related(
                    data,
                    maintype="image",
                    subtype="png",
                    cid=f"<{cid}>",
                    disposition="inline",
                    filename=f"{cid}.png",
                )
    return em


def to_bytes(em: EmailMessage) -> bytes:
    return em.as_bytes(policy=POLICY)


def addr_spec(address: str) -> str:
    """The bare address of `Name <a@b>` (what goes in RCPT TO)."""
    return parseaddr(address)[1] or address


__all__ = ["LOGO_CID", "Address", "addr_spec", "build", "html_to_text", "message_id", "to_bytes"]
