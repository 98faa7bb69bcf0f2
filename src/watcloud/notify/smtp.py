"""The SMTP pool: `pool_size` worker threads, each holding one connection (stdlib smtplib) that
it reuses for up to `messages_per_connection` transactions and reopens when the server closes
it. One rate limiter for the whole pool. Retries with capped exponential backoff and jitter on
transient failures only (421, other 4xx, timeouts, dropped connections); 5xx are final, per
recipient. With a spool, the outbox makes delivery exactly-once across runs.
"""

from __future__ import annotations

import contextlib
import queue
import random
import smtplib
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from watcloud.core.backoff import backoff_delay
from watcloud.core.ratelimit import RateLimiter
from watcloud.notify import mime
from watcloud.notify.model import Message, SendResult
from watcloud.notify.outbox import Outbox, Spooled
from watcloud.notify.settings import SmtpSettings

Sleep = Callable[[float], None]
BUILD_CHUNK = 64  # messages built and written to the outbox per step
Clock = Callable[[], float]


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
        settings: SmtpSettings,
        *,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.s = settings
        self.sleep = sleep
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
                code, resp = conn.data(job.raw)
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


def deliver(
    messages: Iterable[Message],
    settings: SmtpSettings,
    *,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
    rng: Callable[[], float] = random.random,
    on_result: Callable[[SendResult], None] | None = None,
    drain_spool: bool = True,
) -> BatchReport:
    """Send `messages` (and, with a spool, what earlier runs left in it) through one pool."""
    msgs = list(messages)
    outbox = (
        Outbox(settings.spool, keep_days=settings.spool_keep_days)
        if settings.spool is not None
        else None
    )
    try:
        return _deliver(msgs, settings, outbox, sleep, clock, rng, on_result, drain_spool)
    finally:
        if outbox is not None:
            outbox.close()


def _deliver(
    msgs: list[Message],
    settings: SmtpSettings,
    outbox: Outbox | None,
    sleep: Sleep,
    clock: Clock,
    rng: Callable[[], float],
    on_result: Callable[[SendResult], None] | None,
    drain_spool: bool,
) -> BatchReport:
    results: list[SendResult | None] = [None] * len(msgs)
    jobs: dict[str, _Job] = {}
    from_spool: list[str] = []
    waiting: dict[str, list[int]] = {}  # job id -> input indexes answered by that job

    if outbox is not None and drain_spool:
        for sp in outbox.claim_pending():
            jobs[sp.id] = _Job(
                sp.id,
                sp.sender,
                sp.raw,
                sp.subject,
                sp.pending,
                sp.outcome,
                prior_attempts=sp.attempts,
                error=sp.last_error,
            )
            from_spool.append(sp.id)

    to_build: list[tuple[Message, list[str]]] = []
    for i, msg in enumerate(msgs):
        key = msg.key
        if key in waiting or key in jobs:
            waiting.setdefault(key, []).append(i)
            continue
        if outbox is not None:
            prior = outbox.done(key)
            if prior is not None:
                results[i] = SendResult(
                    key,
                    "duplicate" if prior.status == "sent" else "failed",
                    prior.outcome,
                    0,
                    None if prior.status == "sent" else "refused permanently in an earlier run",
                )
                continue
            if outbox.is_leased(key):
                results[i] = SendResult(
                    key, "spooled", {}, 0, "in the spool, being sent by another run"
                )
                continue
        rcpts = [mime.addr_spec(r) for r in msg.to]
        if not rcpts or (not msg.subject and msg.text is None and msg.html is None):
            results[i] = SendResult(key, "failed", {}, 0, "message has no recipients or content")
            continue
        waiting.setdefault(key, []).append(i)
        to_build.append((msg, list(dict.fromkeys(rcpts))))

    drained: list[SendResult] = []
    spool_ids = set(from_spool)

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
        result = SendResult(job.id, status, dict(job.outcome), job.total_attempts, error)
        for n, idx in enumerate(waiting.get(job.id, [])):
            if n == 0 or status != "sent":
                results[idx] = result
            else:  # the same id twice in one batch: delivered once
                results[idx] = SendResult(job.id, "duplicate", dict(job.outcome), 0, None)
        if job.id in spool_ids:
            drained.append(result)
        if on_result is not None:
            on_result(result)

    # Messages are built (MIME) and written to the outbox in chunks while the pool already
    # sends the earlier ones: the first message goes out after one chunk, not after all.
    pool = Pool(settings, sleep=sleep, clock=clock, rng=rng)
    pool.start(len(jobs) + len(to_build))
    submitted = 0
    for job in jobs.values():
        pool.submit(job)
        submitted += 1
    completed = 0
    for start in range(0, len(to_build), BUILD_CHUNK):
        chunk: list[_Job] = []
        for msg, rcpts in to_build[start : start + BUILD_CHUNK]:
            try:
                raw = mime.to_bytes(mime.build(msg, settings))
            except ValueError as exc:
                for idx in waiting.pop(msg.key):
                    results[idx] = SendResult(msg.key, "failed", {}, 0, str(exc))
                continue
            refused = {r: why for r in rcpts if (why := _bad_address(r))}
            pending = [r for r in rcpts if r not in refused]
            chunk.append(
                _Job(msg.key, settings.envelope_sender, raw, msg.subject, pending, refused)
            )
        if outbox is not None and chunk:
            outbox.add(
                [
                    Spooled(j.id, j.sender, j.pending, j.outcome, j.raw, j.subject, 0, None)
                    for j in chunk
                ]
            )
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
