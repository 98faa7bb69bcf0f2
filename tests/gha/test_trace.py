"""The trace encodings, checked against the formats' own rules."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb  # type: ignore[import-untyped]

from tests.gha.fixtures import CI_YML, RELEASE_YML, ci_jobs, job, run_json
from watcloud.gha.analysis import summarize
from watcloud.gha.mapping import map_jobs
from watcloud.gha.model import run_from_api
from watcloud.gha.trace import build, first_slice, last_slice, to_chrome_json, to_perfetto
from watcloud.gha.workflow import parse_workflow


def _model(attempt: int = 1):  # type: ignore[no-untyped-def]
    run = run_from_api(run_json(attempt=attempt), ci_jobs())
    wf = parse_workflow(CI_YML, "ci.yml")
    m = map_jobs(list(run.jobs), wf, {"call-release": parse_workflow(RELEASE_YML, "r.yml")})
    return run, m, build(run, m.edges)


REQUIRED = {
    "X": {"name", "ph", "ts", "dur", "pid", "tid"},
    "M": {"name", "ph", "pid", "args"},
    "s": {"id", "ph", "ts", "pid", "tid", "name", "cat"},
    "f": {"id", "ph", "ts", "pid", "tid", "name", "cat"},
}


def _enclosing(slices: list[dict[str, Any]], ts: int) -> dict[str, Any] | None:
    """The deepest complete event enclosing ts (the trace-event binding rule for s and f/bp=e)."""
    inside = [s for s in slices if s["ts"] <= ts <= s["ts"] + s["dur"]]
    # Deepest = the latest-starting, shortest enclosing slice (slices on a thread nest).
    return min(inside, key=lambda s: (-s["ts"], s["dur"])) if inside else None


def test_chrome_json_flows_bind_to_the_right_slices() -> None:
    run, mapping, model = _model()
    doc = json.loads(to_chrome_json(model))
    events = doc["traceEvents"]
    for ev in events:
        assert REQUIRED[ev["ph"]] <= ev.keys(), ev
        if ev["ph"] == "X":
            assert isinstance(ev["ts"], int) and ev["dur"] >= 0
    tids = {t.job_id: t.tid for t in model.tracks}
    threads = {e["tid"]: e["args"]["name"] for e in events if e["name"] == "thread_name"}
    assert len(threads) == len(run.jobs) and set(threads.values()) == {j.name for j in run.jobs}
    assert next(e for e in events if e["name"] == "process_name")["args"]["name"].startswith(
        "watonomous/infra-config run 9100200300 attempt 1"
    )
    starts = Counter(e["id"] for e in events if e["ph"] == "s")
    ends = Counter(e["id"] for e in events if e["ph"] == "f")
    assert len(starts) == len(mapping.edges) == len(ends)
    assert set(starts.values()) == {1} and set(ends.values()) == {1}
    by_id = {f.id: f for f in model.flows}
    for ev in events:
        if ev["ph"] not in "sf":
            continue
        flow = by_id[ev["id"]]
        job = flow.from_job if ev["ph"] == "s" else flow.to_job
        assert ev["tid"] == tids[job]
        if ev["ph"] == "f":
            assert ev["bp"] == "e"
        slices = [e for e in events if e["ph"] == "X" and e["tid"] == ev["tid"]]
        bound = _enclosing(slices, ev["ts"])
        track = next(t for t in model.tracks if t.job_id == job)
        want = last_slice(track) if ev["ph"] == "s" else first_slice(track)
        assert bound is not None and bound["name"] == want.name
        assert bound["ts"] == want.start_ns // 1000


def test_needed_job_ends_before_dependent_starts_in_fixture() -> None:
    _, _, model = _model()
    tracks = {t.job_id: t for t in model.tracks}
    for flow in model.flows:
        assert last_slice(tracks[flow.from_job]).end_ns <= first_slice(tracks[flow.to_job]).start_ns


def test_perfetto_protobuf_parses_back_with_perfetto_protos() -> None:
    run, mapping, model = _model()
    trace = pb.Trace()
    trace.ParseFromString(to_perfetto(model))
    descs = [p.track_descriptor for p in trace.packet if p.HasField("track_descriptor")]
    process = [d for d in descs if d.HasField("process")]
    assert len(process) == 1 and process[0].process.pid == model.pid
    job_tracks = {d.uuid: d.name for d in descs if d.parent_uuid == process[0].uuid}
    assert sorted(job_tracks.values()) == sorted(j.name for j in run.jobs)
    assert all(p.trusted_packet_sequence_id == 1 for p in trace.packet)
    # Slices nest and close per track; timestamps never go backwards on a track.
    open_: dict[int, list[str]] = {}
    last_ts: dict[int, int] = {}
    out_ids: Counter[int] = Counter()
    in_ids: Counter[int] = Counter()
    flow_slice: dict[tuple[str, int], tuple[int, str]] = {}
    for p in trace.packet:
        if not p.HasField("track_event"):
            continue
        ev = p.track_event
        assert ev.track_uuid in job_tracks
        assert p.timestamp >= last_ts.get(ev.track_uuid, 0)
        last_ts[ev.track_uuid] = p.timestamp
        stack = open_.setdefault(ev.track_uuid, [])
        if ev.type == pb.TrackEvent.TYPE_SLICE_BEGIN:
            stack.append(ev.name)
            for fid in ev.flow_ids:
                out_ids[fid] += 1
                flow_slice[("out", fid)] = (ev.track_uuid, ev.name)
            for fid in ev.terminating_flow_ids:
                in_ids[fid] += 1
                flow_slice[("in", fid)] = (ev.track_uuid, ev.name)
        else:
            assert ev.type == pb.TrackEvent.TYPE_SLICE_END and stack
            stack.pop()
    assert all(not s for s in open_.values())
    assert len(out_ids) == len(mapping.edges) and set(out_ids.values()) == {1}
    assert set(in_ids) == set(out_ids) and set(in_ids.values()) == {1}
    tracks = {t.job_id: t for t in model.tracks}
    for flow in model.flows:
        src, dst = tracks[flow.from_job], tracks[flow.to_job]
        assert flow_slice[("out", flow.id)] == (src.uuid, last_slice(src).name)
        assert flow_slice[("in", flow.id)] == (dst.uuid, first_slice(dst).name)


def test_same_run_same_trace_and_ids_depend_on_attempt() -> None:
    _, _, a = _model()
    _, _, b = _model()
    assert to_perfetto(a) == to_perfetto(b)
    assert to_chrome_json(a) == to_chrome_json(b)
    _, _, c = _model(attempt=2)
    assert {f.id for f in a.flows}.isdisjoint({f.id for f in c.flows})
    assert a.process_uuid != c.process_uuid


def test_job_that_never_ran_is_reported_not_drawn() -> None:
    jobs = ci_jobs()
    deploy = jobs[10]
    deploy.update(
        status="completed",
        conclusion="skipped",
        started_at=None,
        completed_at=None,
        created_at=None,
        steps=[],
    )
    run = run_from_api(run_json(), jobs)
    wf = parse_workflow(CI_YML, "ci.yml")
    m = map_jobs(list(run.jobs), wf, {"call-release": parse_workflow(RELEASE_YML, "r.yml")})
    model = build(run, m.edges)
    assert len(model.not_drawn) == 4 and all("'deploy' was skipped" in n for n in model.not_drawn)
    assert len(model.flows) == len(m.edges) - 4


def test_critical_path_and_waiting() -> None:
    run, mapping, _ = _model()
    s = summarize(run, mapping.edges)
    # Post-run cleanup ends last but is unmapped: its dependencies are unknown.
    assert [t.name for t in s.critical_path][-1] == "Post-run cleanup"
    s = summarize(run, mapping.edges, set(mapping.jobs))
    assert [t.name for t in s.critical_path] == [
        "lint",
        "build (macos-latest, 3.11)",
        "Unit tests",
        "call-release / Package",
        "call-release / publish",
        "deploy",
    ]
    pub = next(t for t in s.jobs if t.name == "call-release / publish")
    assert pub.dependency_wait_s == 14 * 60  # ready when Package completed at minute 14
    assert pub.runner_wait_s == 2 * 60  # created at 14, started at 16
    assert s.duration_s == 18.2 * 60  # the run ends with its last job, mapped or not
    macos = next(t for t in s.jobs if t.name == "build (macos-latest, 3.11)")
    assert macos.runner_wait_s == 2 * 60 and macos.running_s == 5 * 60


# ---- skipped jobs, runs in progress, ids a JavaScript viewer keeps exact ---------------------

FAILURE_YML = (
    CI_YML
    + """\
  notify-failure:
    needs: deploy
    if: failure()
    runs-on: ubuntu-latest
    steps:
      - run: ./notify
"""
)


def _with_failure_job(jobs: list[dict[str, Any]]) -> tuple[Any, Any]:
    run = run_from_api(run_json(), jobs)
    wf = parse_workflow(FAILURE_YML, "ci.yml")
    m = map_jobs(list(run.jobs), wf, {"call-release": parse_workflow(RELEASE_YML, "r.yml")})
    return run, m


def test_skipped_job_is_marked_and_kept_off_the_critical_path() -> None:
    # GitHub reports a skipped job as completed/skipped with equal start and end times
    skipped = job(1013, "notify-failure", 18.3, 18.3, 18.3, steps=0)
    skipped.update(conclusion="skipped", runner_name=None)
    run, m = _with_failure_job([*ci_jobs(), skipped])
    s = summarize(run, m.edges, set(m.jobs))
    assert [t.name for t in s.critical_path][-1] == "deploy"
    assert s.skipped == ["notify-failure"]
    model = build(run, m.edges)
    track = next(t for t in model.tracks if t.job_id == 1013)
    assert track.name == "notify-failure (skipped)" and track.slices == []
    assert all(f.to_job != 1013 for f in model.flows)
    assert "deploy -> notify-failure: 'notify-failure' was skipped" in model.not_drawn


def test_run_in_progress_counts_running_time_so_far() -> None:
    from datetime import timedelta

    from tests.gha.fixtures import T0
    from watcloud.gha.model import as_of
    from watcloud.gha.trace import process_name

    jobs = ci_jobs()[:11]
    deploy = jobs[10]
    deploy.update(status="in_progress", conclusion=None, completed_at=None)
    deploy["steps"][1].update(status="in_progress", conclusion=None, completed_at=None)
    run_data = {**run_json(), "status": "in_progress", "conclusion": None}
    fetched = T0 + timedelta(minutes=20)
    run = as_of(run_from_api(run_data, jobs), fetched)
    wf = parse_workflow(CI_YML, "ci.yml")
    m = map_jobs(list(run.jobs), wf, {"call-release": parse_workflow(RELEASE_YML, "r.yml")})
    s = summarize(run, m.edges, set(m.jobs))
    assert s.in_progress
    last = s.critical_path[-1]
    assert (last.name, last.state) == ("deploy", "running")
    assert last.running_s == pytest.approx(2.8 * 60)  # started at 17.2 min, fetched at 20
    model = build(run, m.edges)
    track = next(t for t in model.tracks if t.job_id == 1011)
    assert track.name == "deploy (running)"
    job_slice = next(x for x in track.slices if x.category == "job")
    assert job_slice.args["conclusion"] == "in progress"
    assert process_name(run).endswith(": CI: Bump versions (in progress)")


def test_chrome_json_ids_stay_below_2_53() -> None:
    _, _, model = _model()
    doc = json.loads(to_chrome_json(model))
    ids = [e["id"] for e in doc["traceEvents"] if "id" in e]
    assert ids and all(0 < i < 2**53 for i in ids)
    assert len(set(ids)) == len(model.flows)
    # a JavaScript number (a double) holds each id exactly
    assert all(int(float(i)) == i for i in ids)
