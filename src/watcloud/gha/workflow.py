"""Read a workflow file: its jobs, their display names, matrices, reusable calls and `needs:`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

from watcloud.core.errors import InputError

EXPR = re.compile(r"\$\{\{.*?\}\}", re.S)


@dataclass(frozen=True)
class WorkflowJob:
    id: str
    name: str | None  # the `name:` as written (may hold ${{ }} expressions)
    needs: tuple[str, ...]
    has_matrix: bool
    uses: str | None  # reusable workflow reference, e.g. "./.github/workflows/build.yml"


@dataclass(frozen=True)
class Workflow:
    path: str
    jobs: dict[str, WorkflowJob]


def parse_workflow(text: str, path: str) -> Workflow:
    """Parse and check a workflow file: every `needs:` names a job, and there is no cycle."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InputError(f"workflow {path}:{where}: invalid YAML") from None
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict) or not data["jobs"]:
        raise InputError(f"workflow {path}: no `jobs:` mapping")
    jobs: dict[str, WorkflowJob] = {}
    for job_id, body in data["jobs"].items():
        if not isinstance(body, dict):
            raise InputError(f"workflow {path}: job {job_id!r} is not a mapping")
        jobs[str(job_id)] = WorkflowJob(
            id=str(job_id),
            name=_opt_str(body.get("name"), path, job_id, "name"),
            needs=_needs(body.get("needs"), path, str(job_id)),
            has_matrix=_has_matrix(body),
            uses=_opt_str(body.get("uses"), path, job_id, "uses"),
        )
    for job in jobs.values():
        for dep in job.needs:
            if dep not in jobs:
                raise InputError(f"workflow {path}: job {job.id!r} needs unknown job {dep!r}")
    cycle = find_cycle(jobs)
    if cycle:
        raise InputError(f"workflow {path}: `needs:` form a cycle: {' -> '.join(cycle)}")
    return Workflow(path=path, jobs=jobs)


def _opt_str(value: Any, path: str, job_id: Any, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int | float):
        raise InputError(f"workflow {path}: job {job_id!r}: `{key}` must be a string")
    return str(value)


def _needs(value: Any, path: str, job_id: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise InputError(f"workflow {path}: job {job_id!r}: `needs` must be a job id or a list of them")


def _has_matrix(body: dict[str, Any]) -> bool:
    strategy = body.get("strategy")
    return isinstance(strategy, dict) and strategy.get("matrix") is not None


def find_cycle(jobs: dict[str, WorkflowJob]) -> list[str] | None:
    """A dependency cycle as a list of job ids (first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in jobs[node].needs:
            if state.get(dep) == 1:
                return [*stack[stack.index(dep) :], dep]
            if dep not in state and (found := visit(dep)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for job_id in sorted(jobs):
        if job_id not in state and (found := visit(job_id)):
            return found
    return None


def display_base(job: WorkflowJob) -> str:
    return job.name if job.name is not None else job.id


def literal_name(job: WorkflowJob) -> str | None:
    """The exact name GitHub shows for this job, when it has no matrix and no expression."""
    base = display_base(job)
    return None if job.has_matrix or EXPR.search(base) else base


def name_pattern(job: WorkflowJob) -> re.Pattern[str]:
    """The regex for the names GitHub gives this job's runs.

    GitHub shows the `name:` or else the id; a matrix job without matrix expressions in its
    name gets " (v1, v2, ...)" appended; an expression can render to anything.
    """
    base = display_base(job)
    has_expr = bool(EXPR.search(base))
    regex = ".+?".join(re.escape(p) for p in EXPR.split(base))
    if job.has_matrix and not has_expr:
        regex += r" \(.+\)"
    return re.compile(regex)
