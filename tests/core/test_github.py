"""The shared GitHub decisions (core.github) against responses shaped as GitHub documents them:
primary limit (x-ratelimit-remaining 0 + x-ratelimit-reset), secondary limit (retry-after, or
the documented message), pagination through the Link header, headers and token."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from watcloud.core import github as gh

NOW = 1_780_000_000.0


def _headers(**values: str) -> httpx.Headers:
    return httpx.Headers({k.replace("_", "-"): v for k, v in values.items()})


def test_primary_limit_waits_until_reset() -> None:
    h = _headers(
        x_ratelimit_limit="5000",
        x_ratelimit_remaining="0",
        x_ratelimit_reset=str(int(NOW) + 42),
        x_ratelimit_used="5000",
        x_ratelimit_resource="core",
    )
    for status in (403, 429):
        got = gh.rate_limit(status, h, NOW, "API rate limit exceeded for user ID 1.")
        assert got is not None
        assert (got.kind, got.wait, got.limit) == ("primary", 42.0, "5000")
        assert got.reset == datetime.fromtimestamp(NOW + 42, UTC)
        assert got.reset_text().endswith(" UTC") and got.reset_text().startswith(" until ")


def test_primary_limit_in_the_past_waits_nothing_and_without_reset_forever() -> None:
    past = gh.rate_limit(403, _headers(x_ratelimit_remaining="0", x_ratelimit_reset="5"), NOW)
    assert past is not None and past.wait == 0.0
    unknown = gh.rate_limit(403, _headers(x_ratelimit_remaining="0"), NOW)
    assert unknown is not None and unknown.wait == math.inf and unknown.reset_text() == ""


def test_secondary_limit_retry_after_seconds_and_date() -> None:
    got = gh.rate_limit(403, _headers(retry_after="17", x_ratelimit_remaining="12"), NOW)
    assert got == gh.RateLimited("secondary", 17.0)
    date = datetime.fromtimestamp(NOW + 30, UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    got = gh.rate_limit(429, _headers(retry_after=date), NOW)
    assert got is not None and got.kind == "secondary" and got.wait == pytest.approx(30.0)
    # retry-after wins over an exhausted primary limit (GitHub: obey retry-after first)
    both = _headers(retry_after="3", x_ratelimit_remaining="0", x_ratelimit_reset="9999999999")
    assert gh.rate_limit(403, both, NOW) == gh.RateLimited("secondary", 3.0)


def test_secondary_limit_by_documented_message_waits_a_minute() -> None:
    msg = (
        "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    )
    assert gh.rate_limit(403, _headers(), NOW, msg) == gh.RateLimited("secondary", 60.0)


def test_not_a_rate_limit() -> None:
    assert gh.rate_limit(403, _headers(x_ratelimit_remaining="4999"), NOW, "Forbidden") is None
    assert gh.rate_limit(404, _headers(x_ratelimit_remaining="0"), NOW) is None
    assert gh.rate_limit(200, _headers(retry_after="5"), NOW) is None


def test_next_link_follows_github_pagination() -> None:
    base = "https://api.github.com/repositories/1/actions/runs/2/jobs?per_page=100"
    link = f'<{base}&page=2>; rel="next", <{base}&page=5>; rel="last"'
    assert gh.next_link(link) == f"{base}&page=2"
    x = "https://api.github.com/x?page=1"
    last_page = f'<{x}>; rel="prev", <{x}>; rel="first"'
    assert gh.next_link(last_page) is None
    assert gh.next_link(None) is None


def test_headers_token_and_api_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert gh.headers() == {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }
    assert gh.headers("t0k")["Authorization"] == "Bearer t0k"
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    secret = tmp_path / "token"
    secret.write_text("from-file\n")
    assert gh.token(secret) == "from-file"
    assert gh.token() is None
    monkeypatch.setenv("GITHUB_TOKEN", "from-env")
    assert gh.token(secret) == "from-env"
    monkeypatch.setenv("GITHUB_API_URL", "http://127.0.0.1:9/api/")
    assert gh.api_url() == "http://127.0.0.1:9/api"
    assert gh.api_url("http://x/") == "http://x"
