"""Pure decisions for external links: what an HTTP outcome means, and whether a failing link
has failed long enough to fail the build (the grace period). No clock, no network."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from watcloud.links.resolve import fragment_ok


class Status(StrEnum):
    ok = "ok"
    broken = "broken"  # 404, 410, other 4xx, unknown host, missing fragment
    transient = "transient"  # timeouts, connection errors, 5xx, 429
    auth = "auth"  # 401/403: login required
    unverified = "unverified"  # not checked: a private prefix without credentials


class Verdict(StrEnum):
    ok = "ok"
    warning = "warning"  # failing, still within the grace period; or a permanent redirect
    fail = "fail"  # failing past the grace period: fails the build
    unverified = "unverified"  # login required: never fails the build


HEAD_REFUSED = frozenset({403, 405, 501})  # retry these with GET
PERMANENT_REDIRECTS = frozenset({301, 308})


def classify_status(code: int) -> Status:
    if 200 <= code < 300:
        return Status.ok
    if code in (401, 403, 407):
        return Status.auth
    if retryable(code):
        return Status.transient
    return Status.broken  # 404, 410 and other 4xx; 3xx here means a broken redirect


def retryable(code: int) -> bool:
    """Worth another try (a transient status): timeouts, too early, rate limits, 5xx."""
    return code in (408, 425, 429) or code >= 500


def describe(code: int) -> str:
    from http import HTTPStatus

    try:
        return f"HTTP {code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP {code}"


_GITHUB_LINE = re.compile(r"^L\d+(C\d+)?(-L\d+(C\d+)?)?$")


def fragment_found(fragment: str, anchors: set[str], *, github: bool = False) -> bool:
    """Is `#fragment` on an external page with these anchors? The same rule as for our own
    pages (`resolve.fragment_ok`), and on GitHub more: it renders Markdown headings as
    `id="user-content-NAME"` and scrolls `#NAME` there with JavaScript; `#L10` and `#L10-L20`
    are line anchors made by JavaScript as well."""
    if fragment_ok(fragment, anchors):
        return True
    if not github:
        return False
    from urllib.parse import unquote

    candidates = {fragment, unquote(fragment)}
    if any(_GITHUB_LINE.match(c) for c in candidates):
        return True
    return any(
        f"user-content-{c.lower()}" in anchors or f"user-content-{c}" in anchors for c in candidates
    )


@dataclass(frozen=True)
class LinkState:
    """What the state database remembers about one URL."""

    first_failure: datetime | None = None
    failures: int = 0  # failed runs in a row
    last_ok: datetime | None = None


def decide(
    prev: LinkState,
    status: Status,
    now: datetime,
    *,
    grace: timedelta,
    fail_after_runs: int | None,
    redirected: bool = False,
) -> tuple[LinkState, Verdict]:
    """The new state and the verdict for a link checked at `now` with this outcome."""
    if status is Status.ok:
        return LinkState(None, 0, now), (Verdict.warning if redirected else Verdict.ok)
    if status in (Status.auth, Status.unverified):
        return prev, Verdict.unverified
    first = prev.first_failure or now
    failures = prev.failures + 1
    state = LinkState(first, failures, prev.last_ok)
    past_grace = now - first > grace or grace <= timedelta(0)
    too_many = fail_after_runs is not None and failures >= fail_after_runs
    return state, (Verdict.fail if past_grace or too_many else Verdict.warning)
