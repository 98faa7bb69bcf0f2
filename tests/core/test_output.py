"""GitHub Actions annotations: the one writer style and links share."""

from __future__ import annotations

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
