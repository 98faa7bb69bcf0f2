"""Comments and docstrings of source files as prose (`--comments`).

Python is read with the standard `tokenize` module (comments and docstrings: a string that
is a whole statement at the start of a module, class or function body). Other languages use
Pygments' lexers (tokens of type Comment, except preprocessor lines and hashbangs, and
String.Doc). Everything else in the file is masked; comment markers (`#`, `//`, `/*`, `*`)
disappear, and inside comments code spans and URLs are tokens as in Markdown.
"""

from __future__ import annotations

import io
import re
import tokenize

from watcloud.style.mdx import _inline, _residue
from watcloud.style.prose import BREAK, Mask, Prose, parse_directive

_MARKER = re.compile(r"^[ \t]*(?:#+!?|//+!?|/\*+!?|\*+(?!/)|--|;+|%+)?[ \t]?")
_END_MARKER = re.compile(r"[ \t]*\*+/[ \t]*$")


def extract_comments(text: str, path: str) -> Prose:
    spans = _python_spans(text) if path.endswith((".py", ".pyi")) else _pygments_spans(text, path)
    mask = Mask(text)
    inside = bytearray(len(text))
    for s, e, kind in spans:
        for i in range(s, e):
            inside[i] = 1
        if kind == "comment":
            body = text[s:e]
            d = parse_directive(_MARKER.sub("", body, count=1), s)
            if d:
                mask.directives.append(d)
    # Everything outside comments is a boundary (newlines kept for line structure).
    i = 0
    n = len(text)
    while i < n:
        if inside[i]:
            i += 1
            continue
        j = i
        while j < n and not inside[j]:
            j += 1
        _outside(mask, i, j)
        i = j
    for s, e, kind in spans:
        _strip_markers(mask, s, e, kind)
    _inline(mask)
    _residue(mask)
    return mask.build()


def _outside(mask: Mask, s: int, e: int) -> None:
    """Code between comments: masked; consecutive line comments stay one paragraph."""
    text = mask.source
    chunk = text[s:e]
    if chunk.strip() == "" and chunk.count("\n") <= 1:
        mask.blank(s, e)  # "# a\n# b": the newline and indentation join the two lines
    else:
        mask.brk(s, e)
        for i in range(s, e):
            if text[i] != "\n":
                mask.chars[i] = " "
        mask.chars[s] = BREAK if text[s] != "\n" else "\n"
        if text[s] == "\n":
            mask.hard_break(s)


def _strip_markers(mask: Mask, s: int, e: int, kind: str) -> None:
    text = mask.source
    if kind == "docstring":
        q = re.match(r"[rRbBuU]*('''|\"\"\"|'|\")", text[s:e])
        if q:
            mask.drop(s, s + q.end())
            mask.drop(e - len(q.group(1)), e)
        return
    pos = s
    for line in text[s:e].split("\n"):
        m = _MARKER.match(line)
        if m and m.end():
            mask.drop(pos, pos + m.end())
        em = _END_MARKER.search(line)
        if em:
            mask.drop(pos + max(em.start(), m.end() if m else 0), pos + em.end())
        pos += len(line) + 1


def _python_spans(text: str) -> list[tuple[int, int, str]]:
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def off(rc: tuple[int, int]) -> int:
        return line_starts[rc[0] - 1] + rc[1]

    spans: list[tuple[int, int, str]] = []
    try:
        toks = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return spans
    prev_sig = tokenize.NEWLINE
    expect_doc = True
    for tok in toks:
        if tok.type == tokenize.COMMENT:
            if tok.start[0] <= 2 and re.match(r"#!|#.*coding[:=]", tok.string):
                continue  # hashbang and encoding declaration
            spans.append((off(tok.start), off(tok.end), "comment"))
            continue
        if tok.type in (tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING):
            continue
        if (
            tok.type == tokenize.STRING
            and expect_doc
            and prev_sig
            in (
                tokenize.NEWLINE,
                tokenize.INDENT,
            )
        ):
            spans.append((off(tok.start), off(tok.end), "docstring"))
        if tok.type == tokenize.OP and tok.string == ":":
            expect_doc = True
        elif tok.type == tokenize.NEWLINE:
            pass
        elif tok.type != tokenize.STRING:
            expect_doc = False
        prev_sig = tok.type
    return spans


def _pygments_spans(text: str, path: str) -> list[tuple[int, int, str]]:
    from pygments.lexers import get_lexer_for_filename
    from pygments.token import Comment, String
    from pygments.util import ClassNotFound

    try:
        lexer = get_lexer_for_filename(path, stripnl=False, stripall=False, ensurenl=False)
    except ClassNotFound:
        return []
    spans: list[tuple[int, int, str]] = []
    for pos, ttype, value in lexer.get_tokens_unprocessed(text):
        if ttype in Comment.Preproc or ttype in Comment.PreprocFile or ttype in Comment.Hashbang:
            continue
        if ttype in Comment or ttype in String.Doc:
            end = pos + len(value)
            if spans and spans[-1][1] == pos:
                spans[-1] = (spans[-1][0], end, "comment")
            else:
                spans.append((pos, end, "comment"))
    # A trailing newline belongs to the code around, not to the comment.
    return [(s, e - 1 if text[e - 1 : e] == "\n" else e, k) for s, e, k in spans]
