"""Discord webhook delivery (content and embeds), honouring `429` with `retry_after`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from watcloud.notify.model import DeliveryError, Rendered

if TYPE_CHECKING:
    import httpx

MAX_CONTENT = 2000  # Discord's limit for `content`
MAX_EMBEDS = 10
EMBED_COLOURS = {"scheduled": 0x1D4ED8, "updated": 0x9A3412, "cancelled": 0xB91C1C}


def send_discord(
    webhook_url: str,
    *,
    content: str | None = None,
    embeds: list[dict[str, Any]] | None = None,
    username: str | None = None,
    attempts: int = 5,
    backoff: float = 1.0,
    max_wait: float = 60.0,
    timeout: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """POST one message to `webhook_url`.

    `429`: waits `retry_after` seconds from the JSON body (else the `Retry-After` header), at
    most `max_wait`, then tries again. `5xx` and transport errors: exponential backoff. Other
    `4xx`: raised at once (a bad webhook or payload does not get better). Raises
    `DeliveryError` when the message was not accepted after `attempts` tries.
    """
    import httpx

    from watcloud.core.backoff import backoff_delays
    from watcloud.core.http import make_client

    if not content and not embeds:
        raise ValueError("send_discord needs content or embeds")
    if content is not None and len(content) > MAX_CONTENT:
        content = content[: MAX_CONTENT - 1] + "…"
    payload: dict[str, Any] = {"allowed_mentions": {"parse": []}}
    if content:
        payload["content"] = content
    if embeds:
        payload["embeds"] = embeds[:MAX_EMBEDS]
    if username:
        payload["username"] = username
    delays = list(backoff_delays(attempts, backoff, max_wait))
    last = "no attempt made"
    with make_client("notify", timeout=timeout, connect_retries=0) as client:
        for attempt in range(attempts):
            wait: float | None = None
            try:
                resp = client.post(webhook_url, json=payload, params={"wait": "true"})
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if resp.status_code < 300:
                    return
                last = f"HTTP {resp.status_code}: {resp.text[:200]}"
                if resp.status_code == 429:
                    wait = _retry_after(resp)
                elif resp.status_code < 500:
                    raise DeliveryError(f"Discord webhook refused the message: {last}")
            if attempt == attempts - 1:
                break
            sleep(min(max_wait, wait if wait is not None else delays[attempt]))
    raise DeliveryError(f"Discord webhook: gave up after {attempts} attempt(s): {last}")


def _retry_after(resp: httpx.Response) -> float:
    """`retry_after` from Discord's JSON body, else the `Retry-After` header (default 1 s)."""
    from watcloud.core.http import retry_after_seconds

    try:
        value = float(resp.json().get("retry_after"))
    except (ValueError, TypeError, AttributeError):
        return retry_after_seconds(resp, 1.0)
    # Discord has sent milliseconds in old API versions; values above 1000 are taken as such.
    return max(0.0, value / 1000.0 if value > 1000 else value)


def embed_for(
    rendered: Rendered, *, url: str | None = None, status: str | None = None
) -> dict[str, Any]:
    """A Discord embed from a rendered template: title = subject, description = text."""
    title = rendered.subject.removeprefix("[WATcloud] ")
    description = rendered.text.strip()
    if len(description) > 4000:
        description = description[:3999] + "…"
    embed: dict[str, Any] = {
        "title": title[:256],
        "description": description,
        "color": EMBED_COLOURS.get(status or "", 0x1D4ED8),
    }
    if url:
        embed["url"] = url
    return embed


def template_embed(template: str, data: Any) -> dict[str, Any]:
    """A bundled template rendered as one Discord embed, for `send_discord(url,
    embeds=[...])`: its link is `notice_url` (else `link`) and its colour follows `status`
    when the data has them."""
    from watcloud.notify.templating import render

    rendered = render(template, data)
    link = data.get("notice_url") or data.get("link") if isinstance(data, dict) else None
    status = data.get("status") if isinstance(data, dict) else None
    return embed_for(rendered, url=link or None, status=status)
