"""`watcloud slurm notify JOBID`: wait for a SLURM job to end, then mail its owner (through
`watcloud.notify`, so the relay's pool, retries and exactly-once spool apply).

The decisions are pure (`parse_job_state`, `ended`, `end_message`); `watch` is the polling loop
around `scontrol show job --oneliner ID`, with the clock and sleep injectable.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from watcloud.cluster import slurm
from watcloud.core.output import fields_json

if TYPE_CHECKING:
    from watcloud.notify import Message

# Job states after which a job never runs again (squeue(1) "JOB STATE CODES").
FINAL_STATES = frozenset(
    {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED",
     "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE", "REVOKED", "SPECIAL_EXIT"}
)  # fmt: skip
GONE = "GONE"  # the controller no longer knows the job (ended and purged after MinJobAge)


class JobNotFound(Exception):
    """The controller does not know this job id."""


@dataclass(frozen=True)
class JobState:
    job_id: str
    name: str
    user: str
    state: str  # JobState, e.g. RUNNING, COMPLETED; GONE when purged
    exit_code: str | None
    run_time: str | None
    nodes: str | None
    end_time: str | None
    reason: str | None

    def as_json(self) -> dict[str, Any]:
        return fields_json(self)


def _none(value: str | None) -> str | None:
    return None if value in (None, "", "(null)", "None", "Unknown") else value


def parse_job_state(text: str) -> JobState | None:
    records = slurm.parse_records(text)
    if not records:
        return None
    rec = records[0]
    return JobState(
        job_id=rec.get("JobId", ""),
        name=rec.get("JobName", ""),
        user=rec.get("UserId", "").split("(")[0],
        state=rec.get("JobState", "UNKNOWN").split()[0],
        exit_code=_none(rec.get("ExitCode")),
        run_time=_none(rec.get("RunTime")),
        nodes=_none(rec.get("NodeList")),
        end_time=_none(rec.get("EndTime")),
        reason=_none(rec.get("Reason")),
    )


def ended(state: JobState) -> bool:
    return state.state in FINAL_STATES or state.state == GONE


def read_job(job_id: str, timeout: float) -> JobState:
    try:
        text = slurm.run(("scontrol", "show", "job", "--oneliner", job_id), timeout)
    except slurm.SlurmError as exc:
        if "Invalid job id" in str(exc):
            raise JobNotFound(job_id) from None
        raise
    job = parse_job_state(text)
    if job is None:
        raise JobNotFound(job_id)
    return job


def watch(
    job_id: str,
    *,
    interval: float,
    timeout: float,
    read: Callable[[str, float], JobState] = read_job,
    sleep: Callable[[float], None] = time.sleep,
    on_poll: Callable[[JobState], None] | None = None,
) -> JobState:
    """Poll until the job ends. A job unknown at the first look is `JobNotFound`; one that
    disappears later ended while we slept (purged): its last known state, marked GONE."""
    last = read(job_id, timeout)
    while True:
        if on_poll is not None:
            on_poll(last)
        if ended(last):
            return last
        sleep(interval)
        try:
            last = read(job_id, timeout)
        except JobNotFound:
            return JobState(
                last.job_id or job_id, last.name, last.user, GONE, None, None, last.nodes,
                None, None,
            )  # fmt: skip
        except slurm.SlurmError:
            continue  # the controller hiccuped: ask again next time


def end_message(job: JobState, to: str, cluster: str = "WATcloud") -> Message:
    """The one email for the end of `job`, to `to` (idempotent per job and recipient)."""
    from watcloud.notify import Message

    what = "ended" if job.state == GONE else job.state
    name = f" ({job.name})" if job.name else ""
    lines = [f"SLURM job {job.job_id}{name} {what}."]
    for label, value in (
        ("state", None if job.state == GONE else job.state),
        ("exit code", job.exit_code),
        ("run time", job.run_time),
        ("nodes", job.nodes),
        ("ended at", job.end_time),
        ("reason", job.reason),
    ):
        if value:
            lines.append(f"  {label}: {value}")
    if job.state == GONE:
        lines.append("  (the controller had already forgotten the job: details unknown;")
        lines.append("   `sacct -j ID` may still have them)")
    lines += ["", f"Sent by `watcloud slurm notify {job.job_id}` on {cluster}."]
    key = hashlib.sha256(f"slurm-end\0{job.job_id}\0{to}".encode()).hexdigest()[:32]
    return Message(
        to=[to],
        subject=f"[{cluster}] SLURM job {job.job_id}{name} {what}",
        text="\n".join(lines) + "\n",
        id=f"slurm-job-end-{key}",
        headers={"Auto-Submitted": "auto-generated"},
    )
