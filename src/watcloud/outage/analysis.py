"""One notice -> decision + windows: the pure pipeline shared by `check`, `eval` and `watch`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from watcloud.outage.classify import Decision, classify
from watcloud.outage.parse import Notice
from watcloud.outage.when import WhenResult, Window, extract


@dataclass
class Analysis:
    notice: Notice
    decision: Decision
    when: WhenResult

    @property
    def relevant(self) -> bool:
        return self.decision.relevant

    @property
    def windows(self) -> list[Window]:
        return self.when.windows


def analyze(
    notice: Notice,
    posted: date,
    buildings: Mapping[str, Sequence[str]] | None = None,
    *,
    campus_wide: bool = True,
) -> Analysis:
    decision = classify(notice, buildings, campus_wide=campus_wide)
    if any(r.code == "restored" for r in decision.reasons):
        # A report after the fact: the times in it are history, not an outage window.
        return Analysis(
            notice,
            decision,
            WhenResult(warnings=["a report after the fact: no window is read from it"]),
        )
    when = extract(notice, posted)
    return Analysis(notice, decision, when)
