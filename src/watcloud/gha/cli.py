"""`watcloud gha trace`: a workflow run as a Perfetto or Chrome trace, with a text summary."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

from watcloud.core.clikit import OutputOpt, new_app
from watcloud.core.output import OutputFormat, emit_json

app = new_app("GitHub Actions runs as traces, with job dependencies drawn as flows.")


@app.callback()
def _group() -> None:
    """GitHub Actions runs as traces, with job dependencies drawn as flows."""
    # A callback keeps `trace` a subcommand (Typer collapses a one-command app otherwise).


class TraceFormat(enum.StrEnum):
    proto = "proto"
    json = "json"


TargetArg = Annotated[str, typer.Argument(help="OWNER/REPO, or a run URL.")]
RunIdArg = Annotated[str | None, typer.Argument(help="The run id (with OWNER/REPO).")]
AttemptOpt = Annotated[int | None, typer.Option(help="Run attempt [default: latest].")]
OutOpt = Annotated[
    Path | None, typer.Option(help="Trace file [default: run-ID-ATTEMPT.pftrace or .json].")
]
FormatOpt = Annotated[
    TraceFormat, typer.Option("--format", help="proto (Perfetto) or json (Chrome trace events).")
]
SaveDirOpt = Annotated[
    Path | None,
    typer.Option(
        help="Also save every API answer here (read back with --from-dir).", file_okay=False
    ),
]
FromDirOpt = Annotated[
    Path | None,
    typer.Option(help="Read the API answers a --save-dir run saved; no network.", file_okay=False),
]
TokenOpt = Annotated[
    str | None,
    typer.Option(
        envvar="GITHUB_TOKEN",
        show_envvar=True,
        show_default=False,
        help="API token [default: $GITHUB_TOKEN]; prefer the variable or a file.",
    ),
]
TokenFileOpt = Annotated[
    Path | None,
    typer.Option(help="Read the API token from this file (first line).", dir_okay=False),
]


@app.command()
def trace(
    target: TargetArg,
    run_id: RunIdArg = None,
    attempt: AttemptOpt = None,
    out: OutOpt = None,
    fmt: FormatOpt = TraceFormat.proto,
    output: OutputOpt = OutputFormat.text,
    save_dir: SaveDirOpt = None,
    from_dir: FromDirOpt = None,
    github_token: TokenOpt = None,
    github_token_file: TokenFileOpt = None,
) -> None:
    """Turn a workflow run into a trace; print the critical path and where jobs waited.

    A run still in progress is traced as it stood when fetched: running jobs count their
    time so far, and the run is labelled as in progress. Skipped jobs are marked and kept
    off the critical path.
    """
    from watcloud.gha import report, tracer

    result = tracer.trace(
        target,
        run_id,
        attempt=attempt,
        token=github_token,
        token_file=github_token_file,
        save_dir=save_dir,
        from_dir=from_dir,
    )
    path = tracer.write_trace(result, fmt.value, out)
    if output == OutputFormat.json:
        emit_json(report.summary_json(result, path, fmt.value))
    else:
        print("\n".join(report.summary_text(result, path, fmt.value)))
