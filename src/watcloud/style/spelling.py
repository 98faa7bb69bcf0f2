# ruff: noqa: SIM905
"""Offline spelling: Hunspell's en_US dictionary with its affix rules (through pyenchant),
pyspellchecker's English word-frequency list, and a technical vocabulary.

Hunspell (Debian `hunspell-en-us`, read by `libenchant-2-2`) knows inflections through its
affix rules and suggests corrections up to two edits away ("addititional"); the frequency
list (in the pyspellchecker wheel, nothing downloaded) knows modern words Hunspell lacks and
ranks one-edit candidates. Our technical vocabulary (`data/vocabulary.txt`) and a project's
`vocabulary.accept` extend both.

A word is reported only when no source knows it *and* a correction lies close: a word with a
small word glued on ("aspectis" -> "aspect is"), a known word one edit away, or (for words of
seven letters or more) Hunspell's suggestion two edits away. Technical jargon rarely sits
that close to an English word; real typos almost always do. Capitalised words (names) and
words with digits, underscores or inner capitals (identifiers) are not checked.
"""

from __future__ import annotations

import bisect
import functools
import gzip
import json
import re
from collections import Counter
from collections.abc import Callable
from importlib import resources
from typing import TYPE_CHECKING, Any, overload

from watcloud.core.errors import InputError

if TYPE_CHECKING:
    from watcloud.style.model import Finding

LETTERS = "abcdefghijklmnopqrstuvwxyz"
VOWELS_Y = "aeiouy"
SOUND_ALIKE = frozenset({"kc", "ck", "sz", "zs"})  # letters spelling one sound
# Two consonant letters that begin English words; any other pair at the start of a word
# ("Rspack", "npm", "Xcode", "cmake") is read letter by letter or is a name.
ONSETS = frozenset(
    """bl br ch cl cr dr dw fl fr gh gl gn gr kh kl kn kr ph pl pn pr ps pt qu rh sc sh sk sl
    sm sn sp sq st sv sw th tr ts tw wh wr zh""".split()
)
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
    "trans",
    "meta",
    "pseudo",
    "hyper",
    "semi",
    "anti",
)
PREFIX_BASE_FREQ = 1000  # the word after the prefix must be a common word
VOCAB_CANDIDATE_FREQ = 100_000  # rank of a vocabulary word as a suggestion
MIN_CANDIDATE_FREQ = 50  # a suggestion must be at least this common in the word list


MEMO_LIMIT = 100_000  # words remembered as known/unknown before the memo starts over


class WordFrequencies:
    """Word -> frequency, as a dict would answer, loaded in 4 ms instead of 30 ms: the common
    words (frequency >= PREFIX_BASE_FREQ, 19,000 of 160,000, nearly every word of a text) in a
    dict, the long tail packed as strings ("\\nword\\tfreq\\n" lines) per first three
    letters, searched only when a word is not common."""

    def __init__(self, common: dict[str, int], rare: dict[str, str]) -> None:
        self._common = common
        self._rare = rare

    @overload
    def get(self, word: str) -> int | None: ...
    @overload
    def get(self, word: str, default: int) -> int: ...

    def get(self, word: str, default: int | None = None) -> int | None:
        freq = self._common.get(word)
        if freq is not None:
            return freq
        bucket = self._rare.get(word[:3])
        if bucket is None:
            return default
        i = bucket.find(f"\n{word}\t")
        if i < 0:
            return default
        j = i + len(word) + 2
        return int(bucket[j : bucket.index("\n", j)])

    def common_words(self) -> list[str]:
        """The common words (frequency >= PREFIX_BASE_FREQ)."""
        return list(self._common)

    def common(self, word: str) -> bool:
        """At least PREFIX_BASE_FREQ: one dict lookup."""
        return word in self._common

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self.get(word) is not None

    def __getitem__(self, word: str) -> int:
        freq = self.get(word)
        if freq is None:
            raise KeyError(word)
        return freq


def _build_words() -> tuple[dict[str, int], dict[str, str]]:
    ref = resources.files("spellchecker") / "resources" / "en.json.gz"
    with ref.open("rb") as raw, gzip.open(raw) as fh:
        data: dict[str, int] = json.load(fh)
    common = {w: f for w, f in data.items() if f >= PREFIX_BASE_FREQ}
    rare: dict[str, list[str]] = {}
    for w, f in sorted(data.items()):
        if f < PREFIX_BASE_FREQ:
            rare.setdefault(w[:3], []).append(f"{w}\t{f}")
    return common, {k: "\n" + "\n".join(v) + "\n" for k, v in rare.items()}


@functools.lru_cache(maxsize=1)
def english_words() -> WordFrequencies:
    """Word -> frequency from pyspellchecker's bundled English list.

    Parsing the gzipped JSON takes about 0.1 s; a `marshal` copy in the user's cache
    directory (keyed by pyspellchecker's version and Python's) loads in about 4 ms.
    """
    from watcloud.style.lexicon import cached

    common, rare = cached("en-words-tiered", "pyspellchecker", _build_words)
    return WordFrequencies(common, rare)


@functools.lru_cache(maxsize=1)
def builtin_vocabulary() -> frozenset[str]:
    return frozenset(_data_lines("vocabulary.txt"))


def _data_lines(name: str) -> list[str]:
    text = (resources.files("watcloud.style") / "data" / name).read_text("utf-8")
    return [w.strip().lower() for w in text.splitlines() if w.strip() and not w.startswith("#")]


@functools.lru_cache(maxsize=1)
def phrases() -> tuple[frozenset[str], re.Pattern[str]]:
    """Borrowed multiword phrases ("de facto", "lingua franca"): the words in them, and a
    regex finding any of them (words apart by white space, any case)."""
    lines = _data_lines("phrases.txt")
    words = frozenset(w for line in lines for w in line.split())
    alts = sorted((r"\s+".join(map(re.escape, line.split())) for line in lines), key=len)
    rx = re.compile(r"(?<![\w'’-])(?:" + "|".join(reversed(alts)) + r")(?![\w'’-])", re.I)
    return words, rx


@functools.lru_cache(maxsize=1)
def misspellings() -> dict[str, str]:
    """Misspellings a dictionary accepts ("withing", "recored"): misspelling -> correction."""
    out = {}
    for line in _data_lines("misspellings.txt"):
        wrong, right = line.split(None, 1)
        out[wrong] = right
    return out


# A word this short is one substituted letter away from some English word by chance (a name
# such as "pycon", "asort", "hancar"); it is reported only for a letter dropped, added or
# doubled, or two letters swapped, the slips typing makes.
SHORT_WORD = 6
# Prefixes before a stem misspelt by a doubled or undoubled consonant ("uncoment").
DOUBLING_PREFIXES = ("un", "re", "pre", "de")
# Letters appended to a known word to name a variant of it ("glibc", "jsonc", "httpx"), and
# the "js" of JavaScript library and module-system names ("commonjs", "expressjs"), the "id"
# of identifiers ("scopeid", "userid").
NAME_SUFFIX_LETTERS = "cx"
NAME_SUFFIXES = ("js", "id")
# A word flagged in this many files of one run is the project's term, not a typo (the
# per-run lexicon, `repeated_terms`): "iteratee" in three rule pages, "coords" in two guides.
TERM_MIN_FILES = 2
# Lengths of a clipped form of a common word ("compat" for "compatibility").
CLIPPED_LETTERS = (5, 7)
# A word that reads as two known words ("keystores", "callout") is reported only when the
# correction restores a dropped letter, swaps two back or undoes a doubled letter
# ("discared" -> "discarded", "beecause" -> "because").
TYPO_IN_COMPOUND = ("missing", "swapped")
# Endings that are suffixes even where they spell a word ("exist" + "ant" is "existant").
SUFFIX_LIKE = frozenset(
    """ant ance ent ence able ible ate ion ions ive ous ary ery ory ism ist ity ize ise ment
    ness less ful ing als ally ice ices age ages""".split()
)


# A one-syllable word ending consonant-vowel-consonant, its last consonant doubled before
# -ing/-ed ("glob" -> "globbing"); "openning" (two syllables) is not read so, nor -er
# ("grammer" is a slip for "grammar", not one who grams).
ONE_SYLLABLE_DOUBLED = re.compile(r"([^aeiouy]*[aeiou]([b-df-hj-np-tv-z]))\2(?:ing|ed)")


QWERTY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _neighbours(r: int, i: int) -> str:
    """The keys touching key `i` of row `r` (each row sits half a key right of the one
    above: the row above touches at i and i + 1, the row below at i - 1 and i)."""
    row = QWERTY_ROWS[r]
    out = [row[j] for j in (i - 1, i + 1) if 0 <= j < len(row)]
    if r > 0:
        out += [QWERTY_ROWS[r - 1][j] for j in (i, i + 1) if j < len(QWERTY_ROWS[r - 1])]
    if r < 2:
        out += [QWERTY_ROWS[r + 1][j] for j in (i - 1, i) if 0 <= j < len(QWERTY_ROWS[r + 1])]
    return "".join(out)


QWERTY_NEIGHBOURS = {
    c: _neighbours(r, i) for r, row in enumerate(QWERTY_ROWS) for i, c in enumerate(row)
}


def edit_kind(typo: str, correction: str) -> str:
    """How a one-edit typo differs from its correction: "missing" (a letter dropped),
    "extra" (a letter added), "swapped" (two neighbours exchanged) or "replaced"."""
    if len(typo) < len(correction):
        return "missing"
    if len(typo) > len(correction):
        return "extra"
    if sorted(typo) == sorted(correction):
        return "swapped"
    return "replaced"


def doubling(typo: str, correction: str) -> bool:
    """A letter doubled ("ommits" for "omits") or undoubled ("comit" for "commit")."""
    long, short = (typo, correction) if len(typo) > len(correction) else (correction, typo)
    if len(long) != len(short) + 1:
        return False
    i = next((i for i, (a, b) in enumerate(zip(short, long, strict=False)) if a != b), len(short))
    return long[:i] + long[i + 1 :] == short and (
        (i > 0 and long[i - 1] == long[i]) or (i + 1 < len(long) and long[i + 1] == long[i])
    )


def _slip_shape(typo: str, cand: str) -> bool:
    """Whether a one-edit `cand` differs from `typo` as a slip does: any edit but a letter
    replaced, which must be a key beside it, one vowel for another or a letter of the
    same sound ("invokation"; "comparsion" is a
    swap of "comparison", not "compassion" with an "s" for an "r")."""
    if len(typo) != len(cand) or sorted(typo) == sorted(cand):
        return True
    i = next(i for i, (a, b) in enumerate(zip(typo, cand, strict=True)) if a != b)
    a, b = typo[i], cand[i]
    return (
        (a in VOWELS_Y and b in VOWELS_Y)
        or b in QWERTY_NEIGHBOURS.get(a, "")
        or a + b in SOUND_ALIKE  # "invokation": a spelling by sound
    )


def edits1(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = [a + b[1:] for a, b in splits if b]
    transposes = [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
    replaces = [a + c + b[1:] for a, b in splits if b for c in LETTERS]
    inserts = [a + c + b for a, b in splits for c in LETTERS]
    return set(deletes + transposes + replaces + inserts)


# British spellings, checked through their American form (Hunspell here is en_US).
BRITISH = (
    ("our", "or"),
    ("isation", "ization"),
    ("ise", "ize"),
    ("isab", "izab"),
    ("ising", "izing"),
    ("ysing", "yzing"),
    ("yse", "yze"),
    ("tre", "ter"),
    ("ogue", "og"),
    ("lled", "led"),
    ("lling", "ling"),
    ("ence", "ense"),
    ("amme", "am"),  # "programme", "kilogrammes"
)
# Inflections: the stem must be known in any source.
INFLECTIONS = (
    ("'s", ""),
    ("ies", "y"),
    ("ied", "y"),
    ("ier", "y"),
    ("iers", "y"),
    ("able", ""),
    ("s", ""),
    ("es", ""),
    ("ed", ""),
    ("ed", "e"),
    ("ing", ""),
    ("ing", "e"),
    ("er", ""),
    ("ers", ""),
    ("ly", ""),
)
# Derivations (agent nouns, -ize/-ization, -ish, -less, ...): the stem must be a common
# word, a vocabulary word or a Hunspell word of five letters or more.
DERIVATIONS = (
    ("ors", "e"),
    ("or", "e"),
    ("ors", ""),
    ("or", ""),
    ("rs", ""),
    ("r", ""),
    ("ers", ""),
    ("er", ""),
    ("izations", ""),
    ("ization", ""),
    ("ization", "ize"),
    ("ations", "e"),
    ("ation", "e"),
    ("izes", ""),
    ("ized", ""),
    ("izing", ""),
    ("ize", ""),
    ("ish", ""),
    ("less", ""),
    ("ness", ""),
    ("iness", "y"),
    ("able", "e"),
    ("ables", "e"),
    ("ivity", "ive"),
    ("able", "ate"),  # "instantiable", "enumerable": the -ate verb's -able
    ("ic", ""),
    ("ible", ""),
    ("ment", ""),
    ("ments", ""),
    ("ee", "e"),
    ("ees", "e"),
    ("ee", ""),
    ("ees", ""),
    ("ancy", "ant"),
    ("ency", "ent"),
)
# Without the page writing the correction: the shortest word a small word is glued to
# ("ruled" + "at"), and the shortest word two edits from its correction ("addititional").
GLUED_HEAD = 5
# The shortest word still reported when a page writes it more than once (with its correction).
REPEATED_SLIP = 7
LONG_SLIP = 9
# Small words that get glued to the word before them ("aspectis", "configurationof").
GLUED = ("is", "in", "it", "of", "to", "on", "as", "at", "be", "by", "or", "an", "and", "the")
# Contractions written without their apostrophe (none of them is a word: not "cant", "wont").
NO_APOSTROPHE = {
    w.replace("'", ""): w
    for w in """doesn't don't isn't aren't didn't wasn't weren't hasn't haven't hadn't
    shouldn't wouldn't couldn't mustn't needn't you're they're you've they've we've
    should've would've could've""".split()
}
# Two words commonly written as one by mistake; the compound rule would accept them.
WRONGLY_JOINED = {
    "everytime": "every time",
    "atleast": "at least",
    "aswell": "as well",
    "eventhough": "even though",
    "infact": "in fact",
    "incase": "in case",
    "alot": "a lot",
    "noone": "no one",
    "inorder": "in order",
    "ontop": "on top",
}


@functools.lru_cache(maxsize=1)
def hunspell() -> Any:
    """The en_US Hunspell dictionary through pyenchant (a C library: fast lookups)."""
    try:
        import enchant  # type: ignore[import-untyped]

        return enchant.Dict("en_US")
    except ImportError as exc:  # libenchant itself missing
        raise InputError(
            f"spelling needs libenchant-2-2 and hunspell-en-us (Debian): {exc}; "
            "or disable the rule (disable: [spelling])"
        ) from None
    except Exception as exc:  # enchant.errors.DictNotFoundError
        raise InputError(
            f"spelling needs the en_US Hunspell dictionary (Debian hunspell-en-us): {exc}; "
            "or disable the rule (disable: [spelling])"
        ) from None


def distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance (optimal string alignment)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


class Speller:
    def __init__(self, accept: frozenset[str] = frozenset()) -> None:
        self.words = english_words()
        self.vocab = builtin_vocabulary() | {w.lower() for w in accept}
        self.dict = hunspell()
        self._memo: dict[str, str | None] = {}
        self._known_memo: dict[str, bool] = {}  # uncommon words: affix rules cost microseconds
        self._sorted: list[str] | None = None  # the common words in order, for clipped()

    def known(self, word: str) -> bool:
        w = word.lower()
        if self.words.common(w):
            return True  # most words of a text: one dict lookup
        seen = self._known_memo.get(w)
        if seen is None:
            if len(self._known_memo) >= MEMO_LIMIT:
                self._known_memo.clear()  # memory stays bounded on huge inputs
            seen = self._known_memo[w] = self._known_uncommon(w)
        return seen

    def _known_uncommon(self, w: str) -> bool:
        if w in NO_APOSTROPHE or w in WRONGLY_JOINED:
            return False  # "doesnt", "everytime": whatever the word lists hold
        if self._known(w):
            return True
        for british, american in BRITISH:
            if british in w and self._known(w.replace(british, american)):
                return True  # "behaviour", "customisation", "analysing" (en_GB spellings)
        if self._misdoubled(w):
            return False  # "occured", "begining", "untill", "truely": not an affixed form
        return self._affixed(w)

    def _misdoubled(self, w: str) -> bool:
        """A common word with a letter doubled or undoubled, or with its "e" kept before
        "-ly": the affix rules would read "occured" as occur + ed and "untill" as un + till,
        but the word is a misspelling of "occurred" and "until"."""
        variants = set()
        for i in range(1, len(w)):
            if w[i] == w[i - 1]:
                variants.add(w[:i] + w[i + 1 :])  # "untill" -> "until"
            elif w[i] not in "aeiouy" and w[i - 1] in "aeiou":
                variants.add(w[: i + 1] + w[i:])  # "occured" -> "occurred"
        if w.endswith("ely"):
            variants.add(w[:-3] + "ly")  # "truely" -> "truly"
        return any(self.words.common(v) and self.dict.check(v) for v in variants)

    def _known(self, w: str) -> bool:
        words = self.words
        return words.common(w) or w in self.vocab or w in words or bool(self.dict.check(w))

    def _affixed(self, w: str) -> bool:
        for prefix in PREFIXES:
            if w.startswith(prefix) and len(w) - len(prefix) >= 4:
                rest = w[len(prefix) :]
                if (
                    self.words.common(rest)
                    or rest in self.vocab
                    or self.dict.check(rest)
                    or self._derived(rest)
                ):
                    return True  # "precheck", "uplink", "deduplication", "uncatchable"
        if len(w) >= 5 and w.endswith("fs") and w[-3] not in "aeiouf":
            return True  # "shiftfs", "overlayfs", "tmpfs": file system names
        return self._derived(w) or self._compound(w)

    def _derived(self, w: str) -> bool:
        """An inflected or derived form of a known word: "validators" (validate),
        "bootstrapper" (bootstrap), "canonicalization" (canonical), "nullish" (null)."""
        for suffix, repl in INFLECTIONS:
            if w.endswith(suffix) and len(w) - len(suffix) >= 3:
                stem = w[: -len(suffix)] + repl
                if stem in self.vocab or stem in self.words:
                    return True
        if w.endswith("s") and len(w) >= 5 and self.dict.check(w[:-1]):
            return True  # "dists": the plural of a word Hunspell knows without its plural
        m = ONE_SYLLABLE_DOUBLED.fullmatch(w)
        if m is not None and self._known(m.group(1)):
            return True  # "globbing", "shimmed": one syllable doubles its last consonant
        for suffix, repl in DERIVATIONS:
            if not w.endswith(suffix) or len(w) - len(suffix) < 4:
                continue
            stem = w[: -len(suffix)] + repl
            if suffix.startswith("ation") and stem.endswith("ke"):
                continue  # "invokation": -ke verbs take -cation (invocation, revocation)
            stems = [stem]
            if len(stem) >= 6 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
                stems.append(stem[:-1])  # "bootstrapper" -> "bootstrapp" -> "bootstrap"
            for st in stems:
                if st in self.vocab or self.words.common(st):
                    return True
                shortest = 5 if suffix[:2] in ("iz", "is", "le") else 6
                if len(st) >= shortest and self.dict.check(st):
                    return True  # "canonicalized", "daemonize": Hunspell knows the stem
        return False

    def _compound(self, w: str) -> bool:
        """Two common words of four letters or more written as one: "threadsafe",
        "lockless", "truecolor" (a glued small word, "aspectis", is not a compound)."""
        return any(self._common(w[:i]) and self._common(w[i:]) for i in range(4, len(w) - 3))

    def name_shape(self, w: str) -> str | None:
        """Why `w` is shaped like a name or an identifier rather than a misspelt English word,
        or None. English words have a vowel; a known word with "c" or "x" appended is a
        variant of a name ("glibc", "jsonc", "httpx", "objectivec"), with "js" a library
        ("commonjs"), and a common word with "d" a daemon ("searchd", "deployd")."""
        if not any(c in "aeiouy" for c in w):
            return "no vowel"  # "crmsh", "pkgs": letters, not a word
        if w[-1] in NAME_SUFFIX_LETTERS and len(w) >= 5 and self._known(w[:-1]):
            return "a known word and a letter"
        if (
            len(w) >= 6
            and w[-1] == "d"
            and w[-2] not in "aeiouy"
            and self._common(w[:-1])
            and not self._misdoubled(w)
        ):
            return "a daemon's name"  # "searchd", "startd", "deployd": a verb and a "d"
        for suffix in NAME_SUFFIXES:
            stem = w[: -len(suffix)]
            if w.endswith(suffix) and len(stem) >= 4 and self._known(stem):
                return "a known word and a name suffix"  # "commonjs", "expressjs", "scopeid"
        if (
            len(w) >= 6
            and w[0] not in VOWELS_Y
            and w[1] not in VOWELS_Y
            and w[:2] not in ONSETS
            and self._known(w[2:])
        ):
            return "two letters before a known word"  # "rwlocks", "fdopen": an identifier
        if len(w) >= 6 and w[0] == "e" and self.words.common(w[1:]):
            return "e and a common word"  # "esports", "ebook": an e-word
        return None

    def clipped(self, w: str) -> bool:
        """A clipped form: the first CLIPPED_LETTERS of a common word at least three letters
        longer, ending in a consonant, that no one letter completes ("compat" of
        "compatibility"); not a dropped last letter ("documen" is a slip of "document",
        "attemp" of "attempt", "develo" of "develop")."""
        lo, hi = CLIPPED_LETTERS
        if not lo <= len(w) <= hi or w[-1] in "aeiouy" or self._misdoubled(w):
            return False  # "occurr" is "occur" with its last letter doubled
        common = self._common_sorted()
        i = bisect.bisect_left(common, w)
        if not any(c.startswith(w) and len(c) >= len(w) + 3 for c in common[i : i + 40]):
            return False
        return not any(self._common(w + c) for c in "abcdefghijklmnopqrstuvwxyz")

    def _common_sorted(self) -> list[str]:
        if self._sorted is None:
            self._sorted = sorted(self.words.common_words())
        return self._sorted

    def compound_parts(self, w: str) -> tuple[str, str] | None:
        """Two common or vocabulary words of three letters or more, seven letters or more
        together, written as one ("keystores": key + stores, "callout": call + out), or
        None ("commen" is no compound of com + men: short words split so by chance)."""
        if len(w) < 7:
            return None
        for i in range(3, len(w) - 2):
            head, tail = w[:i], w[i:]
            if tail in SUFFIX_LIKE:
                continue  # "existant" is exist + a suffix, not exist + "ant"
            if self._common(head) and self._common(tail):
                return head, tail
        return None

    def suggest(self, word: str) -> str | None:
        """The correction, or None when nothing is close enough to be sure it is a typo.
        Memoised: Hunspell's suggestion search costs tens of milliseconds a word."""
        w = word.lower()
        if w not in self._memo:
            self._memo[w] = self._suggest(w)
        return self._memo[w]

    def _suggest(self, w: str) -> str | None:
        fixed = NO_APOSTROPHE.get(w) or WRONGLY_JOINED.get(w)
        if fixed is not None:
            return fixed
        if self.name_shape(w) is not None or self.clipped(w):
            return None
        for small in GLUED:
            head = w[: -len(small)]
            if w.endswith(small) and len(head) >= 4 and self._common(head):
                return f"{head} {small}"  # "aspectis" -> "aspect is"
        one = self._one_edit(w)
        if one is not None:
            if (
                self.compound_parts(w) is not None
                and edit_kind(w, one) not in TYPO_IN_COMPOUND
                and not doubling(w, one)
            ):
                return None  # "keystores" (key + stores) is no slip of "keystones"
            return one
        if len(w) >= 8:
            for cand in self.dict.suggest(w)[:3]:
                c = cand.lower()
                if (
                    c.isalpha()
                    and c[:2] == w[:2]
                    and c[-1] == w[-1]
                    and len(w) >= 8
                    and distance(w, c) <= 2
                    and self.words.get(c, 0) >= MIN_CANDIDATE_FREQ
                ):
                    return str(cand)  # "addititional" -> "additional"
        return self._prefixed_doubling(w)

    def _prefixed_doubling(self, w: str) -> str | None:
        """A prefix ("un", "re", "pre", "de") before a stem that is no word but a common word
        with a consonant doubled or undoubled: "uncoment" (un + comment), "recomit"
        (re + commit). Other edits of the stem are left alone: prefixed names abound."""
        for prefix in DOUBLING_PREFIXES:
            rest = w[len(prefix) :]
            if not w.startswith(prefix) or len(rest) < 5 or self.known(rest):
                continue
            for cand in edits1(rest):
                if (
                    _consonant_doubling(rest, cand)
                    and self.words.common(cand)
                    and self.dict.check(cand)
                ):
                    return prefix + cand
        return None

    def _short_slip(self, w: str, cand: str) -> bool:
        """Whether a short word (SHORT_WORD letters or fewer) reads as a slip for `cand`:
        a letter doubled or undoubled ("ommits", "arrray", "comit"); a letter dropped, two
        letters swapped, one vowel for another, a key's neighbour for the key or, in six
        letters, a letter added ("attept", "flasy", "mudule", "nodez", "falsly"), only when
        `cand` is a common word ("skia" is no slip of "sika", "sdists" of "sadists"). The
        other edits of a short word are where names sit by chance: "pycon", "asort",
        "hancar" (a consonant replaced by a distant one: "pylon", "abort", "hangar"),
        "acked", "dists", "ansis" (a letter added: "aced", "diss", "anis")."""
        if cand[0] != w[0]:
            return False  # "acked" is no slip of "packed": slips rarely hit the first letter
        if doubling(w, cand):
            return True
        kind = edit_kind(w, cand)
        if kind == "extra" and len(w) < SHORT_WORD:
            return False
        if kind == "replaced":
            i = next(i for i, (a, b) in enumerate(zip(w, cand, strict=True)) if a != b)
            vowels = w[i] in "aeiou" and cand[i] in "aeiou"
            if not vowels and cand[i] not in QWERTY_NEIGHBOURS.get(w[i], ""):
                return False
        return self._common(cand)

    def _common(self, w: str) -> bool:
        return self.words.common(w) or w in self.vocab

    def slip(self, word: str, suggestion: str, page: frozenset[str]) -> str | None:
        """The correction to report for `word` (`suggestion`, or a word one slip away that
        the page writes), or None when `word` reads as a name or a term rather than a slip.

        A page that writes the correction elsewhere ("occured" on a page that says
        "occurred", "attept" beside "attempt", "fiels" beside "files") is evidence enough.
        Without it, a slip must look like one: a long word (a short name sits one edit from
        some English word by chance: "chai", "marko", "keyid") unless a consonant is doubled
        or undoubled ("ommits") or two letters swapped ("flasy"); two edits only in a long
        word ("attrsets", "craftcms" are names); not its last letter changed ("certifi",
        "dramatiq", "phillipj": a name respelt); a letter replaced only by a key beside
        it, one vowel by another or a letter of the same sound ("uvicorn" is no slip of
        "unicorn"). `page` is the page's words in lowercase (`page_words`)."""
        w, c = word.lower(), suggestion.lower()
        if c.replace(" ", "") == w and w not in WRONGLY_JOINED:
            # A small word glued on: "aspectis", "ruledat"; "typeof", "deepin" are a short
            # word and a small one, the shape of keywords and names.
            return suggestion if len(c.split()[0]) >= GLUED_HEAD else None
        if not c.isalpha():
            return suggestion  # "doesn't": a contraction without its apostrophe
        on_page = self._page_correction(w, page)
        if on_page is not None:
            return on_page  # "fiels" on a page about files: "files", not "feels"
        if _written_on_page(w, c, page):
            return suggestion
        if _prefixed_page_stem(w, page, self._common):
            return None  # "remuxing" on a page that writes "mux": the page's term, prefixed
        if distance(w, c) > 1 and len(w) < LONG_SLIP:
            return None
        if len(w) <= SHORT_WORD:
            slip = (
                _consonant_doubling(w, c)
                or (len(w) == len(c) and sorted(w) == sorted(c))
                or (w.endswith("ely") and c == w[:-3] + "ly")  # "truely": the "e" kept
            )
            return suggestion if slip else None  # "ommits", "flasy"; not "ninaa", "chai"
        if len(w) == len(c) and distance(w, c) == 1 and sorted(w) != sorted(c):
            return suggestion if w[-1] == c[-1] and _slip_shape(w, c) else None
        return suggestion

    def repeated_slip(self, word: str, page: frozenset[str]) -> bool:
        """Whether `word`, written more than once on a page (where it would read as the
        page's term), is still a slip: a long word whose correction the page also writes
        ("explicitely" beside "explicitly", "compatability" beside "compatibility")."""
        w = word.lower()
        if len(w) < REPEATED_SLIP:
            return False
        head, tail = w[:2], w[-2:]
        if not any(
            t != w and t[:2] == head and t[-2:] == tail and abs(len(t) - len(w)) <= 2 for t in page
        ):
            return False  # no word of the page looks like its correction: skip the search
        suggestion = self.suggest(w)
        if suggestion is None or not suggestion.isalpha():
            return False
        c = suggestion.lower()
        return _written_on_page(w, c, page) and self.slip(w, suggestion, page) is not None

    def _page_correction(self, w: str, page: frozenset[str]) -> str | None:
        """The word one slip from `w` (its first letter kept) that the page writes, or None:
        two letters swapped, one dropped or added before one replaced, then the most
        frequent."""
        best: tuple[bool, int, str] | None = None
        for cand in edits1(w):
            if cand[:1] != w[:1] or not _slip_shape(w, cand) or len(cand) < 3:
                continue
            freq = self.words.get(cand, 0)
            if cand in self.vocab:
                freq = max(freq, VOCAB_CANDIDATE_FREQ)
            if freq < MIN_CANDIDATE_FREQ or (not self.dict.check(cand) and cand not in self.vocab):
                continue
            key = (edit_kind(w, cand) != "replaced", freq, cand)
            if _written_on_page(w, cand, page) and (best is None or key > best):
                best = key
        return None if best is None else best[2]

    def _one_edit(self, w: str) -> str | None:
        """The best known word one edit away: typos rarely hit the first letter, so
        candidates keeping it come first; then the most frequent."""
        best: tuple[bool, bool, bool, int, str] | None = None
        short = len(w) <= SHORT_WORD
        for cand in edits1(w):
            freq = self.words.get(cand)
            if cand in self.vocab:
                freq = max(freq or 0, VOCAB_CANDIDATE_FREQ)  # technical docs: jargon first
            if freq is None or freq < MIN_CANDIDATE_FREQ:
                continue
            if cand == w[:-1] and not doubling(w, cand):
                continue  # "crypto", "truthy", "param": a known word with a letter appended
            if cand == w + "s" and len(w) >= 5 and w[-1] not in "isu":
                continue  # "kwarg" (kwargs): the singular of a plural term, not a slip
            if short and not self._short_slip(w, cand):
                continue  # a short name sits one edit from some English word by chance
            key = (cand[:1] == w[:1], cand[-1:] == w[-1:], _slip_shape(w, cand), freq, cand)
            if best is None or key > best:
                best = key
        if best is None or best[4] == w[1:]:
            return None  # "lchown", "dtrace", "gprof": a letter before a word is an identifier
        if (
            len(w) >= 5
            and w[0] not in "aeiou"
            and w[1] not in "aeiouy"
            and w[:2] not in ONSETS
            and self._known(w[1:])
        ):
            return None  # "cmake", "xdist": a letter before a known word (no English onset)
        return best[4]


# Endings that inflect the correction where the page writes it ("attempts" for "attempt").
_EVIDENCE_ENDINGS = ("ies", "es", "s", "ed", "d", "ing", "ly")
_PAGE_ENDINGS = ("", "s", "es", "ed", "d", "ing", "ly", "e", "y", "ies", "ied")


def _written_on_page(word: str, correction: str, page: frozenset[str]) -> bool:
    """The page writes `correction` or an inflection of it ("omit", "omitted" for "omits"),
    other than `word` itself and other than a start of it: "phillipj" beside "Phillip",
    "keyid" beside "keys" are a name and its handle, a word and a suffix."""
    bases = {correction}
    for end in _EVIDENCE_ENDINGS:
        if correction.endswith(end) and len(correction) - len(end) >= 3:
            bases.add(correction[: -len(end)])
    return any(
        base + end in page and base + end != word
        for base in bases
        if not word.startswith(base)
        for end in _PAGE_ENDINGS
    )


STEM_PREFIXES = ("re", "de", "un", "trans", "pre", "sub", "multi", "inter")
STEM_ENDINGS = ("", "s", "es", "ed", "ing", "er", "ers")


def _prefixed_page_stem(w: str, page: frozenset[str], common: Callable[[str], bool]) -> bool:
    """`w` is a prefix, a stem of three letters or more that the page writes as a word and
    that is no common English word (`common`), and an ending ("remuxing", "transmuxed" on a
    page that writes "mux"): the page's own term with an English prefix, not a slip. (With
    a common stem, "rebot" beside "bot", it is still a slip of "reboot".)"""
    for prefix in STEM_PREFIXES:
        if not w.startswith(prefix):
            continue
        rest = w[len(prefix) :]
        for ending in STEM_ENDINGS:
            if not rest.endswith(ending):
                continue
            stem = rest[: len(rest) - len(ending)] if ending else rest
            if len(stem) >= 3 and stem in page and not common(stem):
                return True
    return False


@functools.lru_cache(maxsize=4)
def page_words(source: str) -> frozenset[str]:
    """The words of a page's source, in lowercase: where `Speller.slip` looks for evidence.
    Cached: the check runs once per block of the same page."""
    return frozenset(re.findall(r"[a-z]+", source.lower()))


@functools.lru_cache(maxsize=4)
def page_counts(source: str) -> Counter[str]:
    """How often each lowercase run of letters and digits stands in a page's source: the
    times an unknown word is written there, counted once per page, not once per word."""
    return Counter(re.findall(r"[a-z0-9]+", source.lower()))


def _consonant_doubling(typo: str, correction: str) -> bool:
    """A consonant doubled or undoubled ("ommits", "acces"); a doubled vowel ("ninaa",
    "coords") is how names and clipped words are spelt."""
    if not doubling(typo, correction):
        return False
    long, short = (typo, correction) if len(typo) > len(correction) else (correction, typo)
    i = next((i for i, (a, b) in enumerate(zip(short, long, strict=False)) if a != b), len(short))
    return long[i] not in VOWELS_Y


_WORD = re.compile(r"[^\W_]+")


def _neighbours_of(f: Finding) -> tuple[str, str]:
    """The words just before and after a finding on its line: the phrase it sits in."""
    before = _WORD.findall(f.line_text[: max(0, f.column - 1)])
    after = _WORD.search(f.line_text, max(0, f.end_column - 1))
    return (before[-1].lower() if before else "", after.group(0).lower() if after else "")


def repeated_terms(findings: list[Finding], min_files: int = TERM_MIN_FILES) -> list[Finding]:
    """`findings` without the spelling findings on a word flagged in `min_files` files or
    more of the run, in different phrases: a word a project writes in several of its
    documents is its term ("the iteratee should", "an iteratee created", "coords, attrs" after
    "dtype" and after "shape"), where a typo is a slip of one moment. A sentence copied from
    one file to another copies its typo with it ("metadata abriged for brevity" in two
    reference pages): the same word between the same two words everywhere stays reported. So
    do the misspellings that are always reported (`data/misspellings.txt`, contractions
    without their apostrophe, "everytime")."""
    seen: dict[str, tuple[set[str], set[tuple[str, str]]]] = {}
    for f in findings:
        if f.rule == "spelling":
            paths, phrases = seen.setdefault(f.matched.lower(), (set(), set()))
            paths.add(f.path)
            phrases.add(_neighbours_of(f))
    sure = misspellings().keys() | NO_APOSTROPHE.keys() | WRONGLY_JOINED.keys()
    terms = {
        w
        for w, (paths, phrases) in seen.items()
        if len(paths) >= min_files and len(phrases) >= 2 and w not in sure
    }
    if not terms:
        return findings
    return [f for f in findings if not (f.rule == "spelling" and f.matched.lower() in terms)]
