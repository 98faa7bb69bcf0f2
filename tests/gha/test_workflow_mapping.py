from __future__ import annotations

import pytest

from tests.gha.fixtures import CI_YML, RELEASE_YML, ci_jobs
from watcloud.core.errors import InputError
from watcloud.gha.mapping import Mapped, map_jobs
from watcloud.gha.model import job_from_api
from watcloud.gha.workflow import name_pattern, parse_workflow


def test_parses_jobs_needs_matrix_and_uses() -> None:
    wf = parse_workflow(CI_YML, "ci.yml")
    assert wf.jobs["build"].needs == ("lint",) and wf.jobs["build"].has_matrix
    assert wf.jobs["test"].name == "Unit tests"
    assert wf.jobs["call-release"].uses == "./.github/workflows/release.yml"
    assert wf.jobs["deploy"].needs == ("call-release", "docs")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("jobs:\n  a: {needs: b}\n  b: {needs: a}\n", r"cycle: a -> b -> a"),
        ("jobs:\n  a: {needs: [a]}\n", r"cycle: a -> a"),
        ("jobs:\n  a: {needs: ghost}\n", r"job 'a' needs unknown job 'ghost'"),
        ("jobs: [1, 2]\n", r"no `jobs:` mapping"),
        ("jobs:\n  a: {needs: {x: 1}}\n", r"`needs` must be a job id"),
        ("jobs:\n  a: [\n", r"invalid YAML"),
        ("jobs:\n  a: 3\n", r"job 'a' is not a mapping"),
    ],
)
def test_broken_workflows_are_clear_errors(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_workflow(text, "w.yml")


def test_name_patterns() -> None:
    wf = parse_workflow(CI_YML, "ci.yml")
    assert name_pattern(wf.jobs["build"]).fullmatch("build (ubuntu-latest, 3.11)")
    assert not name_pattern(wf.jobs["build"]).fullmatch("build")
    assert name_pattern(wf.jobs["docs"]).fullmatch("Docs (api)")
    assert name_pattern(wf.jobs["test"]).fullmatch("Unit tests")
    assert not name_pattern(wf.jobs["test"]).fullmatch("test")


def _mapping():  # type: ignore[no-untyped-def]
    wf = parse_workflow(CI_YML, "ci.yml")
    called = {"call-release": parse_workflow(RELEASE_YML, "release.yml")}
    jobs = [job_from_api(j) for j in ci_jobs()]
    return jobs, map_jobs(jobs, wf, called)


def test_matrix_named_and_reusable_jobs_are_mapped() -> None:
    _, m = _mapping()
    assert m.jobs[1002] == Mapped("build")
    assert m.jobs[1005] == Mapped("build")
    assert m.jobs[1006] == Mapped("test")
    assert m.jobs[1008] == Mapped("docs")
    assert m.jobs[1009] == Mapped("call-release", "package")
    assert m.jobs[1010] == Mapped("call-release", "publish")
    assert m.unmapped == ["Post-run cleanup"]


def test_edges_follow_needs_across_matrix_and_reusable_workflows() -> None:
    _, m = _mapping()
    edges = set(m.edges)
    builds = {1002, 1003, 1004, 1005}
    assert {(1001, b) for b in builds} <= edges
    assert {(b, 1006) for b in builds} <= edges  # Unit tests needs every matrix leg
    assert (1006, 1009) in edges and (1006, 1010) in edges  # caller's needs reach inner jobs
    assert (1009, 1010) in edges  # publish needs package inside the called workflow
    assert {(1009, 1011), (1010, 1011), (1007, 1011), (1008, 1011)} <= edges
    assert all(1012 not in e for e in edges)
    assert len(edges) == len(m.edges) == 4 + 4 + 2 + 2 + 1 + 4


def test_reusable_without_called_workflow_maps_to_caller_only() -> None:
    wf = parse_workflow(CI_YML, "ci.yml")
    jobs = [job_from_api(j) for j in ci_jobs()]
    m = map_jobs(jobs, wf, {"call-release": None})
    assert m.jobs[1010] == Mapped("call-release")
    assert (1009, 1010) not in m.edges and (1006, 1010) in m.edges


def test_ambiguous_names_are_reported_not_guessed() -> None:
    wf = parse_workflow("jobs:\n  a: {name: same}\n  b: {name: same}\n", "w.yml")
    j = job_from_api({"id": 1, "name": "same"})
    m = map_jobs([j], wf)
    assert m.jobs == {} and m.ambiguous == {"same": ["a", "b"]}


def test_literal_name_beats_expression() -> None:
    text = "jobs:\n  a: {name: 'Check ${{ matrix.x }}'}\n  b: {name: Check all}\n"
    wf = parse_workflow(text, "w.yml")
    m = map_jobs([job_from_api({"id": 1, "name": "Check all"})], wf)
    assert m.jobs[1] == Mapped("b")
