"""Fetch a run and everything its trace needs, then build the trace and the summary."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from watcloud.core.errors import InputError, WatcloudError
from watcloud.gha.analysis import Summary, summarize
from watcloud.gha.github import decode_contents
from watcloud.gha.mapping import Mapping, map_jobs
from watcloud.gha.model import Run, as_of, run_from_api
from watcloud.gha.saved import Source
from watcloud.gha.trace import TraceModel, build
from watcloud.gha.workflow import Workflow, parse_workflow

RUN_URL = re.compile(
    r"https?://[^/]+/(?P<repo>[\w.-]+/[\w.-]+)/actions/runs/(?P<run>\d+)"
    r"(?:/attempts/(?P<attempt>\d+))?(?:[/?#].*)?$"
)
REPO = re.compile(r"^[\w.-]+/[\w.-]+$")


def parse_target(target: str, run_id: str | None) -> tuple[str, int, int | None]:
    """`OWNER/REPO RUN_ID` or a run URL -> (repo, run id, attempt or None)."""
    if m := RUN_URL.match(target):
        if run_id is not None:
            raise InputError("give either a run URL or OWNER/REPO RUN_ID, not both")
        attempt = m.group("attempt")
        return m.group("repo"), int(m.group("run")), int(attempt) if attempt else None
    if not REPO.match(target):
        raise InputError(f"{target!r} is neither OWNER/REPO nor a workflow run URL")
    if run_id is None or not run_id.isdigit():
        raise InputError("missing or non-numeric RUN_ID after OWNER/REPO")
    return target, int(run_id), None


@dataclass
class Result:
    run: Run
    workflow: Workflow
    mapping: Mapping
    summary: Summary
    model: TraceModel
    notes: list[str] = field(default_factory=list)


def _file(gh: Source, repo: str, path: str, ref: str) -> str:
    return decode_contents(gh.contents(repo, path, ref), repo, path)


def trace_run(
    gh: Source,
    repo: str,
    run_id: int,
    attempt: int | None = None,
    *,
    fetched_at: datetime | None = None,
) -> Result:
    """`fetched_at`: when the answers were fetched; a run still in progress is counted up to
    then (default: the run's `updated_at`)."""
    run_data = gh.run(repo, run_id, attempt)
    attempt = attempt or int(run_data.get("run_attempt") or 1)
    jobs = gh.jobs(repo, run_id, attempt)
    run = run_from_api({**run_data, "run_attempt": attempt}, jobs)
    if not run.repo:
        run = replace(run, repo=repo)
    at = fetched_at or run.updated_at
    if at is not None:
        run = as_of(run, at)
    workflow = parse_workflow(_file(gh, repo, run.path, run.head_sha), run.path)
    notes: list[str] = []
    called: dict[str, Workflow | None] = {}
    for job in workflow.jobs.values():
        if job.uses:
            called[job.id] = _called_workflow(gh, repo, run.head_sha, job.uses, notes)
    mapping = map_jobs(list(run.jobs), workflow, called)
    for name in mapping.unmapped:
        notes.append(f"job {name!r} matches no job of {run.path}: drawn without dependencies")
    for name, cands in mapping.ambiguous.items():
        notes.append(f"job {name!r} could be any of {', '.join(cands)}: drawn without dependencies")
    model = build(run, mapping.edges)
    notes += [f"flow not drawn: {n}" for n in model.not_drawn]
    summary = summarize(run, mapping.edges, set(mapping.jobs))
    return Result(run, workflow, mapping, summary, model, notes)


def _called_workflow(
    gh: Source, repo: str, sha: str, uses: str, notes: list[str]
) -> Workflow | None:
    """The reusable workflow a job calls: `./path` in this repo, or `owner/repo/path@ref`."""
    if uses.startswith("./"):
        src_repo, path, ref = repo, uses[2:], sha
    else:
        m = re.match(r"^([\w.-]+/[\w.-]+)/(.+)@(.+)$", uses)
        if not m:
            notes.append(f"reusable workflow {uses!r}: unrecognised reference")
            return None
        src_repo, path, ref = m.group(1), m.group(2), m.group(3)
    try:
        return parse_workflow(_file(gh, src_repo, path, ref), f"{src_repo}/{path}@{ref}")
    except WatcloudError as exc:
        notes.append(f"reusable workflow {uses!r} not read ({exc}): its inner `needs:` are unknown")
        return None


def trace(
    target: str,
    run_id: str | None = None,
    *,
    attempt: int | None = None,
    token: str | None = None,
    token_file: Path | None = None,
    save_dir: Path | None = None,
    from_dir: Path | None = None,
) -> Result:
    """Trace one run: `target` is OWNER/REPO (with `run_id`) or a run URL. From the GitHub
    API (`token`, else $GITHUB_TOKEN, else the first line of `token_file`), also saving every
    answer under `save_dir`; or from the answers a save run left in `from_dir` (no network)."""
    from watcloud.core.timez import now
    from watcloud.gha.saved import Recorder, SavedApi

    repo, rid, url_attempt = parse_target(target, run_id)
    if attempt is not None and attempt < 1:
        raise InputError("--attempt must be 1 or more")
    if from_dir is not None and save_dir is not None:
        raise InputError("give --from-dir or --save-dir, not both")
    if from_dir is not None:
        saved = SavedApi(from_dir)
        return trace_run(saved, repo, rid, attempt or url_attempt, fetched_at=saved.fetched_at())
    from watcloud.core.github import token as env_token
    from watcloud.gha.github import GitHub

    with GitHub(token=token or env_token(token_file) or "") as gh:
        fetched = now()
        src: Source = gh if save_dir is None else Recorder(gh, save_dir, fetched_at=fetched)
        return trace_run(src, repo, rid, attempt or url_attempt, fetched_at=fetched)


def write_trace(result: Result, fmt: str = "proto", out: Path | None = None) -> Path:
    """Write the trace as `proto` (Perfetto) or `json` (Chrome trace events) to `out`
    (default run-ID-ATTEMPT.pftrace or .json); returns the path written."""
    from watcloud.core.fsutil import atomic_write
    from watcloud.gha.trace import to_chrome_json, to_perfetto

    run = result.run
    path = out or Path(f"run-{run.id}-{run.attempt}.{'pftrace' if fmt == 'proto' else 'json'}")
    data = to_perfetto(result.model) if fmt == "proto" else to_chrome_json(result.model)
    atomic_write(path, data)
    return path
