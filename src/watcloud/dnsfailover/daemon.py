"""The daemon: probe loops, a publisher, /metrics and /healthz, single-active lock, SIGTERM.

Probing and publishing are separate loops that never wait for each other. One asyncio task per
service probes all its hosts every `interval` and feeds the results to the decision
(decide.py): the health states are updated at once and the round is over. One publisher task
then takes the latest states, asks the reconciler (reconcile.py) for the smallest change and
has the provider apply it in a worker thread. While the provider is slow or hung, rounds keep
their cadence and /healthz answers; the publisher runs one provider call at a time and, when
it returns, publishes the newest states (the rounds that completed meanwhile are coalesced).
The provider's records are cached between calls; every `resync_interval` the publisher reads
them again in full, which repairs manual drift. A provider failure is counted and logged as
such, marks the cache stale (read again at the next round's publish) and never touches a
host's health.

Single active instance: an exclusive `flock` on `lock.path` (one host), or a Kubernetes Lease
(lease.py). A second instance waits as a standby (its /healthz answers "standby") and takes
over when the holder exits or dies. A Lease holder that loses its Lease stops (exit 1).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TypeVar

from watcloud.dnsfailover.config import DnsFailoverConfig, ServiceConfig
from watcloud.dnsfailover.decide import (
    HostState,
    Transition,
    desired_records,
    first_states,
    recovering,
    step_all,
)
from watcloud.dnsfailover.lease import FileLock, LeaseLock, NoLock, make_lock
from watcloud.dnsfailover.probe import ProbeResult, probe_round
from watcloud.dnsfailover.reconcile import (
    Change,
    Desired,
    Key,
    Provider,
    ProviderError,
    RRSetView,
    apply_to_view,
    plan,
)

log = logging.getLogger("watcloud.dnsfailover")
_T = TypeVar("_T")

ProbeFn = Callable[[Sequence[ServiceConfig]], Awaitable[list[ProbeResult]]]
Announcer = Callable[[str, list[str]], None]


# -- metrics -----------------------------------------------------------------------------------
def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@dataclass
class Metrics:
    probe_up: dict[tuple[str, str], int] = field(default_factory=dict)
    probe_latency: dict[tuple[str, str], float] = field(default_factory=dict)
    probes_total: dict[tuple[str, str, str], int] = field(default_factory=dict)
    host_healthy: dict[tuple[str, str], int] = field(default_factory=dict)
    published: dict[tuple[str, str], int] = field(default_factory=dict)
    rounds: dict[str, int] = field(default_factory=dict)
    round_seconds: dict[str, float] = field(default_factory=dict)
    round_seconds_max: dict[str, float] = field(default_factory=dict)
    round_gap_max: dict[str, float] = field(default_factory=dict)
    provider_busy_since: float | None = None  # monotonic start of the provider call in flight
    changes_total: dict[str, int] = field(default_factory=dict)
    provider_errors: int = 0
    internal_errors: int = 0
    provider_up: int = 0
    last_sync: float = 0.0
    leader: int = 0

    def render(self) -> str:
        out: list[str] = []

        def block(name: str, kind: str, help: str, rows: list[tuple[str, float]]) -> None:
            out.append(f"# HELP {name} {help}")
            out.append(f"# TYPE {name} {kind}")
            for labels, value in rows:
                out.append(f"{name}{labels} {value:g}" if labels else f"{name} {value:g}")

        def sh(key: tuple[str, str]) -> str:
            return f'{{service="{_esc(key[0])}",host="{_esc(key[1])}"}}'

        block(
            "dnsfailover_probe_success",
            "gauge",
            "Last probe of the host succeeded (1) or not.",
            [(sh(k), v) for k, v in sorted(self.probe_up.items())],
        )
        block(
            "dnsfailover_probe_duration_seconds",
            "gauge",
            "Duration of the last probe.",
            [(sh(k), v) for k, v in sorted(self.probe_latency.items())],
        )
        block(
            "dnsfailover_probes_total",
            "counter",
            "Probes by result.",
            [
                (f'{{service="{_esc(s)}",host="{_esc(h)}",result="{r}"}}', v)
                for (s, h, r), v in sorted(self.probes_total.items())
            ],
        )
        block(
            "dnsfailover_host_healthy",
            "gauge",
            "Host state after hysteresis (1 up, 0 down).",
            [(sh(k), v) for k, v in sorted(self.host_healthy.items())],
        )
        block(
            "dnsfailover_record_published",
            "gauge",
            "The host's record is published.",
            [(sh(k), v) for k, v in sorted(self.published.items())],
        )
        per_service: dict[str, int] = {}
        for (svc, _h), v in self.published.items():
            per_service[svc] = per_service.get(svc, 0) + v
        block(
            "dnsfailover_records_published",
            "gauge",
            "Records published per service.",
            [(f'{{service="{_esc(s)}"}}', v) for s, v in sorted(per_service.items())],
        )
        block(
            "dnsfailover_rounds_total",
            "counter",
            "Probe rounds completed.",
            [(f'{{service="{_esc(s)}"}}', v) for s, v in sorted(self.rounds.items())],
        )
        block(
            "dnsfailover_round_duration_seconds",
            "gauge",
            "Duration of the last round.",
            [(f'{{service="{_esc(s)}"}}', v) for s, v in sorted(self.round_seconds.items())],
        )
        block(
            "dnsfailover_round_duration_max_seconds",
            "gauge",
            "Longest round since start (probes and decision; never a provider call).",
            [(f'{{service="{_esc(s)}"}}', v) for s, v in sorted(self.round_seconds_max.items())],
        )
        block(
            "dnsfailover_round_gap_max_seconds",
            "gauge",
            "Longest time between the ends of two consecutive rounds (bound: interval + timeout).",
            [(f'{{service="{_esc(s)}"}}', v) for s, v in sorted(self.round_gap_max.items())],
        )
        busy = self.provider_busy_since
        block(
            "dnsfailover_provider_call_seconds",
            "gauge",
            "How long the provider call in flight has been running (0: none).",
            [("", 0.0 if busy is None else time.monotonic() - busy)],
        )
        block(
            "dnsfailover_record_changes_total",
            "counter",
            "Record changes applied.",
            [(f'{{action="{a}"}}', v) for a, v in sorted(self.changes_total.items())],
        )
        block(
            "dnsfailover_provider_errors_total",
            "counter",
            "Provider failures (after retries); never counted as host failures.",
            [("", self.provider_errors)],
        )
        block(
            "dnsfailover_internal_errors_total",
            "counter",
            "Probe rounds that failed with an unexpected error (see the log).",
            [("", self.internal_errors)],
        )
        block(
            "dnsfailover_provider_up",
            "gauge",
            "The last provider call succeeded.",
            [("", self.provider_up)],
        )
        block(
            "dnsfailover_last_successful_sync_timestamp_seconds",
            "gauge",
            "Unix time of the last successful read or write of the provider.",
            [("", self.last_sync)],
        )
        block(
            "dnsfailover_leader",
            "gauge",
            "This instance holds the single-active lock.",
            [("", self.leader)],
        )
        return "\n".join(out) + "\n"


# -- the engine --------------------------------------------------------------------------------
@dataclass
class SyncOutcome:
    changes: list[Change]
    warnings: list[str]
    error: str | None = None


class Engine:
    """States, cached provider view and reconciliation; shared by `run` and `plan`."""

    def __init__(
        self,
        config: DnsFailoverConfig,
        provider: Provider,
        *,
        announcer: Announcer | None = None,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.provider = provider
        self.announcer = announcer
        self.wall_clock = wall_clock
        self.states: dict[str, dict[str, HostState]] = {}
        self.views: dict[Key, RRSetView] = {}
        self.stale = True
        # While the daemon's first read of the provider is under way, rounds are queued here
        # (per service) and replayed onto the published state once it is known.
        self.reading_first = False
        self.backlog: dict[str, list[tuple[dict[str, bool], dict[str, str]]]] = {}
        self.metrics = Metrics()
        self.lock = asyncio.Lock()
        self.warned: set[str] = set()
        self.failing_open: set[str] = set()
        self.announce_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="announce")
        self.pending: list[Future[None]] = []

    def _key(self, svc: ServiceConfig) -> Key:
        return (svc.fqdn, svc.type)

    def _fetch(self, services: Sequence[ServiceConfig]) -> None:
        views = self.provider.fetch([self._key(s) for s in services])
        self.views = {**self.views, **views}  # one assignment: the loop thread reads it
        self._sync_ok()

    async def initial_fetch(self) -> None:
        """Read the provider once (first states build on it); rounds queued meanwhile replay."""
        async with self.lock:
            try:
                await self._in_thread(self._fetch, self.config.services)
                self.stale = False
            except ProviderError as exc:
                self._provider_failed(exc)
            finally:
                self.reading_first = False
        self._update_published_metrics()

    async def _in_thread(self, fn: Callable[..., _T], *args: object, **kw: object) -> _T:
        """A provider call in a worker thread, timed for `dnsfailover_provider_call_seconds`."""
        self.metrics.provider_busy_since = time.monotonic()
        try:
            return await asyncio.to_thread(fn, *args, **kw)
        finally:
            self.metrics.provider_busy_since = None

    def _sync_ok(self) -> None:
        self.metrics.provider_up = 1
        self.metrics.last_sync = self.wall_clock()

    def _provider_failed(self, exc: ProviderError) -> str:
        self.metrics.provider_errors += 1
        self.metrics.provider_up = 0
        self.stale = True
        log.error("provider error (hosts unaffected, will retry): %s", exc)
        return str(exc)

    def published(self, svc: ServiceConfig) -> frozenset[str] | None:
        view = self.views.get(self._key(svc))
        return None if view is None else view.published()

    def observe(self, svc: ServiceConfig, results: list[ProbeResult]) -> list[Transition]:
        """Feed one round of results into the state machine; log and return the flips."""
        ok = {r.host: r.ok for r in results}
        detail = {r.host: r.detail for r in results}
        for r in results:
            self.metrics.probe_up[(svc.key, r.host)] = int(r.ok)
            self.metrics.probe_latency[(svc.key, r.host)] = r.latency
            k = (svc.key, r.host, "ok" if r.ok else "fail")
            self.metrics.probes_total[k] = self.metrics.probes_total.get(k, 0) + 1
        flips: list[Transition] = []
        if svc.key not in self.states:
            if self.reading_first:  # probing never waits for the provider's first read
                self.backlog.setdefault(svc.key, []).append((ok, detail))
                return []
            (first, first_detail), *later = [*self.backlog.pop(svc.key, []), (ok, detail)]
            self.states[svc.key] = first_states(
                svc.hosts,
                self.published(svc),
                first,
                down_after=svc.down_after,
                up_after=svc.up_after,
            )
            for h, st in self.states[svc.key].items():
                why = first_detail.get(h, "")
                log.info("%s %s: initial state %s (%s)", svc.key, h, st.label, why)
            for res, _ in later:
                self.states[svc.key], more = step_all(
                    self.states[svc.key], res, down_after=svc.down_after, up_after=svc.up_after
                )
                flips += more
        else:
            self.states[svc.key], flips = step_all(
                self.states[svc.key], ok, down_after=svc.down_after, up_after=svc.up_after
            )
        for f in flips:
            word = "UP" if f.became_up else "DOWN"
            n = "successes" if f.became_up else "failures"
            log.warning(
                "%s %s: host %s after %d consecutive %s (%s)",
                svc.key,
                f.host,
                word,
                f.streak,
                n,
                detail.get(f.host, ""),
            )
        for h, st in self.states[svc.key].items():
            self.metrics.host_healthy[(svc.key, h)] = int(st.up)
        return flips

    def desired(
        self, svc: ServiceConfig, all_states: dict[str, dict[str, HostState]] | None = None
    ) -> Desired:
        states = (self.states if all_states is None else all_states)[svc.key]
        published = self.published(svc) or frozenset()
        contents = desired_records(svc.hosts, states, svc.min_records, published)
        reasons: dict[str, str] = {}
        up = [h for h in svc.hosts if states[h].up]
        if not up and svc.key not in self.failing_open:
            self.failing_open.add(svc.key)
            log.error(
                "%s: every host is down: failing open, all %d records stay published",
                svc.key,
                len(svc.hosts),
            )
        elif up and svc.key in self.failing_open:
            self.failing_open.discard(svc.key)
            log.warning("%s: %d host(s) up again: no longer failing open", svc.key, len(up))
        for h in svc.hosts:
            st = states[h]
            if h in contents and not st.up:
                if not up:
                    reasons[h] = "all hosts down: fail open"
                elif recovering(st):
                    reasons[h] = f"kept: recovering ({st.oks} of {svc.up_after} ok)"
                else:
                    reasons[h] = "kept: min_records"
            elif h in contents:
                reasons[h] = "host up"
            else:
                reasons[h] = f"host down: {st.fails} consecutive failures"
        return Desired(tuple(contents), svc.ttl, reasons)

    def sync_blocking(
        self,
        services: Sequence[ServiceConfig],
        *,
        dry_run: bool,
        states: dict[str, dict[str, HostState]] | None = None,
    ) -> SyncOutcome:
        """Read the provider if stale, plan, and (unless `dry_run`) apply. Runs in a thread.

        `states` is a snapshot taken on the event loop (the probe loops go on meanwhile)."""
        states = self.states if states is None else states
        try:
            missing = [s for s in services if self._key(s) not in self.views]
            if self.stale or missing:
                self._fetch(self.config.services if self.stale else missing)
                self.stale = False
            ready = [s for s in services if s.key in states]
            p = plan({self._key(s): self.desired(s, states) for s in ready}, self.views)
            if dry_run or not p.changes:
                return SyncOutcome(p.changes, p.warnings)
        except ProviderError as exc:
            return SyncOutcome([], [], self._provider_failed(exc))
        # One provider call per RRset (creates before deletes inside it): an update refused for
        # one name (changed concurrently, re-read next time) does not hold back the others.
        groups: dict[Key, list[Change]] = {}
        for ch in p.changes:
            groups.setdefault((ch.name, ch.type), []).append(ch)
        done: list[Change] = []
        error: str | None = None
        for group in groups.values():
            try:
                applied = self.provider.apply(group)
            except ProviderError as exc:
                error = self._provider_failed(exc)
                continue
            self._sync_ok()
            self.views = apply_to_view(self.views, applied)
            done += applied
        return SyncOutcome(done, p.warnings, error)

    def plan_for(self, results: Sequence[ProbeResult]) -> SyncOutcome:
        """What would change in DNS if these probe results persisted past each service's
        thresholds: the states are set as if they had, then a dry-run sync (reads the
        provider, writes nothing). Used by `dns-failover plan` (`api.plan_changes`)."""
        for svc in self.config.services:
            self.states[svc.key] = {
                r.host: HostState(
                    up=r.ok, fails=0 if r.ok else svc.down_after, oks=svc.up_after if r.ok else 0
                )
                for r in results
                if r.service == svc.key
            }
        return self.sync_blocking(self.config.services, dry_run=True)

    async def sync(
        self, services: Sequence[ServiceConfig], where: str | Mapping[str, str] = ""
    ) -> SyncOutcome:
        """Reconcile `services` with a snapshot of their states. `where` (e.g. "round 7", or
        one such tag per service key) is added to the change log lines."""
        async with self.lock:
            snapshot = dict(self.states)  # each service's states dict is replaced, never mutated
            out = await self._in_thread(
                self.sync_blocking, services, dry_run=False, states=snapshot
            )
        for w in out.warnings:
            if w not in self.warned:
                self.warned.add(w)
                log.warning("%s", w)
        owner = {self._key(s): s.key for s in self.config.services}
        for ch in out.changes:
            self.metrics.changes_total[ch.action] = self.metrics.changes_total.get(ch.action, 0) + 1
            tag = where if isinstance(where, str) else where.get(owner.get((ch.name, ch.type), ""))
            log.warning("DNS change: %s%s", ch.describe(), f" [{tag}]" if tag else "")
        self._update_published_metrics()
        if out.changes and self.announcer is not None:
            lines = [ch.describe() for ch in out.changes]
            subject = f"DNS failover: {len(lines)} record change(s) in {self.config.provider.zone}"
            # Delivery (with its own retries) runs beside the loop: failover never waits for it.
            self.pending.append(self.announce_pool.submit(self._announce, subject, lines))
        return out

    def _announce(self, subject: str, lines: list[str]) -> None:
        assert self.announcer is not None
        try:
            self.announcer(subject, lines)
        except Exception as exc:  # an announcement never stops failover
            log.error("announcement failed: %s", exc)

    def wait_announcements(self, timeout: float | None = None) -> None:
        """Wait for queued announcements (at shutdown, and in tests)."""
        wait(self.pending, timeout=timeout)
        self.pending = [f for f in self.pending if not f.done()]

    def _update_published_metrics(self) -> None:
        for svc in self.config.services:
            pub = self.published(svc) or frozenset()
            for h in svc.hosts:
                self.metrics.published[(svc.key, h)] = int(h in pub)


# -- the daemon --------------------------------------------------------------------------------
class Daemon:
    def __init__(
        self,
        config: DnsFailoverConfig,
        provider: Provider,
        *,
        probe: ProbeFn = probe_round,
        announcer: Announcer | None = None,
        lock: FileLock | NoLock | LeaseLock | None = None,
        standby_poll: float = 1.0,
    ) -> None:
        self.config = config
        self.engine = Engine(config, provider, announcer=announcer)
        self.probe = probe
        self.lock = lock if lock is not None else make_lock(config.lock)
        self.exit_code = 0
        self.standby_poll = standby_poll
        self.stop = asyncio.Event()
        self.wake = asyncio.Event()  # a round completed: the publisher has news
        self.last_round: dict[str, float] = {}
        self.started = time.monotonic()
        self.server: asyncio.AbstractServer | None = None
        self.port: int | None = None

    @property
    def metrics(self) -> Metrics:
        return self.engine.metrics

    # health
    def healthy(self) -> tuple[bool, str]:
        if not self.metrics.leader:
            return True, f"standby (lock held by {self.lock.holder()})"
        now = time.monotonic()
        for svc in self.config.services:
            limit = 3 * svc.check.interval + svc.check.timeout + 5
            last = self.last_round.get(svc.key, self.started)
            if now - last > limit:
                return False, f"{svc.key}: no probe round for {now - last:.0f}s"
        return True, "ok"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await asyncio.wait_for(reader.readline(), 5)
            while (await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                pass
            parts = line.decode("latin-1").split()
            path = parts[1].split("?")[0] if len(parts) >= 2 else ""
            if path == "/metrics":
                status, ctype, body = 200, "text/plain; version=0.0.4", self.metrics.render()
            elif path == "/healthz":
                ok, msg = self.healthy()
                status, ctype, body = (200 if ok else 503), "text/plain", msg + "\n"
            else:
                status, ctype, body = 404, "text/plain", "not found\n"
            data = body.encode()
            reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
            writer.write(
                f"HTTP/1.1 {status} {reason}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
                + data
            )
            await writer.drain()
        except (TimeoutError, OSError, UnicodeDecodeError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def start_http(self) -> None:
        host, port = self.config.listen_addr()
        self.server = await asyncio.start_server(self._handle, host, port)
        self.port = self.server.sockets[0].getsockname()[1]
        log.info("serving /metrics and /healthz on %s:%d", host, self.port)

    # loops
    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), max(0.0, seconds))

    async def probe_loop(self, svc: ServiceConfig) -> None:
        """Probe, decide, wake the publisher: a round never waits for the provider."""
        m = self.metrics
        last_end: float | None = None
        while not self.stop.is_set():
            start = time.monotonic()
            try:
                results = await self.probe([svc])
                self.engine.observe(svc, results)
            except Exception:  # a bug in one round must not end failover for good
                m.internal_errors += 1
                log.exception("%s: round failed", svc.key)
                # /healthz turns 503 if this repeats (no completed round): let Kubernetes restart
                await self._sleep(svc.check.interval)
                continue
            end = time.monotonic()
            m.rounds[svc.key] = m.rounds.get(svc.key, 0) + 1
            m.round_seconds[svc.key] = end - start
            m.round_seconds_max[svc.key] = max(m.round_seconds_max.get(svc.key, 0.0), end - start)
            if last_end is not None:
                m.round_gap_max[svc.key] = max(m.round_gap_max.get(svc.key, 0.0), end - last_end)
            last_end = self.last_round[svc.key] = end
            self.wake.set()
            await self._sleep(svc.check.interval - (end - start))

    async def _wait_for_news(self, timeout: float) -> None:
        """Until a round completes, the daemon stops, or `timeout` seconds pass."""
        if self.wake.is_set() or self.stop.is_set():
            return
        waiters = {asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(self.stop.wait())}
        try:
            await asyncio.wait(
                waiters, timeout=max(0.0, timeout), return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for w in waiters:
                w.cancel()

    async def publish(self, resync: bool = False) -> None:
        """One provider pass with the newest states; changes are tagged with their round."""
        self.wake.clear()
        word = "resync after round" if resync else "round"
        tags = {s.key: f"{word} {self.metrics.rounds.get(s.key, 0)}" for s in self.config.services}
        try:
            await self.engine.sync(self.config.services, tags)
        except Exception:  # a bug must not end publishing for good; the next round retries
            self.metrics.internal_errors += 1
            log.exception("publishing failed")

    async def publish_loop(self) -> None:
        """Read the provider, then publish after every round (coalesced while a call runs) and
        re-read everything every `resync_interval`. One provider call at a time."""
        await self.engine.initial_fetch()
        self.wake.set()  # publish what the rounds decided during the first read
        resync_at = time.monotonic() + self.config.resync_interval
        while not self.stop.is_set():
            await self._wait_for_news(resync_at - time.monotonic())
            if self.stop.is_set():
                return
            resync = time.monotonic() >= resync_at
            if resync:
                log.info("periodic full resync")
                self.engine.stale = True
                resync_at = time.monotonic() + self.config.resync_interval
            elif not self.wake.is_set():
                continue
            await self.publish(resync)

    async def keep_lock(self) -> None:
        """Renew a Lease; stop the daemon when it is lost or cannot be renewed in time."""
        every = self.lock.renew_every
        if every is None:
            return
        last_ok = time.monotonic()
        while not self.stop.is_set():
            await self._sleep(every)
            if self.stop.is_set():
                return
            result = await asyncio.to_thread(self.lock.renew)
            if result == "ok":
                last_ok = time.monotonic()
                continue
            if result == "lost" or time.monotonic() - last_ok >= self.lock.lease_duration:
                why = "taken by " + self.lock.holder() if result == "lost" else "not renewed"
                log.error("lost the lock (%s, %s): stopping", self.lock.describe(), why)
                self.metrics.leader = 0
                self.exit_code = 1
                self.stop.set()
                return
            log.warning("could not renew %s; retrying", self.lock.describe())

    async def run(self) -> int:
        """Serve, wait for the lock, loop until stopped. Returns the exit code."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, self._on_signal, sig)
        await self.start_http()
        try:
            announced = False
            while not await asyncio.to_thread(self.lock.try_acquire):
                if not announced:
                    log.info("standby: %s held by %s", self.lock.describe(), self.lock.holder())
                    announced = True
                await self._sleep(self.standby_poll)
                if self.stop.is_set():
                    return self.exit_code
            self.metrics.leader = 1
            self.started = time.monotonic()
            self.engine.reading_first = True
            log.info(
                "active (%s): %d service(s), provider %s",
                self.lock.describe(),
                len(self.config.services),
                self.engine.provider.description,
            )
            tasks = [asyncio.create_task(self.probe_loop(s)) for s in self.config.services]
            tasks.append(asyncio.create_task(self.publish_loop()))
            tasks.append(asyncio.create_task(self.keep_lock()))
            stopper = asyncio.create_task(self.stop.wait())
            done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
            for t in done:
                if t is not stopper and not t.cancelled() and t.exception() is not None:
                    self.stop.set()
                    raise t.exception()  # type: ignore[misc]
            # Graceful: let the running rounds and provider call finish, then publish the last
            # rounds' decision (unless the provider is failing: shutdown does not retry it).
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.wake.is_set() and not self.engine.reading_first and self.metrics.provider_up:
                await self.publish()
            return self.exit_code
        finally:
            self.metrics.leader = 0
            await asyncio.to_thread(self.lock.release)
            if self.server is not None:
                self.server.close()
                await self.server.wait_closed()
            await asyncio.to_thread(self.engine.provider.close)
            await asyncio.to_thread(self.engine.wait_announcements, 60)
            log.info("stopped")

    def _on_signal(self, sig: int) -> None:
        log.info(
            "received %s: finishing the current round, then stopping", signal.Signals(sig).name
        )
        self.stop.set()


def notify_announcer(config: DnsFailoverConfig) -> Announcer | None:
    """Announce changes through watcloud.notify (email and/or Discord), if configured."""
    ann = config.announce
    if not ann.email_to and not ann.discord_webhook_env:
        return None

    def announce(subject: str, lines: list[str]) -> None:
        from watcloud import notify

        text = "\n".join(lines)
        if ann.discord_webhook_env:
            url = os.environ.get(ann.discord_webhook_env)
            if url:
                notify.send_discord(url, content=f"**{subject}**\n```\n{text}\n```")
            else:
                log.error("announce: %s is not set", ann.discord_webhook_env)
        if ann.email_to:
            settings = notify.load_notify_config(ann.smtp_config)
            rendered = notify.render(
                "announcement", {"title": subject, "body": "\n\n".join(lines), "link": None}
            )
            import uuid

            # A fresh id: the same change next week is a new announcement, not a duplicate.
            msg = rendered.to_message(list(ann.email_to), id=f"dnsfailover-{uuid.uuid4().hex}")
            for res in notify.send_batch([msg], settings, tool="dnsfailover"):
                if not res.ok:
                    log.error("announce: email %s: %s %s", res.id, res.status, res.error or "")

    return announce
