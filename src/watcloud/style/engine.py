"""The checker: settings + rules -> findings for a document, with suppressions applied."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from pathlib import Path

from watcloud.core.errors import ConfigError
from watcloud.style.config import StyleConfig
from watcloud.style.grammar import Context
from watcloud.style.model import Finding, Hit
from watcloud.style.prose import BREAK, TOKEN, Directive, Prose, placeholder_spans
from watcloud.style.rules import Rule, default_rules, run_rule

MARKDOWN_SUFFIXES = (".md", ".mdx", ".markdown")


class Checker:
    """Checks documents against the configured rules. Build once, reuse for many files."""

    def __init__(self, settings: StyleConfig | None = None, *, harper: bool | None = None) -> None:
        self.settings = settings or StyleConfig()
        s = self.settings
        rules: list[Rule] = list(default_rules()) if s.default_style else []
        own_codes = {r.code for r in s.rules}
        rules = [r for r in rules if r.code not in own_codes] + list(s.rules)
        if s.vocabulary.reject:
            rules.append(
                Rule(
                    code="vocabulary-reject",
                    kind="existence",
                    severity="error",
                    message="'{match}' is on the project's list of rejected words.",
                    tokens=[re.escape(w) for w in s.vocabulary.reject],
                )
            )
        known = {r.code for r in rules}
        for code in [*s.disable, *s.enable, *s.severity]:
            if code not in known:
                raise ConfigError(
                    f"unknown rule {code!r} in settings (known: {', '.join(sorted(known))})"
                )
        active = []
        for r in rules:
            on = (r.enabled or r.code in s.enable) and r.code not in s.disable
            if not on:
                continue
            if r.code in s.severity:
                r = r.model_copy(update={"severity": s.severity[r.code]})
            if r.severity == "suggestion" and not (s.suggestions or r.code in s.enable):
                continue  # suggestion-level rules are opt-in (`suggestions: true`)
            active.append(r)
        self.rules = active
        self.all_rules = rules
        self.ctx = Context(frozenset(s.vocabulary.accept))
        use_harper = s.harper.enabled if harper is None else harper
        self.harper = None
        if use_harper:
            from watcloud.style.harper_engine import HarperEngine

            self.harper = HarperEngine(s.harper)

    def check_prose(self, path: str, prose: Prose, names: Iterable[str] = ()) -> list[Finding]:
        """`names`: words that name the project the document belongs to (see
        `workflow.project_names`); with the words of `path`, never reported as misspellings."""
        hits: list[tuple[Hit, str, str]] = []
        self.ctx.source = prose.source
        self.ctx.prose = prose
        self.ctx.names = path_words(path).union(names)
        for rule in self.rules:
            for hit in run_rule(rule, prose, self.ctx):
                hits.append((hit, rule.code, rule.severity))
        if self.harper is not None:
            for code, hit in self.harper.lint(prose.text):
                hits.append((hit, code, self.settings.harper.severity))
        skip = placeholder_spans(prose.text)
        if skip:
            hits = [h for h in hits if not any(a <= h[0].start < b for a, b in skip)]
        made = [self._finding(path, prose, h, code, sev) for h, code, sev in hits]
        findings = [f for f in made if f is not None]
        findings = suppress(findings, prose)
        findings.sort(key=lambda f: (f.line, f.column, f.rule))
        return _dedupe(findings)

    def _finding(
        self, path: str, prose: Prose, hit: Hit, code: str, severity: str
    ) -> Finding | None:
        matched_prose = prose.text[hit.start : hit.end]
        if BREAK in matched_prose:
            return None
        start = prose.source_offset(hit.start)
        end = prose.source_end(hit.end) if hit.end > hit.start else start
        line, col = prose.line_col(start)
        end_line, end_col = prose.line_col(end)
        fix = hit.fix if severity == "error" else None  # only error-grade rules fix
        source_span = prose.source[start:end]
        if fix is not None and (source_span != matched_prose or TOKEN in matched_prose):
            fix = None  # markup inside the span: not a safe textual replacement
        g_start, g_end = hit.guard or (hit.start, hit.end)
        guard_start = min(start, prose.source_offset(g_start))
        guard_end = max(end, prose.source_end(g_end) if g_end > g_start else guard_start)
        line_start = prose.source.rfind("\n", 0, start) + 1
        line_end = prose.source.find("\n", start)
        return Finding(
            path=path,
            line=line,
            column=col,
            end_line=end_line,
            end_column=end_col,
            rule=code,
            severity=severity,
            message=hit.message,
            suggestion=hit.suggestion,
            start_offset=start,
            end_offset=end,
            fix=fix,
            matched=source_span,
            guard_start=guard_start,
            guard_end=guard_end,
            line_text=prose.source[line_start : line_end if line_end >= 0 else len(prose.source)],
        )

    def check_text(
        self,
        text: str,
        path: str = "<text>",
        *,
        comments: bool = False,
        names: Iterable[str] = (),
    ) -> list[Finding]:
        prose = extract_prose(text, path, comments=comments)
        return self.check_prose(path, prose, title_word(prose).union(names))

    def check_blocks(
        self,
        pieces: Iterable[tuple[str, int, int]],
        path: str,
        *,
        comments: bool = False,
        names: Iterable[str] = (),
    ) -> list[Finding]:
        """Check a document given as (text, character offset, line offset) pieces (see
        `workflow.blocks`): memory stays at one piece whatever the file's size. Suppression
        comments still open at the end of a piece carry over to the next one. `names`: the
        project's names (`workflow.project_names`), read as names by the spelling check."""
        names = frozenset(names)
        out: list[Finding] = []
        carry: tuple[bool, tuple[str, ...]] = (False, ())
        for text, char_off, line_off in pieces:
            prefix = ""
            if char_off:
                # Never at offset 0 (a "---" line there would read as frontmatter); open
                # suppressions carry over as a comment line before the piece.
                if carry[0]:
                    prefix = "<!-- style-check-disable -->\n"
                elif carry[1]:
                    prefix = f"<!-- style-check-disable {', '.join(carry[1])} -->\n"
                prefix += "\n"
            prose = extract_prose(prefix + text, path, comments=comments)
            if not char_off:
                names |= title_word(prose)
            carry = open_at_end(prose.directives)
            dl, dc = line_off - prefix.count("\n"), char_off - len(prefix)
            for f in self.check_prose(path, prose, names):
                if not (dl or dc):
                    out.append(f)
                    continue
                out.append(
                    dataclasses.replace(
                        f,
                        line=f.line + dl,
                        end_line=f.end_line + dl,
                        start_offset=f.start_offset + dc,
                        end_offset=f.end_offset + dc,
                        guard_start=f.guard_start + dc,
                        guard_end=f.guard_end + dc,
                    )
                )
        return out


_PATH_WORD = re.compile(r"[a-z]{4,}")


def path_words(path: str) -> frozenset[str]:
    """The words of a document's path: folder and file names are names ("docs/marko.md")."""
    return frozenset(_PATH_WORD.findall(path.lower()))


_TITLE_WORD = re.compile(r"[\s*_\[]*([a-z]+)\b(?![-.\w])")


def title_word(prose: Prose) -> frozenset[str]:
    """The document's subject: the first word of its first heading when written in lowercase
    ("# axios // adapters", "# pino"). Headings begin with a capital unless that word is a
    name spelled in lowercase."""
    if not prose.headings:
        return frozenset()
    start, end = min(prose.headings)
    m = _TITLE_WORD.match(prose.source, start, end)
    return frozenset((m.group(1),)) if m else frozenset()


def extract_prose(text: str, path: str, *, comments: bool = False) -> Prose:
    if comments and not path.lower().endswith(MARKDOWN_SUFFIXES):
        from watcloud.style.comments import extract_comments

        return extract_comments(text, path)
    from watcloud.style.mdx import extract

    # Markdown has indented (four-space) code blocks; MDX does not.
    return extract(text, indented_code=not path.lower().endswith(".mdx"))


def suppress(findings: list[Finding], prose: Prose) -> list[Finding]:
    """Apply `style-check-disable/enable`, `...-disable-next-line` and `vale off/on`."""
    if not prose.directives:
        return findings
    # Each entry: (first line, last line, rules or empty for all).
    ranges: list[tuple[int, int, tuple[str, ...]]] = []
    open_all: int | None = None
    open_rules: dict[str, int] = {}
    last_line = prose.line_col(len(prose.source))[0]
    for d in sorted(prose.directives, key=lambda d: d.offset):
        line = prose.line_col(d.offset)[0]
        if d.action == "next-line":
            ranges.append((line + 1, line + 1, d.rules))
        elif d.action == "disable":
            if d.rules:
                for r in d.rules:
                    open_rules.setdefault(r, line)
            elif open_all is None:
                open_all = line
        else:  # enable
            if d.rules:
                for r in d.rules:
                    if r in open_rules:
                        ranges.append((open_rules.pop(r), line, (r,)))
            else:
                if open_all is not None:
                    ranges.append((open_all, line, ()))
                    open_all = None
                for r, start in open_rules.items():
                    ranges.append((start, line, (r,)))
                open_rules.clear()
    if open_all is not None:
        ranges.append((open_all, last_line, ()))
    for r, start in open_rules.items():
        ranges.append((start, last_line, (r,)))

    def hidden(f: Finding) -> bool:
        for a, b, rules in ranges:
            if a <= f.line <= b and (not rules or f.rule in rules or _vale_name(f.rule, rules)):
                return True
        return False

    return [f for f in findings if not hidden(f)]


def open_at_end(directives: Iterable[Directive]) -> tuple[bool, tuple[str, ...]]:
    """Whether all rules, and which rules, are still disabled after these directives."""
    all_off = False
    rules: dict[str, None] = {}
    for d in sorted(directives, key=lambda d: d.offset):
        if d.action == "disable":
            if d.rules:
                rules.update(dict.fromkeys(d.rules))
            else:
                all_off = True
        elif d.action == "enable":
            if d.rules:
                for r in d.rules:
                    rules.pop(r, None)
            else:
                all_off = False
                rules.clear()
    return all_off, tuple(rules)


def _vale_name(code: str, rules: Iterable[str]) -> bool:
    """`Vale.Spelling` / `watcloud.spelling` style names match by their last part."""
    return any(r.rsplit(".", 1)[-1].lower() == code.lower() for r in rules)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[int, int, str]] = set()
    out = []
    for f in findings:
        key = (f.start_offset, f.end_offset, f.rule)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def is_markdown(path: Path) -> bool:
    return path.suffix.lower() in MARKDOWN_SUFFIXES


__all__ = ["Checker", "extract_prose", "suppress"]
