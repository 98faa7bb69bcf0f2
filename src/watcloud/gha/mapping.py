"""Map the run's jobs (API names) to the workflow's jobs, then derive the dependency edges.

A job is mapped only when exactly one workflow job can have produced its name; otherwise it is
reported (unmapped or ambiguous), never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from watcloud.gha.model import Job
from watcloud.gha.workflow import Workflow, literal_name, name_pattern


@dataclass(frozen=True)
class Mapped:
    job_id: str  # workflow job id (the caller's id for a reusable-workflow job)
    inner_id: str | None = None  # the called workflow's job id, when known


@dataclass
class Mapping:
    jobs: dict[int, Mapped] = field(default_factory=dict)  # API job id -> workflow job
    unmapped: list[str] = field(default_factory=list)  # API job names with no candidate
    ambiguous: dict[str, list[str]] = field(default_factory=dict)  # name -> candidates
    edges: list[tuple[int, int]] = field(default_factory=list)  # (needed job, dependent job)


def _match(name: str, workflow: Workflow) -> list[str]:
    """Workflow jobs that can produce `name`: literal names first, then patterns."""
    literal = [j.id for j in workflow.jobs.values() if literal_name(j) == name]
    if literal:
        return literal
    return [j.id for j in workflow.jobs.values() if name_pattern(j).fullmatch(name)]


def map_jobs(
    jobs: list[Job], workflow: Workflow, called: dict[str, Workflow | None] | None = None
) -> Mapping:
    """Map API jobs to workflow jobs. `called` gives the called workflow of each reusable job id."""
    called = called or {}
    result = Mapping()
    for job in jobs:
        mapped = _map_one(job.name, workflow, called)
        if isinstance(mapped, Mapped):
            result.jobs[job.id] = mapped
        elif mapped:
            result.ambiguous[job.name] = mapped
        else:
            result.unmapped.append(job.name)
    result.edges = _edges(jobs, workflow, called, result.jobs)
    return result


def _map_one(
    name: str, workflow: Workflow, called: dict[str, Workflow | None]
) -> Mapped | list[str]:
    # A reusable-workflow job is named "<caller> / <inner>".
    if " / " in name:
        for cut in _slash_positions(name):
            outer, inner = name[:cut], name[cut + 3 :]
            callers = [c for c in _match(outer, workflow) if workflow.jobs[c].uses]
            if len(callers) == 1:
                sub = called.get(callers[0])
                if sub is None:
                    return Mapped(callers[0])
                inner_match = _match(inner, sub)
                if len(inner_match) == 1:
                    return Mapped(callers[0], inner_match[0])
                return [f"{callers[0]} / {c}" for c in inner_match]
    candidates = _match(name, workflow)
    if len(candidates) == 1:
        return Mapped(candidates[0])
    return candidates


def _slash_positions(name: str) -> list[int]:
    out, start = [], 0
    while (i := name.find(" / ", start)) != -1:
        out.append(i)
        start = i + 1
    return out


def _edges(
    jobs: list[Job],
    workflow: Workflow,
    called: dict[str, Workflow | None],
    mapped: dict[int, Mapped],
) -> list[tuple[int, int]]:
    by_job: dict[str, list[Job]] = {}
    by_inner: dict[tuple[str, str], list[Job]] = {}
    for job in jobs:
        m = mapped.get(job.id)
        if m is None:
            continue
        by_job.setdefault(m.job_id, []).append(job)
        if m.inner_id is not None:
            by_inner.setdefault((m.job_id, m.inner_id), []).append(job)
    edges: set[tuple[int, int]] = set()
    for job in jobs:
        m = mapped.get(job.id)
        if m is None:
            continue
        needed: list[Job] = []
        for dep in workflow.jobs[m.job_id].needs:
            needed += by_job.get(dep, [])
        if m.inner_id is not None:
            sub = called.get(m.job_id)
            if sub is not None:
                for dep in sub.jobs[m.inner_id].needs:
                    needed += by_inner.get((m.job_id, dep), [])
        edges.update((n.id, job.id) for n in needed)
    order = {job.id: i for i, job in enumerate(jobs)}
    return sorted(edges, key=lambda e: (order[e[1]], order[e[0]]))
