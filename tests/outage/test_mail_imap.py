"""The mail source: a real Dovecot IMAP server (IMAPS, self-signed certificate made with openssl,
passwd-file user) started by the test, and `.eml` / mbox / standard-input messages."""

from __future__ import annotations

import grp
import imaplib
import json
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_binary
from tests.outage.conftest import SmtpServer
from watcloud.outage.sources.mail import PROCESSED_FLAG, read_files

USER, PASSWORD = "plantops-feed", "s3cret-for-tests"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Dovecot:
    port: int  # IMAPS
    cafile: Path
    root: Path
    plain_port: int = 0  # IMAP with STARTTLS (required before login)

    def client(self) -> imaplib.IMAP4_SSL:
        ctx = ssl.create_default_context(cafile=str(self.cafile))
        conn = imaplib.IMAP4_SSL("127.0.0.1", self.port, ssl_context=ctx, timeout=10)
        conn.login(USER, PASSWORD)
        return conn

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        conn = self.client()
        try:
            typ, data = conn.append(folder, "", imaplib.Time2Internaldate(time.time()), raw)
            assert typ == "OK", data
        finally:
            conn.logout()

    def flags(self) -> list[str]:
        conn = self.client()
        try:
            conn.select("INBOX")
            typ, data = conn.fetch("1:*", "(FLAGS)")
            assert typ == "OK"
            return [d.decode() for d in data if isinstance(d, bytes)]
        finally:
            conn.logout()


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    [binary, openssl] = require_binary("dovecot", "openssl")
    root = Path(tempfile.mkdtemp(prefix=f"outage-dovecot-{os.getpid()}-"))
    os.chmod(root, 0o755)
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    if os.geteuid() == 0:
        mail_user = pwd.getpwnam("dovecot")
        login_user, internal_user = "dovenull", "dovecot"
    else:
        mail_user = pwd.getpwuid(os.geteuid())
        login_user = internal_user = mail_user.pw_name
    home = root / "home"
    home.mkdir()
    if os.geteuid() == 0:
        os.chown(home, mail_user.pw_uid, mail_user.pw_gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    port, plain_port = free_port(), free_port()
    conf = root / "dovecot.conf"
    conf.write_text(f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
default_login_user = {login_user}
default_internal_user = {internal_user}
default_internal_group = {grp.getgrgid(pwd.getpwnam(internal_user).pw_gid).gr_name}
first_valid_uid = 1
auth_mechanisms = plain
disable_plaintext_auth = yes
mail_location = maildir:{home}/%u/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {plain_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={home}/%u
}}
""")
    proc = subprocess.Popen([binary, "-F", "-c", str(conf)], stderr=subprocess.PIPE)
    server = Dovecot(port, cert, root, plain_port)
    deadline = time.monotonic() + 20
    while True:
        try:
            server.client().logout()
            break
        except (OSError, imaplib.IMAP4.error) as exc:
            if proc.poll() is not None or time.monotonic() > deadline:
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                err = proc.stderr.read().decode() if proc.stderr else ""
                proc.kill()
                pytest.fail(f"dovecot did not start: {exc}\n{err}\n{log}")
            time.sleep(0.2)
    yield server
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    shutil.rmtree(root, ignore_errors=True)


def notice_mail(nid: int | None, title: str, where: str, what: str, when: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Plant Operations <plantops-noreply@example.org>"
    msg["To"] = "watcloud-feed@example.org"
    msg["Subject"] = f"[Electrical] {title}"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain="example.org")
    body = [
        "Service Interruption Notice", title,
        "Where is this happening?", where,
        "What is happening?", what,
        "When is this happening?", when,
        "Who to contact for more information?", "Facilities desk, ext. 30000",
    ]  # fmt: skip
    if nid is not None:
        body.append(
            f"View online: https://plantops.uwaterloo.ca/service-interruptions/notice.php?ID={nid}"
        )
    msg.set_content("\n\n".join(body))
    return bytes(msg)


def day(offset: int) -> str:
    d = date.today() + timedelta(days=offset)
    return f"{d:%A}, {d:%B} {d.day}, {d.year}"


def run_env(smtp: SmtpServer) -> dict[str, str]:
    return {
        "WATCLOUD_SMTP_HOST": "127.0.0.1",
        "WATCLOUD_SMTP_PORT": str(smtp.port),
        "WATCLOUD_SMTP_SECURITY": "none",
        "WATCLOUD_SMTP_FROM": "watcloud-outage@example.org",
        "WATCLOUD_OUTAGE_IMAP_PASSWORD": PASSWORD,
    }


def imap_config(tmp_path: Path, dovecot: Dovecot, **imap: Any) -> Path:
    """outage.yaml for a mail-only watch: the Dovecot folder in, mail to users@example.org."""
    cfg = tmp_path / "outage.yaml"
    cfg.write_text(json.dumps({
        "state_db": str(tmp_path / "s.db"), "web": {"enabled": False},
        "email": {"to": ["users@example.org"]},
        "imap": {"enabled": True, "host": "127.0.0.1", "port": dovecot.port,
                 "cafile": str(dovecot.cafile), "username": USER, **imap},
    }))  # fmt: skip
    return cfg


@pytest.mark.integration
def test_imap_folder_is_read_marked_and_not_reread(
    dovecot: Dovecot, smtp_server: SmtpServer, run_watcloud: Any, tmp_path: Path
) -> None:
    dovecot.append(
        notice_mail(
            310,
            "Electrical Shutdown - CPH",
            "Carl A. Pollock Hall",
            "Electrical shutdown.",
            f"{day(25)}, 7:00 a.m. to 11:00 a.m.",
        )
    )
    dovecot.append(
        notice_mail(
            311,
            "Steam Shutdown - CPH",
            "CPH",
            "Steam will be shut down.",
            f"{day(26)}, 8 a.m. to noon",
        )
    )
    cfg = imap_config(tmp_path, dovecot, security="tls")
    r = run_watcloud("outage", "watch", "--once", "--config", str(cfg), env=run_env(smtp_server))
    assert r.returncode == 0, r.stderr
    mails = smtp_server.take()
    assert len(mails) == 1 and mails[0].subject.startswith("Power outage in CPH on ")
    assert "notice.php?ID=310" in mails[0].body()
    flags = dovecot.flags()
    assert len(flags) == 2 and all(PROCESSED_FLAG in f and "\\Seen" in f for f in flags), flags

    # Again: nothing new in the folder, nothing sent.
    r = run_watcloud("outage", "watch", "--once", "--config", str(cfg), env=run_env(smtp_server))
    assert r.returncode == 0, r.stderr
    assert smtp_server.take() == []

    # The cancellation of the same notice arrives by mail: one "cancelled" announcement.
    dovecot.append(
        notice_mail(
            310,
            "CANCELLED - Electrical Shutdown - CPH",
            "Carl A. Pollock Hall",
            "Electrical shutdown. This work has been cancelled.",
            f"{day(25)}, 7:00 a.m. to 11:00 a.m.",
        )
    )
    r = run_watcloud("outage", "watch", "--once", "--config", str(cfg), env=run_env(smtp_server))
    assert r.returncode == 0, r.stderr
    assert [m.subject.split(" on ")[0] for m in smtp_server.take()] == [
        "[Cancelled] Power outage in CPH"
    ]


@pytest.mark.integration
def test_imap_wrong_password_is_a_warning(
    dovecot: Dovecot, smtp_server: SmtpServer, run_watcloud: Any, tmp_path: Path
) -> None:
    cfg = imap_config(tmp_path, dovecot)
    env = {**run_env(smtp_server), "WATCLOUD_OUTAGE_IMAP_PASSWORD": "wrong"}
    r = run_watcloud("outage", "watch", "--once", "--config", str(cfg), env=env)
    assert r.returncode == 0
    assert "mailbox unavailable" in r.stderr


def test_eml_mbox_and_stdin(tmp_path: Path, smtp_server: SmtpServer, run_watcloud: Any) -> None:
    relevant = notice_mail(
        None,
        "Power Outage - Carl Pollack Hall",
        "Carl Pollack Hall",
        "Power interruption for switchgear work.",
        f"{day(12)} 6 a.m. to 9 a.m.",
    )
    other = notice_mail(
        None,
        "Elevator Shutdown - CPH",
        "CPH",
        "The elevator is out of service.",
        f"{day(12)} 6 a.m. to 9 a.m.",
    )
    eml = tmp_path / "a.eml"
    eml.write_bytes(relevant)
    mbox = tmp_path / "box.mbox"
    mbox.write_bytes(b"From plantops@example.org Mon Jan  1 00:00:00 2024\n" + other + b"\n")
    items, skipped = read_files([eml, mbox])
    assert skipped == []
    assert [k.startswith("mail:") for k, _ in items] == [True, True]
    assert items[0][1].style == "email" and items[0][1].title == "Power Outage - Carl Pollack Hall"
    cfg = tmp_path / "outage.yaml"
    cfg.write_text(
        json.dumps(
            {
                "state_db": str(tmp_path / "s.db"),
                "web": {"enabled": False},
                "email": {"to": ["users@example.org"]},
            }
        )
    )
    env = {k: v for k, v in run_env(smtp_server).items() if "IMAP" not in k}
    r = run_watcloud(
        "outage",
        "watch",
        "--once",
        "--config",
        str(cfg),
        "--mail",
        str(eml),
        "--mail",
        str(mbox),
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert len(smtp_server.take()) == 1
    # The same message piped on stdin again: already announced.
    r = run_watcloud(
        "outage",
        "watch",
        "--once",
        "--config",
        str(cfg),
        "--stdin",
        input=relevant.decode(),
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert smtp_server.take() == []


@pytest.mark.integration
def test_one_bad_mail_file_is_skipped_with_a_warning(
    smtp_server: SmtpServer, run_watcloud: Any, tmp_path: Path
) -> None:
    """Issue 16: a file that is not mail, a missing file and a garbled (binary) message are
    each skipped with a one-line warning; the good notice beside them is still announced and
    the pass exits 1 (ran, with problems), never 2 with nothing done."""
    good = tmp_path / "good.eml"
    good.write_bytes(
        notice_mail(
            None,
            "Power Outage - CPH",
            "CPH",
            "Power interruption for switchgear work.",
            f"{day(14)} 6 a.m. to 9 a.m.",
        )
    )
    junk = tmp_path / "junk.eml"
    junk.write_text("hello\n")
    binary = tmp_path / "binary.eml"
    binary.write_bytes(
        b"Subject: Electrical Shutdown - CPH\nFrom: p@example.org\n\n" + bytes(range(256)) * 8
    )
    cfg = tmp_path / "outage.yaml"
    cfg.write_text(
        json.dumps(
            {
                "state_db": str(tmp_path / "s.db"),
                "web": {"enabled": False},
                "email": {"to": ["users@example.org"]},
            }
        )
    )
    env = {k: v for k, v in run_env(smtp_server).items() if "IMAP" not in k}
    args = ["outage", "watch", "--once", "--config", str(cfg)]
    for f in (junk, tmp_path / "missing.eml", binary, good):
        args += ["--mail", str(f)]
    r = run_watcloud(*args, env=env)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr
    assert "not an email message" in r.stderr and "mail file not found" in r.stderr
    assert "garbled notice" in r.stderr
    d14 = (date.today() + timedelta(days=14)).isoformat()
    assert [m.subject for m in smtp_server.take()] == [f"Power outage in CPH on {d14}"]


@pytest.mark.integration
def test_imap_processed_folder_moves_messages(
    dovecot: Dovecot, smtp_server: SmtpServer, run_watcloud: Any, tmp_path: Path
) -> None:
    conn = dovecot.client()
    try:
        assert conn.create("Processed")[0] == "OK"
    finally:
        conn.logout()
    dovecot.append(notice_mail(
        320, "Power Interruption - CPH", "CPH", "Power interruption for breaker work.",
        f"{day(15)}, 6:00 a.m. to 8:00 a.m."))  # fmt: skip
    cfg = imap_config(tmp_path, dovecot, processed_folder="Processed")
    r = run_watcloud("outage", "watch", "--once", "--config", str(cfg), env=run_env(smtp_server))
    assert r.returncode == 0, r.stderr
    assert len(smtp_server.take()) == 1
    conn = dovecot.client()
    try:
        inbox = int(conn.select("INBOX")[1][0] or b"0")
        processed = int(conn.select("Processed")[1][0] or b"0")
    finally:
        conn.logout()
    assert (inbox, processed) == (0, 1)


@pytest.mark.integration
def test_imap_starttls(
    dovecot: Dovecot, smtp_server: SmtpServer, run_watcloud: Any, tmp_path: Path
) -> None:
    dovecot.append(notice_mail(
        330, "Electrical Shutdown - CPH", "CPH", "Electrical shutdown.",
        f"{day(18)}, 6:00 a.m. to 8:00 a.m."))  # fmt: skip
    cfg = imap_config(tmp_path, dovecot, port=dovecot.plain_port, security="starttls")
    r = run_watcloud("outage", "watch", "--once", "--config", str(cfg), env=run_env(smtp_server))
    assert r.returncode == 0, r.stderr
    assert len(smtp_server.take()) == 1
    assert all(PROCESSED_FLAG in f for f in dovecot.flags())
