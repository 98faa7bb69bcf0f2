"""gha's GitHub client under GitHub's documented rate-limit answers (the decision is the shared
`watcloud.core.github.rate_limit`): short limits are waited out, long ones are a clear error."""

from __future__ import annotations

import pytest

from tests.gha.fixtures import REPO, RUN_ID, default_api, serve
from watcloud.gha.github import GitHub, GitHubError


def _run(refusal: tuple[int, str, dict[str, str]]) -> tuple[list[float], list[str]]:
    api = default_api()
    api.refuse_once = refusal
    slept: list[float] = []
    with serve(api) as base, GitHub(base, token="t", sleep=slept.append) as gh:
        assert gh.run(REPO, RUN_ID)["id"] == RUN_ID
    return slept, api.requests


def test_primary_limit_resetting_soon_is_waited_out(monkeypatch: pytest.MonkeyPatch) -> None:
    now = 1_900_000_000.0  # the client's clock, pinned: a loaded machine cannot stretch it
    monkeypatch.setattr("watcloud.gha.github.time.time", lambda: now)
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(now) + 5)}
    slept, requests = _run((403, "API rate limit exceeded for user ID 1.", headers))
    assert slept == [5.0]
    assert requests[0] == requests[1]


def test_secondary_limit_without_headers_waits_a_minute() -> None:
    slept, _ = _run((403, "You have exceeded a secondary rate limit.", {}))
    assert slept == [60.0]


@pytest.mark.parametrize(
    ("refusal", "expect"),
    [
        ((429, "secondary", {"retry-after": "120"}), "secondary rate limit: retry after 120 s"),
        (
            (403, "rate", {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1900000000"}),
            "rate limit of 5000 requests exhausted; it resets at",
        ),
    ],
)
def test_long_limits_are_a_clear_error(
    refusal: tuple[int, str, dict[str, str]], expect: str
) -> None:
    with pytest.raises(GitHubError, match=expect):
        _run(refusal)


def test_a_plain_403_is_not_a_rate_limit() -> None:
    with pytest.raises(GitHubError, match="answered 403 Resource not accessible"):
        _run((403, "Resource not accessible by integration", {"x-ratelimit-remaining": "4999"}))
