"""`watcloud gha trace`: a workflow run as a Perfetto or Chrome trace, with a text summary."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from watcloud.core.clikit import OutputOpt, new_app
from watcloud.core.errors import InputError
from watcloud.core.fsutil import atomic_write
from watcloud.core.output import OutputFormat, emit_json

app = new_app("GitHub Actions runs as traces, with job dependencies drawn as flows.")


@app.callback()
def _group() -> None:
    """GitHub Actions runs as traces, with job dependencies drawn as flows."""
    # A callback keeps `trace` a subcommand (Typer collapses a one-command app otherwise).


class TraceFormat(enum.StrEnum):
    proto = "proto"
    json = "json"


def _dur(seconds: float) -> str:
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h {m}m {s}s" if h else (f"{m}m {s}s" if m else f"{s}s")


@app.command()
def trace(
    target: Annotated[str, typer.Argument(help="OWNER/REPO, or a run URL.")],
    run_id: Annotated[str | None, typer.Argument(help="The run id (with OWNER/REPO).")] = None,
    attempt: Annotated[int | None, typer.Option(help="Run attempt [default: latest].")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Trace file [default: run-ID-ATTEMPT.pftrace or .json].")
    ] = None,
    fmt: Annotated[
        TraceFormat,
        typer.Option("--format", help="proto (Perfetto) or json (Chrome trace events)."),
    ] = TraceFormat.proto,
    output: OutputOpt = OutputFormat.text,
    save_dir: Annotated[
        Path | None,
        typer.Option(
            help="Also save every API answer here (read back with --from-dir).", file_okay=False
        ),
    ] = None,
    from_dir: Annotated[
        Path | None,
        typer.Option(
            help="Read the API answers a --save-dir run saved; no network.", file_okay=False
        ),
    ] = None,
    github_token: Annotated[
        str | None,
        typer.Option(
            envvar="GITHUB_TOKEN",
            show_envvar=True,
            show_default=False,
            help="API token [default: $GITHUB_TOKEN]; prefer the variable or a file.",
        ),
    ] = None,
    github_token_file: Annotated[
        Path | None,
        typer.Option(help="Read the API token from this file (first line).", dir_okay=False),
    ] = None,
) -> None:
    """Turn a workflow run into a trace; print the critical path and where jobs waited.

    A run still in progress is traced as it stood when fetched: running jobs count their
    time so far, and the run is labelled as in progress. Skipped jobs are marked and kept
    off the critical path.
    """
    from watcloud.core.config import read_secret
    from watcloud.core.timez import now
    from watcloud.gha.trace import to_chrome_json, to_perfetto
    from watcloud.gha.tracer import parse_target, trace_run

    repo, rid, url_attempt = parse_target(target, run_id)
    if attempt is not None and attempt < 1:
        raise InputError("--attempt must be 1 or more")
    if from_dir is not None and save_dir is not None:
        raise InputError("give --from-dir or --save-dir, not both")
    if from_dir is not None:
        from watcloud.gha.saved import SavedApi

        saved = SavedApi(from_dir)
        result = trace_run(saved, repo, rid, attempt or url_attempt, fetched_at=saved.fetched_at())
    else:
        from watcloud.gha.github import GitHub
        from watcloud.gha.saved import Recorder, Source

        token = github_token or read_secret("GITHUB_TOKEN", github_token_file)
        with GitHub(token=token or "") as gh:
            fetched = now()
            src: Source = gh if save_dir is None else Recorder(gh, save_dir, fetched_at=fetched)
            result = trace_run(src, repo, rid, attempt or url_attempt, fetched_at=fetched)
    run, summary = result.run, result.summary
    path = out or Path(f"run-{run.id}-{run.attempt}.{'pftrace' if fmt == 'proto' else 'json'}")
    data = to_perfetto(result.model) if fmt == TraceFormat.proto else to_chrome_json(result.model)
    atomic_write(path, data)
    if output == OutputFormat.json:
        emit_json(
            {
                "repo": run.repo,
                "run_id": run.id,
                "attempt": run.attempt,
                "trace": str(path),
                "format": fmt.value,
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
        )
        return
    kind = "Perfetto protobuf, open in ui.perfetto.dev" if fmt == "proto" else "Chrome trace JSON"
    state = ", IN PROGRESS (times so far)" if summary.in_progress else ""
    title = f": {run.title}" if run.title and run.title != run.name else ""
    print(
        f"{run.repo} run {run.id} attempt {run.attempt} ({run.name}{title}{state}): "
        f"{_dur(summary.duration_s)}, {len(run.jobs)} jobs, "
        f"{len(result.mapping.edges)} dependency edges"
    )
    print(f"trace: {path} ({kind})")
    print(
        f"critical path: {_dur(summary.critical_running_s)} running, "
        f"{_dur(summary.critical_runner_wait_s)} waiting for runners"
    )
    width = max((len(t.name) for t in summary.critical_path), default=0)
    for t in summary.critical_path:
        mark = "  (still running)" if t.state == "running" else ""
        print(
            f"  {t.name:<{width}}  queued {_dur(t.runner_wait_s):>8}  "
            f"ran {_dur(t.running_s):>8}{mark}"
        )
    if summary.skipped:
        print(f"skipped (not on the critical path): {', '.join(summary.skipped)}")
    print(
        f"waiting, summed over jobs: {_dur(summary.runner_wait_s)} for runners, "
        f"{_dur(summary.dependency_wait_s)} for dependencies"
    )
    for note in result.notes:
        print(f"note: {note}")
