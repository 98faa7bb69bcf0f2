"""The SMTP pool: `pool_size` worker threads, each holding one connection (stdlib smtplib) that
it reuses for up to `messages_per_connection` transactions and reopens when the server closes
it. One rate limiter for the whole pool. Retries with capped exponential backoff and jitter on
transient failures only (421, other 4xx, timeouts, dropped connections); 5xx are final, per
recipient. With a spool (on by default), the outbox makes delivery exactly-once across runs,
crashes included. A message to several recipients goes out as one copy per recipient.
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import random
import re
import select
import smtplib
import socket
import sqlite3
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from watcloud.core.backoff import backoff_delay
from watcloud.core.ratelimit import RateLimiter
from watcloud.notify.config import NotifyConfig
from watcloud.notify.mime import addr_spec, build, to_bytes
from watcloud.notify.model import Message, SendResult
from watcloud.notify.outbox import DoneEntry, Outbox, Spooled

Sleep = Callable[[float], None]
BUILD_CHUNK = 64  # messages built and written to the outbox per step
Clock = Callable[[], float]
Mark = Callable[[str, list[str]], None]
_LEADING_DOT = re.compile(rb"(?m)^\.")


class _Fatal(Exception):
    """A failure no retry will fix within this run (bad credentials, TLS refused, 554 greeting)."""


class _Drop(Exception):
    """The connection is gone (421, reset, timeout): reconnect before the next attempt."""


class _Stale(Exception):
    """A reused connection turned out closed before MAIL got an answer (the relay's idle
    timeout): nothing was sent, so reconnect and try again at once, without backoff."""


@dataclass
class _Job:
    id: str
    sender: str
    raw: bytes
    subject: str
    pending: list[str]
    outcome: dict[str, str]
    prior_attempts: int = 0
    attempts: int = 0
    error: str | None = None
    note: str | None = None

    @property
    def total_attempts(self) -> int:
        return self.prior_attempts + self.attempts


@dataclass
class PoolStats:
    connections_opened: int = 0
    transactions: int = 0
    reconnects: int = 0  # connections lost (421, reset, timeout) and reopened
    retries: int = 0
    rate_limited_seconds: float = 0.0


@dataclass
class BatchReport:
    results: list[SendResult]  # one per input message, in order
    drained: list[SendResult]  # messages from earlier runs' spool sent (or kept) this run
    stats: PoolStats
    fatal: str | None = None  # set when the run stopped trying: unreachable, auth, TLS

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results + self.drained)


def _reply(code: int, resp: bytes | str) -> str:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return f"{code} {' '.join(text.split())}".strip()


class Pool:
    """Runs jobs on `pool_size` connections. Results arrive on `done` as jobs finish."""

    def __init__(
        self,
        settings: NotifyConfig,
        *,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        rng: Callable[[], float] = random.random,
        on_sending: Mark | None = None,
        on_unsent: Callable[[str], None] | None = None,
    ) -> None:
        self.s = settings
        self.sleep = sleep
        # Called by the worker between the body of DATA and its final "." (with the
        # recipients it is for), and when the relay then did not take it: the spool's intent.
        self.on_sending = on_sending
        self.on_unsent = on_unsent
        self.rng = rng
        self.limiter = RateLimiter(
            settings.rate_per_second,
            settings.rate_per_minute,
            burst=settings.burst,
            clock=clock,
            sleep=sleep,
        )
        self.stats = PoolStats()
        self._lock = threading.Lock()
        self._fatal: str | None = None
        self._connect_failures = 0  # consecutive, across the pool
        self._password = settings.resolve_password() if settings.username else None

    # -- connections -------------------------------------------------------------------------

    def _tls_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=str(self.s.ca_file) if self.s.ca_file else None)
        if not self.s.tls_verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def _open(self) -> smtplib.SMTP:
        s = self.s
        with self._lock:
            self.stats.connections_opened += 1
        try:
            conn: smtplib.SMTP
            if s.security == "tls":
                conn = smtplib.SMTP_SSL(
                    s.host,
                    s.effective_port,
                    local_hostname=s.ehlo_name,
                    timeout=s.timeout,
                    context=self._tls_context(),
                )
            else:
                conn = smtplib.SMTP(
                    s.host, s.effective_port, local_hostname=s.ehlo_name, timeout=s.timeout
                )
        except smtplib.SMTPConnectError as exc:
            if 400 <= exc.smtp_code < 500:  # "421 busy" at the greeting
                self._connect_failed(_reply(exc.smtp_code, exc.smtp_error))
                raise _Drop(_reply(exc.smtp_code, exc.smtp_error)) from None
            raise _Fatal(
                f"server refused the connection: {_reply(exc.smtp_code, exc.smtp_error)}"
            ) from None
        except ssl.SSLError as exc:
            raise _Fatal(f"TLS handshake with {s.host}:{s.effective_port} failed: {exc}") from None
        except (OSError, smtplib.SMTPException) as exc:
            self._connect_failed(f"cannot connect to {s.host}:{s.effective_port}: {exc}")
            raise _Drop(f"cannot connect to {s.host}:{s.effective_port}: {exc}") from None
        try:
            conn.ehlo_or_helo_if_needed()
            if s.security == "starttls":
                conn.ehlo()
                if not conn.has_extn("starttls"):
                    raise _Fatal(f"{s.host} does not offer STARTTLS (security: starttls)")
                conn.starttls(context=self._tls_context())
                conn.ehlo()
            if s.username:
                if self._password is None:
                    raise _Fatal("SMTP username set but no password (set WATCLOUD_SMTP_PASSWORD)")
                conn.login(s.username, self._password)
        except smtplib.SMTPAuthenticationError as exc:
            _close(conn)
            raise _Fatal(
                f"authentication failed: {_reply(exc.smtp_code, exc.smtp_error)}"
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            _close(conn)
            raise _Fatal(f"{s.host}: {exc}") from None
        except ssl.SSLError as exc:
            _close(conn)
            raise _Fatal(f"STARTTLS with {s.host} failed: {exc}") from None
        except smtplib.SMTPResponseException as exc:
            _close(conn)
            if 400 <= exc.smtp_code < 500:
                self._connect_failed(_reply(exc.smtp_code, exc.smtp_error))
                raise _Drop(_reply(exc.smtp_code, exc.smtp_error)) from None
            raise _Fatal(_reply(exc.smtp_code, exc.smtp_error)) from None
        except (OSError, smtplib.SMTPException) as exc:
            _close(conn)
            self._connect_failed(f"connection setup failed: {exc}")
            raise _Drop(f"connection setup failed: {exc}") from None
        if conn.sock is not None:
            # The final "." of DATA goes out in its own small write (after the spool's intent):
            # with Nagle's algorithm it would wait for the relay's delayed ACK, 40 ms a message.
            with contextlib.suppress(OSError):
                conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            self._connect_failures = 0
        return conn

    def _connect_failed(self, error: str) -> None:
        """A circuit breaker: after `max_attempts` connection failures in a row (across the
        pool) the server counts as down for this run; the remaining messages are not tried
        (they stay in the spool) instead of each waiting out its own backoff."""
        with self._lock:
            self._connect_failures += 1
            if self._connect_failures >= self.s.max_attempts and self._fatal is None:
                self._fatal = f"{error} ({self._connect_failures} attempts in a row)"

    @property
    def fatal(self) -> str | None:
        """Why this run stopped trying (server unreachable, authentication or TLS failure)."""
        return self._fatal

    # -- one transaction ---------------------------------------------------------------------

    def _transact(self, conn: smtplib.SMTP, job: _Job) -> None:
        """MAIL, RCPT for each pending recipient, DATA. Updates `job`; raises `_Drop` when the
        connection cannot be used any more (421, disconnect, timeout)."""
        with self._lock:
            self.stats.transactions += 1
        try:
            resp: bytes | str
            try:
                code, resp = conn.mail(job.sender)
            except smtplib.SMTPServerDisconnected:
                raise _Stale() from None
            if code == 421:
                raise _Drop(_reply(code, resp))
            if code >= 400:
                self._all_pending(job, code, resp)
                _rset(conn)
                return
            accepted: list[str] = []
            for rcpt in list(job.pending):
                code, resp = conn.rcpt(rcpt)
                if code == 421:
                    raise _Drop(_reply(code, resp))
                if 200 <= code < 300:
                    accepted.append(rcpt)
                elif 400 <= code < 500:
                    job.outcome[rcpt] = _reply(code, resp)
                else:
                    job.outcome[rcpt] = _reply(code, resp)
                    job.pending.remove(rcpt)
            if not accepted:
                _rset(conn)
                return
            try:
                code, resp = self._data(conn, job, accepted)
            except smtplib.SMTPDataError as exc:
                code, resp = exc.smtp_code, exc.smtp_error
                if code == 421:
                    raise _Drop(_reply(code, resp)) from None
                _rset(conn)
            if 200 <= code < 300:
                for rcpt in accepted:
                    job.outcome[rcpt] = "ok"
                    job.pending.remove(rcpt)
            elif code == 421:
                raise _Drop(_reply(code, resp))
            else:
                for rcpt in accepted:
                    job.outcome[rcpt] = _reply(code, resp)
                    if code >= 500:
                        job.pending.remove(rcpt)
        except _Drop as exc:
            for rcpt in job.pending:
                job.outcome[rcpt] = str(exc)
            raise
        except (OSError, smtplib.SMTPException) as exc:
            msg = f"connection lost: {type(exc).__name__}: {exc}".rstrip(": ")
            for rcpt in job.pending:
                job.outcome[rcpt] = msg
            raise _Drop(msg) from None

    def _data(self, conn: smtplib.SMTP, job: _Job, accepted: list[str]) -> tuple[int, bytes]:
        """smtplib's `data()`, with the body and its final "." sent apart and the spool's
        intent committed between them: the relay takes nothing before the "."."""
        conn.putcmd("data")
        code, resp = conn.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, resp)
        body = _LEADING_DOT.sub(b"..", job.raw)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        if self.on_sending is None:
            conn.send(body + b".\r\n")
        else:
            conn.send(body)
            if conn.sock is not None:  # room in the socket buffer: the "." will not block
                select.select([], [conn.sock], [], self.s.timeout)
            self.on_sending(job.id, accepted)
            conn.send(b".\r\n")
        try:
            code, resp = conn.getreply()
        except BaseException:
            if self.on_unsent is not None:
                self.on_unsent(job.id)
            raise
        if not 200 <= code < 300 and self.on_unsent is not None:
            self.on_unsent(job.id)
        return code, resp

    @staticmethod
    def _all_pending(job: _Job, code: int, resp: bytes | str) -> None:
        reply = _reply(code, resp)
        for rcpt in list(job.pending):
            job.outcome[rcpt] = reply
            if code >= 500:
                job.pending.remove(rcpt)

    # -- workers -----------------------------------------------------------------------------

    def start(self, n_jobs: int) -> None:
        """Start min(pool_size, n_jobs) workers; then `submit` jobs, `close`, collect."""
        self._todo: queue.Queue[_Job | None] = queue.Queue()
        self._done: queue.Queue[_Job] = queue.Queue()
        self._workers = [
            threading.Thread(
                target=self._worker, args=(self._todo, self._done), daemon=True, name=f"smtp-{i}"
            )
            for i in range(min(self.s.pool_size, max(1, n_jobs)))
        ]
        for w in self._workers:
            w.start()

    def submit(self, job: _Job) -> None:
        self._todo.put(job)

    def close(self) -> None:
        """No more jobs: each worker finishes the queue, QUITs its connection and stops."""
        for _ in self._workers:
            self._todo.put(None)

    def finished(self, *, block: bool) -> _Job | None:
        """The next finished job (waiting for one when `block`), else None."""
        try:
            return self._done.get(block=block)
        except queue.Empty:
            return None

    def join(self) -> None:
        for w in self._workers:
            w.join()
        self.stats.rate_limited_seconds = self.limiter.waited

    def run(self, jobs: list[_Job], on_done: Callable[[_Job], None]) -> None:
        """Run every job; `on_done` is called on this (the calling) thread for each."""
        self.start(len(jobs))
        for job in jobs:
            self.submit(job)
        self.close()
        for _ in jobs:
            done = self.finished(block=True)
            assert done is not None
            on_done(done)
        self.join()

    def _worker(self, todo: queue.Queue[_Job | None], done: queue.Queue[_Job]) -> None:
        conn: smtplib.SMTP | None = None
        used = 0
        try:
            while (job := todo.get()) is not None:
                try:
                    conn, used = self._run_job(job, conn, used)
                except Exception as exc:  # a bug must not hang the batch: report, move on
                    job.error = f"internal error: {type(exc).__name__}: {exc}"
                    _close(conn)
                    conn = None
                done.put(job)
        finally:
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.quit()
                _close(conn)

    def _run_job(
        self, job: _Job, conn: smtplib.SMTP | None, used: int
    ) -> tuple[smtplib.SMTP | None, int]:
        stale_retried = False
        while job.pending:
            if self._fatal is not None:
                job.error = self._fatal
                break
            job.attempts += 1
            self.limiter.acquire()
            try:
                if conn is not None and used >= self.s.messages_per_connection:
                    with contextlib.suppress(Exception):
                        conn.quit()
                    _close(conn)
                    conn = None
                if conn is None:
                    conn = self._open()
                    used = 0
                used += 1
                self._transact(conn, job)
                job.error = None
            except _Fatal as exc:
                with self._lock:
                    self._fatal = self._fatal or str(exc)
                job.error = str(exc)
                _close(conn)
                conn = None
                break
            except _Stale:
                _close(conn)
                conn = None
                if used > 1 and not stale_retried:
                    # An idle pooled connection the relay had closed: not this message's
                    # fault, so it costs neither an attempt nor a backoff.
                    stale_retried = True
                    job.attempts -= 1
                    with self._lock:
                        self.stats.reconnects += 1
                    continue
                job.error = "connection closed by the server before MAIL"
                for rcpt in job.pending:
                    job.outcome[rcpt] = job.error
            except _Drop as exc:
                job.error = str(exc)
                if conn is not None:
                    with self._lock:
                        self.stats.reconnects += 1
                _close(conn)
                conn = None
            if not job.pending:
                break
            if job.error is None:
                job.error = "; ".join(sorted({job.outcome[r] for r in job.pending}))
            if job.attempts >= self.s.max_attempts:
                break
            if self._fatal is not None:
                # The breaker tripped (here or on another connection): no point waiting.
                job.error = self._fatal
                break
            with self._lock:
                self.stats.retries += 1
            self.sleep(
                backoff_delay(
                    job.attempts, self.s.backoff_base, self.s.backoff_cap, self.s.jitter, self.rng
                )
            )
        return conn, used


def _close(conn: smtplib.SMTP | None) -> None:
    """Close `conn`, ignoring errors (the connection is being thrown away)."""
    if conn is not None:
        with contextlib.suppress(Exception):
            conn.close()


def _bad_address(address: str) -> str | None:
    """Why `address` cannot go in RCPT TO (a permanent, local refusal), or None."""
    if not address.isascii():
        return "553 5.6.7 non-ASCII address (SMTPUTF8 is not supported)"
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or any(c in address for c in " <>\r\n"):
        return "553 5.1.3 not a valid address"
    return None


def _rset(conn: smtplib.SMTP) -> None:
    try:
        conn.rset()
    except (OSError, smtplib.SMTPException) as exc:
        raise _Drop(f"connection lost on RSET: {exc}") from None


# -- the batch ----------------------------------------------------------------------------------


TAKEN_OVER = (
    "concluded sent, not sent again: the run sending it was killed while it finished the"
    " message (its final '.' going out) and before the relay's reply was recorded"
)


RESENT = (
    "sent again (after_crash: resend): the run sending it was killed while it finished the"
    " message; if its final '.' had gone out, this is a second copy"
)


def calling_tool() -> str:
    """The tool a library call comes from: the first `watcloud.<tool>` module on the stack
    outside notify (`watcloud.outage.delivery` -> "outage"), else "notify"."""
    frame = sys._getframe(1)
    while frame is not None:
        parts = str(frame.f_globals.get("__name__", "")).split(".")
        if len(parts) > 1 and parts[0] == "watcloud" and parts[1] not in _NOT_TOOLS:
            return parts[1]
        frame = frame.f_back  # type: ignore[assignment]
    return "notify"


_NOT_TOOLS = {"notify", "core", "cli", "__main__"}


def spool_path(settings: NotifyConfig, tool: str | None = None) -> Path | None:
    """Where the outbox is: `spool` from the settings; if unset, the calling tool's state
    directory (`$XDG_STATE_HOME/watcloud/<tool>-outbox.sqlite`); None only when the settings
    turn it off explicitly (`spool: false`)."""
    if settings.spool is False:
        return None
    if settings.spool is not None:
        return Path(settings.spool)
    from watcloud.core.paths import state_dir

    return state_dir() / f"{tool or calling_tool()}-outbox.sqlite"


def deliver(
    messages: Iterable[Message],
    settings: NotifyConfig,
    *,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
    rng: Callable[[], float] = random.random,
    on_result: Callable[[SendResult], None] | None = None,
    drain_spool: bool = True,
    tool: str | None = None,
) -> BatchReport:
    """Send `messages` (and, with a spool, what earlier runs left in it) through one pool;
    like `send_batch`, but the whole report: results, spool drained, pool stats and `fatal`
    (set when the relay could not be used at all: unreachable, authentication or TLS
    refused).

    `tool` names the calling tool, whose state directory holds the outbox when the settings
    do not name one (default: guessed from the caller's module, see `calling_tool`)."""
    msgs = list(messages)
    path = spool_path(settings, tool or calling_tool())
    from watcloud.core.errors import WatcloudError

    try:
        outbox = Outbox(path, keep_days=settings.spool_keep_days) if path is not None else None
    except (sqlite3.Error, OSError) as exc:
        raise WatcloudError(f"{path}: the spool cannot be used: {exc}") from None
    try:
        return _deliver(msgs, settings, outbox, sleep, clock, rng, on_result, drain_spool)
    except sqlite3.Error as exc:  # busy for longer than its 30 s timeout, disk full, ...
        raise WatcloudError(f"{path}: the spool failed: {exc}") from None
    finally:
        if outbox is not None:
            with contextlib.suppress(sqlite3.Error):
                outbox.close()


def copy_id(key: str, recipient: str) -> str:
    """The idempotency key of one recipient's copy of message `key`."""
    return f"{key}.{hashlib.sha256(recipient.lower().encode()).hexdigest()[:12]}"


def copies(msg: Message, settings: NotifyConfig) -> list[tuple[str, Message, list[str]]]:
    """(id, message as built, envelope recipients) for each copy of `msg` that goes out: one
    per recipient with only that recipient in `To:`, or with `bcc` one for all, `To:` the list
    address (else the sender). A one-recipient message keeps its own id."""
    rcpts = list(dict.fromkeys(addr_spec(r) for r in msg.to))
    if msg.bcc:
        header_to = [settings.list_address or settings.sender]
        return [(msg.key, replace(msg, to=header_to, id=msg.key), rcpts)]
    if len(rcpts) <= 1:
        return [(msg.key, msg, rcpts)]
    out: list[tuple[str, Message, list[str]]] = []
    seen: set[str] = set()
    for shown in msg.to:
        rcpt = addr_spec(shown)
        if rcpt in seen:
            continue
        seen.add(rcpt)
        cid = copy_id(msg.key, rcpt)
        out.append((cid, replace(msg, to=[shown], id=cid), [rcpt]))
    return out


def _combine(key: str, parts: list[SendResult]) -> SendResult:
    """One result for a message sent as several copies."""
    if len(parts) == 1 and parts[0].id == key:
        return parts[0]
    statuses = {p.status for p in parts}
    if "failed" in statuses:
        status = "failed"
    elif "spooled" in statuses:
        status = "spooled"
    elif statuses == {"duplicate"}:
        status = "duplicate"
    else:
        status = "sent"
    recipients: dict[str, str] = {}
    for p in parts:
        recipients.update(p.recipients)
    errors = list(dict.fromkeys(p.error for p in parts if p.error and p.status != "sent"))
    notes = list(dict.fromkeys(p.note for p in parts if p.note))
    return SendResult(
        key,
        status,
        recipients,
        max((p.attempts for p in parts), default=0),
        "; ".join(errors) if errors and status not in ("sent", "duplicate") else None,
        "; ".join(notes) or None,
    )


def _from_done(id: str, prior: DoneEntry) -> SendResult:
    """The result for a message an earlier run finished: not sent again."""
    ok = prior.status == "sent"
    error = None if ok else "refused permanently in an earlier run"
    return SendResult(id, "duplicate" if ok else "failed", prior.outcome, 0, error)


def _deliver(
    msgs: list[Message],
    settings: NotifyConfig,
    outbox: Outbox | None,
    sleep: Sleep,
    clock: Clock,
    rng: Callable[[], float],
    on_result: Callable[[SendResult], None] | None,
    drain_spool: bool,
) -> BatchReport:
    results: list[SendResult | None] = [None] * len(msgs)
    parts_of: list[list[str]] = [[] for _ in msgs]  # input index -> its copies' ids
    part_result: dict[str, SendResult] = {}
    askers: dict[str, list[int]] = {}  # copy id -> input indexes it answers (first: sender)
    left = [0] * len(msgs)  # copies of each input message still without a result

    plans: list[list[tuple[str, Message, list[str]]] | None] = []
    for msg in msgs:
        empty = not msg.to or (not msg.subject and msg.text is None and msg.html is None)
        plans.append(None if empty else copies(msg, settings))

    jobs: dict[str, _Job] = {}
    if outbox is not None:
        wanted = None if drain_spool else {c[0] for p in plans if p for c in p}
        for sp in outbox.claim_pending(wanted):
            job = _Job(
                sp.id,
                sp.sender,
                sp.raw,
                sp.subject,
                sp.pending,
                sp.outcome,
                prior_attempts=sp.attempts,
                error=sp.last_error,
            )
            if sp.sending and settings.after_crash == "resend":
                job.note = RESENT
            for rcpt in sp.sending if settings.after_crash == "sent" else []:
                if rcpt in job.pending:  # the dead run was ending this copy: the relay has it
                    job.pending.remove(rcpt)
                    job.outcome[rcpt] = "ok"
                    job.note = TAKEN_OVER
            if job.note is not None:
                job.prior_attempts += 1  # the dead run's attempt, never recorded
            jobs[sp.id] = job

    def result_for(index: int) -> SendResult:
        parts = []
        for pid in parts_of[index]:
            r = part_result[pid]
            if r.status == "sent" and askers[pid][0] != index:  # the same copy twice: sent once
                r = SendResult(pid, "duplicate", dict(r.recipients), 0, None)
            parts.append(r)
        return _combine(msgs[index].key, parts)

    def complete(pid: str, result: SendResult) -> None:
        part_result[pid] = result
        for index in askers.get(pid, []):
            left[index] -= 1
            if left[index] == 0:
                results[index] = done = result_for(index)
                if on_result is not None:
                    on_result(done)

    to_build: list[tuple[str, Message, list[str]]] = []
    for i, msg in enumerate(msgs):
        plan = plans[i]
        key = msg.key
        if plan is None:
            results[i] = SendResult(key, "failed", {}, 0, "message has no recipients or content")
            continue
        if outbox is not None and len(plan) > 1 and (legacy := outbox.done(key)) is not None:
            results[i] = _from_done(key, legacy)  # sent whole, to all at once, by 0.x
            continue
        for pid, built, rcpts in plan:
            parts_of[i].append(pid)
            if pid in askers:
                askers[pid].append(i)
                if pid not in part_result:
                    left[i] += 1
                continue
            askers[pid] = [i]
            if pid in jobs:
                left[i] += 1
                continue
            if outbox is not None:
                prior = outbox.done(pid)
                if prior is not None:
                    part_result[pid] = _from_done(pid, prior)
                    continue
                if outbox.holder(pid) is not None:
                    part_result[pid] = SendResult(
                        pid, "spooled", {}, 0, "in the spool, being sent by another run"
                    )
                    continue
            left[i] += 1
            to_build.append((pid, built, rcpts))
        if left[i] == 0:
            results[i] = result_for(i)

    drained: list[SendResult] = []

    def finished(job: _Job) -> None:
        if job.pending:
            status = "spooled" if outbox is not None else "failed"
        elif all(v == "ok" for v in job.outcome.values()):
            status = "sent"
        else:
            status = "failed"
        error = job.error
        if status == "failed" and not job.pending:
            bad = {r: v for r, v in job.outcome.items() if v != "ok"}
            error = "refused: " + "; ".join(f"{r}: {v}" for r, v in bad.items())
        elif status == "sent":
            error = None
        elif error is not None and job.attempts > 0:
            error = f"gave up after {job.attempts} attempt(s): {error}"
        if outbox is not None:
            if job.pending:
                outbox.keep(job.id, job.pending, job.outcome, job.total_attempts, job.error)
            else:
                outbox.finish(job.id, status, job.outcome, job.total_attempts, job.subject)
        result = SendResult(job.id, status, dict(job.outcome), job.total_attempts, error, job.note)
        if job.id in askers:
            complete(job.id, result)
        else:  # from an earlier run's spool, not in this batch
            drained.append(result)
            if on_result is not None:
                on_result(result)

    # Messages are built (MIME) and written to the outbox in chunks while the pool already
    # sends the earlier ones: the first message goes out after one chunk, not after all.
    pool = Pool(
        settings,
        sleep=sleep,
        clock=clock,
        rng=rng,
        on_sending=outbox.mark_sending if outbox is not None else None,
        on_unsent=outbox.mark_unsent if outbox is not None else None,
    )
    ready = [j for j in jobs.values() if not j.pending]  # taken over, nothing left to send
    pool.start(len(jobs) - len(ready) + len(to_build))
    for job in ready:
        finished(job)
    submitted = 0
    for job in jobs.values():
        if job.pending:
            pool.submit(job)
            submitted += 1
    completed = 0
    for start in range(0, len(to_build), BUILD_CHUNK):
        chunk: list[_Job] = []
        for pid, built, rcpts in to_build[start : start + BUILD_CHUNK]:
            try:
                raw = to_bytes(build(built, settings))
            except ValueError as exc:
                complete(pid, SendResult(pid, "failed", {}, 0, str(exc)))
                continue
            refused = {r: why for r in rcpts if (why := _bad_address(r))}
            pending = [r for r in rcpts if r not in refused]
            chunk.append(_Job(pid, settings.envelope_sender, raw, built.subject, pending, refused))
        if outbox is not None and chunk:
            skipped = outbox.add(
                [
                    Spooled(j.id, j.sender, j.pending, j.outcome, j.raw, j.subject, 0, None)
                    for j in chunk
                ]
            )
            for pid, why in skipped.items():  # another run took it meanwhile
                prior = outbox.done(pid) if why == "done" else None
                if prior is not None:
                    complete(pid, _from_done(pid, prior))
                else:
                    complete(pid, SendResult(pid, "spooled", {}, 0, "sent by another run"))
            chunk = [j for j in chunk if j.id not in skipped]
        for job in chunk:
            pool.submit(job)
            submitted += 1
        while (done_job := pool.finished(block=False)) is not None:
            finished(done_job)
            completed += 1
    pool.close()
    while completed < submitted:
        done_job = pool.finished(block=True)
        assert done_job is not None
        finished(done_job)
        completed += 1
    pool.join()
    final = [r for r in results if r is not None]
    assert len(final) == len(msgs)
    return BatchReport(results=final, drained=drained, stats=pool.stats, fatal=pool.fatal)
