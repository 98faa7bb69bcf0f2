"""Word classes from lemminflect's English lexicon: which nouns are only plural, which words
are verb forms. Agreement needs these to know irregular plurals ("children",
"data"), nouns that are both ("series", "news"), and verbs.

lemminflect ships its tables in its wheel (nothing is downloaded) but parsing them takes
about 0.8 s; the three word sets this module needs are kept as a `marshal` copy in the
user's cache directory (keyed by lemminflect's and Python's versions), read in about 20 ms.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import marshal
import sys
from collections.abc import Callable
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


def _build() -> dict[str, frozenset[str]]:
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
        "plural": frozenset(sets["NNS"] - sets["NN"]),
        "both": frozenset(w for w in sets["NNS"] & sets["NN"] if w.endswith("s")),
        "vbz": frozenset(sets["VBZ"]),
        "verb": frozenset(sets["VB"] | sets["VBZ"] | past),
    }


class Lexicon:
    def __init__(self) -> None:
        data = cached("lexicon", "lemminflect", _build)
        self._plural: frozenset[str] = data["plural"]
        self._both: frozenset[str] = data["both"]
        self._vbz: frozenset[str] = data["vbz"]
        self._verb: frozenset[str] = data["verb"]

    def plural_noun(self, word: str) -> bool:
        """Only a plural noun ("children", "aspects"), never also a singular one."""
        return word.lower() in self._plural

    def number_ambiguous(self, word: str) -> bool:
        """A noun ending in -s that is singular and plural alike ("series", "news")."""
        return word.lower() in self._both

    def maybe_plural(self, word: str) -> bool:
        """Plural as far as the lexicon knows: a plural-only noun, or a word it does not
        know (a technical plural such as "repos") that is neither a verb nor "series"."""
        w = word.lower()
        return w in self._plural or (w not in self._both and w not in self._verb)

    def verb_s(self, word: str) -> bool:
        """A third-person singular verb form ("runs", "depends")."""
        return word.lower() in self._vbz

    def verb(self, word: str) -> bool:
        """Any verb form but -ing: base, -s, past, participle."""
        return word.lower() in self._verb


@functools.lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    return Lexicon()
