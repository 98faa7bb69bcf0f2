"""A run as a trace: one process per run, one track per job, slices for queued, running and
each step, and one flow per `needs:` edge from the needed job's last slice to the dependent
job's first slice. Two encodings of one model: Perfetto protobuf and Chrome trace-event JSON.

Ids are derived from (run id, attempt, job ids), so the same run always gives the same trace.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime

from watcloud.gha.model import Job, Run

# JavaScript trace viewers read JSON numbers as doubles: ids above 2^53 would be rounded (and
# two flows could merge), so every id stays below it.
MAX_ID = (1 << 53) - 1


def stable_id(*parts: object) -> int:
    """A deterministic positive id below 2^53 from the parts (never 0)."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=8).digest()
    return (int.from_bytes(digest, "big") & MAX_ID) or 1


def track_name(job: Job) -> str:
    if job.skipped:
        return f"{job.name} (skipped)"
    if job.in_progress:
        return f"{job.name} ({'running' if job.started_at else 'queued'})"
    return job.name


@dataclass
class Slice:
    name: str
    category: str  # "queued" | "job" | "step"
    start_ns: int
    end_ns: int
    depth: int
    args: dict[str, str] = field(default_factory=dict)
    flows_out: list[int] = field(default_factory=list)
    flows_in: list[int] = field(default_factory=list)


@dataclass
class Track:
    job_id: int
    name: str
    uuid: int
    tid: int
    slices: list[Slice]  # in nesting order: a parent before its children; time-ordered


@dataclass
class Flow:
    id: int
    from_job: int
    to_job: int


@dataclass
class TraceModel:
    run: Run
    process_uuid: int
    pid: int
    tracks: list[Track]
    flows: list[Flow]
    not_drawn: list[str]  # edges that have no slice at one end (a job that never ran)


def _ns(dt: datetime) -> int:
    return int(dt.timestamp() * 1_000_000) * 1000


def _job_slices(job: Job) -> list[Slice]:
    slices: list[Slice] = []
    if job.skipped:
        return slices  # it never ran: its track is labelled, no slice, no flow
    queued_until = job.started_at or job.open_until
    if job.created_at and queued_until and queued_until > job.created_at:
        args = {"waiting for": "a runner"}
        if job.started_at is None:
            args["state"] = "still queued when fetched"
        slices.append(Slice("queued", "queued", _ns(job.created_at), _ns(queued_until), 0, args))
    if job.started_at and job.completed_at:
        start, end = _ns(job.started_at), max(_ns(job.completed_at), _ns(job.started_at))
        conclusion = "in progress" if job.in_progress else (job.conclusion or job.status)
        args = {"conclusion": conclusion, "runner": job.runner_name or ""}
        slices.append(Slice(job.name, "job", start, end, 0, args))
        cursor = start
        for step in job.steps:
            if not (step.started_at and step.completed_at):
                continue
            s = min(max(_ns(step.started_at), cursor), end)
            e = min(max(_ns(step.completed_at), s), end)
            slices.append(
                Slice(step.name, "step", s, e, 1, {"conclusion": step.conclusion or step.status})
            )
            cursor = e
    return slices


def last_slice(track: Track) -> Slice:
    """The slice that ends last (the deepest one when a step ends with its job)."""
    return max(track.slices, key=lambda s: (s.end_ns, s.depth, s.start_ns))


def first_slice(track: Track) -> Slice:
    """The slice that starts first (the outermost one when several start together)."""
    return min(track.slices, key=lambda s: (s.start_ns, -s.depth))


def build(run: Run, edges: list[tuple[int, int]]) -> TraceModel:
    process_uuid = stable_id("run", run.id, run.attempt)
    ordered = sorted(
        run.jobs, key=lambda j: (j.created_at or j.started_at or datetime.max.astimezone(), j.id)
    )
    tracks = [
        Track(
            job.id,
            track_name(job),
            stable_id("job", run.id, run.attempt, job.id),
            stable_id("tid", run.id, run.attempt, job.id) % 2_000_000_000,
            _job_slices(job),
        )
        for job in ordered
    ]
    by_job = {t.job_id: t for t in tracks}
    names = {j.id: j.name for j in run.jobs}
    jobs = {j.id: j for j in run.jobs}
    flows, not_drawn = [], []
    for src, dst in edges:
        a, b = by_job[src], by_job[dst]
        if not a.slices or not b.slices:
            never = jobs[src] if not a.slices else jobs[dst]
            why = "was skipped" if never.skipped else "never ran"
            not_drawn.append(f"{names[src]} -> {names[dst]}: {never.name!r} {why}")
            continue
        flow = Flow(stable_id("flow", run.id, run.attempt, src, dst), src, dst)
        last_slice(a).flows_out.append(flow.id)
        first_slice(b).flows_in.append(flow.id)
        flows.append(flow)
    return TraceModel(run, process_uuid, run.id % 2_000_000_000, tracks, flows, not_drawn)


def process_name(run: Run) -> str:
    """`owner/repo run 123 attempt 1: CI: Bump versions (in progress)`."""
    text = f"{run.repo} run {run.id} attempt {run.attempt}: {run.name}"
    if run.title and run.title != run.name:
        text += f": {run.title}"
    if run.in_progress:
        text += " (in progress)"
    return text.strip()


def to_chrome_json(model: TraceModel) -> str:
    """Chrome trace-event format (JSON object form); flows use `s`/`f` events (v1)."""
    pid = model.pid
    events: list[dict[str, object]] = [
        {
            "ph": "M",
            "name": "process_name",
            "pid": pid,
            "tid": 0,
            "args": {"name": process_name(model.run)},
        },
    ]
    for rank, track in enumerate(model.tracks):
        events.append(
            {
                "ph": "M",
                "name": "thread_name",
                "pid": pid,
                "tid": track.tid,
                "args": {"name": track.name},
            }
        )
        events.append(
            {
                "ph": "M",
                "name": "thread_sort_index",
                "pid": pid,
                "tid": track.tid,
                "args": {"sort_index": rank},
            }
        )
    for track in model.tracks:
        for s in track.slices:
            events.append(
                {
                    "ph": "X",
                    "name": s.name,
                    "cat": s.category,
                    "pid": pid,
                    "tid": track.tid,
                    "ts": s.start_ns // 1000,
                    "dur": (s.end_ns - s.start_ns) // 1000,
                    "args": s.args,
                }
            )
            for fid in s.flows_out:
                # Binds to the slice enclosing ts on this thread: just before this slice ends.
                ts = max(s.start_ns, s.end_ns - 1000) // 1000
                events.append(
                    {
                        "ph": "s",
                        "id": fid,
                        "name": "needs",
                        "cat": "dependency",
                        "pid": pid,
                        "tid": track.tid,
                        "ts": ts,
                    }
                )
            for fid in s.flows_in:
                events.append(
                    {
                        "ph": "f",
                        "bp": "e",
                        "id": fid,
                        "name": "needs",
                        "cat": "dependency",
                        "pid": pid,
                        "tid": track.tid,
                        "ts": s.start_ns // 1000,
                    }
                )
    return json.dumps({"traceEvents": events, "displayTimeUnit": "ms"}, indent=None)


def to_perfetto(model: TraceModel) -> bytes:
    """Perfetto protobuf (`Trace` of `TracePacket`s with `TrackEvent`s)."""
    from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb  # type: ignore[import-untyped]

    seq = 1
    trace = pb.Trace()
    first = trace.packet.add()
    first.trusted_packet_sequence_id = seq
    first.sequence_flags = pb.TracePacket.SEQ_INCREMENTAL_STATE_CLEARED
    first.track_descriptor.uuid = model.process_uuid
    first.track_descriptor.process.pid = model.pid
    first.track_descriptor.process.process_name = process_name(model.run)
    first.track_descriptor.child_ordering = pb.TrackDescriptor.EXPLICIT
    for rank, track in enumerate(model.tracks):
        packet = trace.packet.add()
        packet.trusted_packet_sequence_id = seq
        desc = packet.track_descriptor
        desc.uuid = track.uuid
        desc.parent_uuid = model.process_uuid
        desc.name = track.name
        desc.sibling_order_rank = rank
    for track in model.tracks:
        for kind, ts, s in _begin_end_order(track):
            packet = trace.packet.add()
            packet.trusted_packet_sequence_id = seq
            packet.timestamp = ts
            ev = packet.track_event
            ev.track_uuid = track.uuid
            if kind == "B":
                ev.type = pb.TrackEvent.TYPE_SLICE_BEGIN
                ev.name = s.name
                ev.categories.append(s.category)
                ev.flow_ids.extend(s.flows_out)
                ev.terminating_flow_ids.extend(s.flows_in)
                for key, value in s.args.items():
                    ann = ev.debug_annotations.add()
                    ann.name = key
                    ann.string_value = value
            else:
                ev.type = pb.TrackEvent.TYPE_SLICE_END
    return bytes(trace.SerializeToString())


def _begin_end_order(track: Track) -> list[tuple[str, int, Slice]]:
    """Begin and end events in an order that nests correctly (children close before parents)."""
    out: list[tuple[str, int, Slice]] = []
    stack: list[Slice] = []
    for s in track.slices:
        while stack and stack[-1].depth >= s.depth:
            done = stack.pop()
            out.append(("E", done.end_ns, done))
        out.append(("B", s.start_ns, s))
        stack.append(s)
    while stack:
        done = stack.pop()
        out.append(("E", done.end_ns, done))
    return out
