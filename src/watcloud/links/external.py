"""The external checker: concurrent, per-host limited and rate limited, HEAD then GET,
redirects, Retry-After, retries with backoff; GitHub links through the REST API."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from watcloud.core.errors import ConfigError, InputError, WatcloudError
from watcloud.core.github import headers as github_headers
from watcloud.core.github import rate_limit
from watcloud.core.ratelimit import RateLimiter
from watcloud.core.timez import now as utc_now
from watcloud.core.timez import parse_iso
from watcloud.links.classify import (
    HEAD_REFUSED,
    PERMANENT_REDIRECTS,
    LinkState,
    Status,
    Verdict,
    classify_status,
    decide,
    describe,
    fragment_found,
    retryable,
)
from watcloud.links.config import ExternalConfig
from watcloud.links.github import API_DEFAULT, ApiCheck, api_check
from watcloud.links.internal import Where

if TYPE_CHECKING:
    import httpx

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], datetime]
# host -> None when it resolves, else a Status (broken: no such host, transient: DNS failure)
Resolver = Callable[[str], Awaitable[tuple[Status, str] | None]]

MAX_BODY = 16 * 1024 * 1024
# name lookups in flight at once (a thread each): not limited by `concurrency`, which is about
# requests, so that a resolver that never answers costs one `timeout` for a whole site's hosts
LOOKUPS_IN_FLIGHT = 128
# getaddrinfo's "this name does not exist" (as opposed to "the lookup failed")
NO_SUCH_NAME = (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5))


@dataclass
class LinkResult:
    url: str  # as checked (with '#fragment' for a fragment result)
    status: Status
    detail: str
    http_status: int | None = None
    final_url: str | None = None
    redirect_to: str | None = None  # the new URL after a permanent redirect
    attempts: int = 0
    via: str = "http"  # http | github-api | none


@dataclass
class Entry:
    url: str
    status: Status
    verdict: Verdict
    detail: str
    pages: list[Where] = field(default_factory=list)
    http_status: int | None = None
    redirect_to: str | None = None
    first_failure: datetime | None = None
    failures: int = 0
    via: str = "http"


@dataclass
class ExternalReport:
    entries: list[Entry]
    checked_at: datetime
    state_path: str

    def count(self, verdict: Verdict) -> int:
        return sum(1 for e in self.entries if e.verdict is verdict)

    @property
    def ok(self) -> bool:
        return self.count(Verdict.fail) == 0


async def default_resolver(host: str) -> tuple[Status, str] | None:
    """Look the host up once; a name that does not exist is broken, a failed lookup transient.

    getaddrinfo blocks and cannot be interrupted, so it runs in a daemon thread of its own: a
    caller that stops waiting (the checker bounds each lookup by `timeout`) leaves the thread
    behind without holding up the end of the run, as the event loop's default executor would
    (`asyncio.run` joins its threads on the way out).
    """
    if _is_ip(host) or host == "localhost":
        return None
    loop = asyncio.get_running_loop()
    done: asyncio.Future[BaseException | None] = loop.create_future()

    def deliver(outcome: BaseException | None) -> None:
        if not done.done():
            done.set_result(outcome)

    def lookup() -> None:
        outcome: BaseException | None = None
        try:
            socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            outcome = exc
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting
            loop.call_soon_threadsafe(deliver, outcome)

    threading.Thread(target=lookup, name=f"resolve {host}", daemon=True).start()
    exc = await done
    if exc is None:
        return None
    if isinstance(exc, socket.gaierror) and exc.errno in NO_SUCH_NAME:
        return Status.broken, f"unknown host {host}"
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return Status.transient, f"cannot resolve {host}: {reason}"


def _is_ip(host: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class HostLimiter:
    """At most `concurrency` requests in flight to one host, starts `interval` seconds apart."""

    def __init__(self, concurrency: int, interval: float, sleep: Sleep) -> None:
        self.sem = asyncio.Semaphore(concurrency)
        self.starts = RateLimiter.every(interval)
        self.sleep = sleep

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self.sem:
            await self.starts.acquire_async(self.sleep)
            yield


@dataclass
class _Outcome:
    response: httpx.Response | None
    body: bytes | None
    status: Status | None  # set when no usable response (transport error)
    detail: str
    attempts: int


class Checker:
    def __init__(
        self,
        cfg: ExternalConfig,
        *,
        github_token: str | None = None,
        github_api: str = API_DEFAULT,
        sleep: Sleep = asyncio.sleep,
        clock: Clock | None = None,
        resolver: Resolver = default_resolver,
        check_fragments: bool | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.cfg = cfg
        self.progress = progress
        self.token = github_token
        self.api = github_api.rstrip("/")
        self.sleep = sleep
        self.clock = clock or utc_now
        self.resolver = resolver
        self.check_fragments = cfg.check_fragments if check_fragments is None else check_fragments
        self.github_hosts = {h.lower() for h in cfg.github_hosts}
        self.hosts = {h.lower(): v for h, v in cfg.hosts.items()}
        self._limiters: dict[str, HostLimiter] = {}
        self._dns: dict[str, asyncio.Task[tuple[Status, str] | None]] = {}
        self._dns_slots: asyncio.Semaphore | None = None  # lookups in flight (threads)
        self._global: asyncio.Semaphore | None = None
        self.waits: list[float] = []  # every delay slept before a retry (inspectable)

    # -- plumbing --------------------------------------------------------------------------

    def _limiter(self, host: str) -> HostLimiter:
        lim = self._limiters.get(host)
        if lim is None:
            hc = self.hosts.get(host)
            conc = hc.concurrency if hc and hc.concurrency else self.cfg.per_host_concurrency
            interval = hc.interval if hc and hc.interval is not None else self.cfg.per_host_interval
            lim = self._limiters[host] = HostLimiter(conc, interval, self.sleep)
        return lim

    def host_headers(self, host: str) -> dict[str, str]:
        hc = self.hosts.get(host)
        if hc is None:
            return {}
        headers = dict(hc.headers)
        for name, env in hc.headers_from_env.items():
            value = os.environ.get(env)
            if value is None:
                raise ConfigError(f"external.hosts.{host}.headers_from_env.{name}: ${env} unset")
            headers[name] = value
        return headers

    async def _resolve(self, host: str) -> tuple[Status, str] | None:
        task = self._dns.get(host)
        if task is None:
            task = self._dns[host] = asyncio.ensure_future(self._lookup(host))
        return await task

    async def _lookup(self, host: str) -> tuple[Status, str] | None:
        """One lookup per host, bounded by the same `timeout` as a request."""
        if self._dns_slots is None:
            self._dns_slots = asyncio.Semaphore(LOOKUPS_IN_FLIGHT)
        async with self._dns_slots:
            try:
                return await asyncio.wait_for(self.resolver(host), self.cfg.timeout)
            except TimeoutError:
                return Status.transient, (
                    f"cannot resolve {host}: no answer within {self.cfg.timeout:g} s"
                )

    def lookups(self) -> tuple[list[str], list[str]]:
        """(host names looked up in DNS, those that resolved), after `check_all`."""
        looked = [h for h, t in self._dns.items() if not _is_ip(h) and h != "localhost"]
        return looked, [h for h in looked if self._dns[h].result() is None]

    async def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        await self.sleep(seconds)

    async def _fetch(
        self,
        client: httpx.AsyncClient,
        method: str,
        url: str,
        headers: dict[str, str],
        *,
        read_body: bool = False,
        rate_limit_wait: Callable[[httpx.Response], float | None] | None = None,
    ) -> _Outcome:
        """One request with retries: transport errors, timeouts, 5xx and 429 (Retry-After)."""
        import httpx

        from watcloud.core.backoff import backoff_delays
        from watcloud.core.http import retry_after_seconds

        host = (urlsplit(url).hostname or "").lower()
        limiter = self._limiter(host)
        assert self._global is not None
        attempts = self.cfg.attempts
        # Doubling from `backoff`, capped at `max_retry_after`, +-25 % jitter; none after the last.
        delays = list(
            backoff_delays(attempts, self.cfg.backoff, self.cfg.max_retry_after, jitter=0.25)
        )
        last = _Outcome(None, None, Status.transient, "not tried", 0)
        for attempt in range(attempts):
            final = attempt == attempts - 1
            try:
                async with limiter.slot(), self._global:  # host first: no hogging
                    req = client.build_request(method, url, headers=headers)
                    resp = await client.send(req, stream=True)
                    try:
                        body = None
                        if read_body and 200 <= resp.status_code < 300:
                            chunks, size = [], 0
                            async for chunk in resp.aiter_bytes():
                                chunks.append(chunk)
                                size += len(chunk)
                                if size > MAX_BODY:
                                    break
                            body = b"".join(chunks)
                    finally:
                        await resp.aclose()
            except httpx.TooManyRedirects:
                return _Outcome(None, None, Status.broken, "too many redirects", attempt + 1)
            except httpx.TimeoutException:
                last = _Outcome(None, None, Status.transient, "timed out", attempt + 1)
                if not final:
                    await self._wait(delays[attempt])
                continue
            except httpx.TransportError as exc:
                detail = _transport_detail(exc)
                if detail.startswith("unknown host"):
                    return _Outcome(None, None, Status.broken, detail, attempt + 1)
                last = _Outcome(None, None, Status.transient, detail, attempt + 1)
                if not final:
                    await self._wait(delays[attempt])
                continue
            last = _Outcome(resp, body, None, describe(resp.status_code), attempt + 1)
            special = rate_limit_wait(resp) if rate_limit_wait else None
            code = resp.status_code
            if special is None and not retryable(code):
                return last
            if final:
                return last
            if special is not None:
                delay = special
            elif code in (429, 503) and "retry-after" in resp.headers:
                delay = retry_after_seconds(resp, delays[attempt])
            else:
                delay = delays[attempt]
            if delay > self.cfg.max_retry_after:
                last.detail += f" (retry after {delay:.0f} s is beyond max_retry_after)"
                return last
            await self._wait(delay)
        return last

    # -- checks ----------------------------------------------------------------------------

    async def check_all(self, urls: dict[str, set[str]]) -> list[LinkResult]:
        """Check each URL (without fragment) and, with fragment checks on, its fragments."""
        import httpx

        from watcloud.core.http import make_async_client

        self._global = asyncio.Semaphore(self.cfg.concurrency)
        limits = httpx.Limits(
            max_connections=self.cfg.concurrency, max_keepalive_connections=self.cfg.concurrency
        )
        async with make_async_client(
            "links", timeout=self.cfg.timeout, connect_retries=0, limits=limits
        ) as client:
            tasks = [self._tracked(client, url, frags) for url, frags in urls.items()]
            nested = await asyncio.gather(*tasks)
        return [r for group in nested for r in group]

    async def _tracked(
        self, client: httpx.AsyncClient, url: str, fragments: set[str]
    ) -> list[LinkResult]:
        try:
            return await self._check_one(client, url, fragments)
        finally:
            if self.progress is not None:
                self.progress(url)

    async def _check_one(
        self, client: httpx.AsyncClient, url: str, fragments: set[str]
    ) -> list[LinkResult]:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host:
            return [LinkResult(url, Status.broken, "not an http(s) URL with a host", via="none")]
        if host in self.github_hosts and self.token:
            check = api_check(url)
            if check is not None:
                return [await self._check_github(client, url, check)]
        if self._private(url) and host not in self.hosts:
            return [LinkResult(url, Status.unverified, "unverified: login required", via="none")]
        dns = await self._resolve(host)
        if dns is not None:
            return [LinkResult(url, dns[0], dns[1], via="none")]
        headers = self.host_headers(host)
        want_fragments = self.check_fragments and any(f for f in fragments)
        method = "GET" if want_fragments else "HEAD"
        out = await self._fetch(client, method, url, headers, read_body=want_fragments)
        if (
            method == "HEAD"
            and out.response is not None
            and (out.response.status_code in HEAD_REFUSED)
        ):
            out = await self._fetch(client, "GET", url, headers)
            out.attempts += 1
        result = _result(url, out)
        results = [result]
        if want_fragments and result.status is Status.ok and out.response is not None:
            ctype = out.response.headers.get("content-type", "")
            if "html" in ctype and out.body is not None:
                from watcloud.links.extract import anchors_of

                charset = out.response.charset_encoding
                page: bytes | str = out.body
                if charset:
                    with contextlib.suppress(LookupError):
                        page = out.body.decode(charset, errors="replace")
                anchors = anchors_of(page)
                final_host = (urlsplit(str(out.response.url)).hostname or "").lower()
                github = final_host in self.github_hosts or host in self.github_hosts
                for frag in sorted(f for f in fragments if f):
                    if not fragment_found(frag, anchors, github=github):
                        results.append(
                            LinkResult(
                                f"{url}#{frag}",
                                Status.broken,
                                "fragment not found on the page",
                                out.response.status_code,
                                str(out.response.url),
                            )
                        )
        return results

    def _private(self, url: str) -> bool:
        return any(url.startswith(p) for p in self.cfg.private_prefixes)

    async def _check_github(
        self, client: httpx.AsyncClient, url: str, check: ApiCheck
    ) -> LinkResult:
        headers = github_headers(self.token)
        attempts = 0
        last: _Outcome | None = None
        for path in check.paths:
            out = await self._fetch(
                client, "GET", self.api + path, headers, rate_limit_wait=self._github_rate_limit
            )
            attempts += out.attempts
            last = out
            if out.response is None or out.response.status_code != 404:
                break
        assert last is not None
        res = _result(url, last)
        res.attempts, res.via, res.final_url, res.redirect_to = attempts, "github-api", None, None
        code = res.http_status
        limited = None
        if last.response is not None:
            limited = rate_limit(code or 0, last.response.headers, self.clock().timestamp())
        if code == 401:
            res.detail = "GitHub token rejected (HTTP 401): check GITHUB_TOKEN"
        elif limited is not None:
            res.status = Status.transient
            res.detail = "GitHub API rate limit exhausted" + limited.reset_text()
        elif code == 403:
            res.detail = "GitHub token lacks access (HTTP 403)"
        elif code == 404:
            res.detail = f"{check.what} not found (GitHub API 404)"
        elif res.status is Status.ok:
            res.detail = f"{check.what} verified through the GitHub API"
            if check.note:
                res.detail += f" ({check.note})"
        return res

    def _github_rate_limit(self, resp: httpx.Response) -> float | None:
        """Seconds to wait for a GitHub rate limit (the shared decision in core.github), None
        when the response is not one."""
        limited = rate_limit(resp.status_code, resp.headers, self.clock().timestamp())
        return None if limited is None else limited.wait


def _transport_detail(exc: Exception) -> str:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(seen) < 6:
        seen.append(cur)
        if isinstance(cur, socket.gaierror) and cur.errno in NO_SUCH_NAME:
            return "unknown host"
        cur = cur.__cause__ or cur.__context__
    text = str(exc) or type(exc).__name__
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "unknown host"
    return f"connection failed: {text}"


def _result(url: str, out: _Outcome) -> LinkResult:
    resp = out.response
    if resp is None:
        return LinkResult(url, out.status or Status.transient, out.detail, attempts=out.attempts)
    code = resp.status_code
    final = str(resp.url)
    redirect_to = None
    if any(h.status_code in PERMANENT_REDIRECTS for h in resp.history) and final != url:
        redirect_to = final
    status = classify_status(code)
    detail = out.detail
    if status is Status.auth:
        detail = f"login required ({describe(code)})"
    elif redirect_to and status is Status.ok:
        detail = f"permanently redirected to {redirect_to}"
    return LinkResult(url, status, detail, code, final, redirect_to, out.attempts)


# -- the run: collect, check, remember, decide ---------------------------------------------

MIGRATIONS = (
    """
    CREATE TABLE link_state (
        url TEXT PRIMARY KEY,
        first_failure TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        last_ok TEXT,
        last_status TEXT NOT NULL,
        last_detail TEXT NOT NULL,
        last_checked TEXT NOT NULL
    );
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        urls INTEGER NOT NULL,
        failed INTEGER NOT NULL,
        warned INTEGER NOT NULL
    )
    """,
)


def default_state_path() -> Path:
    from watcloud.core.paths import state_dir

    return state_dir() / "links.sqlite3"


def _dt(value: str | None) -> datetime | None:
    return parse_iso(value) if value else None


def group_urls(
    targets: dict[str, list[Where]], *, ignore: Iterable[str] = (), with_fragments: bool
) -> tuple[dict[str, set[str]], dict[str, list[Where]]]:
    """(URL without fragment -> fragments, reported URL -> pages) after ignore patterns."""
    try:
        patterns = [re.compile(p) for p in ignore]
    except re.error as exc:
        raise ConfigError(f"external.ignore pattern {exc.pattern!r}: {exc}") from None
    urls: dict[str, set[str]] = {}
    pages: dict[str, list[Where]] = {}
    for url, where in targets.items():
        if any(p.search(url) for p in patterns):
            continue
        bare, _, frag = url.partition("#")
        urls.setdefault(bare, set())
        pages.setdefault(bare, []).extend(where)
        if with_fragments and frag:
            urls[bare].add(frag)
            pages.setdefault(url, []).extend(where)
    return urls, pages


NO_DNS_MIN_HOSTS = 3  # with fewer hosts, all failing is believable; with more, it is the resolver


class NoDnsError(WatcloudError):
    """Not one of the looked-up host names resolved: the machine has no working resolver, so
    nothing was judged and nothing was recorded."""

    def __init__(self, hosts: list[str]) -> None:
        self.hosts = hosts
        super().__init__(
            f"none of the {len(hosts)} hosts could be resolved (e.g. {', '.join(hosts[:3])}):"
            " this machine has no working DNS; nothing was recorded"
        )


def check_external(
    targets: dict[str, list[Where]],
    cfg: ExternalConfig,
    *,
    state_path: Path | None = None,
    check_fragments: bool | None = None,
    github_token: str | None = None,
    github_api: str | None = None,
    clock: Clock | None = None,
    sleep: Sleep = asyncio.sleep,
    resolver: Resolver = default_resolver,
    progress: Callable[[str], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> ExternalReport:
    """Check `targets` (URL -> where it is used), update the state, decide each verdict."""
    from watcloud.core.state import open_db, transaction

    fragments_on = cfg.check_fragments if check_fragments is None else check_fragments
    urls, pages = group_urls(targets, ignore=cfg.ignore, with_fragments=fragments_on)
    clock = clock or utc_now
    checker = Checker(
        cfg,
        github_token=github_token,
        github_api=github_api or API_DEFAULT,
        sleep=sleep,
        clock=clock,
        resolver=resolver,
        check_fragments=fragments_on,
        progress=progress,
    )
    if on_start is not None:
        on_start(len(urls))
    results = asyncio.run(checker.check_all(urls))
    looked, resolved = checker.lookups()
    if len(looked) >= NO_DNS_MIN_HOSTS and not resolved:
        # Every name failing at once is this machine's resolver, not the links: recording them
        # would start every link's grace period (and fail the build days later) for nothing.
        raise NoDnsError(looked)
    now = clock()
    if now.tzinfo is None:
        raise InputError("the clock gave a naive datetime")
    path = Path(state_path or cfg.state_path or default_state_path())
    conn = open_db(path, MIGRATIONS)
    grace = timedelta(days=cfg.grace_days)
    entries: list[Entry] = []
    try:
        rows = {r["url"]: r for r in conn.execute("SELECT * FROM link_state")}
        with transaction(conn):
            for res in results:
                row = rows.get(res.url)
                prev = (
                    LinkState(_dt(row["first_failure"]), row["failures"], _dt(row["last_ok"]))
                    if row is not None
                    else LinkState()
                )
                state, verdict = decide(
                    prev,
                    res.status,
                    now,
                    grace=grace,
                    fail_after_runs=cfg.fail_after_runs,
                    redirected=res.redirect_to is not None,
                )
                conn.execute(
                    "INSERT INTO link_state (url, first_failure, failures, last_ok, last_status,"
                    " last_detail, last_checked) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(url) DO UPDATE SET first_failure=excluded.first_failure,"
                    " failures=excluded.failures, last_ok=excluded.last_ok,"
                    " last_status=excluded.last_status, last_detail=excluded.last_detail,"
                    " last_checked=excluded.last_checked",
                    (
                        res.url,
                        _iso(state.first_failure),
                        state.failures,
                        _iso(state.last_ok),
                        res.status.value,
                        res.detail,
                        now.isoformat(),
                    ),
                )
                detail = res.detail
                if verdict is Verdict.warning and res.status not in (Status.ok,):
                    detail += _grace_text(state, now, grace, cfg.fail_after_runs)
                elif verdict is Verdict.fail and state.first_failure is not None:
                    detail += (
                        f" (failing since {state.first_failure:%Y-%m-%d %H:%M} UTC, "
                        f"{state.failures} run(s) in a row)"
                    )
                entries.append(
                    Entry(
                        res.url,
                        res.status,
                        verdict,
                        detail,
                        _unique(pages.get(res.url, [])),
                        res.http_status,
                        res.redirect_to,
                        state.first_failure,
                        state.failures,
                        res.via,
                    )
                )
            conn.execute(
                "INSERT INTO runs (at, urls, failed, warned) VALUES (?, ?, ?, ?)",
                (
                    now.isoformat(),
                    len(results),
                    sum(1 for e in entries if e.verdict is Verdict.fail),
                    sum(1 for e in entries if e.verdict is Verdict.warning),
                ),
            )
    finally:
        conn.close()
    order = {Verdict.fail: 0, Verdict.warning: 1, Verdict.unverified: 2, Verdict.ok: 3}
    entries.sort(key=lambda e: (order[e.verdict], e.url))
    return ExternalReport(entries, now, str(path))


def _unique(wheres: list[Where]) -> list[Where]:
    seen: dict[tuple[str, int, str], Where] = {}
    for w in wheres:
        seen.setdefault((w.page, w.line, w.xpath), w)
    return sorted(seen.values(), key=lambda w: (w.page, w.line, w.xpath))


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def _grace_text(state: LinkState, now: datetime, grace: timedelta, runs: int | None) -> str:
    if state.first_failure is None:
        return ""
    left = grace - (now - state.first_failure)
    hours = max(0.0, left.total_seconds() / 3600)
    more = f" or {runs - state.failures} more failed run(s)" if runs else ""
    return f" (failing {state.failures} run(s); fails the build in {hours:.0f} h{more})"
