"""Delivery for every WATcloud tool: pooled SMTP with rate limit, retry and spool; Discord;
dark-mode HTML email templates.

Importing this package is cheap (stdlib dataclasses only): Jinja2, the CSS inliner, pydantic
and httpx are imported inside the functions that need them, so tools can import it at top level.

    from watcloud.notify import Message, load_notify_config, send_batch, render

    r = render("announcement", {"title": "Hello", "body": "First.\\n\\nSecond.", "link": None})
    results = send_batch([r.to_message(["a@example.org"])], load_notify_config())
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watcloud.notify.model import Message, Rendered, SendResult

if TYPE_CHECKING:
    from watcloud.notify.config import NotifyConfig
    from watcloud.notify.smtp import BatchReport

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


def __getattr__(name: str) -> Any:
    # NotifyConfig is a pydantic model: imported on first use, not with the package.
    if name in ("NotifyConfig", "SmtpSettings"):  # SmtpSettings: the old name
        from watcloud.notify.config import NotifyConfig

        return NotifyConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_notify_config(path: Path | None = None) -> NotifyConfig:
    """SMTP settings from a YAML file (`path`, else ~/.config/watcloud/notify.yaml when it
    exists), with `WATCLOUD_SMTP_*` environment variables filling in or overriding keys."""
    from watcloud.notify.config import load_notify_config as _load

    return _load(path)


load_smtp_settings = load_notify_config  # the old name, for scripts written before it


def message_from_spec(spec: Any, where: str = "message") -> Message:
    """A `Message` from a JSON-like object: `to` (an address or a list), `subject`, `text`
    and/or `html`, or `template` + `data`; optional `id`, `headers`, `bcc`. Raises
    `InputError` naming `where` on a bad key or value."""
    from watcloud.notify.spec import message_from_spec as _from_spec

    return _from_spec(spec, where)


def messages_from_jsonl(text: str, where: str = "<stdin>") -> list[Message]:
    """One `Message` per non-blank line of a JSONL text (see `message_from_spec`); an error
    names `where:LINE`."""
    from watcloud.notify.spec import messages_from_jsonl as _from_jsonl

    return _from_jsonl(text, where)


def contrast_report(
    out_dir: Path | None = None, chromium: str | None = None
) -> list[dict[str, Any]]:
    """Every bundled template in headless Chromium, light and dark: one row per template and
    scheme with the lowest WCAG contrast and its `problems` (empty when it passes)."""
    from watcloud.notify.browser import contrast_report as _report

    return _report(out_dir=out_dir, chromium=chromium)


def send_batch(
    messages: Iterable[Message], settings: NotifyConfig, **kwargs: Any
) -> list[SendResult]:
    """Send `messages` through the SMTP pool; one result per message, in order.

    Each recipient gets their own copy (`Message.bcc` for one copy to all). The spool is on
    unless the settings say `spool: false`; `tool="expiry"` puts it in that tool's state
    directory (default: the calling `watcloud.<tool>` module's). Other keyword arguments
    (`sleep`, `clock`, `rng`) are for tests; see `watcloud.notify.smtp.deliver`.
    """
    from watcloud.notify.smtp import deliver

    return deliver(messages, settings, **kwargs).results


def deliver(messages: Iterable[Message], settings: NotifyConfig, **kwargs: Any) -> BatchReport:
    """Like `send_batch`, but the whole report: results, spool drained, pool stats and `fatal`
    (set when the relay could not be used at all: unreachable, authentication or TLS refused)."""
    from watcloud.notify.smtp import deliver as _deliver

    return _deliver(messages, settings, **kwargs)


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


def render(
    template: str, data: Mapping[str, Any], *, inline_css: bool = True, **kwargs: Any
) -> Rendered:
    """Render one of the bundled templates (`outage`, `expiry-warning`, `expiry-deletion`,
    `announcement`) to subject, HTML (CSS inlined, dark-mode rules kept) and plain text."""
    from watcloud.notify.templating import render as _render

    return _render(template, data, inline_css=inline_css, **kwargs)


def send_discord(
    webhook_url: str,
    *,
    content: str | None = None,
    embeds: list[dict[str, Any]] | None = None,
    **kwargs: Any,
) -> None:
    """Post to a Discord webhook, waiting out `429` replies (`retry_after`); raises
    `DeliveryError` when it cannot be delivered."""
    from watcloud.notify.discord import send_discord as _send

    _send(webhook_url, content=content, embeds=embeds, **kwargs)


def template_embed(template: str, data: Any) -> dict[str, Any]:
    """A bundled template rendered as one Discord embed (link from `notice_url` or `link`,
    colour from `status`), for `send_discord(url, embeds=[...])`."""
    from watcloud.notify.discord import template_embed as _embed

    return _embed(template, data)
