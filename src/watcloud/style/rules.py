# ruff: noqa: SIM905
"""Rules as data: YAML styles in the spirit of Vale.

A style is a YAML file with a `rules:` list. Every rule has a `code`, a `kind`, a `severity`,
a `message` (with `{match}` and `{suggestion}` placeholders), an optional static `suggestion`,
and `examples: {good: [...], bad: [...]}` that the test suite runs. Kinds:

- `existence`: any of `tokens` (regexes) is a finding.
- `substitution`: `swap: {regex: replacement}`; the replacement is the suggestion.
- `capitalization`: headings (`scope: heading`) in `match: sentence` or `title` case.
- `consistency`: `either: [[SLURM, Slurm]]`; the variant a file uses less is flagged.
- `repetition`: a token repeated back to back ("the the").
- `builtin`: a grammar check implemented in `grammar.py`, named by `check`.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterator
from importlib import resources
from typing import Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from watcloud.core.config import StrictModel, describe_validation_error
from watcloud.core.errors import ConfigError
from watcloud.style import grammar
from watcloud.style.grammar import WS, Context
from watcloud.style.model import Hit
from watcloud.style.prose import Prose

Severity = Literal["error", "warning", "suggestion"]
Kind = Literal[
    "existence", "substitution", "capitalization", "consistency", "repetition", "builtin"
]


class Examples(StrictModel):
    good: list[str] = Field(default_factory=list)
    bad: list[str] = Field(default_factory=list)


class Measured(StrictModel):
    """A rule's measured precision and where it was measured (see docs/style.md)."""

    precision: float | None = Field(default=None, ge=0, le=1)
    correct: int = Field(default=0, ge=0)  # findings judged right
    findings: int = Field(default=0, ge=0)  # findings judged in all
    corpus: str = ""  # what it was measured on (package names and versions)
    # "measured": precision from hand-labelled findings; "house rule": a literal spelling the
    # project's guidelines forbid, wrong by definition (brand names), so an error regardless.
    basis: Literal["measured", "house rule"] = "measured"


# Only rules whose measured precision reaches this, on at least ERROR_MIN_FINDINGS judged
# findings, may fail a build (severity `error`); house rules are errors by definition.
ERROR_PRECISION = 0.95
ERROR_MIN_FINDINGS = 3


class Rule(StrictModel):
    code: str = Field(pattern=r"^[A-Za-z][\w.-]*$")
    kind: Kind
    severity: Severity = "warning"
    message: str
    suggestion: str | None = None
    description: str = ""
    enabled: bool = True
    fix: bool = False
    ignorecase: bool = False
    nonword: bool = False
    tokens: list[str] = Field(default_factory=list)
    swap: dict[str, str] = Field(default_factory=dict)
    either: list[list[str]] = Field(default_factory=list)
    allow: list[str] = Field(default_factory=list)
    exceptions: list[str] = Field(default_factory=list)
    scope: Literal["text", "heading"] = "text"
    match: Literal["sentence", "title"] | None = None
    check: str | None = None
    examples: Examples = Field(default_factory=Examples)
    measured: Measured | None = None

    @field_validator("tokens", "allow")
    @classmethod
    def _regexes_compile(cls, v: list[str]) -> list[str]:
        for tok in v:
            re.compile(tok)
        return v

    @model_validator(mode="after")
    def _kind_fields(self) -> Rule:
        need = {
            "existence": bool(self.tokens),
            "substitution": bool(self.swap),
            "consistency": bool(self.either),
            "capitalization": self.match is not None,
            "repetition": True,
            "builtin": self.check in grammar.CHECKS,
        }[self.kind]
        if not need:
            what = {
                "existence": "'tokens'",
                "substitution": "'swap'",
                "consistency": "'either'",
                "capitalization": "'match' (sentence or title)",
                "builtin": f"'check' naming one of {sorted(grammar.CHECKS)}",
            }[self.kind]
            raise ValueError(f"a {self.kind} rule needs {what}")
        for pattern in self.swap:
            re.compile(pattern)
        return self


class Style(StrictModel):
    name: str
    rules: list[Rule]


def parse_rules(data: object, source: str) -> list[Rule]:
    try:
        if isinstance(data, dict) and "name" in data:
            return Style.model_validate(data).rules
        return [Rule.model_validate(r) for r in (data or [])]  # type: ignore[attr-defined]
    except ValidationError as exc:
        raise ConfigError(f"{source}: {describe_validation_error(exc)}") from None
    except re.error as exc:
        raise ConfigError(f"{source}: invalid regular expression: {exc}") from None


@functools.lru_cache(maxsize=1)
def default_rules() -> tuple[Rule, ...]:
    """The WATcloud style shipped as package data."""
    text = (resources.files("watcloud.style") / "data" / "watcloud.yaml").read_text("utf-8")
    # libyaml's loader when PyYAML has it (10x faster: 2 ms instead of 25 ms at start-up)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return tuple(parse_rules(yaml.load(text, Loader=loader), "watcloud.yaml"))


# --- running rules ------------------------------------------------------------------------


def _fmt(rule: Rule, match: str, suggestion: str | None) -> str:
    return rule.message.replace("{match}", match).replace("{suggestion}", suggestion or "")


def _wrap(rule: Rule, pattern: str) -> str:
    # The left word boundary is checked in Python (`_left_ok`): a leading look-behind would
    # make the regex engine try every position of the text.
    return pattern if rule.nonword else r"(?:" + pattern + r")(?!\w)"


def _left_ok(rule: Rule, text: str, start: int) -> bool:
    if rule.nonword or start == 0:
        return True
    c = text[start - 1]
    return not (c.isalnum() or c == "_")


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, flags)


_TRAILING_LOOKAHEAD = re.compile(r"\(\?[!=][^()]*\)$")


def _literals(pattern: str) -> list[str] | None:
    """The words of a pattern that is a plain alternation of words (a look-ahead at its end
    aside: "with out(?!-)"), else None."""
    pattern = _TRAILING_LOOKAHEAD.sub("", pattern)
    if re.fullmatch(r"[\w |-]+", pattern):
        return pattern.split("|")
    return None


def _may_occur(rule: Rule, text: str) -> bool:
    """Cheap pre-check (substring search) before running the regexes over a document."""
    hay = text.lower() if rule.ignorecase else text
    for key in rule.swap:
        words = _literals(key)
        if words is None:
            return True
        if any((w.lower() if rule.ignorecase else w) in hay for w in words):
            return True
    return False


def _swap_regex(rule: Rule) -> tuple[re.Pattern[str], list[str]] | None:
    """All swap patterns as one alternation (one pass over the text), if none has groups."""
    keys = list(rule.swap)
    if any(re.compile(k).groups for k in keys):
        return None
    combined = "|".join(f"(?P<_s{i}>{k})" for i, k in enumerate(keys))
    flags = re.IGNORECASE if rule.ignorecase else 0
    return _compiled(_wrap(rule, combined), flags), keys


def _in_qualified_name(text: str, start: int, end: int) -> bool:
    """The match is glued to another word by a joiner of qualified names and identifiers
    (`ns:Name`, `pkg.Name`, `a_Name`, `@Name`, `Name#x`): part of a name, not prose."""
    left = start >= 2 and text[start - 1] in ":._@#" and text[start - 2].isalnum()
    right = end + 1 < len(text) and text[end] in ":_@#" and text[end + 1].isalnum()
    return left or right


def _in_address(text: str, start: int, end: int) -> bool:
    """The match is a part of a domain, a dotted file name or a path: `kubernetes.io`,
    `org/kubernetes`, `kubernetes/website`."""
    right = end + 1 < len(text) and text[end] in "./" and text[end + 1].isalnum()
    left = start >= 2 and text[start - 1] == "/" and text[start - 2].isalnum()
    return right or left


_LINK_AROUND = re.compile(r"\[([^\[\]\n]{1,80})\]\(([^()\s]+)\)")


def _names_its_link(prose: Prose, start: int, word: str) -> bool:
    """The match is in a Markdown link's text that is the name of the project linked, a name
    with more than the brand word in it: the text, in lowercase with its spaces as hyphens,
    is a segment of the link's path ("[MPS Youtube](https://github.com/mps-youtube/...)"):
    another project's own spelling of its name. ("[Github Issues](https://github.com/o/r/
    issues)" is not; nor is "[Github](https://github.com/github)": a path is lowercase.)"""
    src = prose.source
    at = prose.source_offset(start)
    line_start = src.rfind("\n", 0, at) + 1
    open_ = src.rfind("[", line_start, at)
    if open_ < 0:
        return False
    link = _LINK_AROUND.match(src, open_)
    if link is None or link.end(1) < at:
        return False
    slug = re.sub(r"[^a-z0-9]+", "-", link.group(1).lower()).strip("-")
    if slug == word.lower():
        return False
    path = link.group(2).split("://", 1)[-1].split("/")[1:]
    return slug in {seg.lower().replace("_", "-") for seg in path}


_REPEAT_DEFAULT = r"([A-Za-z](?<![\w'’-].)[A-Za-z]*)"


def run_rule(rule: Rule, prose: Prose, ctx: Context) -> Iterator[Hit]:
    text = prose.text
    flags = re.IGNORECASE if rule.ignorecase else 0
    if rule.kind == "existence":
        rx = _compiled(_wrap(rule, "|".join(rule.tokens)), flags)
        for m in rx.finditer(text):
            if _left_ok(rule, text, m.start()):
                yield Hit(
                    m.start(), m.end(), _fmt(rule, m.group(), rule.suggestion), rule.suggestion
                )
    elif rule.kind == "substitution":
        if not _may_occur(rule, text):
            return
        combined = _swap_regex(rule)
        pairs: list[tuple[re.Pattern[str], str | None]]
        if combined is not None:
            pairs = [(combined[0], None)]
        else:
            pairs = [(_compiled(_wrap(rule, k), flags), v) for k, v in rule.swap.items()]
        for rx, replacement in pairs:
            for m in rx.finditer(text):
                if not _left_ok(rule, text, m.start()):
                    continue
                if replacement is None:
                    assert combined is not None and m.lastgroup is not None
                    new = rule.swap[combined[1][int(m.lastgroup[2:])]]
                else:
                    try:
                        new = m.expand(replacement)
                    except (re.error, IndexError):
                        new = replacement
                if new == m.group():
                    continue
                if _in_qualified_name(text, m.start(), m.end()):
                    continue  # "VSCode:Javascript EJS", "lang_Javascript": a name's own spelling
                if _names_its_link(prose, m.start(), m.group()):
                    continue  # "[MPS Youtube](https://github.com/mps-youtube/...)": its name
                yield Hit(
                    m.start(), m.end(), _fmt(rule, m.group(), new), new, new if rule.fix else None
                )
    elif rule.kind == "repetition":
        token = r"\b(?<!['’-])(" + "|".join(rule.tokens) + ")" if rule.tokens else _REPEAT_DEFAULT
        rx = _compiled(token + r"(" + WS + r")(\1)(?![\w'’-])", flags | re.I)
        allow = {a.lower() for a in rule.allow}
        english = not rule.tokens  # a rule with its own tokens gets no English-word exceptions
        for m in rx.finditer(text):
            word = m.group(1)
            if word.lower() in allow or word.isdigit():
                continue
            if (
                m.start(1) > 0
                and text[m.start(1) - 1] in "\"“'‘"
                and text[m.end(3) : m.end(3) + 1]
                in (
                    '"',
                    "”",
                    "'",
                    "’",
                )
            ):
                continue  # 'fix "the the" typos': the repetition is quoted, a mention
            if m.group(1) != m.group(3) and (m.group(1).isupper() or m.group(3).isupper()):
                continue  # "an OPEN Open Source project": emphasis, not a slip
            if (
                rule.ignorecase is False
                and m.group(1) != m.group(3)
                and not (m.group(1).lower() == m.group(3).lower() and m.group(1)[:1].isupper())
            ):
                continue
            if m.group(1) != m.group(3) and not _sentence_begins(text, m.start(1)):
                continue  # "the Dr. Project project": a name, then the common noun
            if english and _entry_title(text, m, word):
                continue  # "## Type type": a reference entry's name, then its kind
            if (
                english
                and word[:1].isupper()
                and m.group(1) == m.group(3)
                and word.lower() not in _FUNCTION_WORDS
            ):
                continue  # "# Package Package", "Bora Bora": a name or title, not a slip
            if _same_word_around(text, m.start(1), m.end(3), word):
                continue  # "Print print print!": a word three times is deliberate
            if english and word.lower() in ("it", "you") and _CLAUSE_VERB.match(text, m.end(3)):
                continue  # "when you set it it will": an object, then a new clause's subject
            if english and _relative_clause_then_verb(text, m.start(1), word, ctx):
                continue  # "any row that fails fails the job": a clause's verb, then the main one
            if _EMPHASIS_BETWEEN.fullmatch(
                prose.source, prose.source_end(m.end(1)), prose.source_offset(m.start(3))
            ):
                continue  # "**Returns** returns a promise": an emphasised label, then the text
            if english and _particle_then_preposition(text, m.start(1), word):
                continue  # "log in in two ways": a particle, then the same preposition
            if _EMPHASIS_OPENS.fullmatch(
                prose.source, prose.source_end(m.end(1)), prose.source_offset(m.start(3))
            ):
                continue  # "the line *line*": a noun, then its emphasised placeholder
            if english and _c_type(text, m.start(1), m.end(3), word):
                continue  # "char, int, long, long long": a C type named in prose
            yield Hit(
                m.start(2),
                m.end(3),
                _fmt(rule, m.group(1), word),
                word,
                "" if rule.fix else None,
                (m.start(1), m.end(3)),
            )
    elif rule.kind == "consistency":
        yield from _consistency(rule, text)
    elif rule.kind == "capitalization":
        yield from _capitalization(rule, prose)
    elif rule.kind == "builtin":
        assert rule.check is not None
        for bm in grammar.CHECKS[rule.check](text, ctx):
            matched = text[bm.start : bm.end]
            yield Hit(
                bm.start,
                bm.end,
                _fmt(rule, matched, bm.suggestion),
                bm.suggestion,
                bm.replacement if rule.fix else None,
                bm.guard,
            )


# An auxiliary or modal after "it it" / "you you": the second pronoun opens a clause whose
# comma is missing ("When you set it it will set it", "I told you you can").
_CLAUSE_VERB = re.compile(
    r"[ \t\n]+(?:will|would|can|could|should|shall|may|might|must|is|was|has|had|does|did"
    r"|are|were|have|do|won't|can't|isn't|wasn't|doesn't|didn't|don't|'ll|’ll|'s|’s)\b",
    re.IGNORECASE,
)


# A relative or free-relative pronoun right before a lexical verb said twice: the first closes
# the clause that is the subject, the second is the main verb ("any row that fails fails the
# job", "whatever happens happens"). Auxiliaries are left out: "which are are" is a slip.
_RELATIVE_BEFORE = re.compile(
    r"(?<![\w'’-])(?:that|which|who|whatever|whoever|what)" + WS + "$", re.IGNORECASE
)
_AUXILIARY_S = frozenset("is has does was".split())


def _relative_clause_then_verb(text: str, start: int, word: str, ctx: Context) -> bool:
    w = word.lower()
    if w in _AUXILIARY_S or not ctx.lexicon.verb_s(w):
        return False
    return _RELATIVE_BEFORE.search(text, max(0, start - 12), start) is not None


# An emphasis marker closing right after the first word: a bold or italic label, then the
# text it labels begins with the same word. (A link's text then the same noun,
# "[glob patterns](url) patterns", is a slip: links are not in this class.)
_EMPHASIS_BETWEEN = re.compile(r"(?:\*{1,2}|_{1,2}|</(?:b|strong|em|i)>)[ \t\n]+", re.IGNORECASE)


# Italics opening right before the second word: the word is a placeholder (an argument's
# name in italics) after the noun it names ("the line *line*", "memory address *address*").
# Bold is not a placeholder: "The <b>the</b> cluster" is a slip.
_EMPHASIS_OPENS = re.compile(r"[ \t\n]+(?:\*|_|<(?:em|i)>)", re.IGNORECASE)


# A reference entry's title: a capitalised name, then the same word in lowercase as the
# kind of thing it names, and nothing more on the line ("## Type type", "Object object"
# above a class's members). A longer line is a sentence: "Type type the command" stays.
_KIND_NOUNS = frozenset(
    """type class object function method module field property attribute interface struct
    enum trait table array string number boolean namespace package element component event
    record value""".split()
)
_LINE_ENDS = re.compile(r"[ \t\x00]*(?:\n|\u00b6|$)")  # a heading's end is a break (¶)


def _entry_title(text: str, m: re.Match[str], word: str) -> bool:
    first, second = m.group(1), m.group(3)
    if not (first[:1].isupper() and first[1:].islower() and second.islower()):
        return False
    if word.lower() not in _KIND_NOUNS or _LINE_ENDS.match(text, m.end(3)) is None:
        return False
    line_start = max(text.rfind("\n", 0, m.start(1)), text.rfind("\u00b6", 0, m.start(1))) + 1
    return not text[line_start : m.start(1)].strip(" \t#\x00")


# C and C++ integer types ("long long", "unsigned long long int"): "long long" is a type when
# another C type word stands beside it.
_C_TYPE_WORD = re.compile(
    r"(?<![\w'’-])(?:int|char|short|signed|unsigned|double|float|size_t|int\d+_t|uint\d+_t|bool)"
    r"(?![\w'’-])"
)


def _c_type(text: str, start: int, end: int, word: str) -> bool:
    if word.lower() != "long":
        return False
    return _C_TYPE_WORD.search(text, max(0, start - 40), min(len(text), end + 40)) is not None


# A phrasal verb's particle ("log in", "turn it on") then the same word as a preposition.
_PHRASAL_BEFORE = re.compile(
    r"(?<![\w'’-])(?:log|sign|plug|opt|check|turn|switch|fill|key|zoom|lock|hand|type)"
    r"(?:s|ed|ged|ped|ing|ging|ping)?(?:" + WS + r"(?:it|them|this|that|everything))?" + WS + "$",
    re.IGNORECASE,
)


def _particle_then_preposition(text: str, start: int, word: str) -> bool:
    return word.lower() in ("in", "on") and (
        _PHRASAL_BEFORE.search(text, max(0, start - 30), start) is not None
    )


# Closed-class words: capitalised twice ("The The", "To To" in a title-case heading) they are
# a slip; a content word capitalised twice ("Package Package", "Bora Bora") is a name.
_FUNCTION_WORDS = frozenset(
    """a an the this that these those to of in on at by for from with into onto as and or
    but nor if is are was were be been has have had do does did can will would should could
    may might must it its he she we they you i his her their our your my not no so than then
    when where which who what how""".split()
)
_BEFORE_WORD = re.compile(r"([A-Za-z]+)" + WS + r"$")
_AFTER_WORD = re.compile(WS + r"([A-Za-z]+)")
_SENTENCE_END = re.compile(r"(?:^|[.!?:\u00b6]|\n[ \t]*\n)[\s\"'“‘(*_]*$")
_TITLE_ABBREV = re.compile(r"(?<![\w.])(?:[A-Z][a-z]{0,3}|[a-z]\.[a-z]|etc|vs)\.[\s\"'“‘(*_]*$")


def _sentence_begins(text: str, i: int) -> bool:
    """Whether a sentence begins at `i` (its first word is capitalised as a sentence's
    first word, not as a name); a title such as "Dr." or "St." ends no sentence."""
    lo = max(0, i - 12)
    return _SENTENCE_END.search(text, lo, i) is not None and not _TITLE_ABBREV.search(text, lo, i)


def _same_word_around(text: str, start: int, end: int, word: str) -> bool:
    """The same word also before `start` or after `end`: a word said three times."""
    b = _BEFORE_WORD.search(text, max(0, start - 30), start)
    a = _AFTER_WORD.match(text, end)
    return (b is not None and b.group(1).lower() == word.lower()) or (
        a is not None and a.group(1).lower() == word.lower()
    )


# A command-line option right before a word: the word is its value, typed as the program
# wants it ("--with kubernetes", "-t=slurm").
_OPTION_BEFORE = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*(?:=|[ \t]+)$")


def _consistency(rule: Rule, text: str) -> Iterator[Hit]:
    flags = re.IGNORECASE if rule.ignorecase else 0
    names = {}
    alts = []
    hay = text.lower() if rule.ignorecase else text
    for gi, group in enumerate(rule.either):
        present = [v for v in group if (v.lower() if rule.ignorecase else v) in hay]
        if len(present) < 2:
            continue  # one spelling (or none) in this file: nothing to compare
        for vi, variant in enumerate(group):
            names[f"_g{gi}_{vi}"] = (gi, variant)
            alts.append(f"(?P<_g{gi}_{vi}>{re.escape(variant)})")
    if not alts:
        return
    rx = _compiled(r"(?:" + "|".join(alts) + r")(?![\w-])", flags)
    found: dict[int, list[tuple[int, int, str]]] = {}
    for m in rx.finditer(text):
        if m.start() > 0 and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "_-"):
            continue
        if _in_qualified_name(text, m.start(), m.end()) or _in_address(text, m.start(), m.end()):
            continue  # "kubernetes.io", "kubernetes/website", "ns:kubernetes": a name, not prose
        if _OPTION_BEFORE.search(text, max(0, m.start() - 40), m.start()):
            continue  # "'--with kubernetes'": a command-line option's value, not prose
        assert m.lastgroup is not None
        gi, variant = names[m.lastgroup]
        found.setdefault(gi, []).append((m.start(), m.end(), variant))
    for hits in found.values():
        counts = Counter(v for _, _, v in hits)
        if len(counts) < 2:
            continue
        first_seen = {v: min(s for s, _, w in hits if w == v) for v in counts}
        preferred = max(counts, key=lambda v: (counts[v], -first_seen[v]))
        for s, e, v in sorted(hits):
            if v != preferred:
                yield Hit(s, e, _fmt(rule, v, preferred), preferred)


MINOR_WORDS = frozenset(
    "a an the and but or for nor on at to by of in with as via vs from into onto per up".split()
)


def _is_special(word: str, exceptions: set[str]) -> bool:
    core = word.strip("()[]\"'“”‘’:,.!?")
    if not core or core in exceptions or core.lower() in exceptions:
        return True
    return (
        any(c.isdigit() for c in core)
        or (len(core) > 1 and core.isupper())
        or any(c.isupper() for c in core[1:])
        or "§" in core
    )


def _capitalization(rule: Rule, prose: Prose) -> Iterator[Hit]:
    exceptions = set(rule.exceptions)
    for s_src, e_src in prose.headings:
        start, end = prose.prose_index(s_src), prose.prose_index(e_src)
        heading = prose.text[start:end]
        words = list(re.finditer(r"\S+", heading))
        if not words:
            continue
        fixed = []
        for i, wm in enumerate(words):
            w = wm.group()
            if _is_special(w, exceptions):
                fixed.append(w)
                continue
            if i == 0:
                fixed.append(w[:1].upper() + w[1:])
            elif rule.match == "sentence" or (w.lower() in MINOR_WORDS and i != len(words) - 1):
                fixed.append(w.lower())
            else:
                fixed.append(w[:1].upper() + w[1:])
        want = " ".join(fixed)
        have = " ".join(wm.group() for wm in words)
        if want != have:
            a, b = start + words[0].start(), start + words[-1].end()
            yield Hit(a, b, _fmt(rule, have, want), want)
