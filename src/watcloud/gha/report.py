"""A traced run as the JSON summary and the text summary `watcloud gha trace` prints. Pure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from watcloud.gha.tracer import Result


def duration(seconds: float) -> str:
    """`1h 2m 3s`, `2m 3s` or `3s`."""
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h {m}m {s}s" if h else (f"{m}m {s}s" if m else f"{s}s")


def summary_json(result: Result, path: Path, fmt: str) -> dict[str, Any]:
    """The `--output json` document for a trace written to `path` in `fmt`."""
    run, summary = result.run, result.summary
    return {
        "repo": run.repo,
        "run_id": run.id,
        "attempt": run.attempt,
        "trace": str(path),
        "format": fmt,
        "jobs": len(run.jobs),
        "edges": [[a, b] for a, b in result.mapping.edges],
        "duration_s": summary.duration_s,
        "runner_wait_s": summary.runner_wait_s,
        "dependency_wait_s": summary.dependency_wait_s,
        "critical_path": summary.critical_path,
        "in_progress": summary.in_progress,
        "skipped": summary.skipped,
        "title": run.title,
        "unmapped": result.mapping.unmapped,
        "ambiguous": result.mapping.ambiguous,
        "notes": result.notes,
    }


def summary_text(result: Result, path: Path, fmt: str) -> list[str]:
    """The text summary: the run, the trace file, the critical path, the waits, the notes."""
    run, summary = result.run, result.summary
    kind = "Perfetto protobuf, open in ui.perfetto.dev" if fmt == "proto" else "Chrome trace JSON"
    state = ", IN PROGRESS (times so far)" if summary.in_progress else ""
    title = f": {run.title}" if run.title and run.title != run.name else ""
    lines = [
        f"{run.repo} run {run.id} attempt {run.attempt} ({run.name}{title}{state}): "
        f"{duration(summary.duration_s)}, {len(run.jobs)} jobs, "
        f"{len(result.mapping.edges)} dependency edges",
        f"trace: {path} ({kind})",
        f"critical path: {duration(summary.critical_running_s)} running, "
        f"{duration(summary.critical_runner_wait_s)} waiting for runners",
    ]
    width = max((len(t.name) for t in summary.critical_path), default=0)
    for t in summary.critical_path:
        mark = "  (still running)" if t.state == "running" else ""
        lines.append(
            f"  {t.name:<{width}}  queued {duration(t.runner_wait_s):>8}  "
            f"ran {duration(t.running_s):>8}{mark}"
        )
    if summary.skipped:
        lines.append(f"skipped (not on the critical path): {', '.join(summary.skipped)}")
    lines.append(
        f"waiting, summed over jobs: {duration(summary.runner_wait_s)} for runners, "
        f"{duration(summary.dependency_wait_s)} for dependencies"
    )
    lines += [f"note: {note}" for note in result.notes]
    return lines
