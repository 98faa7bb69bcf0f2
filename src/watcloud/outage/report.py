"""Rendering for `watcloud outage`: the JSON and text shapes of each command's result."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from watcloud.outage.api import CheckResult
    from watcloud.outage.watch import PassReport


def check_json(result: CheckResult) -> dict[str, Any]:
    """`outage check --output json`."""
    a, ann = result.analysis, result.announcement
    return {
        "id": a.notice.id,
        "url": a.notice.url,
        "title": a.notice.title,
        "style": a.notice.style,
        "relevant": a.relevant,
        "status": a.decision.status,
        "buildings": a.decision.buildings,
        "campus_wide": a.decision.campus_wide,
        "windows": [w.iso() for w in a.windows],
        "warnings": a.when.warnings,
        "reasons": [r.__dict__ for r in a.decision.reasons],
        "sections": a.notice.sections,
        "announcement": None if ann is None else {**ann.data(), "markdown": ann.markdown()},
        "impact": result.impact,
    }


def check_text(result: CheckResult, out: TextIO, *, explain: bool = False) -> None:
    """`outage check`: decision, windows, warnings (and with `explain` the evidence)."""
    from watcloud.outage.announce import fmt_time

    a = result.analysis
    verdict = "RELEVANT" if a.relevant else "not relevant"
    out.write(f"{a.notice.title}\n  decision: {verdict} (status: {a.decision.status})\n")
    for w in a.windows:
        out.write(f"  window:   {fmt_time(w.start)} -> {fmt_time(w.end)}\n")
    for warning in a.when.warnings:
        out.write(f"  warning:  {warning}\n")
    if explain:
        out.write("  reasons:\n")
        for r in a.decision.reasons:
            ev = f"  <- {r.evidence!r}" if r.evidence else ""
            out.write(f"    [{r.code}] {r.message}{ev}\n")
        out.write("  when evidence:\n")
        for e in a.when.evidence:
            out.write(f"    {e}\n")
        out.write(
            f"  sections found: {', '.join(a.notice.sections) or 'none'} "
            f"(style: {a.notice.style})\n"
        )
    if result.announcement is not None:
        out.write("\n" + result.announcement.markdown())


def pct(v: float | None) -> str:
    return "n/a" if v is None else f"{v * 100:.1f}%"


def eval_rows(report: dict[str, Any]) -> list[tuple[str, Any]]:
    """`outage eval`: the table's (measure, value) rows."""
    return [
        ("notices", report["notices"]),
        ("true positives", report["tp"]),
        ("false positives", report["fp"]),
        ("false negatives", report["fn"]),
        ("true negatives", report["tn"]),
        ("false-positive rate", pct(report["false_positive_rate"])),
        ("false-negative rate", pct(report["false_negative_rate"])),
        ("status accuracy", pct(report["status_accuracy"])),
        ("exact windows", pct(report["window_exact_rate"])),
        ("windows after own year", len(report["after_own_year"])),
    ]


def pass_text(report: PassReport, out: TextIO) -> None:
    """`outage watch`: one pass."""
    out.write(
        f"fetched {report.fetched} page(s) ({report.not_modified} not modified), "
        f"{report.new_versions} new notice version(s), {report.relevant} relevant, "
        f"{len(report.announcements)} announcement(s) sent\n"
    )
    for a in report.announcements:
        mark = "ok" if a["ok"] else "FAILED"
        out.write(f"  {a['kind']:<9} {a['channel']:<7} {mark:<6} {a['subject']}\n")
    for w in report.warnings:
        out.write(f"  warning: {w}\n")
