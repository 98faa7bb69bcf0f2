"""A Markdown/MDX reader that keeps exact source offsets.

It does not build a tree: it decides, character by character, what is prose and masks the
rest (see `prose.py`). Block constructs are found line by line (frontmatter, fences, math
blocks, import/export statements, tables, headings, list markers, footnote labels); inline
constructs by a left-to-right scanner (code spans, HTML comments, JSX tags and expressions,
`{/* */}` comments, links, images, URLs, math, emphasis, escapes).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from watcloud.style.prose import Mask, Prose, parse_directive

_FENCE = re.compile(r"^([ \t]*)(`{3,}|~{3,})")
_TABLE_DELIM = re.compile(r"^[ \t]*\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_HEADING = re.compile(r"^([ \t]{0,3})(#{1,6})([ \t]+|$)")
_LIST = re.compile(r"^([ \t]*)([-*+]|\d{1,9}[.)])([ \t]+)(\[[ xX]\][ \t]+)?")
_QUOTE = re.compile(r"^[ \t]*(>[ \t]?)+")
_FOOTDEF = re.compile(r"^([ \t]*)\[\^[^\]\s]+\]:[ \t]*")
_FOOTREF = re.compile(r"\[\^[^\]\s]+\](?!:|\(|\[)")
_LINKDEF = re.compile(r"^[ \t]{0,3}\[[^\]^][^\]]*\]:[ \t]*\S+.*$")
_THEMATIC = re.compile(r"^[ \t]*([-*_])([ \t]*\1){2,}[ \t]*$")
_SETEXT = re.compile(r"^[ \t]*=+[ \t]*$")
_ESM = re.compile(r"^(import|export)[ \t{*]")
_ALERT = re.compile(r"\[![A-Z]+\]")
# Container headers of Python-Markdown extensions (MkDocs, pymdown): content tabs
# `=== "Title"`, admonitions `!!! note "Title"`, collapsible `??? note`, and pymdown blocks
# `/// tab | Title` ... `///`. The header is a label on its own line, not part of a sentence;
# the tabs' and admonitions' content is indented by four spaces.
_TAB_HEAD = re.compile(
    r"^([ \t]*)(?:===[+!]?|!!!|\?\?\?\+?)[ \t]+(?:[A-Za-z][\w-]*(?:[ \t]+[a-z][\w-]*){0,2}[ \t]*)?"
    r"(?:\"(?P<title>[^\"\n]*)\"[ \t]*)?$"
)
_BLOCK_HEAD = re.compile(
    r"^[ \t]*///[ \t]*(?P<type>[\w-]*)[ \t]*(?:\|[ \t]*(?P<title>.*?))?[ \t]*$"
)

# Markup that starts an inline construct. E-mail addresses (`[\w.+-]+@[\w-]+\.[\w.]+`) are
# found apart (`_next_email`): as an alternative here they made the engine try every word
# character of the text (twice as slow).
_SPECIAL = re.compile(r"\\|`+|<|\{|\$|!?\[|\]|\*+|_+|~~|&#?\w+;|https?://|www\.")
_EMAIL_DOMAIN = re.compile(r"@[\w-]+\.[\w.]+")
_LOCAL_CHAR = re.compile(r"[\w.+-]")


def _next_email(text: str, pos: int) -> tuple[int, int] | None:
    """The leftmost match of `[\\w.+-]+@[\\w-]+\\.[\\w.]+` starting at or after `pos`: the
    first "@" with a local part (after `pos`) and a domain; the local part runs back to the
    start of its run of `[\\w.+-]` (no match can start before an earlier "@")."""
    at = text.find("@", pos)
    while at >= 0:
        start = at
        while start > pos and _LOCAL_CHAR.match(text, start - 1):
            start -= 1
        if start < at:
            dm = _EMAIL_DOMAIN.match(text, at)
            if dm is not None:
                return start, dm.end()
        at = text.find("@", at + 1)
    return None


_URL_END = re.compile(r"[\s<>`\"\u00a7]")
# `(?<![\w/])(?:~|\.{1,2})?/...` written to start with a character class, so the regex
# engine skips to candidate characters instead of trying the look-behind everywhere (4x).
_PATHLIKE = re.compile(
    r"[~./](?<![\w/].)(?:(?<=~)/|(?<=\.)\.?/|(?<=/))[\w.@%+~-]+(?:/[\w.@%+~-]*)*"
)
_EXTENSIONS = (
    r"(?:ya?ml|json|jsonl|md|mdx|py|sh|js|jsx|ts|tsx|txt|toml|cfg|conf|ini|lock|log|csv|html|"
    r"css|env|sql|tf|nix|service|patch|tar|gz|zip|png|jpe?g|svg|pdf)(?![\w-])"
)
_FILENAME = re.compile(r"(?<![\w/.-])[\w-]+(?:\.[\w-]+)*\." + _EXTENSIONS)
_EXTENSION_HIT = re.compile(r"\." + _EXTENSIONS)
_NAME_CHAR = re.compile(r"[\w.-]")
_NAME_RUN = re.compile(r"[\w.-]*")


def _filenames(text: str) -> Iterator[tuple[int, int]]:
    """The spans `_FILENAME.finditer` finds, 3x faster: a file name can only start where a
    run of name characters (`[\\w.-]`) starts, so search for an extension (a literal dot
    first, which the engine skips to) and try the regex once at the start of its run."""
    pos = 0
    while (hit := _EXTENSION_HIT.search(text, pos)) is not None:
        start = hit.start()
        while start > pos and _NAME_CHAR.match(text, start - 1):
            start -= 1
        m = _FILENAME.match(text, start)
        if m is not None:
            yield m.span()
            pos = m.end()
        else:  # no other start inside the run can match: skip it
            run = _NAME_RUN.match(text, hit.start())
            pos = max(run.end() if run else hit.end(), hit.end())


def extract(text: str, *, indented_code: bool = False) -> Prose:
    """The prose of a Markdown/MDX document, mapped to source offsets. `indented_code`:
    lines indented by four spaces after a blank line are code (Markdown; MDX has no
    indented code)."""
    mask = Mask(text)
    _blocks(mask, indented_code)
    _inline(mask)
    _residue(mask)
    return mask.build()


def _lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of each line, end excluding the newline."""
    out = []
    start = 0
    n = len(text)
    while start <= n:
        end = text.find("\n", start)
        if end < 0:
            out.append((start, n))
            break
        out.append((start, end))
        start = end + 1
    return out


def _js_statement_end(text: str, start: int) -> int:
    """End offset (exclusive) of an import/export statement starting at `start`."""
    depth = 0
    i = start
    n = len(text)
    while i < n:
        c = text[i]
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c in "'\"`":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j
        elif c == "/" and text.startswith("//", i):
            nl = text.find("\n", i)
            i = n if nl < 0 else nl - 1
        elif c == "/" and text.startswith("/*", i):
            close = text.find("*/", i + 2)
            i = n if close < 0 else close + 1
        elif c == "\n" and depth <= 0:
            # A statement may continue on the next line (`import {\n a\n} from 'x'`).
            nxt = text[i + 1 : i + 2]
            if not nxt or nxt not in " \t}).":
                return i
        i += 1
    return n


def _indent(line: str) -> int:
    """Columns of leading white space (a tab counts to the next multiple of four)."""
    return len(line[: len(line) - len(line.lstrip(" \t"))].expandtabs(4))


class _Indented:
    """CommonMark's indented code blocks: a line indented four columns past its container's
    content (a list item's text, a tab's or admonition's body) is code when it does not
    continue a paragraph (after a blank line, a heading or a fence, or more code)."""

    def __init__(self) -> None:
        self.containers: list[int] = []  # content columns of the open containers
        self.boundary = True  # the line before ends a block: code may start here
        self.after_blank = True
        self.in_code = False

    def code(self, line: str) -> bool:
        """Whether this non-blank line is indented code; tracks the containers it opens."""
        col = _indent(line)
        if self.after_blank:
            while self.containers and self.containers[-1] > col:
                self.containers.pop()  # less indented after a blank line: the container ended
        base = self.containers[-1] if self.containers else 0
        self.after_blank = False
        if (self.boundary or self.in_code) and col >= base + 4:
            self.in_code = True
            return True
        self.in_code = False
        self.boundary = False
        content = -1
        m = _LIST.match(line)
        if m:
            gap = len(m.group(3).expandtabs(4))
            content = col + len(m.group(2)) + (gap if gap <= 4 else 1)
        elif _TAB_HEAD.match(line) or _FOOTDEF.match(line):
            content = col + 4
        if content >= 0:
            while self.containers and self.containers[-1] > col:
                self.containers.pop()  # a sibling or an outer item
            self.containers.append(content)
        return False

    def blank(self) -> None:
        self.after_blank = True
        self.boundary = True


def _blocks(mask: Mask, indented_code: bool = False) -> None:
    text = mask.source
    lines = _lines(text)
    i = 0
    indented = _Indented() if indented_code else None
    # Frontmatter.
    if text.startswith("---\n") or text.startswith("---\r\n"):
        for k in range(1, len(lines)):
            s, e = lines[k]
            if text[s:e].rstrip() in ("---", "..."):
                mask.blank(0, e)
                i = k + 1
                break
    in_table = False
    while i < len(lines):
        s, e = lines[i]
        if mask.done[s : e or s].count(0) == 0 and e > s:
            i += 1
            continue
        line = text[s:e]
        stripped = line.strip()
        if indented is not None:
            if not stripped:
                indented.blank()
            elif indented.code(line):
                mask.blank(s, e)
                i += 1
                in_table = False
                continue
        m = _FENCE.match(line)
        if m:
            fence = m.group(2)
            close = re.compile(
                r"^[ \t]*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}[ \t]*$"
            )
            k = i + 1
            while k < len(lines) and not close.match(text[lines[k][0] : lines[k][1]]):
                k += 1
            end = lines[min(k, len(lines) - 1)][1]
            mask.blank(s, end)
            i = k + 1
            in_table = False
            if indented is not None:
                indented.boundary = True
            continue
        if stripped.startswith("$$"):
            close_at = text.find("$$", s + line.index("$$") + 2)
            end = len(text) if close_at < 0 else close_at + 2
            mask.blank(s, end)
            while i < len(lines) and lines[i][0] < end:
                i += 1
            continue
        if _ESM.match(line):
            end = _js_statement_end(text, s)
            mask.blank(s, end)
            while i < len(lines) and lines[i][0] < end:
                i += 1
            continue
        if not stripped:
            in_table = False
            i += 1
            continue
        nxt = text[lines[i + 1][0] : lines[i + 1][1]] if i + 1 < len(lines) else ""
        if not in_table and "|" in line and _TABLE_DELIM.match(nxt) and "-" in nxt:
            in_table = True
        if in_table:
            if _TABLE_DELIM.match(line) and "-" in line:
                mask.blank(s, e)
            else:
                _table_row(mask, s, e)
            i += 1
            continue
        if _THEMATIC.match(line) or _SETEXT.match(line) or _LINKDEF.match(line):
            mask.blank(s, e)
            i += 1
            if indented is not None and not _LINKDEF.match(line):
                indented.boundary = True
            continue
        if _container_head(mask, s, e):
            i += 1
            continue
        _line_markers(mask, s, e)
        if indented is not None and _HEADING.match(line):
            indented.boundary = True
        i += 1


def _container_head(mask: Mask, s: int, e: int) -> bool:
    """A tab, admonition or pymdown block header (`=== "pip"`, `!!! note "Title"`,
    `/// tab | Title`, `///`): a block of its own; its title stays prose, the rest is
    markup. Not part of the sentence on the next line ("pip" then "[pip](...)")."""
    text = mask.source
    line = text[s:e]
    m = _TAB_HEAD.match(line)
    if m is None:
        m = _BLOCK_HEAD.match(line)
        if m is None or m.group("type") == "html":  # `/// html | div.x`: a tag, no title
            if m is not None:
                mask.blank(s, e)
                if e < len(text):
                    mask.hard_break(e)
            return m is not None
    if m.group("title"):
        a, b = s + m.start("title"), s + m.end("title")
        mask.brk(s, a)
        if b < e:
            mask.blank(b, e)
    else:
        mask.brk(s, e)
    if e < len(text):
        mask.hard_break(e)
    return True


def _line_markers(mask: Mask, s: int, e: int) -> None:
    """Blockquote, heading, list and footnote-definition markers at the start of a line."""
    text = mask.source
    pos = s
    m = _QUOTE.match(text[pos:e])
    if m:
        mask.brk(pos, pos + m.end())
        pos += m.end()
        am = _ALERT.match(text[pos:e])
        if am:
            mask.blank(pos, pos + am.end())
            pos += am.end()
    m = _HEADING.match(text[pos:e])
    if m:
        mask.brk(pos, pos + m.end())
        body = pos + m.end()
        # Closing hashes and a `{#custom-id}` / `[#id]` suffix are not prose.
        tail = re.search(r"([ \t]+#+[ \t]*|[ \t]*[\[{]#[\w-]+[\]}][ \t]*)$", text[body:e])
        if tail:
            mask.blank(body + tail.start(), e)
        mask.headings.append((body, body + tail.start() if tail else e))
        if e < len(text):
            mask.hard_break(e)
        return
    m = _LIST.match(text[pos:e])
    if m:
        mask.brk(pos, pos + m.end())
        pos += m.end()
    m = _FOOTDEF.match(text[pos:e])
    if m:
        mask.brk(pos, pos + m.end())


def _table_row(mask: Mask, s: int, e: int) -> None:
    """Every cell is its own block: unescaped pipes outside code spans become breaks."""
    text = mask.source
    i = s
    in_code = 0
    while i < e:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "`":
            j = i
            while j < e and text[j] == "`":
                j += 1
            run = j - i
            in_code = 0 if in_code == run else (run if in_code == 0 else in_code)
            i = j
            continue
        if c == "|" and not in_code:
            mask.brk(i, i + 1)
        i += 1
    if e < len(text):
        mask.hard_break(e)


def _blank_line_between(text: str, start: int, end: int) -> bool:
    return re.search(r"\n[ \t]*\n", text[start:end]) is not None


def _matching_brace(text: str, start: int) -> int:
    """Offset just past the `}` closing the `{` at `start` (JS strings and comments skipped)."""
    depth = 0
    i = start
    n = len(text)
    while i < n:
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        elif c in "'\"`":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            i = j
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                return -1
            i = close + 1
        i += 1
    return -1


def _tag_end(text: str, start: int) -> int:
    """Offset just past the `>` ending the JSX/HTML tag at `start`, or -1."""
    i = start + 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == ">":
            return i + 1
        if c in "'\"":
            close = text.find(c, i + 1)
            if close < 0:
                return -1
            i = close
        elif c == "{":
            end = _matching_brace(text, i)
            if end < 0:
                return -1
            i = end - 1
        elif c == "<" or (c == "\n" and text[i + 1 : i + 2] == "\n"):
            return -1
        i += 1
    return -1


def _at_line_start(text: str, i: int) -> bool:
    j = i - 1
    while j >= 0 and text[j] in " \t":
        j -= 1
    return j < 0 or text[j] == "\n"


def _inline(mask: Mask) -> None:
    text = mask.source
    done = mask.done
    n = len(text)
    link_closes: dict[int, int] = {}  # offset of `]` -> end of `](target)` to drop
    pos = 0
    email = _next_email(text, 0)
    while True:
        if email is not None and email[0] < pos:
            email = _next_email(text, pos)
        m = _SPECIAL.search(text, pos)
        if email is not None and (m is None or email[0] < m.start()):
            i, end = email  # an e-mail address (at the same offset, markup wins)
            if done[i]:
                pos = i + 1
            else:
                mask.token(i, end)
                pos = end
            continue
        if m is None:
            return
        i = m.start()
        tok = m.group()
        if done[i]:
            if i in link_closes:
                mask.done[i] = 0
                mask.drop(i, link_closes.pop(i))
            pos = i + 1
            continue
        c = tok[0]
        nxt = m.end()
        if c == "\\":
            if i + 1 < n and text[i + 1] in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~":
                mask.drop(i, i + 1)
                mask.keep(i + 1, i + 2)
                nxt = i + 2
        elif c == "`":
            run = len(tok)
            close = re.compile(r"(?<!`)" + "`" * run + r"(?!`)")
            cm = close.search(text, i + run)
            if cm and not _blank_line_between(text, i, cm.start()):
                mask.token(i, cm.end())
                nxt = cm.end()
            else:
                mask.drop(i, i + run)
        elif c == "<":
            nxt = _angle(mask, i)
        elif c == "{":
            end = _matching_brace(text, i)
            if end > 0:
                body = text[i + 1 : end - 1].strip()
                if body.startswith("/*") and body.endswith("*/"):
                    d = parse_directive(body[2:-2], i)
                    if d:
                        mask.directives.append(d)
                    mask.blank(i, end)
                elif (
                    _at_line_start(text, i)
                    and text[end : text.find("\n", end) + 1 or n].strip() == ""
                ):
                    mask.brk(i, end)
                else:
                    mask.token(i, end)
                nxt = end
        elif c == "$":
            nxt = _math(mask, i)
        elif tok == "[" and (fn := _FOOTREF.match(text, i)) is not None:
            # "for you [^fn1], however": a footnote reference vanishes with the spaces
            # before it, so the comma after it follows the word it belongs to.
            lo = i
            while lo > 0 and text[lo - 1] in " \t" and not done[lo - 1]:
                lo -= 1
            mask.drop(lo, fn.end())
            nxt = fn.end()
        elif tok in ("[", "!["):
            nxt = _link(mask, i, tok == "![", link_closes)
        elif c == "]":
            if i in link_closes:
                mask.drop(i, link_closes.pop(i))
                nxt = max(nxt, m.end())
        elif c == "*" or tok == "~~":
            mask.drop(i, m.end())
        elif c == "_":
            before = text[i - 1] if i > 0 else " "
            after = text[m.end()] if m.end() < n else " "
            if not (before.isalnum() and after.isalnum()):
                mask.drop(i, m.end())
        elif c == "&":
            if _CODE_ENTITY.fullmatch(tok):
                # `Array&lt;YEvent&gt;, T`: an escaped code character is a character of
                # the sentence, not a space (a blank left " ," behind it).
                mask.token(i, m.end())
            else:
                mask.blank(i, m.end())
        elif tok.startswith(("http", "www")):
            url_end = _URL_END.search(text, i)
            stop = url_end.start() if url_end else n
            while stop > i and text[stop - 1] in ".,;:!?)'*_":
                if text[stop - 1] == ")" and text[i:stop].count("(") >= text[i:stop].count(")"):
                    break
                stop -= 1
            mask.token(i, stop)
            nxt = stop
        pos = max(nxt, i + 1)


_CODE_ENTITY = re.compile(r"&(?:lt|gt|amp|#0*(?:60|62|38)|#[xX]0*(?:3[cCeE]|26));")
_HTML_CODE = re.compile(r"<(code|kbd|samp|var|tt)(?:\s[^<>]*)?>", re.IGNORECASE)
_HTML_CODE_CLOSE = {
    tag: re.compile(rf"</{tag}\s*>", re.IGNORECASE) for tag in ("code", "kbd", "samp", "var", "tt")
}


def _angle(mask: Mask, i: int) -> int:
    text = mask.source
    if text.startswith("<!--", i):
        close = text.find("-->", i + 4)
        end = len(text) if close < 0 else close + 3
        d = parse_directive(text[i + 4 : end - 3], i)
        if d:
            mask.directives.append(d)
        mask.blank(i, end)
        return end
    # An autolink: any URI scheme (CommonMark: 2-32 characters), e.g. MyST's <xref:guide#x>,
    # which renders as the target's title: a name in the sentence, never markup that vanishes.
    am = re.match(
        r"<(?:https?|mailto|ftp):[^\s<>]*>|<[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*(?<!/)>"
        r"|<[\w.+-]+@[\w.-]+>",
        text[i : i + 2048],
    )
    if am:
        mask.token(i, i + am.end())
        return i + am.end()
    cm = _HTML_CODE.match(text, i)
    if cm is not None:
        # Inline `<code>f(a, b)</code>` (also kbd, samp, var, tt): code, one token.
        code_close = _HTML_CODE_CLOSE[cm.group(1).lower()].search(text, cm.end())
        if code_close is not None and not _blank_line_between(text, i, code_close.start()):
            mask.token(i, code_close.end())
            return code_close.end()
    if re.match(r"</?[A-Za-z]|<>|</>", text[i : i + 3]):
        end = _tag_end(text, i)
        if end > 0:
            line_end = text.find("\n", end)
            alone = _at_line_start(text, i) and (
                text[end : line_end if line_end >= 0 else len(text)].strip() == ""
                or re.match(r"\s*</?[A-Za-z]", text[end : end + 40]) is not None
            )
            if alone or _at_line_start(text, i):
                mask.brk(i, end)
            elif re.match(r"<br\s*/?>", text[i:end], re.IGNORECASE):
                mask.blank(i, end)
            else:
                mask.drop(i, end)
            return end
    return i + 1


def _math(mask: Mask, i: int) -> int:
    text = mask.source
    if i + 1 >= len(text) or text[i + 1] in " \t\n$":
        return i + 1
    j = i + 1
    while True:
        j = text.find("$", j)
        if j < 0 or _blank_line_between(text, i, j):
            return i + 1
        if text[j - 1] not in " \t\n\\" and not text[j + 1 : j + 2].isdigit():
            mask.token(i, j + 1)
            return j + 1
        j += 1


def _link(mask: Mask, i: int, image: bool, link_closes: dict[int, int]) -> int:
    """`[text](url)`: text stays prose, brackets and target drop; `![alt](src)`: one token."""
    text = mask.source
    start = i + 1 if image else i
    if text.startswith("[^", start):
        close = text.find("]", start)
        if close > 0 and "\n" not in text[start:close]:
            mask.drop(start, close + 1)  # footnote reference
            return close + 1
        return start + 1
    depth = 0
    j = start
    n = len(text)
    while j < n:
        c = text[j]
        if c == "\\":
            j += 2
            continue
        if c == "`":
            run = 1
            while j + run < n and text[j + run] == "`":
                run += 1
            close_code = text.find("`" * run, j + run)
            j = (close_code + run) if close_code >= 0 else j + run
            continue
        if c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                break
        elif c == "\n" and text[j + 1 : j + 2] == "\n":
            return start + 1
        j += 1
    if j >= n:
        return start + 1
    after = text[j + 1 : j + 2]
    target_end = -1
    if after == "(":
        k = j + 1
        pdepth = 0
        while k < n:
            if text[k] == "(":
                pdepth += 1
            elif text[k] == ")":
                pdepth -= 1
                if pdepth == 0:
                    target_end = k + 1
                    break
            elif text[k] == "\n" and text[k + 1 : k + 2] == "\n":
                break
            k += 1
    elif after == "[":
        close = text.find("]", j + 2)
        if close > 0 and "\n" not in text[j + 2 : close]:
            target_end = close + 1
    if target_end < 0:
        return start + 1
    if image or j == start + 1:
        # An image is one token; so is a link with no text (`[](#target)`, `[][ref]`), which
        # MyST and others render as the target's title: a name in the sentence, not nothing.
        mask.token(i, target_end)
        return target_end
    mask.drop(i, i + 1)
    link_closes[j] = target_end
    mask.done[j] = 1  # the scanner drops `](target)` when it reaches `]`
    return i + 1


def _residue(mask: Mask) -> None:
    """Paths and file names left in prose (outside code spans) are tokens, not words."""
    text = mask.source
    for s, e in (m.span() for m in _PATHLIKE.finditer(text)):
        if e - s >= 3 and not any(mask.done[s:e]):
            mask.token(s, e)
    for s, e in _filenames(text):
        if not any(mask.done[s:e]):
            mask.token(s, e)
