"""Where the run's time went: critical path, waiting for runners versus for dependencies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from watcloud.gha.model import Job, Run


@dataclass(frozen=True)
class JobTiming:
    job_id: int
    name: str
    ready_at: datetime | None  # when its `needs:` were satisfied (run start when it has none)
    dependency_wait_s: float  # run start -> ready (0 for jobs without needs)
    runner_wait_s: float  # ready (or creation, whichever is later) -> started on a runner
    running_s: float  # started -> completed (-> when fetched, for a job still running)
    state: str = "completed"  # completed | running | queued | skipped


@dataclass(frozen=True)
class Summary:
    run_id: int
    attempt: int
    duration_s: float
    critical_path: list[JobTiming]
    runner_wait_s: float  # summed over all jobs
    dependency_wait_s: float  # summed over all jobs
    critical_runner_wait_s: float
    critical_running_s: float
    jobs: list[JobTiming]
    in_progress: bool = False  # the run had not finished when it was fetched
    skipped: list[str] = field(default_factory=list)  # jobs an `if:` skipped: off the path


def _secs(a: datetime | None, b: datetime | None) -> float:
    if a is None or b is None:
        return 0.0
    return max(0.0, (b - a).total_seconds())


def run_start(run: Run) -> datetime | None:
    starts = [j.created_at for j in run.jobs if j.created_at is not None]
    return run.run_started_at or run.created_at or (min(starts) if starts else None)


def summarize(run: Run, edges: list[tuple[int, int]], in_graph: set[int] | None = None) -> Summary:
    """Waiting times for every job; the critical path through the jobs in the dependency graph.

    `in_graph`: the jobs whose dependencies are known (mapped to the workflow); an unmapped
    job's place in the graph is unknown, so the critical path never goes through it.
    """
    jobs = {j.id: j for j in run.jobs}
    needs: dict[int, list[Job]] = {}
    for src, dst in edges:
        if not jobs[src].skipped:  # a skipped job holds nothing up
            needs.setdefault(dst, []).append(jobs[src])
    start = run_start(run)
    timings: dict[int, JobTiming] = {}
    for job in run.jobs:
        deps = [d.completed_at for d in needs.get(job.id, []) if d.completed_at is not None]
        ready = max(deps) if deps else start
        queued_from = max((t for t in (ready, job.created_at) if t is not None), default=None)
        timings[job.id] = JobTiming(
            job_id=job.id,
            name=job.name,
            ready_at=ready,
            dependency_wait_s=_secs(start, ready) if deps else 0.0,
            runner_wait_s=0.0
            if job.skipped
            else _secs(queued_from, job.started_at or job.open_until),
            running_s=0.0 if job.skipped else _secs(job.started_at, job.completed_at),
            state=_state(job),
        )
    finished = [
        j
        for j in run.jobs
        if j.completed_at is not None and not j.skipped and (in_graph is None or j.id in in_graph)
    ]
    path: list[JobTiming] = []
    if finished:
        current: Job | None = max(finished, key=lambda j: (j.completed_at, j.id))
        while current is not None:
            path.append(timings[current.id])
            done = [d for d in needs.get(current.id, []) if d.completed_at is not None]
            current = max(done, key=lambda j: (j.completed_at, j.id)) if done else None
        path.reverse()
    end = max(
        (t for j in run.jobs for t in (j.completed_at, j.open_until) if t is not None),
        default=None,
    )
    return Summary(
        run_id=run.id,
        attempt=run.attempt,
        duration_s=_secs(start, end),
        critical_path=path,
        runner_wait_s=sum(t.runner_wait_s for t in timings.values()),
        dependency_wait_s=sum(t.dependency_wait_s for t in timings.values()),
        critical_runner_wait_s=sum(t.runner_wait_s for t in path),
        critical_running_s=sum(t.running_s for t in path),
        jobs=list(timings.values()),
        in_progress=run.in_progress or any(j.in_progress for j in run.jobs),
        skipped=[j.name for j in run.jobs if j.skipped],
    )


def _state(job: Job) -> str:
    if job.skipped:
        return "skipped"
    if job.in_progress:
        return "running" if job.started_at else "queued"
    return "completed"
