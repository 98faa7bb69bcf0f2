"""Offline spelling: pyspellchecker's English word-frequency list plus a technical vocabulary.

The word list ships inside the pyspellchecker wheel (`spellchecker/resources/en.json.gz`); it
is read directly (gzip + json, about 0.1 s) and nothing is downloaded. Our own technical
vocabulary (`data/vocabulary.txt`) and a project's `vocabulary.accept` extend it.

A word is reported only when it is unknown *and* a known word lies one edit away (insert,
delete, replace, transpose): technical jargon rarely sits one typo from an English word,
real typos almost always do. Capitalised words (names) and words with digits, underscores or
inner capitals (identifiers) are not checked.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import importlib.metadata
import json
import marshal
import sys
from importlib import resources

from watcloud.core.fsutil import atomic_write
from watcloud.core.paths import cache_dir

LETTERS = "abcdefghijklmnopqrstuvwxyz"
PREFIXES = (
    "pre",
    "re",
    "de",
    "un",
    "sub",
    "super",
    "over",
    "under",
    "up",
    "on",
    "multi",
    "non",
    "co",
    "inter",
    "auto",
    "micro",
    "mis",
    "out",
    "post",
    "self",
)
PREFIX_BASE_FREQ = 1000  # the word after the prefix must be a common word
VOCAB_CANDIDATE_FREQ = 100_000  # rank of a vocabulary word as a suggestion
MIN_CANDIDATE_FREQ = 50  # a suggestion must be at least this common in the word list


@functools.lru_cache(maxsize=1)
def english_words() -> dict[str, int]:
    """Word -> frequency from pyspellchecker's bundled English list.

    Parsing the gzipped JSON takes about 0.1 s; a `marshal` copy in the user's cache
    directory (keyed by pyspellchecker's version and Python's) loads in about 0.02 s.
    """
    try:
        version = importlib.metadata.version("pyspellchecker")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    tag = f"{sys.implementation.cache_tag}-{version}"
    cache = cache_dir() / "style" / f"en-words-{tag}.marshal"
    try:
        data = marshal.loads(cache.read_bytes())
        if isinstance(data, dict) and len(data) > 1000:
            return data
    except (OSError, ValueError, EOFError, TypeError):
        pass
    ref = resources.files("spellchecker") / "resources" / "en.json.gz"
    with ref.open("rb") as raw, gzip.open(raw) as fh:
        data = json.load(fh)
    with contextlib.suppress(OSError):
        atomic_write(cache, marshal.dumps(data))
    return data  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=1)
def builtin_vocabulary() -> frozenset[str]:
    text = (resources.files("watcloud.style") / "data" / "vocabulary.txt").read_text("utf-8")
    return frozenset(
        w.strip().lower() for w in text.splitlines() if w.strip() and not w.startswith("#")
    )


def edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in LETTERS]
    inserts = [a + c + b for a, b in splits for c in LETTERS]
    return set(deletes + transposes + replaces + inserts)


class Speller:
    def __init__(self, accept: frozenset[str] = frozenset()) -> None:
        self.words = english_words()
        self.vocab = builtin_vocabulary() | {w.lower() for w in accept}

    def known(self, word: str) -> bool:
        w = word.lower()
        if w in self.words or w in self.vocab:
            return True
        for prefix in PREFIXES:
            if w.startswith(prefix) and len(w) - len(prefix) >= 4:
                rest = w[len(prefix) :]
                if self.words.get(rest, 0) >= PREFIX_BASE_FREQ or rest in self.vocab:
                    return True  # "precheck", "uplink", "deduplication", "onboard"
        for suffix, repl in (
            ("'s", ""),
            ("s", ""),
            ("es", ""),
            ("ed", ""),
            ("ed", "e"),
            ("ing", ""),
            ("ing", "e"),
            ("er", ""),
            ("ers", ""),
            ("ly", ""),
        ):
            if w.endswith(suffix) and len(w) - len(suffix) >= 3:
                stem = w[: -len(suffix)] + repl
                if stem in self.vocab or stem in self.words:
                    return True
        return False

    def suggest(self, word: str) -> str | None:
        """The best known word one edit away, or None.

        Typos rarely hit the first letter, so candidates keeping it come first; then the
        most frequent.
        """
        w = word.lower()
        best: tuple[bool, int, str] | None = None
        for cand in edits1(w):
            freq = self.words.get(cand)
            if cand in self.vocab:
                freq = max(freq or 0, VOCAB_CANDIDATE_FREQ)  # technical docs: jargon first
            if freq is None or freq < MIN_CANDIDATE_FREQ:
                continue
            key = (cand[:1] == w[:1], freq, cand)
            if best is None or key > best:
                best = key
        return None if best is None else best[2]
