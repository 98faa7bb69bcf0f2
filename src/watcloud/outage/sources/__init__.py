"""Where notices come from: one small interface for the web, IMAP, mail files and stdin.

A source's `poll(at)` yields events: a `Found` notice (with the key that makes web and mail
copies of one notice the same notice), a `Problem` (warned about, never a crash) or a
`Fetched` page count. `watch.Watcher` loops over a list of sources; the CLI only builds that
list from the config and options. A source that must acknowledge a notice (IMAP marks the
message processed) does so when the watcher resumes it after the `Found` was handled, so a
notice that was not recorded is read again next time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from watcloud.outage.parse import Notice


@dataclass(frozen=True)
class Found:
    """A notice: `key` ("plantops:<id>", "mail:<message-id>"), `source` ("plantops", "mail")."""

    key: str
    source: str
    notice: Notice
    url: str | None = None


@dataclass(frozen=True)
class Problem:
    """Something the admins hear about (at most once a day per `key`)."""

    key: str
    subject: str
    body: str
    failed_input: bool = False  # an input given to this run was unusable (exit 1)


@dataclass(frozen=True)
class Fetched:
    """One page fetched (`changed` False: answered 304 Not Modified)."""

    changed: bool


Event = Found | Problem | Fetched


class Source(Protocol):
    def poll(self, at: datetime) -> Iterator[Event]:
        """The notices (and problems) of one pass at time `at`."""
        ...


class Notices:
    """Notices already in hand (read from files or stdin): given out once, at the first pass."""

    def __init__(self, found: Iterable[tuple[str, Notice]], problems: Iterable[str] = ()) -> None:
        self.found = list(found)
        self.problems = list(problems)

    def poll(self, at: datetime) -> Iterator[Event]:
        found, problems = self.found, self.problems
        self.found, self.problems = [], []
        # One bad mail file is skipped with a warning; the rest of the pass goes on.
        for problem in problems:
            yield Problem(f"mail-file:{problem}", "mail file skipped", problem, True)
        for key, notice in found:
            yield Found(key, "mail", notice, notice.url)
