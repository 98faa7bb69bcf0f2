"""`watcloud slurm notify JOBID`: a fake `scontrol` whose job runs, then ends; the mail goes
through notify to a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import email
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.conftest import write_config, write_exe
from tests.conftest import missing
from watcloud.cluster import jobwatch

pytestmark = pytest.mark.integration


def job_line(state: str, exit_code: str = "0:0", job_id: str = "4242") -> str:
    return (
        f"JobId={job_id} JobName=train-resnet UserId=alice(1000) GroupId=alice(1000) "
        f"MCS_label=N/A Priority=1 Nice=0 Account=(null) QOS=normal JobState={state} "
        f"Reason=None Dependency=(null) Requeue=1 Restarts=0 BatchFlag=1 Reboot=0 "
        f"ExitCode={exit_code} RunTime=02:03:04 TimeLimit=1-00:00:00 TimeMin=N/A "
        "SubmitTime=2026-11-24T08:00:00 EligibleTime=2026-11-24T08:00:00 "
        "StartTime=2026-11-24T08:00:05 EndTime=2026-11-24T10:03:09 NodeList=alpha-slurm1 "
        "NumNodes=1 NumCPUs=4 AllocTRES=cpu=4,mem=16G,node=1,gres/gpu=1"
    )


def fake_scontrol(fake_bin: Path, states: list[str]) -> Path:
    """`scontrol show job --oneliner 4242` answers states[n] on its n-th call (the last one
    from then on); any other job id is unknown to it."""
    counter = fake_bin / ".calls"
    counter.write_text("0")
    for i, st in enumerate(states):
        (fake_bin / f".state{i}").write_text(job_line(st) + "\n")
    last = len(states) - 1
    write_exe(
        fake_bin,
        "scontrol",
        f"""n=$(cat {counter}); echo $((n + 1)) > {counter}
[ "$4" = 4242 ] || {{ echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1; }}
[ $n -gt {last} ] && n={last}
cat {fake_bin}/.state$n
""",
    )
    return counter


@pytest.fixture
def relay() -> Iterator[Any]:
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        missing("aiosmtpd is not installed (pip install -e '.[test]')")
    from watcloud.notify.testing import SmtpRelay

    r = SmtpRelay().start()
    yield r
    r.stop()


def smtp_env(port: int, spool: Path) -> dict[str, str]:
    return {
        "WATCLOUD_SMTP_HOST": "127.0.0.1",
        "WATCLOUD_SMTP_PORT": str(port),
        "WATCLOUD_SMTP_SECURITY": "none",
        "WATCLOUD_SMTP_FROM": "WATcloud <no-reply@watcloud.test>",
        "WATCLOUD_SMTP_SPOOL": str(spool),
    }


def test_parse_and_decide() -> None:
    job = jobwatch.parse_job_state(job_line("RUNNING"))
    assert job is not None and job.state == "RUNNING" and not jobwatch.ended(job)
    done = jobwatch.parse_job_state(job_line("CANCELLED by 1000", "0:15"))
    assert done is not None and done.state == "CANCELLED" and jobwatch.ended(done)
    msg = jobwatch.end_message(done, "alice@example.org")
    assert msg.subject == "[WATcloud] SLURM job 4242 (train-resnet) CANCELLED"
    assert "exit code: 0:15" in (msg.text or "") and "run time: 02:03:04" in (msg.text or "")
    assert msg.headers["Auto-Submitted"] == "auto-generated"
    # the same job and recipient: the same id (notify's spool sends it once)
    assert jobwatch.end_message(done, "alice@example.org").id == msg.id


def test_mail_when_the_job_ends(
    run_watcloud: Any, relay: Any, fake_bin: Path, tmp_path: Path
) -> None:
    calls = fake_scontrol(fake_bin, ["PENDING", "RUNNING", "RUNNING", "COMPLETED"])
    cfg = write_config(tmp_path, None, notify_email="alice@example.org")
    env = smtp_env(relay.port, tmp_path / "spool.db")
    proc = run_watcloud("slurm", "notify", "4242", "--interval", "0.05", "-c", str(cfg), env=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "job 4242 COMPLETED: mail to alice@example.org sent\n"
    assert int(calls.read_text()) == 4  # looked until it ended, not longer
    (delivered,) = relay.delivered
    assert delivered.rcpt_tos == ["alice@example.org"]
    assert delivered.subject == "[WATcloud] SLURM job 4242 (train-resnet) COMPLETED"
    parsed = email.message_from_bytes(delivered.data)
    assert parsed["Auto-Submitted"] == "auto-generated"
    # run again (say, by mistake): the spool knows the mail went out
    again = run_watcloud("slurm", "notify", "4242", "--interval", "0.05", "-c", str(cfg), env=env)
    assert again.returncode == 0 and "duplicate" in again.stdout
    assert len(relay.delivered) == 1


def test_job_purged_while_waiting_is_still_reported(
    run_watcloud: Any, relay: Any, fake_bin: Path, tmp_path: Path
) -> None:
    counter = fake_scontrol(fake_bin, ["RUNNING"])
    real = (fake_bin / "scontrol").read_text()
    # from the third call on, the controller has forgotten the job
    (fake_bin / "scontrol").write_text(
        real.replace('[ "$4" = 4242 ]', f'[ $(cat {counter}) -lt 3 ] && [ "$4" = 4242 ]')
    )
    cfg = write_config(tmp_path, None)
    env = smtp_env(relay.port, tmp_path / "spool.db")
    proc = run_watcloud(
        "slurm", "notify", "4242", "--to", "bob@example.org", "--interval", "0.05",
        "-c", str(cfg), "-o", "json", env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (delivered,) = relay.delivered
    assert delivered.subject == "[WATcloud] SLURM job 4242 (train-resnet) ended"


def test_unknown_job_and_missing_address(run_watcloud: Any, fake_bin: Path, tmp_path: Path) -> None:
    fake_scontrol(fake_bin, ["RUNNING"])
    cfg = write_config(tmp_path, None, notify_email="alice@example.org")
    env = smtp_env(9, tmp_path / "spool.db")
    proc = run_watcloud("slurm", "notify", "77", "-c", str(cfg), env=env)
    assert proc.returncode == 2 and proc.stderr == (
        "watcloud slurm: error: SLURM does not know job 77\n"
    )
    no_addr = run_watcloud("slurm", "notify", "4242", "-c", str(write_config(tmp_path, None)))
    assert no_addr.returncode == 2 and "no address: give --to ADDRESS" in no_addr.stderr
    bad = run_watcloud("slurm", "notify", "42; rm -rf /", "-c", str(cfg))
    assert bad.returncode == 2 and "is not a SLURM job id" in bad.stderr
