"""The MDX reader: what is prose, what is not, and exact line/column mapping."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from watcloud.style.engine import Checker
from watcloud.style.mdx import extract
from watcloud.style.prose import BREAK, DROP, TOKEN

DOC = """---
title: WatCloud page
description: a SSH key
---

import { Callout } from 'nextra/components'
export const meta = {
  title: 'WatCloud',
}

# Welcome to the the cluster

Text with `WatCloud code` and a [WatCloud link text](https://watcloud.example/WatCloud) here.
An URL like https://example.com/WatCloud/path is not prose.

```bash
echo "WatCloud in a fence"
the the
```

<Callout type="warning" title="WatCloud attribute">
  Children are prose: WatCloud here.
</Callout>

{/* WatCloud in an MDX comment */}
<!-- WatCloud in an HTML comment -->
Value {props.WatCloud} and math $WatCloud^2$ are skipped.

| Column | Other |
| ------ | ----- |
| WatCloud cell | fine |

Footnote ref[^watcloud] here.

[^watcloud]: The footnote text mentions Watonomous.

$$
WatCloud = math
$$
"""


def _lines_of(findings: list, rule: str) -> list[tuple[int, int]]:
    return [(f.line, f.column) for f in findings if f.rule == rule]


def test_only_prose_is_checked_and_positions_are_exact() -> None:
    findings = Checker().check_text(DOC, "doc.mdx")
    brand = _lines_of(findings, "brand-watcloud")
    # Link text (line 13), JSX children (line 22) and a table cell (line 31) are prose.
    assert brand == [(13, 34), (22, 23), (31, 3)]
    lines = DOC.splitlines()
    for f in findings:
        assert lines[f.line - 1][f.column - 1 : f.end_column - 1] == f.matched.split("\n")[0]
    assert _lines_of(findings, "brand-watonomous") == [(35, 41)]
    # The heading's repeated word is found (the span starts at the space that --fix removes
    # with the second word); the fence's is not.
    assert _lines_of(findings, "repeated-word") == [(11, 17)]
    # Frontmatter "a SSH key" is not prose.
    assert _lines_of(findings, "a-an") == [(14, 1)]


def test_prose_text_maps_back_to_source_characters() -> None:
    prose = extract(DOC)
    for i, ch in enumerate(prose.text):
        if ch in (TOKEN, BREAK) or ch.isspace():
            continue
        assert DOC[prose.offsets[i]] == ch
    assert DROP not in prose.text
    assert "echo" not in prose.text and "nextra" not in prose.text
    assert "Children are prose" in prose.text
    assert "column" not in prose.text.lower() or "Column" in prose.text


def test_inline_markup_is_transparent() -> None:
    prose = extract("This is **bold**, _emphasis_ and [a link](x.md), then ~~gone~~.\n")
    assert prose.text.strip() == "This is bold, emphasis and a link, then gone."


def test_footnote_reference_vanishes_with_the_space_before_it() -> None:
    # "for you [^fn1], however": the comma follows the word it belongs to; the definition
    # line "[^fn1]: ..." is still prose and a reference mid-sentence joins its neighbours.
    prose = extract("It writes it for you [^fn1], however not [^2] always.\n\n[^fn1]: A note.\n")
    assert "for you, however not always." in prose.text
    assert "A note." in prose.text
    assert "fn1" not in prose.text


def test_snake_case_and_paths_are_not_words() -> None:
    prose = extract("Set my_var in /etc/watcloud/config.yaml and values.yml now.\n")
    assert "my_var" in prose.text
    assert "etc" not in prose.text and "yml" not in prose.text


def test_multiline_jsx_attributes_and_expressions() -> None:
    src = 'Before.\n\n<Picture\n  alt="WatCloud"\n  image={ {a: "}"} }\n/>\n\nAfter WatCloud.\n'
    findings = Checker().check_text(src, "x.mdx")
    assert _lines_of(findings, "brand-watcloud") == [(8, 7)]


def test_headings_are_recorded_for_capitalization() -> None:
    prose = extract("## Getting Started {#start}\n\nText.\n")
    (s, e) = prose.headings[0]
    assert "## Getting Started {#start}"[s:e] == "Getting Started"


def test_unclosed_constructs_do_not_crash() -> None:
    for src in ["```\nnever closed", "<Callout\n", "{ open", "`tick", "[link](", "$x", "<!-- x"]:
        extract(src)
        Checker().check_text(src, "x.mdx")


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="ab `*_[]()<>{}$|#-!\n/:.,'", max_size=120))
def test_mapping_holds_for_arbitrary_markup(src: str) -> None:
    prose = extract(src)
    assert len(prose.text) == len(prose.offsets)
    assert prose.offsets == sorted(prose.offsets)
    for i, ch in enumerate(prose.text):
        if ch not in (TOKEN, BREAK, " ", "\n"):
            assert src[prose.offsets[i]] == ch
