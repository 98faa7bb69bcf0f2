"""The GitHub REST API conventions every tool shares: base URL, headers, token, pagination and
the rate-limit decision. Pure (no requests): the synchronous client in `gha.github` and the
asyncio checker in `links.external` both send their own requests and ask this module what a
response means.

Rate limits, as GitHub documents them for its REST API:
- a `retry-after` header on a 403/429 is a secondary limit: wait that many seconds;
- `x-ratelimit-remaining: 0` on a 403/429 is the primary limit: wait until `x-ratelimit-reset`
  (epoch seconds);
- a 403/429 whose message says "secondary rate limit" without either header: wait a minute.
The caller compares `RateLimited.wait` against its own cap: within it, sleep and retry; beyond
it, a clear error (gha) or a transient result (links).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from watcloud.core.backoff import parse_retry_after

API_DEFAULT = "https://api.github.com"
API_VERSION = "2022-11-28"
API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
SECONDARY_DEFAULT_WAIT = 60.0  # GitHub: "wait for at least one minute before retrying"
_SECONDARY_TEXT = "secondary rate limit"


def api_url(base_url: str | None = None) -> str:
    """The API root: `base_url`, else `$GITHUB_API_URL`, else api.github.com (no trailing /)."""
    return (base_url or os.environ.get("GITHUB_API_URL") or API_DEFAULT).rstrip("/")


def token(file: Path | None = None) -> str | None:
    """The API token from `$GITHUB_TOKEN`, else the first line of `file`, else None."""
    from watcloud.core.config import read_secret  # pydantic/yaml: only when asked

    return read_secret("GITHUB_TOKEN", file)


def headers(token: str | None = None) -> dict[str, str]:
    """Request headers: the documented media type and API version, plus the bearer token."""
    out = dict(API_HEADERS)
    if token:
        out["Authorization"] = f"Bearer {token}"
    return out


_LINK = re.compile(r'<([^>]*)>\s*;\s*rel="?([^";]+)"?')


def next_link(link_header: str | None) -> str | None:
    """The `rel="next"` URL of a `Link` header (GitHub pagination), None on the last page."""
    for match in _LINK.finditer(link_header or ""):
        if "next" in match.group(2).split():
            return match.group(1)
    return None


@dataclass(frozen=True)
class RateLimited:
    """A response that is a rate limit: which one, and how long to wait before retrying."""

    kind: Literal["primary", "secondary"]
    wait: float  # seconds; math.inf when the response does not say
    reset: datetime | None = None  # primary: when the quota refills
    limit: str | None = None  # primary: x-ratelimit-limit

    def reset_text(self) -> str:
        """` until YYYY-MM-DD HH:MM UTC` for a primary limit with a reset time, else ''."""
        return f" until {self.reset:%Y-%m-%d %H:%M} UTC" if self.reset else ""


def rate_limit(
    status: int, headers: Mapping[str, str], now: float, message: str = ""
) -> RateLimited | None:
    """What a response means for rate limiting (None: not a rate limit). `headers` must be
    case-insensitive (httpx.Headers) or lower-case; `now` is epoch seconds; `message` is the
    JSON `message` when the caller read the body."""
    if status not in (403, 429):
        return None
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        wait = parse_retry_after(retry_after.strip(), SECONDARY_DEFAULT_WAIT, now)
        return RateLimited("secondary", wait)
    if headers.get("x-ratelimit-remaining") == "0":
        limit = headers.get("x-ratelimit-limit")
        try:
            reset_at = float(headers.get("x-ratelimit-reset", ""))
        except ValueError:
            return RateLimited("primary", float("inf"), None, limit)
        reset = datetime.fromtimestamp(reset_at, UTC)
        return RateLimited("primary", max(0.0, reset_at - now), reset, limit)
    if _SECONDARY_TEXT in message.lower():
        return RateLimited("secondary", SECONDARY_DEFAULT_WAIT)
    return None
