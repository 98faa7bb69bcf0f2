"""`watcloud notify ...` end to end: the installed command against a real aiosmtpd relay."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from watcloud.notify.testing import RelayBehaviour

pytestmark = pytest.mark.integration
DATA = Path(__file__).parent / "data"


def smtp_env(port: int, **extra: str) -> dict[str, str]:
    env = {
        "WATCLOUD_SMTP_HOST": "127.0.0.1",
        "WATCLOUD_SMTP_PORT": str(port),
        "WATCLOUD_SMTP_SECURITY": "none",
        "WATCLOUD_SMTP_FROM": "WATcloud <no-reply@watcloud.test>",
    }
    env.update(extra)
    return env


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_send_batch_results_and_exit_codes(run_watcloud, relay_factory, tmp_path):
    relay = relay_factory(
        RelayBehaviour(rcpt_replies={"ghost@example.org": ("550 5.1.1 no such user", None)})
    )
    batch = write_jsonl(
        tmp_path / "m.jsonl",
        [
            {"to": "a@example.org", "subject": "plain", "text": "hello", "id": "one"},
            {
                "to": ["b@example.org"],
                "template": "announcement",
                "data": {"title": "T", "body": "B"},
            },
            {"to": ["ghost@example.org", "c@example.org"], "subject": "partly", "html": "<p>x</p>"},
        ],
    )
    spool = tmp_path / "spool.sqlite"
    p = run_watcloud(
        "notify",
        "send-batch",
        str(batch),
        "--spool",
        str(spool),
        "-o",
        "json",
        env=smtp_env(relay.port),
    )
    assert p.returncode == 1, p.stderr  # one recipient refused permanently
    out = json.loads(p.stdout)
    assert [r["status"] for r in out["results"]] == ["sent", "sent", "failed"]
    assert out["results"][0]["id"] == "one"
    assert out["results"][2]["recipients"] == {
        "ghost@example.org": "550 5.1.1 no such user",
        "c@example.org": "ok",
    }
    assert out["stats"]["connections_opened"] >= 1
    assert len(relay.delivered) == 3
    # Again: nothing goes out twice.
    p2 = run_watcloud(
        "notify", "send-batch", str(batch), "--spool", str(spool), env=smtp_env(relay.port)
    )
    assert "duplicate" in p2.stdout and len(relay.delivered) == 3
    assert "2 sent" not in p2.stdout and "2 duplicate" in p2.stdout


def test_send_text_and_template(run_watcloud, relay_factory, tmp_path):
    relay = relay_factory()
    body = tmp_path / "body.txt"
    body.write_text("The cluster is back.\n")
    env = smtp_env(relay.port)
    p = run_watcloud(
        "notify",
        "send",
        "--to",
        "a@example.org",
        "--to",
        "b@example.org",
        "--subject",
        "Back",
        "--text",
        str(body),
        "--no-spool",
        env=env,
    )
    assert p.returncode == 0, p.stderr
    assert "1 sent" in p.stdout
    # One message per recipient: neither sees the other's address.
    assert sorted(d.rcpt_tos for d in relay.delivered) == [["a@example.org"], ["b@example.org"]]
    for d in relay.delivered:
        other = "b@example.org" if d.rcpt_tos == ["a@example.org"] else "a@example.org"
        assert other.encode() not in d.data and d.subject == "Back"
    relay.delivered.clear()
    p = run_watcloud(
        "notify",
        "send",
        "--to",
        "a@example.org",
        "--template",
        "outage",
        "--data",
        str(DATA / "outage.json"),
        "--no-spool",
        env=env,
    )
    assert p.returncode == 0, p.stderr
    assert relay.delivered[0].subject.startswith("[WATcloud] Power outage scheduled")


def test_preview_writes_html(run_watcloud, tmp_path):
    out = tmp_path / "preview.html"
    p = run_watcloud(
        "notify",
        "preview",
        "expiry-warning",
        "--data",
        str(DATA / "expiry-warning.json"),
        "--dark",
        "--out",
        str(out),
    )
    assert p.returncode == 0, p.stderr
    html = out.read_text()
    assert '<meta name="color-scheme" content="dark">' in html and "data:image/png;base64," in html
    assert f"wrote {out}" in p.stdout


def test_outbox_lists_spooled(run_watcloud, relay_factory, tmp_path):
    relay = relay_factory(RelayBehaviour(rcpt_replies={"a@example.org": ("451 4.3.0 later", None)}))
    spool = tmp_path / "s.sqlite"
    batch = write_jsonl(
        tmp_path / "m.jsonl", [{"to": "a@example.org", "subject": "later", "text": "x"}]
    )
    env = smtp_env(relay.port, WATCLOUD_SMTP_MAX_ATTEMPTS="1")
    p = run_watcloud("notify", "send-batch", str(batch), "--spool", str(spool), env=env)
    assert p.returncode == 0 and "spooled" in p.stdout and "kept in the spool" in p.stderr
    p = run_watcloud("notify", "outbox", "--spool", str(spool), "-o", "json", env=env)
    [row] = json.loads(p.stdout)
    assert row["pending"] == ["a@example.org"] and row["last_error"].startswith("451")


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize(
    ("setup", "needle"),
    [
        ("garbled", "m.jsonl:2: invalid JSON"),
        ("missing-file", "nope.jsonl: file not found"),
        ("bad-config", "key 'smtp.pool_size'"),
        ("missing-config", "config file not found"),
        ("no-to", "m.jsonl:1: 'to' must be an address"),
        ("bad-template", "unknown template 'newsletter'"),
        ("dead-server", "cannot connect to 127.0.0.1"),
    ],
)
def test_bad_input_is_one_line_exit_2(run_watcloud, tmp_path, setup: str, needle: str):
    good = {"to": "a@example.org", "subject": "s", "text": "t"}
    batch = write_jsonl(tmp_path / "m.jsonl", [good])
    args = ["notify", "send-batch", str(batch), "--no-spool"]
    env = smtp_env(_free_port(), WATCLOUD_SMTP_MAX_ATTEMPTS="2")
    if setup == "garbled":
        batch.write_text(json.dumps(good) + "\n{not json\n")
    elif setup == "missing-file":
        args[2] = str(tmp_path / "nope.jsonl")
    elif setup == "bad-config":
        cfg = tmp_path / "notify.yaml"
        cfg.write_text("smtp:\n  pool_size: many\n")
        args += ["--config", str(cfg)]
    elif setup == "missing-config":
        args += ["--config", str(tmp_path / "absent.yaml")]
    elif setup == "no-to":
        write_jsonl(batch, [{"subject": "s", "text": "t"}])
    elif setup == "bad-template":
        write_jsonl(batch, [{"to": "a@example.org", "template": "newsletter", "data": {}}])
    p = run_watcloud(*args, env=env)
    assert p.returncode == 2, (p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], p.stderr
    assert "Traceback" not in p.stderr


def test_discord_command_posts_an_embed(run_watcloud, tmp_path):
    from tests.notify.test_discord import Webhook

    hook = Webhook()
    try:
        hook.script = [(429, {"retry_after": 0.2}, {}), (204, None, {})]
        env = {"WATCLOUD_DISCORD_WEBHOOK": hook.url}
        p = run_watcloud(
            "notify",
            "discord",
            "--template",
            "announcement",
            "--data",
            str(DATA / "announcement.json"),
            env=env,
        )
        assert p.returncode == 0, p.stderr
        assert "posted to Discord" in p.stdout
        assert len(hook.requests) == 2  # the 429 was waited out
        [embed] = hook.requests[1]["json"]["embeds"]
        assert embed["title"] == "New GPU nodes & a new login message"
        assert embed["url"] == "https://cloud.watonomous.ca/docs"
        # No webhook configured: one-line error, exit 2.
        p = run_watcloud(
            "notify", "discord", "--content", "x", env={"WATCLOUD_DISCORD_WEBHOOK": ""}
        )
        assert p.returncode == 2 and "secret missing" in p.stderr
    finally:
        hook.close()


def test_check_command(run_watcloud, tmp_path):
    from tests.conftest import require_binary

    require_binary("chromium")
    p = run_watcloud("notify", "check", "--screenshots", str(tmp_path), "-o", "json", timeout=240)
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    assert {(r["template"], r["scheme"]) for r in rows} == {
        (t, s)
        for t in ("outage", "expiry-warning", "expiry-deletion", "announcement")
        for s in ("light", "dark")
    }
    assert all(r["scheme_applied"] and r["min_contrast"] >= 4.5 and not r["problems"] for r in rows)
    assert len(list(tmp_path.glob("*.png"))) == 8


def test_summary_counts_a_message_drained_from_the_spool_once(
    run_watcloud, relay_factory, tmp_path
):
    """Issue 15, 4: a spooled batch sent again used to be counted twice ("6 sent" for 3)."""
    down = relay_factory(
        RelayBehaviour(
            rcpt_replies={f"u{i}@example.org": ("421 4.3.2 not now", 1) for i in range(3)}
        )
    )
    batch = write_jsonl(
        tmp_path / "m.jsonl",
        [{"to": f"u{i}@example.org", "subject": f"m{i}", "text": "t"} for i in range(3)],
    )
    spool = tmp_path / "spool.sqlite"
    env = smtp_env(down.port, WATCLOUD_SMTP_MAX_ATTEMPTS="1")
    p = run_watcloud("notify", "send-batch", str(batch), "--spool", str(spool), env=env)
    assert p.returncode == 0, p.stderr  # kept for the next run: not a failure
    assert "0 sent" in p.stdout and "3 spooled" in p.stdout
    healthy = relay_factory()
    p = run_watcloud(
        "notify", "send-batch", str(batch), "--spool", str(spool), env=smtp_env(healthy.port)
    )
    assert p.returncode == 0, p.stderr
    assert len(healthy.delivered) == 3
    assert "3 sent, 0 duplicate, 0 spooled, 0 failed" in p.stdout
    args = ["notify", "send-batch", str(batch), "--spool", str(spool)]
    out = json.loads(run_watcloud(*args, "-o", "json", env=smtp_env(healthy.port)).stdout)
    assert [r["status"] for r in out["results"]] == ["duplicate"] * 3 and out["drained"] == []


def test_send_bcc_from_the_command_line(run_watcloud, relay_factory, tmp_path):
    relay = relay_factory()
    body = tmp_path / "body.txt"
    body.write_text("Maintenance on Sunday.\n")
    args = ["notify", "send", "--to", "a@example.org", "--to", "b@example.org"]
    p = run_watcloud(
        *args, "--bcc", "--subject", "News", "--text", str(body), env=smtp_env(relay.port)
    )
    assert p.returncode == 0, p.stderr
    [d] = relay.delivered
    assert d.rcpt_tos == ["a@example.org", "b@example.org"]
    assert b"a@example.org" not in d.data and b"b@example.org" not in d.data
    assert b"\r\nAuto-Submitted: auto-generated\r\n" in d.data


def _expiry_report(tmp_path: Path, run_watcloud) -> tuple[Path, Path]:
    """A real scan of a tree with one file unused for 300 days, and an expiry config."""
    import os
    import time

    f = tmp_path / "scratch" / "old" / "data.bin"
    f.parent.mkdir(parents=True)
    f.write_bytes(b"x" * 100)
    old = time.time() - 300 * 86400
    for p in (f, f.parent):
        os.utime(p, (old, old))
    report = tmp_path / "report.json"
    scan = run_watcloud(
        "expiry", "scan", str(tmp_path / "scratch"), "--time", "mtime", "--save", str(report)
    )
    assert scan.returncode in (0, 1), scan.stderr
    cfg = tmp_path / "expiry.yaml"
    cfg.write_text("email_domain: example.org\n")
    return report, cfg


@pytest.mark.parametrize(
    "case,code",
    [("dead relay", 2), ("refused", 1), ("delayed", 0)],
)
def test_notify_send_and_expiry_notify_exit_alike(
    run_watcloud, relay_factory, tmp_path, case, code
):
    """One convention: 2 could not run (relay unusable), 1 ran and a message failed,
    0 sent or kept in the spool for the next run."""
    import pwd

    me = f"{pwd.getpwuid(os.geteuid()).pw_name}@example.org"
    if case == "dead relay":
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # nothing listens there once closed
    else:
        reply = "550 5.1.1 no such user" if case == "refused" else "452 4.2.2 mailbox full"
        port = relay_factory(RelayBehaviour(rcpt_replies={me: (reply, None)})).port
    env = smtp_env(port, WATCLOUD_SMTP_MAX_ATTEMPTS="1")
    body = tmp_path / "b.txt"
    body.write_text("t\n")
    p = run_watcloud("notify", "send", "--to", me, "--subject", "s", "--text", str(body), env=env)
    assert p.returncode == code, (p.stdout, p.stderr)
    report, cfg = _expiry_report(tmp_path, run_watcloud)
    e = run_watcloud("expiry", "notify", str(report), "-c", str(cfg), env=env)
    assert e.returncode == code, (e.stdout, e.stderr)
    for proc in (p, e):
        assert "Traceback" not in proc.stderr
    if code == 2:
        assert "cannot connect" in p.stderr and "cannot connect" in e.stderr
    if case == "delayed":
        # Each kept its message in its own spool, under the state directory, unasked.
        from watcloud.core.paths import state_dir
        from watcloud.notify.outbox import Outbox

        for tool in ("notify", "expiry"):
            box = Outbox(state_dir() / f"{tool}-outbox.sqlite")
            assert [r["pending"] for r in box.list_outbox()] == [[me]]
            box.close()


def test_an_unusable_spool_is_one_line_and_exit_2(run_watcloud, relay_factory, tmp_path):
    relay = relay_factory()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a database, and not a directory\n" * 200)
    body = tmp_path / "b.txt"
    body.write_text("t\n")
    for spool in (blocker / "outbox.sqlite", blocker):
        p = run_watcloud(
            "notify", "send", "--to", "a@example.org", "--subject", "s", "--text", str(body),
            "--spool", str(spool), env=smtp_env(relay.port),
        )  # fmt: skip
        assert p.returncode == 2, (p.stdout, p.stderr)
        assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1
    assert relay.delivered == []  # nothing goes out without its spool record


def test_send_batch_bcc_key(run_watcloud, relay_factory, tmp_path):
    relay = relay_factory()
    rows = [{"to": ["a@example.org", "b@example.org"], "subject": "s", "text": "t", "bcc": True}]
    p = run_watcloud(
        "notify", "send-batch", str(write_jsonl(tmp_path / "m.jsonl", rows)),
        env=smtp_env(relay.port),
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    [d] = relay.delivered
    assert d.rcpt_tos == ["a@example.org", "b@example.org"] and b"a@example.org" not in d.data
    rows[0]["bcc"] = "yes"
    p = run_watcloud(
        "notify", "send-batch", str(write_jsonl(tmp_path / "bad.jsonl", rows)),
        env=smtp_env(relay.port),
    )  # fmt: skip
    assert p.returncode == 2 and "'bcc' must be true or false" in p.stderr
    assert "Traceback" not in p.stderr and len(relay.delivered) == 1
