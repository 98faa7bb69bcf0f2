"""Warning emails: who gets what (pure), and `notify --dry-run` end to end."""

from __future__ import annotations

import email
import email.policy
import json
import os
import pwd
import socket
from pathlib import Path
from typing import Any

from tests.conftest import missing
from tests.expiry.conftest import age
from tests.expiry.test_delete import build, make_report
from watcloud.expiry.warn import deletion_date, plan_warnings


def fake_report() -> dict[str, Any]:
    def item(path: str, b: int, expired: bool = True) -> dict[str, Any]:
        return {
            "path": path,
            "last_used": "2026-01-02T03:04:05-05:00",
            "bytes": b,
            "inode": 7,
            "expired": expired,
            "kept": False,
        }

    return {
        "schema": "watcloud-expiry-report/1",
        "scan": {
            "root": "/scratch",
            "finished": "2026-11-24T23:30:00-05:00",
            "threshold_seconds": 70 * 86400,
            "cutoff_epoch": 0,
            "time_field_effective": "newest",
        },
        "users": [
            {
                "uid": 1000,
                "user": "alice",
                "expired_top_level": [
                    {
                        "path": "/scratch/alice",
                        "bytes": 500,
                        "last_used": "2026-03-01T00:00:00-05:00",
                    }
                ],
                "oldest_files": [item("/scratch/alice/x", 5), item("/scratch/shared/a.bin", 70)],
            },
            {
                "uid": 1001,
                "user": "bob",
                "expired_top_level": [],
                "oldest_files": [item("/scratch/bob/new", 9, expired=False)],
            },
            {
                "uid": 4242,
                "user": None,
                "expired_top_level": [],
                "oldest_files": [item("/scratch/ghost/f", 3)],
            },
            {
                "uid": 1002,
                "user": "carol",
                "expired_top_level": [],
                "oldest_files": [item("/scratch/carol/f", 11)],
            },
        ],
    }


def test_plan_per_user() -> None:
    plan = plan_warnings(
        fake_report(),
        grace_days=14,
        email_domain="example.org",
        overrides={"carol": "carol@elsewhere.test"},
    )
    by_user = {w.user: w for w in plan.warnings}
    assert set(by_user) == {"alice", "carol"}  # bob has nothing expired; uid 4242 has no name
    a = by_user["alice"]
    assert a.to == "alice@example.org"
    assert a.data["deletion_date"] == "2026-12-08"  # 14 days after the scan, cluster zone
    assert a.data["threshold_days"] == 70 and a.data["root"] == "/scratch"
    # /scratch/alice/x lies under the expired top-level /scratch/alice: listed once.
    assert [i["path"] for i in a.data["items"]] == ["/scratch/alice", "/scratch/shared/a.bin"]
    assert a.data["total_bytes"] == 570
    assert a.data["items"][0]["last_used"] == "2026-03-01"
    assert by_user["carol"].to == "carol@elsewhere.test"
    assert plan.skipped == ["uid 4242: no user name (not in passwd), no address"]
    assert len({w.id for w in plan.warnings}) == 2


def test_no_domain_means_no_address() -> None:
    plan = plan_warnings(fake_report(), grace_days=7, email_domain=None)
    assert plan.warnings == []
    assert any(s.startswith("alice: no address") for s in plan.skipped)


def test_deletion_date_crosses_dst_in_cluster_zone() -> None:
    rep = {"scan": {"finished": "2026-10-31T23:30:00-04:00"}}
    assert deletion_date(rep, 1) == "2026-11-01"


def test_notify_dry_run_cli(tmp_path: Path, run_watcloud: Any) -> None:
    build(tmp_path / "scratch")
    report = tmp_path / "r.json"
    report.write_text(json.dumps(make_report(tmp_path / "scratch")))
    cfg = tmp_path / "expiry.yaml"
    cfg.write_text("email_domain: example.org\ngrace_days: 3\n")
    res = run_watcloud("expiry", "notify", str(report), "--dry-run", "-c", str(cfg), "-o", "json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    (msg,) = out["messages"]
    assert msg["status"] == "planned" and msg["to"].endswith("@example.org")
    assert msg["items"] == 3  # alice (tree), bob/old.dat, bob/sub/older.dat


def _smtp_env(relay: Any, tmp_path: Path) -> dict[str, str]:
    return {
        "WATCLOUD_SMTP_HOST": "127.0.0.1",
        "WATCLOUD_SMTP_PORT": str(relay.port),
        "WATCLOUD_SMTP_SECURITY": "none",
        "WATCLOUD_SMTP_FROM": "WATcloud <expiry@example.org>",
        "WATCLOUD_SMTP_SPOOL": str(tmp_path / "spool.db"),
    }


def _relay() -> Any:
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        missing("aiosmtpd is not installed (pip install -e '.[test]')")
    from watcloud.notify.testing import SmtpRelay

    return SmtpRelay().start()


def test_notify_sends_one_warning_per_user_through_real_smtp(
    tmp_path: Path, run_watcloud: Any
) -> None:
    root = tmp_path / "scratch"
    build(root)
    if os.geteuid() == 0:  # a second owner: bob's files belong to `daemon`
        for p in [root / "bob", *(root / "bob").rglob("*")]:
            os.lchown(p, 1, 1)
        age(root / "bob/sub", 150)
    report = tmp_path / "r.json"
    report.write_text(json.dumps(make_report(root)))
    cfg = tmp_path / "expiry.yaml"
    cfg.write_text("email_domain: example.org\ngrace_days: 7\n")
    relay = _relay()
    try:
        env = _smtp_env(relay, tmp_path)
        res = run_watcloud("expiry", "notify", str(report), "-c", str(cfg), "-o", "json", env=env)
        assert res.returncode == 0, res.stderr
        out = json.loads(res.stdout)
        assert {m["status"] for m in out["messages"]} == {"sent"}
        expected_users = 2 if os.geteuid() == 0 else 1
        assert len(relay.delivered) == expected_users
        by_rcpt = {d.rcpt_tos[0]: d for d in relay.delivered}
        me = pwd.getpwuid(os.geteuid()).pw_name
        mail = email.message_from_bytes(
            by_rcpt[f"{me}@example.org"].data, policy=email.policy.default
        )
        text = next(p.get_content() for p in mail.walk() if p.get_content_type() == "text/plain")
        assert f"{root}/alice" in text
        if os.geteuid() == 0:
            bob = email.message_from_bytes(
                by_rcpt["daemon@example.org"].data, policy=email.policy.default
            )
            bob_text = next(
                p.get_content() for p in bob.walk() if p.get_content_type() == "text/plain"
            )
            assert "old.dat" in bob_text and "alice" not in bob_text
        # Same report again: the idempotency key makes it a duplicate, nothing is re-sent.
        res = run_watcloud("expiry", "notify", str(report), "-c", str(cfg), "-o", "json", env=env)
        assert res.returncode == 0, res.stderr
        assert {m["status"] for m in json.loads(res.stdout)["messages"]} == {"duplicate"}
        assert len(relay.delivered) == expected_users
    finally:
        relay.stop()


def _scanned(tmp_path: Path) -> tuple[Path, Path]:
    """A scanned tree's report and a config with an email domain."""
    root = tmp_path / "scratch"
    build(root)
    report = tmp_path / "r.json"
    report.write_text(json.dumps(make_report(root)))
    cfg = tmp_path / "expiry.yaml"
    cfg.write_text("email_domain: example.org\n")
    return report, cfg


def test_notify_bounce_is_a_failure(tmp_path: Path, run_watcloud: Any) -> None:
    report, cfg = _scanned(tmp_path)
    relay = _relay()
    me = pwd.getpwuid(os.geteuid()).pw_name
    relay.behaviour.rcpt_replies[f"{me}@example.org"] = ("550 5.1.1 no such user", None)
    try:
        res = run_watcloud(
            "expiry", "notify", str(report), "-c", str(cfg), env=_smtp_env(relay, tmp_path)
        )
        assert res.returncode == 1
        assert "failed" in res.stdout and "550" in res.stdout
        assert relay.delivered == []
    finally:
        relay.stop()


def test_notify_dead_server_exits_2_like_notify_and_keeps_the_mail(
    tmp_path: Path, run_watcloud: Any
) -> None:
    report, cfg = _scanned(tmp_path)
    with socket.socket() as s:  # a port that was just free: nothing listens there now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        "WATCLOUD_SMTP_HOST": "127.0.0.1",
        "WATCLOUD_SMTP_PORT": str(port),
        "WATCLOUD_SMTP_SECURITY": "none",
        "WATCLOUD_SMTP_MAX_ATTEMPTS": "1",
        "WATCLOUD_SMTP_SPOOL": str(tmp_path / "outbox.sqlite"),
    }
    res = run_watcloud("expiry", "notify", str(report), "-c", str(cfg), env=env)
    # the same rule as `watcloud notify send`: a relay that cannot be used at all is exit 2
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    (line,) = res.stdout.splitlines()
    assert line.startswith("spooled") and "cannot connect" in line
    (err,) = res.stderr.strip().splitlines()
    assert "cannot connect" in err and "1 message(s) kept in the spool" in err
    # without a spool the message is reported failed, and the exit code is still 2
    env["WATCLOUD_SMTP_SPOOL"] = "off"  # only explicit config turns the spool off
    res = run_watcloud("expiry", "notify", str(report), "-c", str(cfg), env=env)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert res.stdout.startswith("failed")


def test_names_in_the_mail_are_escaped() -> None:
    rep = fake_report()
    forged = "/scratch/carol/f\nYour files are safe, ignore this mail\x1b[8m"
    rep["users"][3]["oldest_files"][0]["path"] = forged
    plan = plan_warnings(rep, grace_days=14, email_domain="example.org")
    (carol,) = [w for w in plan.warnings if w.user == "carol"]
    assert [i["path"] for i in carol.data["items"]] == [
        "/scratch/carol/f\\nYour files are safe, ignore this mail\\x1b[8m"
    ]
