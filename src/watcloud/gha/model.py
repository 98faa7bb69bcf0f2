"""What a workflow run is made of, as read from the GitHub REST API."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from watcloud.core.errors import InputError
from watcloud.core.timez import parse_iso


@dataclass(frozen=True)
class Step:
    number: int
    name: str
    status: str
    conclusion: str | None
    started_at: datetime | None
    completed_at: datetime | None


@dataclass(frozen=True)
class Job:
    id: int
    name: str
    status: str
    conclusion: str | None
    created_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    runner_name: str | None
    steps: tuple[Step, ...] = ()
    open_until: datetime | None = None  # still running: its times end here (when fetched)

    @property
    def skipped(self) -> bool:
        """An `if:` said no (e.g. `if: failure()` on a green run): the job never ran."""
        return self.conclusion == "skipped"

    @property
    def in_progress(self) -> bool:
        return self.open_until is not None


@dataclass(frozen=True)
class Run:
    id: int
    attempt: int
    name: str
    repo: str
    path: str  # the workflow file, e.g. ".github/workflows/ci.yml"
    head_sha: str
    status: str
    conclusion: str | None
    created_at: datetime | None
    run_started_at: datetime | None
    updated_at: datetime | None
    html_url: str = ""
    jobs: tuple[Job, ...] = field(default=())
    title: str = ""  # the run's display title (commit message or PR title)

    @property
    def in_progress(self) -> bool:
        return self.status not in ("completed", "")


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return parse_iso(str(value))
    except ValueError:
        raise InputError(f"GitHub API returned a malformed timestamp: {value!r}") from None


def _need(data: dict[str, Any], key: str, what: str) -> Any:
    try:
        return data[key]
    except (KeyError, TypeError):
        raise InputError(f"GitHub API {what} has no {key!r} field") from None


def step_from_api(data: dict[str, Any]) -> Step:
    return Step(
        number=int(_need(data, "number", "step")),
        name=str(_need(data, "name", "step")),
        status=str(data.get("status", "")),
        conclusion=data.get("conclusion"),
        started_at=_time(data.get("started_at")),
        completed_at=_time(data.get("completed_at")),
    )


def job_from_api(data: dict[str, Any]) -> Job:
    return Job(
        id=int(_need(data, "id", "job")),
        name=str(_need(data, "name", "job")),
        status=str(data.get("status", "")),
        conclusion=data.get("conclusion"),
        created_at=_time(data.get("created_at")),
        started_at=_time(data.get("started_at")),
        completed_at=_time(data.get("completed_at")),
        runner_name=data.get("runner_name"),
        steps=tuple(step_from_api(s) for s in data.get("steps") or ()),
    )


def as_of(run: Run, at: datetime) -> Run:
    """The run as it stood at `at` (when it was fetched): a job or step that started and has not
    completed is counted as running until `at`, and marked so; a job still queued waits until
    `at`. Completed runs are returned unchanged."""
    jobs = []
    for job in run.jobs:
        if job.completed_at is not None or job.skipped or job.status == "completed":
            jobs.append(job)
            continue
        steps = tuple(
            replace(s, completed_at=at)
            if s.started_at is not None and s.completed_at is None
            else s
            for s in job.steps
        )
        if job.started_at is not None:
            jobs.append(replace(job, completed_at=at, steps=steps, open_until=at))
        else:
            jobs.append(replace(job, open_until=at))
    return replace(run, jobs=tuple(jobs))


def run_from_api(data: dict[str, Any], jobs: list[dict[str, Any]]) -> Run:
    repo = data.get("repository") or {}
    return Run(
        id=int(_need(data, "id", "run")),
        attempt=int(data.get("run_attempt") or 1),
        name=str(data.get("name") or data.get("display_title") or ""),
        title=str(data.get("display_title") or ""),
        repo=str(repo.get("full_name", "")),
        path=str(_need(data, "path", "run")),
        head_sha=str(_need(data, "head_sha", "run")),
        status=str(data.get("status", "")),
        conclusion=data.get("conclusion"),
        created_at=_time(data.get("created_at")),
        run_started_at=_time(data.get("run_started_at")),
        updated_at=_time(data.get("updated_at")),
        html_url=str(data.get("html_url", "")),
        jobs=tuple(job_from_api(j) for j in jobs),
    )
