"""Reporting: text for people, JSON for scripts, GitHub Actions annotations, Markdown summary."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, TextIO

from watcloud.core.output import github_annotation
from watcloud.links.classify import Verdict
from watcloud.links.internal import InternalReport

if TYPE_CHECKING:
    from datetime import datetime

    from watcloud.links.external import ExternalReport, NoDnsError

# ---- internal ----------------------------------------------------------------------------


def internal_json(report: InternalReport) -> dict[str, Any]:
    return {
        "site": report.site,
        "base_path": report.base_path,
        "pages": report.pages,
        "files": report.files,
        "links": report.links,
        "fragments_checked": report.fragments_checked,
        "broken_targets": len(report.broken),
        "broken_links": report.broken_links,
        "broken": [
            {
                "target": b.target,
                "reason": b.reason,
                "message": b.message,
                "occurrences": [
                    {
                        "page": w.page,
                        "line": w.line,
                        "xpath": w.xpath,
                        "attr": w.attr,
                        "href": w.href,
                    }
                    for w in b.occurrences
                ],
            }
            for b in report.broken
        ],
        "duplicate_ids": [
            {"page": d.page, "id": d.id, "lines": d.lines} for d in report.duplicate_ids
        ],
    }


def internal_text(report: InternalReport, out: TextIO, *, max_dups: int = 10) -> None:
    w = out.write
    for b in report.broken:
        n = len(b.occurrences)
        w(f"BROKEN {b.target}  ({b.reason}: {b.message}; {n} link{'s' if n != 1 else ''})\n")
        for o in b.occurrences:
            shown = f"  href={o.href!r}" if o.href else ""
            w(f"  {o.page}:{o.line}  {o.xpath}  {o.attr}{shown}\n")
    if report.duplicate_ids:
        w(f"warning: {len(report.duplicate_ids)} duplicate id(s) (links go to the first):\n")
        for d in report.duplicate_ids[:max_dups]:
            w(f"  {d.page}: id={d.id!r} on lines {', '.join(map(str, d.lines))}\n")
        if len(report.duplicate_ids) > max_dups:
            w(f"  ... and {len(report.duplicate_ids) - max_dups} more (see --output json)\n")
    verdict = "FAIL" if report.broken else "ok"
    w(
        f"{verdict}: {report.pages} pages, {report.links} links, "
        f"{report.fragments_checked} fragments checked; {report.broken_links} broken link(s) "
        f"to {len(report.broken)} target(s)\n"
    )


def internal_annotations(report: InternalReport, out: TextIO) -> None:
    for b in report.broken:
        for o in b.occurrences:
            path = os.path.join(report.site, o.page)
            out.write(
                github_annotation(
                    "error",
                    f"{_shown(o.href, b.target)}: {b.message} ({o.xpath})",
                    file=path,
                    line=o.line,
                    title=f"broken link ({b.reason})",
                )
                + "\n"
            )


def _shown(href: str, target: str) -> str:
    return target if href == target else f"{href} -> {target}"


def _md(s: str) -> str:
    return s.replace("|", "\\|").replace("`", "'")


def internal_markdown(report: InternalReport, *, max_rows: int = 50) -> str:
    lines = ["## Internal links", ""]
    if not report.broken:
        lines.append(
            f"All {report.links} links on {report.pages} pages are fine "
            f"({report.fragments_checked} fragments checked)."
        )
        return "\n".join(lines) + "\n"
    lines.append(
        f"**{report.broken_links} broken link(s) to {len(report.broken)} target(s)** "
        f"on {report.pages} pages."
    )
    lines += ["", "| Target | Problem | Found on |", "|---|---|---|"]
    for b in report.broken[:max_rows]:
        pages = [f"`{_md(o.page)}:{o.line}`" for o in b.occurrences[:5]]
        more = len(b.occurrences) - 5
        if more > 0:
            pages.append(f"and {more} more")
        lines.append(f"| `{_md(b.target)}` | {b.reason} | {', '.join(pages)} |")
    if len(report.broken) > max_rows:
        lines.append(f"\n... and {len(report.broken) - max_rows} more targets.")
    return "\n".join(lines) + "\n"


# ---- external ----------------------------------------------------------------------------


def external_json(report: ExternalReport) -> dict[str, Any]:
    return {
        "checked_at": report.checked_at,
        "state_path": report.state_path,
        "outcome": "checked",
        "reason": None,
        "counts": {v.value: report.count(v) for v in Verdict},
        "links": [
            {
                "url": e.url,
                "verdict": e.verdict,
                "status": e.status,
                "detail": e.detail,
                "http_status": e.http_status,
                "redirect_to": e.redirect_to,
                "first_failure": e.first_failure,
                "failed_runs": e.failures,
                "via": e.via,
                "pages": [{"page": w.page, "line": w.line, "xpath": w.xpath} for w in e.pages],
            }
            for e in report.entries
        ],
    }


def external_no_dns_json(
    error: NoDnsError, *, checked_at: datetime, state_path: str, skipped: bool
) -> dict[str, Any]:
    """The document for a run that judged nothing because no host name resolved: the same keys
    as `external_json`, `outcome` "no-dns-skipped" (exit 0) or "no-dns" (exit 2)."""
    return {
        "checked_at": checked_at,
        "state_path": state_path,
        "outcome": "no-dns-skipped" if skipped else "no-dns",
        "reason": str(error),
        "hosts_unresolved": error.hosts,
        "counts": {v.value: 0 for v in Verdict},
        "links": [],
    }


_LABEL = {
    Verdict.fail: "FAIL",
    Verdict.warning: "WARN",
    Verdict.unverified: "UNVERIFIED",
    Verdict.ok: "ok",
}


def external_text(
    report: ExternalReport, out: TextIO, *, show_ok: bool = False, max_pages: int = 5
) -> None:
    w = out.write
    for e in report.entries:
        if e.verdict is Verdict.ok and not show_ok:
            continue
        w(f"{_LABEL[e.verdict]:<10} {e.url}  [{e.status}] {e.detail}\n")
        for p in e.pages[:max_pages]:
            w(f"{'':13}{p.page}:{p.line}  {p.xpath}\n" if p.line else f"{'':13}{p.page}\n")
        if len(e.pages) > max_pages:
            w(f"             ... and {len(e.pages) - max_pages} more page(s)\n")
    counts = ", ".join(f"{report.count(v)} {v.value}" for v in Verdict)
    verdict = "FAIL" if not report.ok else "ok"
    w(f"{verdict}: {len(report.entries)} external link(s): {counts}\n")


def external_annotations(report: ExternalReport, site: str | None, out: TextIO) -> None:
    for e in report.entries:
        if e.verdict not in (Verdict.fail, Verdict.warning):
            continue
        level = "error" if e.verdict is Verdict.fail else "warning"
        title = f"external link {e.status}"
        message = f"{e.url}: {e.detail}"
        real = [p for p in e.pages if p.line and site]
        if not real:
            out.write(github_annotation(level, message, title=title) + "\n")
        for p in real:
            path = os.path.join(site or "", p.page)
            out.write(github_annotation(level, message, file=path, line=p.line, title=title) + "\n")


def external_markdown(report: ExternalReport, *, max_rows: int = 50) -> str:
    lines = ["## External links", ""]
    counts = ", ".join(f"{report.count(v)} {v.value}" for v in Verdict)
    lines.append(f"{len(report.entries)} external link(s): {counts}.")
    shown = [e for e in report.entries if e.verdict is not Verdict.ok]
    if shown:
        lines += ["", "| | URL | Status | Found on |", "|---|---|---|---|"]
        icon = {Verdict.fail: "❌", Verdict.warning: "⚠️", Verdict.unverified: "🔒"}
        for e in shown[:max_rows]:
            pages = ", ".join(f"`{_md(p.page)}:{p.line}`" for p in e.pages[:3])
            if len(e.pages) > 3:
                pages += f" and {len(e.pages) - 3} more"
            lines.append(f"| {icon[e.verdict]} | {_md(e.url)} | {_md(e.detail)} | {pages} |")
        if len(shown) > max_rows:
            lines.append(f"\n... and {len(shown) - max_rows} more.")
    return "\n".join(lines) + "\n"
