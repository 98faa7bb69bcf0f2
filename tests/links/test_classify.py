"""Pure decisions: HTTP outcome -> status, grace period verdicts, GitHub URL -> API paths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from watcloud.links.classify import (
    LinkState,
    Status,
    Verdict,
    classify_status,
    decide,
    fragment_found,
)
from watcloud.links.github import api_check

T0 = datetime(2026, 1, 1, tzinfo=UTC)
GRACE = timedelta(days=3)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        (200, Status.ok),
        (204, Status.ok),
        (401, Status.auth),
        (403, Status.auth),
        (404, Status.broken),
        (410, Status.broken),
        (400, Status.broken),
        (429, Status.transient),
        (408, Status.transient),
        (500, Status.transient),
        (503, Status.transient),
        (300, Status.broken),
    ],
)
def test_classify_status(code: int, status: Status) -> None:
    assert classify_status(code) is status


def test_grace_period() -> None:
    state, verdict = decide(LinkState(), Status.broken, T0, grace=GRACE, fail_after_runs=None)
    assert verdict is Verdict.warning and state == LinkState(T0, 1, None)
    state, verdict = decide(state, Status.transient, T0 + GRACE, grace=GRACE, fail_after_runs=None)
    assert verdict is Verdict.warning and state.failures == 2  # exactly 3 days: not longer
    state, verdict = decide(
        state, Status.broken, T0 + GRACE + timedelta(seconds=1), grace=GRACE, fail_after_runs=None
    )
    assert verdict is Verdict.fail and state.first_failure == T0
    state, verdict = decide(state, Status.ok, T0 + 2 * GRACE, grace=GRACE, fail_after_runs=None)
    assert verdict is Verdict.ok and state == LinkState(None, 0, T0 + 2 * GRACE)


def test_consecutive_runs_and_zero_grace() -> None:
    state = LinkState()
    verdicts = []
    for i in range(3):
        state, v = decide(
            state, Status.transient, T0 + timedelta(minutes=i), grace=GRACE, fail_after_runs=3
        )
        verdicts.append(v)
    assert verdicts == [Verdict.warning, Verdict.warning, Verdict.fail]
    _, v = decide(LinkState(), Status.broken, T0, grace=timedelta(0), fail_after_runs=None)
    assert v is Verdict.fail


def test_auth_and_unverified_keep_state_and_never_fail() -> None:
    prev = LinkState(T0, 7, None)
    for status in (Status.auth, Status.unverified):
        state, v = decide(prev, status, T0 + 10 * GRACE, grace=GRACE, fail_after_runs=1)
        assert (state, v) == (prev, Verdict.unverified)


def test_permanent_redirect_is_a_warning() -> None:
    _, v = decide(LinkState(), Status.ok, T0, grace=GRACE, fail_after_runs=None, redirected=True)
    assert v is Verdict.warning


def test_external_fragments_github_prefix() -> None:
    anchors = {"user-content-install", "plain", "café"}
    assert fragment_found("install", anchors, github=True)
    assert fragment_found("Install", anchors, github=True)
    assert not fragment_found("install", anchors, github=False)
    assert fragment_found("L10-L20", set(), github=True) and not fragment_found("L10", set())
    assert fragment_found("caf%C3%A9", anchors) and fragment_found("plain", anchors)
    assert not fragment_found("missing", anchors, github=True)


R = "/repos/WATonomous/infra-config"


@pytest.mark.parametrize(
    ("url", "paths", "what"),
    [
        ("https://github.com/WATonomous", ("/users/WATonomous",), "user or organisation"),
        ("https://github.com/WATonomous/infra-config", (R,), "repository"),
        ("https://github.com/WATonomous/infra-config.git", (R,), "repository"),
        ("https://github.com/WATonomous/infra-config/issues/12", (f"{R}/issues/12",), "issue"),
        (
            "https://github.com/WATonomous/infra-config/pull/3/files",
            (f"{R}/pulls/3",),
            "pull request",
        ),
        (
            "https://github.com/WATonomous/infra-config/blob/v1/a/b.md",
            (
                f"{R}/contents/a/b.md?ref=v1",
                f"{R}/contents/b.md?ref=v1%2Fa",
                f"{R}/commits/v1%2Fa%2Fb.md",
            ),
            "file at ref",
        ),
        (
            "https://github.com/WATonomous/infra-config/tree/main",
            (f"{R}/commits/main",),
            "tree at ref",
        ),
        ("https://github.com/orgs/WATonomous", ("/orgs/WATonomous",), "organisation"),
        (
            "https://github.com/WATonomous/infra-config/releases/tag/v1.2",
            (f"{R}/releases/tags/v1.2",),
            "release",
        ),
    ],
)
def test_github_api_mapping(url: str, paths: tuple[str, ...], what: str) -> None:
    check = api_check(url)
    assert check is not None and check.paths == paths and check.what == what


def test_github_urls_the_api_cannot_check() -> None:
    assert api_check("https://github.com/") is None
    assert api_check("https://github.com/features/actions") is None
    wiki = api_check("https://github.com/WATonomous/infra-config/wiki/Home")
    assert wiki is not None and wiki.paths == (R,) and "not /wiki" in wiki.note
