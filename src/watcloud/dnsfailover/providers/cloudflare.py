"""Cloudflare DNS through the official `cloudflare` SDK (API v4).

- Ownership: every record this tool creates carries the comment
  `watcloud-dnsfailover owner=<owner_id>`; records without it are never changed or deleted.
- Retries: the SDK's own retries are off (`max_retries=0`) so that this module decides: 429
  waits for `Retry-After` (else backoff), 5xx and connection errors back off exponentially,
  other 4xx fail at once. After the last try a `ProviderError` is raised, which the daemon
  reports as a provider failure, never as a host failure.
- Rate budget: at most `rate_limit` requests per `rate_window` seconds (Cloudflare's global
  limit is 1,200 per 5 minutes per user), counted in a sliding window before each request.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import cloudflare

from watcloud.core.backoff import backoff_delays
from watcloud.core.http import retry_after_seconds
from watcloud.dnsfailover.config import CloudflareConfig
from watcloud.dnsfailover.reconcile import Change, Key, ProviderError, Record, RRSetView

T = TypeVar("T")
MARKER = "watcloud-dnsfailover"
PER_PAGE = 100


class RateBudget:
    """A sliding-window request budget; `acquire` sleeps until a request may be sent."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit, self.window = limit, window
        self.clock, self.sleep = clock, sleep
        self.sent: collections.deque[float] = collections.deque()

    def acquire(self) -> None:
        while True:
            now = self.clock()
            while self.sent and self.sent[0] <= now - self.window:
                self.sent.popleft()
            if len(self.sent) < self.limit:
                self.sent.append(now)
                return
            self.sleep(self.sent[0] + self.window - now)


def _api_message(exc: cloudflare.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        errors = body.get("errors") or []
        parts = [f"{e.get('code')}: {e.get('message')}" for e in errors if isinstance(e, dict)]
        if parts:
            return "; ".join(parts)
    return str(exc.message)[:200]


class CloudflareProvider:
    def __init__(
        self,
        cfg: CloudflareConfig,
        *,
        owner_id: str = "default",
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cfg = cfg
        self.comment = f"{MARKER} owner={owner_id}"
        self.sleep = sleep
        self.budget = RateBudget(cfg.rate_limit, cfg.rate_window, clock=clock, sleep=sleep)
        self.description = f"cloudflare zone {cfg.zone}"
        self.rate_limited = 0
        kwargs: dict[str, Any] = {
            "api_token": cfg.token(),
            "max_retries": 0,
            "timeout": cfg.timeout,
        }
        if cfg.base_url:
            kwargs["base_url"] = cfg.base_url
        self.client = cloudflare.Cloudflare(**kwargs)
        self._zone_id: str | None = None

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        delays = list(backoff_delays(self.cfg.attempts, self.cfg.backoff, self.cfg.max_delay))
        for attempt in range(self.cfg.attempts):
            last = attempt == self.cfg.attempts - 1
            self.budget.acquire()
            try:
                return fn()
            except cloudflare.RateLimitError as exc:
                self.rate_limited += 1
                if last:
                    raise ProviderError(f"{self.description}: {what}: rate limited (429)") from None
                delay = retry_after_seconds(exc.response, delays[attempt])
                self.sleep(min(delay, self.cfg.max_delay))
            except cloudflare.APIStatusError as exc:
                msg = f"{self.description}: {what}: HTTP {exc.status_code}: {_api_message(exc)}"
                if exc.status_code < 500 or last:
                    raise ProviderError(msg) from None
                self.sleep(delays[attempt])
            except cloudflare.APIConnectionError as exc:
                if last:
                    raise ProviderError(f"{self.description}: {what}: {exc}") from None
                self.sleep(delays[attempt])
            except cloudflare.APIError as exc:  # e.g. a response that does not validate
                raise ProviderError(f"{self.description}: {what}: {exc}") from None
        raise AssertionError("unreachable")

    def zone_id(self) -> str:
        if self._zone_id is None:
            page = self._call(
                f"look up zone {self.cfg.zone}",
                lambda: self.client.zones.list(name=self.cfg.zone, per_page=5),
            )
            ids = [z.id for z in page.result if z.name == self.cfg.zone]
            if not ids:
                raise ProviderError(f"{self.description}: zone not found (check the token's scope)")
            self._zone_id = ids[0]
        return self._zone_id

    def fetch(self, keys: Sequence[Key]) -> dict[Key, RRSetView]:
        zone = self.zone_id()
        views: dict[Key, RRSetView] = {}
        for name, rtype in keys:
            records: list[Record] = []
            page_no = 1
            while True:
                n = page_no
                page = self._call(
                    f"list {name} {rtype}",
                    lambda n=n, name=name, rtype=rtype: self.client.dns.records.list(  # type: ignore[misc]
                        zone_id=zone,
                        name={"exact": name},
                        type=rtype,  # type: ignore[arg-type]
                        page=n,
                        per_page=PER_PAGE,
                    ),
                )
                for r in page.result:
                    if r.name != name or r.type != rtype or r.content is None:
                        continue
                    owned = (r.comment or "") == self.comment
                    records.append(Record(name, rtype, str(r.content), int(r.ttl), owned, r.id))
                info = page.result_info
                total_pages = getattr(info, "total_pages", None) if info is not None else None
                if len(page.result) < PER_PAGE or (total_pages and page_no >= int(total_pages)):
                    break
                page_no += 1
            views[(name, rtype)] = RRSetView(name, rtype, tuple(records))
        return views

    def _record(self, ch: Change) -> dict[str, Any]:
        """The record as this tool writes it: never proxied, marked with the owner comment."""
        return {
            "name": ch.name,
            "type": ch.type,
            "content": ch.content,
            "ttl": ch.ttl,
            "proxied": False,
            "comment": self.comment,
        }

    def apply(self, changes: Sequence[Change]) -> list[Change]:
        zone = self.zone_id()
        done: list[Change] = []
        records = self.client.dns.records
        for ch in changes:
            what = ch.describe()
            if ch.action == "create":
                call = functools.partial(records.create, zone_id=zone, **self._record(ch))
                created = self._call(what, call)
                done.append(dataclasses.replace(ch, id=getattr(created, "id", None)))
                continue
            assert ch.id is not None
            if ch.action == "delete":
                self._call(what, functools.partial(records.delete, ch.id, zone_id=zone))
            else:
                fields = self._record(ch)
                self._call(what, functools.partial(records.update, ch.id, zone_id=zone, **fields))
            done.append(ch)
        return done

    def close(self) -> None:
        self.client.close()
