"""The PlantOps web source: the listing page and the notice pages, fetched politely.

- the listing's anchors `a.w3-leftbar` -> `notice.php?ID=N` (title = anchor text);
- conditional requests: `If-None-Match` / `If-Modified-Since` from the last response
  (validators and body kept in the state database), so an unchanged page costs a `304`;
- at most one request per `min_interval` seconds (>= 1 s), a User-Agent naming WATcloud and a
  contact, timeouts, retries with backoff (`core.http.request_with_retries`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from watcloud.core.http import make_client, request_with_retries
from watcloud.core.ratelimit import RateLimiter
from watcloud.core.timez import parse_iso
from watcloud.outage.config import WebSource
from watcloud.outage.parse import garbled, parse_html
from watcloud.outage.sources import Event, Fetched, Found, Problem

if TYPE_CHECKING:
    import httpx

    from watcloud.outage.state import State


class SourceError(Exception):
    """The source answered with something unusable (HTTP error, changed shape)."""


@dataclass(frozen=True)
class Listed:
    id: str
    title: str
    url: str


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if "w3-leftbar" in classes and a.get("href"):
            self._href = a["href"]
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.found.append((self._href, " ".join("".join(self._text).split())))
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._text.append(data)


def parse_listing(html: str, base_url: str) -> list[Listed]:
    """Notices on the listing page, in page order, without duplicates."""
    parser = _Anchors()
    parser.feed(html)
    parser.close()
    out: list[Listed] = []
    seen = set()
    for href, title in parser.found:
        m = re.search(r"notice\.php\?(?:[^#]*&)?ID=(\d+)", href, re.IGNORECASE)
        if not m or m.group(1) in seen:
            continue
        seen.add(m.group(1))
        out.append(Listed(m.group(1), title, urljoin(base_url, href)))
    return out


@dataclass
class Page:
    url: str
    status: int  # 200, or 304 (not modified: body is the cached one)
    body: str

    @property
    def changed(self) -> bool:
        return self.status != 304


class PlantOps:
    def __init__(
        self,
        cfg: WebSource,
        state: State,
        *,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cfg = cfg
        self.state = state
        self.client = client or make_client("outage", timeout=cfg.timeout, contact=cfg.contact)
        self.sleep = sleep
        self.limiter = RateLimiter.every(cfg.min_interval, clock=clock, sleep=sleep)
        self.requests = 0
        self.base = cfg.listing_url

    def close(self) -> None:
        self.client.close()

    def get(self, url: str) -> Page:
        import httpx

        cached = self.state.http_get(url)
        headers = {}
        if cached is not None:
            if cached["etag"]:
                headers["If-None-Match"] = cached["etag"]
            if cached["last_modified"]:
                headers["If-Modified-Since"] = cached["last_modified"]

        def limited_sleep(seconds: float) -> None:
            self.sleep(max(seconds, self.cfg.min_interval))

        self.limiter.acquire()
        self.requests += 1
        try:
            response = request_with_retries(
                self.client,
                "GET",
                url,
                attempts=self.cfg.attempts,
                backoff=self.cfg.backoff,
                sleep=limited_sleep,
                headers=headers,
            )
        except httpx.HTTPError as exc:
            raise SourceError(f"{url}: {type(exc).__name__}: {exc}") from None
        if response.status_code == 304 and cached is not None:
            return Page(str(response.url), 304, cached["body"] or "")
        if response.status_code != 200:
            raise SourceError(f"{url}: HTTP {response.status_code}")
        body = response.text
        self.state.http_put(
            url, response.headers.get("ETag"), response.headers.get("Last-Modified"), body
        )
        return Page(str(response.url), 200, body)

    def listing(self) -> tuple[Page, list[Listed]]:
        page = self.get(self.cfg.listing_url)
        self.base = page.url  # after redirects ("/service-interruptions" -> ".../")
        return page, parse_listing(page.body, self.base)

    def notice_url(self, notice_id: str) -> str:
        return urljoin(self.base, f"notice.php?ID={notice_id}")

    def poll(self, at: datetime) -> Iterator[Event]:
        """The listing, then every listed notice (conditionally: an unchanged page is a 304),
        also when its event is over: PlantOps edits notices in place, and a postponed one gets
        a new date on the same page. A known notice that left the listing is asked until its
        event is over."""
        listed_ids: list[str] = []
        try:
            page, listed = self.listing()
            yield Fetched(page.changed)
            if not listed:
                yield Problem(
                    "listing-shape",
                    "PlantOps listing changed shape",
                    f"no notices (a.w3-leftbar -> notice.php?ID=N) found on {page.url}; "
                    "nothing was announced from the web this time",
                )
            listed_ids = [x.id for x in listed]
        except SourceError as exc:
            yield Problem("listing-fetch", "PlantOps listing unavailable", str(exc))
        for nid in self._to_ask(listed_ids, at):
            url = self.notice_url(nid)
            try:
                page = self.get(url)
            except SourceError as exc:
                yield Problem(f"notice-fetch:{nid}", f"PlantOps notice {nid} unavailable", str(exc))
                continue
            yield Fetched(page.changed)
            notice = parse_html(page.body, id=nid, url=url)
            why = garbled(notice)
            if why is not None:
                yield Problem(
                    f"garbled:{nid}",
                    f"PlantOps notice {nid} could not be read (garbled notice)",
                    f"{url}: {why}; not announced",
                )
                continue
            yield Found(f"plantops:{nid}", "plantops", notice, url)

    def _to_ask(self, listed_ids: list[str], at: datetime) -> list[str]:
        grace = timedelta(days=self.cfg.refetch_days_after_event)

        def over(row: Any) -> bool:
            return row["event_end"] is not None and parse_iso(row["event_end"]) + grace < at

        ids = list(dict.fromkeys(listed_ids))
        on_listing = set(listed_ids)
        for row in self.state.notices("plantops"):
            nid = row["key"].split(":", 1)[1]
            if nid in on_listing or over(row):
                continue
            if row["event_end"] is None and parse_iso(row["first_seen"]) + timedelta(days=60) < at:
                continue
            ids.append(nid)
        return ids
