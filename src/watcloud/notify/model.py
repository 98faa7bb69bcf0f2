"""The data types of the notify API (stdlib only: imported with the package)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

STATUSES = ("sent", "failed", "spooled", "duplicate")


class DeliveryError(Exception):
    """A notification could not be delivered (Discord gave up, SMTP unreachable, ...)."""


@dataclass
class Message:
    """One email to `to`.

    By default each recipient gets their own copy, with only their own address in `To:` (no
    recipient sees another's address); each copy is delivered exactly once on its own. With
    `bcc=True` one copy goes to every recipient at once, the recipients only in the SMTP
    envelope and `To:` set to the configured `list_address` (else the sender): for mail to a
    list of people who may know the message was shared, but never each other's addresses.

    `id` is the idempotency key: a message whose id was already sent (with a spool configured)
    is not sent again. When None it is derived from to+subject+text+html.
    `inline_images` maps a Content-ID (used as `cid:NAME` in the HTML) to PNG bytes; the
    bundled logo (`cid:watcloud-logo`) is attached automatically when the HTML uses it.
    """

    to: list[str]
    subject: str
    text: str | None = None
    html: str | None = None
    id: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    inline_images: dict[str, bytes] = field(default_factory=dict)
    bcc: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.to, str):
            self.to = [self.to]
        if self.id is None:
            self.id = derive_id(self.to, self.subject, self.text, self.html)

    @property
    def key(self) -> str:
        """The idempotency key (always set after construction)."""
        assert self.id is not None
        return self.id


def derive_id(to: list[str], subject: str, text: str | None, html: str | None) -> str:
    """A stable idempotency key: SHA-256 over the recipients, subject and both bodies."""
    payload = json.dumps([sorted(to), subject, text, html], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


@dataclass
class SendResult:
    """The outcome for one message.

    status: "sent" (every recipient accepted; some refused permanently is "failed"),
    "failed" (a permanent failure for at least one recipient, or transient failures that
    outlasted the retries with no spool), "spooled" (transient; kept in the outbox for the
    next run), "duplicate" (this id was already sent).
    recipients: recipient -> "ok" or the server's last reply ("550 5.1.1 no such user").
    """

    id: str
    status: str
    recipients: dict[str, str]
    attempts: int
    error: str | None = None
    # Set when "sent" was concluded rather than seen: the run that sent it was killed while
    # writing the final "." of its DATA, before the relay's reply was recorded.
    note: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("sent", "duplicate")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "ok": self.ok,
            "recipients": dict(self.recipients),
            "attempts": self.attempts,
            "error": self.error,
            "note": self.note,
        }


@dataclass
class Rendered:
    """A rendered template: subject, HTML (CSS inlined) and plain text."""

    template: str
    subject: str
    html: str
    text: str
    inline_images: dict[str, bytes] = field(default_factory=dict)

    def to_message(
        self,
        to: list[str] | str,
        *,
        id: str | None = None,
        headers: dict[str, str] | None = None,
        bcc: bool = False,
    ) -> Message:
        return Message(
            to=[to] if isinstance(to, str) else list(to),
            subject=self.subject,
            text=self.text,
            html=self.html,
            id=id,
            headers=dict(headers or {}),
            inline_images=dict(self.inline_images),
            bcc=bcc,
        )
