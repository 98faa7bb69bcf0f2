"""Jinja2 templates for WATcloud emails, rendered to subject, HTML (CSS inlined by `css-inline`,
the `<style>` block kept for dark mode) and plain text. Imported only when a template renders."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from watcloud.core.errors import InputError
from watcloud.notify.assets import LOGO_CID, logo_data_uri, logo_png
from watcloud.notify.model import Rendered

TEMPLATES = ("outage", "expiry-warning", "expiry-deletion", "announcement")
# Keys each template needs (others optional, with the defaults below).
REQUIRED: dict[str, tuple[str, ...]] = {
    "outage": ("title", "status", "start", "end"),
    "expiry-warning": ("user", "deletion_date", "threshold_days", "total_bytes", "items", "root"),
    "expiry-deletion": ("user", "root", "total_bytes", "items"),
    "announcement": ("title", "body"),
}
OPTIONAL: dict[str, dict[str, Any]] = {
    "outage": {
        "machines_affected": [],
        "duration": "",
        "purpose": "",
        "additional_info": "",
        "notice_url": "",
    },
    "expiry-warning": {},
    "expiry-deletion": {},
    "announcement": {"link": None},
}
OUTAGE_STATUSES = {"scheduled": "Scheduled", "updated": "Updated", "cancelled": "Cancelled"}
MAX_ITEMS = 50  # file lists longer than this show the largest MAX_ITEMS and "and N more"


def filesize(n: Any) -> str:
    """Bytes in binary units: 1536 -> '1.5 KiB'."""
    try:
        value = float(n)
    except (TypeError, ValueError):
        return str(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def paragraphs(text: Any) -> list[str]:
    """Paragraphs separated by blank lines; single newlines become spaces."""
    parts = re.split(r"\n\s*\n", str(text or "").strip())
    return [" ".join(p.split()) for p in parts if p.strip()]


@cache
def _env(html: bool = True) -> Any:
    """The HTML environment (autoescaped, block tags trimmed) or the plain-text one (no
    escaping, whitespace kept as written; runs of blank lines are collapsed afterwards)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("watcloud.notify", "templates"),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=html,
        lstrip_blocks=html,
        keep_trailing_newline=True,
    )
    env.filters["filesize"] = filesize
    env.filters["paragraphs"] = paragraphs
    return env


def _context(template: str, data: Mapping[str, Any]) -> dict[str, Any]:
    if template not in TEMPLATES:
        raise InputError(f"unknown template {template!r} (one of: {', '.join(TEMPLATES)})")
    if not isinstance(data, Mapping):
        raise InputError(f"template {template}: data must be a JSON object")
    missing = [k for k in REQUIRED[template] if k not in data]
    if missing:
        raise InputError(f"template {template}: data is missing key(s): {', '.join(missing)}")
    ctx: dict[str, Any] = {**OPTIONAL[template], **data}
    if template == "outage":
        status = str(ctx["status"])
        if status not in OUTAGE_STATUSES:
            raise InputError(
                f"template outage: key 'status' must be one of {', '.join(OUTAGE_STATUSES)},"
                f" got {status!r}"
            )
        ctx["status_label"] = OUTAGE_STATUSES[status]
        if isinstance(ctx["machines_affected"], str):
            ctx["machines_affected"] = [ctx["machines_affected"]]
    if template in ("expiry-warning", "expiry-deletion"):
        items = ctx["items"]
        if not isinstance(items, list) or not all(
            isinstance(i, Mapping) and "path" in i and "bytes" in i for i in items
        ):
            raise InputError(
                f"template {template}: key 'items' must be a list of objects with 'path' and"
                " 'bytes'" + (" and 'last_used'" if template == "expiry-warning" else "")
            )
        if template == "expiry-warning" and not all("last_used" in i for i in items):
            raise InputError("template expiry-warning: every item needs 'last_used'")
        ordered = sorted(items, key=lambda i: -_num(i["bytes"]))
        ctx["shown"] = ordered[:MAX_ITEMS] if len(items) > MAX_ITEMS else items
        ctx["hidden"] = max(0, len(items) - MAX_ITEMS)
    return ctx


def _num(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def render(
    template: str,
    data: Mapping[str, Any],
    *,
    inline_css: bool = True,
    force_dark: bool = False,
    logo: str = "cid",
    unsubscribe_url: str | None = None,
) -> Rendered:
    """Render one of the bundled templates (`outage`, `expiry-warning`, `expiry-deletion`,
    `announcement`) with `data` to subject, HTML (CSS inlined, dark-mode rules kept) and
    plain text.

    `force_dark`: the dark rules apply unconditionally (for `preview --dark`).
    `logo`: "cid" (an inline attachment, added by the MIME builder) or "data" (a data: URI,
    for a browser preview) or any URL.
    """
    import jinja2

    ctx = _context(template, data)
    env, tenv = _env(True), _env(False)
    logo_src = {"cid": f"cid:{LOGO_CID}", "data": None}.get(logo, logo) or logo_data_uri()
    try:
        subject = " ".join(tenv.get_template(f"{template}.subject.j2").render(ctx).split())
        text = tenv.get_template(f"{template}.txt.j2").render(ctx)
        html = env.get_template(f"{template}.html.j2").render(
            {
                **ctx,
                "subject": subject,
                "force_dark": force_dark,
                "logo_src": logo_src,
                "preheader": _preheader(text),
                "unsubscribe_url": unsubscribe_url,
            }
        )
    except jinja2.UndefinedError as exc:
        raise InputError(f"template {template}: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise InputError(f"template {template}: {exc}") from None
    text = re.sub(r"\n[ \t]*(\n[ \t]*)+\n", "\n\n", text).strip() + "\n"
    if inline_css:
        html = inline(html)
    images = {LOGO_CID: logo_png()} if logo == "cid" else {}
    return Rendered(template=template, subject=subject, html=html, text=text, inline_images=images)


def _preheader(text: str) -> str:
    """The inbox preview line: the first sentence of the text part."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    first = lines[1] if len(lines) > 1 else (lines[0] if lines else "")
    return first[:140]


def inline(html: str) -> str:
    """Inline the CSS into style attributes, keeping the <style> block (media queries)."""
    import css_inline

    inliner = css_inline.CSSInliner(keep_style_tags=True, load_remote_stylesheets=False)
    return str(inliner.inline(html))
