"""Exactly once through a crash (issue 16): `watch` is killed with SIGKILL at each step of
announcing to 30 recipients through a real SMTP server (aiosmtpd), then started again: every
recipient gets the announcement exactly once, and a third pass sends nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import watcloud_exe
from tests.outage.conftest import SmtpServer
from tests.outage.test_mail_imap import notice_mail

HARNESS = Path(__file__).with_name("crash_harness.py")
ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = [f"user{i:02d}@example.org" for i in range(1, 31)]


def _setup(tmp_path: Path, smtp: SmtpServer) -> tuple[list[str], dict[str, str]]:
    when = date.today() + timedelta(days=10)
    eml = tmp_path / "notice.eml"
    eml.write_bytes(
        notice_mail(
            4242,
            "Electrical Shutdown - CPH",
            "CPH",
            "Normal power will be off for switchgear work.",
            f"{when:%A}, {when:%B} {when.day}, {when.year}, 7:00 a.m. to 1:00 p.m.",
        )
    )
    cfg = tmp_path / "outage.yaml"
    cfg.write_text(
        json.dumps(
            {
                "state_db": str(tmp_path / "state" / "outage.db"),
                "web": {"enabled": False},
                "email": {"to": RECIPIENTS},
            }
        )
    )
    env = {
        **os.environ,
        "WATCLOUD_SMTP_HOST": "127.0.0.1",
        "WATCLOUD_SMTP_PORT": str(smtp.port),
        "WATCLOUD_SMTP_SECURITY": "none",
        "WATCLOUD_SMTP_FROM": "watcloud-outage@example.org",
        "WATCLOUD_OUTAGE_DISCORD_WEBHOOK": "",
        "XDG_STATE_HOME": str(tmp_path / "xdg"),
        "PYTHONPATH": str(ROOT),
    }
    args = ["outage", "watch", "--once", "--config", str(cfg), "--mail", str(eml)]
    return args, env


def _run(cmd: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("point", "n"),
    [
        ("during-record", 1),
        ("before-queue", 1),
        ("before-send", 1),
        ("before-send", 12),
        ("after-250", 1),
        ("after-250", 12),
        ("after-250", 30),
        ("before-commit", 1),
        ("before-commit", 12),
        ("before-commit", 30),
    ],
)
def test_killed_at_each_step_then_restarted_sends_each_recipient_exactly_once(
    point: str, n: int, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    args, env = _setup(tmp_path, smtp_server)
    smtp_server.take()
    crashed = _run([sys.executable, str(HARNESS), point, str(n), "--", *args], env)
    assert crashed.returncode == -signal.SIGKILL, (crashed.returncode, crashed.stderr)
    before = smtp_server.take()
    # What the relay had accepted when the process died.
    expected_before = {"during-record": 0, "before-queue": 0, "before-send": n - 1}.get(point, n)
    assert len(before) == expected_before

    restarted = _run([watcloud_exe(), *args], env)
    assert restarted.returncode == 0, restarted.stderr
    after = smtp_server.take()

    got: Counter[tuple[str, str]] = Counter()
    for m in before + after:
        assert len(m.rcpt_tos) == 1, "one message per recipient: nobody sees another's address"
        assert m.message["To"] and m.rcpt_tos[0] in str(m.message["To"])
        got[(m.rcpt_tos[0], m.subject)] += 1
    subjects = {s for _, s in got}
    assert len(subjects) == 1 and next(iter(subjects)).startswith("Power outage in CPH on ")
    assert sorted(r for r, _ in got) == sorted(RECIPIENTS)
    assert set(got.values()) == {1}, {k: v for k, v in got.items() if v != 1}

    # notify's outbox is on by default, beside the outage state database.
    assert (tmp_path / "state" / "outage-outbox.sqlite").exists()
    # A third pass: nothing is left to send and nothing goes twice.
    third = _run([watcloud_exe(), *args], env)
    assert third.returncode == 0, third.stderr
    assert smtp_server.take() == []


def test_harness_rejects_an_unknown_point(tmp_path: Path) -> None:
    r = _run(
        [sys.executable, str(HARNESS), "nowhere", "1", "--", "outage", "--help"],
        {**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert r.returncode != 0 and "unknown crash point" in r.stderr
