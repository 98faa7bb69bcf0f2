"""core.output and core.clikit pieces several tools share: GitHub Actions annotations (style,
links), dataclass JSON records, the progress bar (links, notify)."""

from __future__ import annotations

from typing import Any

from watcloud.core.output import github_annotation


def test_properties_and_message_are_escaped_as_github_expects() -> None:
    line = github_annotation(
        "error",
        "50% broken\nsecond line",
        file="docs/a,b:c.md",
        line=3,
        col=7,
        end_line=3,
        end_column=9,
        title="rule: x",
    )
    assert line == (
        "::error file=docs/a%2Cb%3Ac.md,line=3,col=7,endLine=3,endColumn=9,title=rule%3A x"
        "::50%25 broken%0Asecond line"
    )


def test_unknown_properties_are_left_out() -> None:
    assert github_annotation("warning", "m: n, o") == "::warning::m: n, o"
    assert github_annotation("notice", "x", file="", line=0, title=None) == "::notice::x"


def test_fields_json_is_the_fields_in_order_less_omitted_ones_and_shallow() -> None:
    from dataclasses import dataclass, field

    from watcloud.core.output import fields_json

    @dataclass
    class Row:
        name: str
        details: list[str] = field(default_factory=list)
        internal: int = 0

    row = Row("a", ["x"])
    assert list(fields_json(row)) == ["name", "details", "internal"]
    got = fields_json(row, omit=("internal",))
    assert got == {"name": "a", "details": ["x"]} and got["details"] is row.details


def test_progress_bar_counts_every_item_and_is_off_when_piped_or_small(monkeypatch: Any) -> None:
    from watcloud.core import clikit

    with clikit.progress_bar("checking", 3) as bar:
        assert bar is None  # standard error is not a terminal under pytest
    monkeypatch.setattr(clikit, "show_progress", lambda: True)
    with clikit.progress_bar("sending", 3, worth_it=False) as bar:
        assert bar is None
    with clikit.progress_bar("checking") as bar:
        assert bar is not None
        bar.set_total(2)
        bar.advance("https://example.org/")  # a library's per-item callback argument
        bar.advance()
        task = bar._bar.tasks[0]
        assert (task.description, task.total, task.completed) == ("checking", 2, 2)
