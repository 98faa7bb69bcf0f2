"""Findings and hits: what a check reports, in prose positions and then in source positions."""

from __future__ import annotations

from dataclasses import dataclass

from watcloud.core.output import fields_json

SEVERITIES = ("error", "warning", "suggestion")
# Finding's fields after `suggestion`: what `--fix` and the baseline need, not in the JSON output.
_INTERNAL = (
    "start_offset",
    "end_offset",
    "fix",
    "matched",
    "guard_start",
    "guard_end",
    "line_text",
)


@dataclass(frozen=True)
class Hit:
    """A check's match in the extracted prose: `text[start:end]`, positions in prose."""

    start: int
    end: int
    message: str
    suggestion: str | None = None
    fix: str | None = None  # replacement text for `--fix` (safe rules only)
    # The text the rule read to decide (e.g. the article *and* the next word for a/an): two
    # fixes whose guards overlap are never both applied ("a a Node" -> not "an Node").
    guard: tuple[int, int] | None = None


@dataclass(frozen=True)
class Finding:
    """One problem in a file. Lines and columns are 1-based; `end_column` is exclusive."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    rule: str
    severity: str
    message: str
    suggestion: str | None = None
    # Not part of the JSON output: what `--fix` and the baseline need.
    start_offset: int = -1
    end_offset: int = -1
    fix: str | None = None
    matched: str = ""
    guard_start: int = -1  # source span the rule read to decide (for non-overlapping fixes)
    guard_end: int = -1
    line_text: str = ""  # the finding's first source line (baseline fingerprint)

    def to_dict(self) -> dict[str, object]:
        return fields_json(self, omit=_INTERNAL)
