"""Prose extracted from a source file, with an exact map back to source offsets.

Readers (`mdx.py` for Markdown/MDX, `comments.py` for code comments) build a `Mask`: one slot
per source character holding what the checks see at that position. Three markers have a
meaning of their own in the extracted prose:

- `TOKEN` (§) stands for a non-prose span inside a sentence (inline code, a URL, math, a JSX
  expression). It is not a word, so "the `x` the" is not a repeated word and "a `ls`" is
  not judged for a/an.
- `BREAK` (¶) ends a block: a heading, a list item, a table cell, a JSX block tag. No check
  looks across it.
- `DROP` marks markup that disappears (emphasis markers, link brackets and targets), so
  "**word**, next" reads "word, next".

`Prose.text` is the visible prose; `Prose.offsets[i]` is the source offset of `text[i]`.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

TOKEN = "\u00a7"  # §
BREAK = "\u00b6"  # ¶
DROP = "\x00"

_DIRECTIVE = re.compile(
    r"^\s*(?:(?P<kind>style-check-(?:disable-next-line|disable|enable))\b(?P<rules>[^\n]*)"
    r"|vale\s+(?P<vale>off|on)\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Directive:
    """A suppression comment: `disable`, `enable` or `next-line`, for some rules (empty: all)."""

    offset: int
    action: str
    rules: tuple[str, ...]


def parse_directive(body: str, offset: int) -> Directive | None:
    """`style-check-disable a, b` / `style-check-enable` / `vale off` in a comment body."""
    m = _DIRECTIVE.match(body)
    if m is None:
        return None
    if m.group("vale"):
        return Directive(offset, "disable" if m.group("vale").lower() == "off" else "enable", ())
    kind = m.group("kind").lower()
    action = {
        "style-check-disable": "disable",
        "style-check-enable": "enable",
        "style-check-disable-next-line": "next-line",
    }[kind]
    rules = tuple(r for r in re.split(r"[\s,]+", m.group("rules").strip()) if r and r != "-->")
    return Directive(offset, action, rules)


class Mask:
    """A mutable per-character view of a source text."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.chars = list(source)
        self.done = bytearray(len(source))  # 1 = already decided, later passes skip it
        self.directives: list[Directive] = []
        self.headings: list[tuple[int, int]] = []  # source (start, end) of heading text

    def _set(self, start: int, end: int, first: str, rest: str, keep_newlines: bool) -> None:
        chars, src, done = self.chars, self.source, self.done
        for i in range(start, end):
            if keep_newlines and src[i] == "\n":
                chars[i] = "\n"
            else:
                chars[i] = first if i == start else rest
            done[i] = 1

    def blank(self, start: int, end: int) -> None:
        """Not prose and not part of a sentence: spaces, newlines kept (code blocks, ESM)."""
        self._set(start, end, " ", " ", True)

    def drop(self, start: int, end: int) -> None:
        """Markup that vanishes from the prose (emphasis markers, link targets)."""
        self._set(start, end, DROP, DROP, False)

    def token(self, start: int, end: int) -> None:
        """A non-prose span inside a sentence: one § in the prose."""
        if end > start:
            self._set(start, end, TOKEN, DROP, False)

    def brk(self, start: int, end: int) -> None:
        """A block boundary: one ¶ (newlines kept after it)."""
        if end > start:
            self._set(start, end, BREAK, " ", True)

    def hard_break(self, i: int) -> None:
        """Turn the character at `i` (usually a newline) into a block boundary."""
        self.chars[i] = BREAK
        self.done[i] = 1

    def keep(self, start: int, end: int) -> None:
        for i in range(start, end):
            self.done[i] = 1

    def build(self) -> Prose:
        whole = "".join(self.chars)
        # The offsets of the kept characters, run by run between dropped ones (C-level range
        # extension: 10x faster than testing every character in Python).
        offsets: list[int] = []
        kept_from = 0
        for m in _DROPPED.finditer(whole):
            offsets.extend(range(kept_from, m.start()))
            kept_from = m.end()
        offsets.extend(range(kept_from, len(whole)))
        text = whole.replace(DROP, "") if kept_from else whole
        return Prose(self.source, text, offsets, self.directives, self.headings)


_DROPPED = re.compile(DROP + "+")


@dataclass
class Prose:
    source: str
    text: str
    offsets: list[int]
    directives: list[Directive] = field(default_factory=list)
    headings: list[tuple[int, int]] = field(default_factory=list)
    _line_starts: list[int] | None = None

    def source_offset(self, prose_index: int) -> int:
        """Source offset of prose position `prose_index` (end positions map past the char)."""
        if prose_index >= len(self.offsets):
            return len(self.source)
        return self.offsets[prose_index]

    def prose_index(self, source_offset: int) -> int:
        """The first prose position at or after `source_offset`."""
        return bisect.bisect_left(self.offsets, source_offset)

    def source_end(self, prose_end: int) -> int:
        """Source offset just past the prose character before `prose_end`."""
        if prose_end <= 0:
            return 0
        return self.offsets[prose_end - 1] + 1

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column (in characters) of a source offset."""
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in re.finditer("\n", self.source)]
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def word_count(self) -> int:
        return len(re.findall(r"[A-Za-z][A-Za-z'’-]*", self.text))


def segments(text: str) -> list[tuple[int, int]]:
    """Prose blocks (start, end): split at ¶ and at blank lines; no check crosses them."""
    out = []
    start = 0
    for m in re.finditer(r"\u00b6|\n[ \t]*\n", text):
        if m.start() > start:
            out.append((start, m.start()))
        start = m.end()
    if start < len(text):
        out.append((start, len(text)))
    return out


_LATIN = re.compile(
    r"\b(?:lorem|ipsum|dolor|amet|consectetur|adipiscing|elit|eiusmod|tempor|incididunt|"
    r"labore|dolore|magna|aliqua|veniam|nostrud|exercitation|ullamco|laboris|nisi|aliquip|"
    r"commodo|consequat)\b",
    re.IGNORECASE,
)


def placeholder_spans(text: str) -> list[tuple[int, int]]:
    """Blocks of placeholder text ("Lorem ipsum dolor sit amet ..."): not prose to check.
    A block is placeholder when it says "lorem ipsum" or has three of its Latin words."""
    if not _LATIN.search(text):
        return []
    out = []
    for start, end in segments(text):
        hits = {m.group().lower() for m in _LATIN.finditer(text, start, end)}
        if {"lorem", "ipsum"} <= hits or len(hits) >= 3:
            out.append((start, end))
    return out
