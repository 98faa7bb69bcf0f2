"""HTTP client factory: timeouts, retries with backoff, a User-Agent that names the tool.

`httpx` is imported here only; tools import this module lazily, never on `watcloud --help`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from watcloud import __version__
from watcloud.core.backoff import backoff_delays, parse_retry_after
from watcloud.core.timez import now

CONTACT = "https://cloud.watonomous.ca"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def user_agent(tool: str, contact: str = CONTACT) -> str:
    return f"watcloud-{tool}/{__version__} (WATcloud; +{contact})"


# Options of the connection pool. httpx ignores them on the client once a transport is given,
# so they must go to the transport the factories build.
POOL_OPTIONS = ("verify", "cert", "limits", "http1", "http2")


def _pool_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    pool = {k: kwargs.pop(k) for k in POOL_OPTIONS if k in kwargs}
    if pool and kwargs.get("transport") is not None:
        raise TypeError(
            f"{', '.join(sorted(pool))}: options of the connection pool, which a given"
            " transport already has: set them on that transport"
        )
    return pool


def make_client(
    tool: str,
    *,
    timeout: float = 10.0,
    connect_retries: int = 1,
    headers: dict[str, str] | None = None,
    contact: str = CONTACT,
    **kwargs: Any,
) -> httpx.Client:
    """A synchronous client; `connect_retries` retries failed connection attempts only.

    `verify`, `cert`, `limits`, `http1` and `http2` configure the connection pool; the rest of
    `kwargs` go to `httpx.Client`, `transport` included (a test's `httpx.MockTransport`, say:
    then `connect_retries` and the pool options are the given transport's business).
    """
    pool = _pool_options(kwargs)
    transport = kwargs.pop("transport", None) or httpx.HTTPTransport(
        retries=connect_retries, **pool
    )
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": user_agent(tool, contact), **(headers or {})},
        transport=transport,
        follow_redirects=kwargs.pop("follow_redirects", True),
        **kwargs,
    )


def make_async_client(
    tool: str,
    *,
    timeout: float = 10.0,
    connect_retries: int = 1,
    headers: dict[str, str] | None = None,
    contact: str = CONTACT,
    **kwargs: Any,
) -> httpx.AsyncClient:
    """An asyncio client with the same defaults and options as `make_client`."""
    pool = _pool_options(kwargs)
    transport = kwargs.pop("transport", None) or httpx.AsyncHTTPTransport(
        retries=connect_retries, **pool
    )
    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout),
        headers={"User-Agent": user_agent(tool, contact), **(headers or {})},
        transport=transport,
        follow_redirects=kwargs.pop("follow_redirects", True),
        **kwargs,
    )


def retry_after_seconds(response: httpx.Response, default: float) -> float:
    """Seconds from a `Retry-After` header (delta-seconds or HTTP date), else `default`."""
    return parse_retry_after(response.headers.get("Retry-After"), default, now().timestamp())


def request_with_retries(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    attempts: int = 3,
    backoff: float = 0.5,
    max_delay: float = 30.0,
    retry_statuses: frozenset[int] = RETRY_STATUSES,
    sleep: Callable[[float], None] = time.sleep,
    **kwargs: Any,
) -> httpx.Response:
    """Send a request, retrying transport errors and `retry_statuses` with backoff.

    `429`/`503` honour `Retry-After` (capped at `max_delay`). The last response is returned
    (the caller decides what a 4xx/5xx means); the last transport error is raised.
    """
    delays = list(backoff_delays(attempts, backoff, max_delay))
    for attempt in range(attempts):
        try:
            response = client.request(method, url, **kwargs)
        except httpx.TransportError:
            if attempt == attempts - 1:
                raise
            sleep(delays[attempt])
            continue
        if response.status_code not in retry_statuses or attempt == attempts - 1:
            return response
        sleep(min(max_delay, retry_after_seconds(response, delays[attempt])))
    raise AssertionError("unreachable")
