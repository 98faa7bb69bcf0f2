"""Word classes from lemminflect's English lexicon: which nouns are only plural, which words
are verb forms. Agreement needs these to know irregular plurals ("children",
"data"), nouns that are both ("series", "news"), and verbs.

lemminflect ships its tables in its wheel (nothing is downloaded) but parsing them takes
about 0.8 s; the word sets this module needs are kept as a `marshal` copy in the
user's cache directory (keyed by lemminflect's and Python's versions), read in about 20 ms.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import marshal
import sys
from collections.abc import Callable, Iterable
from typing import Any

from watcloud.core.fsutil import atomic_write
from watcloud.core.paths import cache_dir


def cached(name: str, package: str, build: Callable[[], Any]) -> Any:
    """`build()`'s value, kept in the cache directory as marshal (keyed by `package`'s
    version and the interpreter's): the word lists load once per version, not per run."""
    try:
        version = importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    cache = cache_dir() / "style" / f"{name}-{sys.implementation.cache_tag}-{version}.marshal"
    try:
        data = marshal.loads(cache.read_bytes())
        if data:
            return data
    except (OSError, ValueError, EOFError, TypeError):
        pass
    data = build()
    with contextlib.suppress(OSError):
        atomic_write(cache, marshal.dumps(data))
    return data


def _build() -> dict[str, dict[str, str]]:
    from lemminflect import Inflections  # type: ignore[import-untyped]  # heavy: 0.8 s

    table = Inflections()._getInflDict()
    sets: dict[str, set[str]] = {"NN": set(), "NNS": set(), "VB": set(), "VBZ": set()}
    past: set[str] = set()
    for forms in table.values():
        for tag, words in forms.items():
            if tag in sets:
                sets[tag].update(w.lower() for w in words)
            elif tag in ("VBD", "VBN"):
                past.update(w.lower() for w in words)
    return {
        "plural": _packed(sets["NNS"] - sets["NN"]),
        "both": _packed(w for w in sets["NNS"] & sets["NN"] if w.endswith("s")),
        "vbz": _packed(sets["VBZ"]),
        "verb": _packed(sets["VB"] | sets["VBZ"] | past),
    }


def _packed(words: Iterable[str]) -> dict[str, str]:
    """A word set as strings "\nword\nword\n" keyed by the words' first two letters: it
    loads in a millisecond (a frozenset of the same 50,000 words takes 40 ms to rebuild),
    and a lookup searches one short string."""
    buckets: dict[str, list[str]] = {}
    for w in sorted(words):
        buckets.setdefault(w[:2], []).append(w)
    return {k: "\n" + "\n".join(v) + "\n" for k, v in buckets.items()}


def _has(packed: dict[str, str], word: str) -> bool:
    bucket = packed.get(word[:2])
    return bucket is not None and f"\n{word}\n" in bucket


class Lexicon:
    def __init__(self) -> None:
        data = cached("lexicon3", "lemminflect", _build)
        self._plural: dict[str, str] = data["plural"]
        self._both: dict[str, str] = data["both"]
        self._vbz: dict[str, str] = data["vbz"]
        self._verb: dict[str, str] = data["verb"]

    def plural_noun(self, word: str) -> bool:
        """Only a plural noun ("children", "aspects"), never also a singular one."""
        return _has(self._plural, word.lower())

    def number_ambiguous(self, word: str) -> bool:
        """A noun ending in -s that is singular and plural alike ("series", "news")."""
        return _has(self._both, word.lower())

    def maybe_plural(self, word: str) -> bool:
        """Plural as far as the lexicon knows: a plural-only noun, or a word it does not
        know (a technical plural such as "repos") that is neither a verb nor "series"."""
        w = word.lower()
        return _has(self._plural, w) or not (_has(self._both, w) or _has(self._verb, w))

    def verb_s(self, word: str) -> bool:
        """A third-person singular verb form ("runs", "depends")."""
        return _has(self._vbz, word.lower())

    def verb(self, word: str) -> bool:
        """Any verb form but -ing: base, -s, past, participle."""
        return _has(self._verb, word.lower())


@functools.lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    return Lexicon()
