"""Delivery for every WATcloud tool: pooled SMTP with rate limit, retry and spool; Discord;
dark-mode HTML email templates.

Importing this package is cheap (stdlib dataclasses only): Jinja2, the CSS inliner, pydantic
and httpx are imported inside the functions that need them, so tools can import it at top level.

    from watcloud.notify import Message, load_notify_config, send_batch, render

    r = render("announcement", {"title": "Hello", "body": "First.\\n\\nSecond.", "link": None})
    results = send_batch([r.to_message(["a@example.org"])], load_notify_config())
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from watcloud.core.lazy import lazy_exports
from watcloud.notify.model import Message, Rendered, SendResult

if TYPE_CHECKING:
    from watcloud.notify.browser import contrast_report
    from watcloud.notify.config import (
        NotifyConfig,
        SmtpSettings,
        load_notify_config,
        load_smtp_settings,
    )
    from watcloud.notify.discord import send_discord, template_embed
    from watcloud.notify.smtp import BatchReport, deliver
    from watcloud.notify.spec import message_from_spec, messages_from_jsonl
    from watcloud.notify.templating import render

__all__ = [
    "Message",
    "NotifyConfig",
    "Rendered",
    "SendResult",
    "SmtpSettings",
    "contrast_report",
    "deliver",
    "exit_code",
    "load_notify_config",
    "load_smtp_settings",
    "message_from_spec",
    "messages_from_jsonl",
    "raise_if_relay_unusable",
    "render",
    "send_batch",
    "send_discord",
    "template_embed",
]

# Imported on first use, not with the package (pydantic, Jinja2, httpx, the CSS inliner).
__getattr__ = lazy_exports(
    __name__,
    {
        "NotifyConfig": "config",
        "SmtpSettings": "config",  # the old name
        "load_notify_config": "config",
        "load_smtp_settings": "config",  # the old name
        "contrast_report": "browser",
        "deliver": "smtp",
        "message_from_spec": "spec",
        "messages_from_jsonl": "spec",
        "render": "templating",
        "send_discord": "discord",
        "template_embed": "discord",
    },
)


def send_batch(
    messages: Iterable[Message], settings: NotifyConfig, **kwargs: Any
) -> list[SendResult]:
    """Send `messages` through the SMTP pool; one result per message, in order.

    Each recipient gets their own copy (`Message.bcc` for one copy to all). The spool is on
    unless the settings say `spool: false`; `tool="expiry"` puts it in that tool's state
    directory (default: the calling `watcloud.<tool>` module's). Other keyword arguments
    (`sleep`, `clock`, `rng`) are for tests; see `watcloud.notify.smtp.deliver`.
    """
    from watcloud.notify.smtp import deliver as _deliver

    return _deliver(messages, settings, **kwargs).results


def raise_if_relay_unusable(report: BatchReport) -> None:
    """Every sending command's rule: a relay that cannot be used at all is a `WatcloudError`
    (one line, exit 2) saying why and how many messages the spool keeps for the next run.
    Call it after showing the per-message results."""
    if report.fatal is None:
        return
    from watcloud.core.errors import WatcloudError

    kept = sum(r.status == "spooled" for r in report.results + report.drained)
    where = f"; {kept} message(s) kept in the spool for the next run" if kept else ""
    raise WatcloudError(f"{report.fatal}{where}")


def exit_code(report: BatchReport) -> int:
    """The exit code every sending command uses: raises `WatcloudError` (exit 2: could not
    run) when the relay could not be used at all; else 1 when a message failed (a recipient
    refused permanently, or no spool to keep it), else 0 (sent, duplicate, or kept in the
    spool for the next run)."""
    raise_if_relay_unusable(report)
    return 1 if any(r.status == "failed" for r in report.results + report.drained) else 0
