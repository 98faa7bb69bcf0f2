"""The email source: PlantOps notices as sent to subscribers.

From an IMAP folder (IMAPS, STARTTLS or plain for loopback tests): messages not yet marked are
read, and marked processed only after their notice was recorded (a keyword flag
`$WatcloudOutage` plus `\\Seen`, or a move to `processed_folder`). From `.eml` files, mbox files
or standard input (a mail pipe: one message).
"""

from __future__ import annotations

import contextlib
import hashlib
import imaplib
import mailbox
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from watcloud.core.config import read_secret
from watcloud.core.errors import ConfigError, InputError
from watcloud.outage.config import ImapSource as ImapConfig
from watcloud.outage.parse import Notice, garbled, notice_id_from_url, parse_email
from watcloud.outage.sources import Event, Found, Notices, Problem

PROCESSED_FLAG = "$WatcloudOutage"


class MailError(Exception):
    """The mailbox could not be read (connection, login, folder)."""


def key_for(notice: Notice, raw: bytes) -> str:
    """The same notice by web and by mail shares a key when the email links the notice page."""
    if notice.url and (nid := notice_id_from_url(notice.url)):
        return f"plantops:{nid}"
    if notice.id:
        return f"mail:{notice.id}"
    return "mail:" + hashlib.sha256(raw).hexdigest()[:24]


def from_bytes(raw: bytes) -> tuple[str, Notice]:
    notice = parse_email(raw)
    return key_for(notice, raw), notice


def files(paths: list[Path]) -> Notices:
    """A source of the notices in `.eml` and mbox files (bad ones are its problems)."""
    return Notices(*read_files(paths))


def stdin(raw: bytes) -> Notices:
    """A source of the one notice email piped to standard input."""
    return Notices([from_bytes(raw)])


def read_files(paths: list[Path]) -> tuple[list[tuple[str, Notice]], list[str]]:
    """`.eml` files (one message each) and mbox files (detected by a leading 'From ' line).

    Returns the notices and one line per file or message that could not be used (missing,
    unreadable, not mail, garbled): a bad file is skipped, never the end of the pass."""
    out: list[tuple[str, Notice]] = []
    skipped: list[str] = []
    for path in paths:
        try:
            out += _read_file(Path(path), skipped)
        except InputError as exc:
            skipped.append(str(exc))
    return out, skipped


def _read_file(path: Path, skipped: list[str]) -> list[tuple[str, Notice]]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: mail file not found") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read mail file: {exc.strerror}") from None
    raws: list[bytes] = []
    if data.startswith(b"From "):
        try:
            box = mailbox.mbox(str(path), create=False)
            try:
                raws = [msg.as_bytes() for msg in box]
            finally:
                box.close()
        except Exception as exc:  # a broken mbox is one bad file, not a crash
            raise InputError(f"{path}: cannot read mbox: {exc}") from None
    else:
        if not re.search(rb"^(?:subject|from|date|to):", data[:4000], re.I | re.M):
            raise InputError(f"{path}: not an email message (no headers)")
        raws = [data]
    out = []
    for n, raw in enumerate(raws, 1):
        where = f"{path}" if len(raws) == 1 else f"{path} (message {n})"
        try:
            key, notice = from_bytes(raw)
        except Exception as exc:  # the email package on a malformed message
            skipped.append(f"{where}: cannot parse the message: {exc}")
            continue
        if why := garbled(notice):
            skipped.append(f"{where}: garbled notice: {why}")
            continue
        out.append((key, notice))
    return out


@dataclass
class ImapItem:
    uid: str
    key: str
    notice: Notice


class ImapMailbox:
    def __init__(self, cfg: ImapConfig) -> None:
        self.cfg = cfg
        self.conn: imaplib.IMAP4 | None = None

    def __enter__(self) -> ImapMailbox:
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> None:
        cfg = self.cfg
        password = read_secret(cfg.password_env, cfg.password_file)
        if not cfg.username or password is None:
            raise ConfigError(
                f"imap: set imap.username and the password "
                f"({cfg.password_env} or imap.password_file)"
            )
        ctx = ssl.create_default_context(cafile=str(cfg.cafile) if cfg.cafile else None)
        try:
            if cfg.security == "tls":
                conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                    cfg.host, cfg.port, ssl_context=ctx, timeout=cfg.timeout
                )
            else:
                conn = imaplib.IMAP4(cfg.host, cfg.port, timeout=cfg.timeout)
                if cfg.security == "starttls":
                    conn.starttls(ssl_context=ctx)
            conn.login(cfg.username, password)
            typ, _ = conn.select(_quote(cfg.folder))
            if typ != "OK":
                raise MailError(f"imap: cannot select folder {cfg.folder!r}")
        except (OSError, ssl.SSLError, imaplib.IMAP4.error) as exc:
            raise MailError(f"imap {cfg.host}:{cfg.port}: {exc}") from None
        self.conn = conn

    def close(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                self.conn.logout()
            self.conn = None

    def unprocessed(self) -> Iterator[ImapItem]:
        assert self.conn is not None
        typ, data = self.conn.uid("SEARCH", "NOT", "KEYWORD", PROCESSED_FLAG)
        if typ != "OK":
            raise MailError(f"imap: SEARCH failed: {data!r}")
        for uid in (data[0] or b"").split():
            typ, parts = self.conn.uid("FETCH", uid.decode(), "(BODY.PEEK[])")
            if typ != "OK":
                raise MailError(f"imap: FETCH {uid!r} failed")
            raw = next(p[1] for p in parts if isinstance(p, tuple))
            key, notice = from_bytes(raw)
            yield ImapItem(uid.decode(), key, notice)

    def mark_processed(self, uid: str) -> None:
        assert self.conn is not None
        if self.cfg.processed_folder:
            typ, data = self.conn.uid("COPY", uid, _quote(self.cfg.processed_folder))
            if typ != "OK":
                raise MailError(f"imap: cannot copy to {self.cfg.processed_folder!r}: {data!r}")
            self.conn.uid("STORE", uid, "+FLAGS", f"({PROCESSED_FLAG} \\Seen \\Deleted)")
            self.conn.expunge()
        else:
            typ, data = self.conn.uid("STORE", uid, "+FLAGS", f"({PROCESSED_FLAG} \\Seen)")
            if typ != "OK":
                raise MailError(f"imap: cannot flag message {uid}: {data!r}")


class ImapFolder:
    """The IMAP folder as a source: each unprocessed message is marked processed once the
    watcher has handled its notice; a mailbox that cannot be read is a problem."""

    def __init__(self, cfg: ImapConfig) -> None:
        self.cfg = cfg

    def poll(self, at: datetime) -> Iterator[Event]:
        try:
            with ImapMailbox(self.cfg) as box:
                for item in box.unprocessed():
                    yield Found(item.key, "mail", item.notice, item.notice.url)
                    box.mark_processed(item.uid)
        except MailError as exc:
            yield Problem("imap", "mailbox unavailable", str(exc))


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
