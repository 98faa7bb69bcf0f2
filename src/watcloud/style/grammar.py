# ruff: noqa: SIM905
"""Built-in grammar and punctuation checks, as pure functions over extracted prose.

Each check yields `Match(start, end, suggestion, replacement)` in prose positions; the rule
(code, severity, message, examples) lives in the YAML style that names the check. Patterns
never cross a block boundary (¶) or a blank line, and never read a § token (code, URL, math)
as a word.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from watcloud.style.lexicon import Lexicon
from watcloud.style.spelling import (
    ONSETS,
    Speller,
    misspellings,
    page_counts,
    page_words,
    phrases,
)

WS = r"(?:[ \t]+\n?[ \t]*|\n[ \t]*)"  # whitespace with at most one line break
W = r"[A-Za-z][a-z]*(?:'[a-z]+)?"


def lead(words: str, boundary: str = r"[\w'’]", *, upper: bool = True) -> str:
    """A regex for any of `words` (first letter in either case) not preceded by `boundary`.

    It starts with a character class so that Python's regex engine can skip ahead to
    candidate positions instead of trying every position (5x faster on our corpus than
    a leading look-behind or \\b).
    """
    ws = sorted(words.split(), key=len, reverse=True)
    firsts = sorted({c for w in ws for c in ((w[0].lower(), w[0].upper()) if upper else (w[0],))})
    alts = []
    for w in ws:
        first = f"[{w[0].lower()}{w[0].upper()}]" if upper else re.escape(w[0])
        alts.append(f"(?<={first}){re.escape(w[1:])}" if len(w) > 1 else f"(?<={first})")
    return f"[{''.join(firsts)}](?<!{boundary}.)(?:{'|'.join(alts)})"


def scan(rx: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Every match, including ones that start inside an earlier match (a rejected match
    must not hide a real one that overlaps it: "that this file are")."""
    pos = 0
    while True:
        m = rx.search(text, pos)
        if m is None:
            return
        yield m
        pos = m.start() + 1


class Match(NamedTuple):
    start: int
    end: int
    suggestion: str | None
    replacement: str | None = None  # safe replacement for --fix
    guard: tuple[int, int] | None = None  # the text the check read (default: start-end)


class Context:
    """What checks may need besides the text (built lazily: the speller loads a word list)."""

    def __init__(self, accept: frozenset[str] = frozenset()) -> None:
        self._accept = accept
        self._speller: Speller | None = None
        self._lexicon: Lexicon | None = None
        self.source = ""  # the document's source text (set per document by the engine)
        self.prose: Any = None  # the document's Prose (set with `source`), for its markup
        self.names: frozenset[str] = frozenset()  # the project's names, the path's words

    @property
    def lexicon(self) -> Lexicon:
        if self._lexicon is None:
            from watcloud.style.lexicon import lexicon

            self._lexicon = lexicon()
        return self._lexicon

    @property
    def speller(self) -> Speller:
        if self._speller is None:
            self._speller = Speller(self._accept)
        return self._speller


Check = Callable[[str, Context], Iterator[Match]]
CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        CHECKS[name] = fn
        return fn

    return register


def _case_like(template: str, word: str) -> str:
    if template[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


# --- a / an -------------------------------------------------------------------------------

# Acronyms said as words ("a SLURM job", "a RAID array"), not letter by letter.
WORD_ACRONYMS = frozenset(
    """SLURM NASA RAM ROM RAID SATA SCSI NAS SAN LAN WAN NAT GIF JPEG JSON YAML TOML CUDA NUMA
    POSIX SAML SOAP REST CORS WAT MIG SIM PIN LAMP MERN WASM DAG DOS CAD PAM LUKS NIC VRAM SWAP
    NUC DIMM SODA GUI CLI MAC""".split()
)
# Three capitals that could be read as a word but are known to be read as letters.
LETTER_ACRONYMS = frozenset("SAP MIT HIV".split())
# Two consonants that begin English words, after a capital whose letter name starts with a
# vowel sound: with a vowel after them, three capitals read as a syllable ("SHA", "SPA").
_ONSET_PAIRS = frozenset("SH SK SL SM SN SP ST SW FL FR".split())
AMBIGUOUS = frozenset({"SQL", "FAQ", "URI", "IRC", "HTTPS"} - {"HTTPS"})
LETTER_VOWEL_SOUND = frozenset("AEFHILMNORSX")
SILENT_H = ("hour", "honest", "honor", "honour", "heir", "herb")
# Words whose "an" is a form dictionaries record beside "a" (French loans, an unstressed
# first syllable in older usage): "an homage", "an historic event", "an hotel". "an"
# before them is not reported; "a" is never reported either. Not "an heuristic".
AN_H_ACCEPTED = ("homage", "historic", "hotel")
U_CONSONANT = (
    "uni", "use", "usa", "usu", "uti", "ubiq", "ura", "ure", "uri", "uro", "uku", "unar", "unan",
    "uto", "uvu", "ufo", "usi",
)  # fmt: skip
U_VOWEL_EXCEPT = ("unin", "unim", "unid", "unil", "unis")  # uninstall, unimportant
# Acronyms often written in lowercase; read letter by letter ("a url", "an html page").
LOWER_ACRONYMS = frozenset(
    """url urls uri uris html http https sql ssh api apis cli gui ui ux id ids uuid usb ssd hdd
    gpu cpu xml svg csv tsv npm nfs dns vm vms os io rpc ip tcp udp lts pdf jwt ci cd mdn
    rsa sso ldap iam mfa""".split()
)
VOWEL_CONSONANT = ("eu", "one", "once", "ewe", "oui")


# Words after an article that are not the noun it introduces: "values a and b" (a letter or
# a variable), "a or an", "a a" (a repetition, not an article error).
NOT_AFTER_ARTICLE = frozenset(
    "and or nor but the a an of to in on is are was were as at by if vs so than then".split()
    # prepositions and conjunctions that are not noun modifiers: "copy a into b", "map a
    # over the list", "set a unless it is set" (a letter or a variable named "a")
    + "into onto upon unto until unless against among amid across except instead over".split()
)


# A capital whose letter name begins with a vowel sound (ef, aitch, el, em, en, ar, es, ex),
# one or two lowercase letters, then a capital: "NeDB", "RxJS"; not a word ("MySQL").
_SHORT_CAMEL = re.compile(r"([FHLMNRSX][a-z]{1,2})[A-Z]")
_SHORT_CAMEL_WORDS = frozenset(
    "my me no so he hi her his new now net max min mix set six hot run sun red low law map"
    " fix fun has lab log".split()
)


def wants_an(word: str) -> bool | None:
    """True: 'an' goes before `word`; False: 'a'; None: cannot tell."""
    if not word:
        return None
    if word[0].isdigit():
        digits = re.match(r"[\d,]+", word)
        num = digits.group().replace(",", "") if digits else ""
        if num.startswith("8"):
            return True
        return num in ("11", "18") or (num.startswith(("11", "18")) and len(num) in (4, 5))
    caps = re.match(r"[A-Z]+", word)
    if caps and (len(caps.group()) >= 2 or len(word) == 1 or not word[1:2].isalpha()):
        prefix = caps.group()
        if len(prefix) >= 2 and re.match(r"[a-z]{2}", word[len(prefix) :]):
            # A mixed-case name: the leading capitals are an acronym whose last capital may
            # begin the next word ("SQLModel" = SQL + Model, "IPython" = I + Python) or not
            # ("SQLite" = SQL + ite). Both readings must give the same sound, else it is
            # uncertain ("a SQLModel": SQL read as "sequel" or as letters). A lowercase
            # letter or a version after the capitals is not a word: "NVMe", "APIs", "IPv6".
            sounds = {_acronym_sound(prefix), _acronym_sound(prefix[:-1])}
            return sounds.pop() if len(sounds) == 1 else None
        return _acronym_sound(prefix)
    if len(word) > 1 and (word[1].isdigit() or word[1] == "-"):
        return word[0].upper() in LETTER_VOWEL_SOUND
    short = _SHORT_CAMEL.match(word)
    if short and short.group(1).lower() not in _SHORT_CAMEL_WORDS:
        # "NeDB", "RxJS": a capital and one or two lowercase letters, then capitals. The
        # first part is read as letters ("en-ee", "ar-ex": an) or as a syllable ("nee": a).
        return None
    if len(word) == 1:
        return None  # a lowercase letter: "an x" (ex) or "a x" (a variable x)?
    if word.lower() in LOWER_ACRONYMS:
        return word[0].upper() in LETTER_VOWEL_SOUND
    if len(word) == 2 and word.islower():
        return None  # "a uv venv", "an os": a name read as letters or as a word?
    return _word_sound(word.lower())


def _acronym_sound(prefix: str) -> bool | None:
    """The sound of capitals read as an acronym: as a word ("a SLURM", "a JSON"), letter by
    letter ("an SSH", "a URL"), or uncertain ("SQL" is "sequel" or letters; "LICENSES")."""
    if prefix in AMBIGUOUS:
        return None
    if prefix in WORD_ACRONYMS or prefix[:3] in WORD_ACRONYMS:
        return _word_sound(prefix.lower())
    if len(prefix) >= 4 and re.search("[AEIOU]", prefix[1:]):
        return None  # "a LICENSES file", "an ENUM": read as a word or as letters?
    if (
        len(prefix) == 3
        and prefix[0] in "FHLMNRSX"
        and (prefix[1] in "AEIOU" or (prefix[:2] in _ONSET_PAIRS and prefix[2] in "AEIOUY"))
        and prefix not in LETTER_ACRONYMS
    ):
        # "a HAR file", "a SOA": a consonant, then a vowel, reads as a word ("har", "so-ah")
        # as well as letters ("aitch-ay-ar"), and the two sounds take different articles;
        # so does a consonant pair that begins English words, then a vowel ("a SHA-1 hash",
        # "a SPA": "shah", "spa", or "es-aitch-ay").
        return None
    return prefix[0] in LETTER_VOWEL_SOUND


def is_acronym(word: str) -> bool:
    """Read as letters or as a word depending on the reader: never fixed automatically.
    Mixed-case product names ("MySQL", "EventSource") are names whose sound the writer
    knows best: reported when certain, never rewritten."""
    if word.lower() in LOWER_ACRONYMS or any(c.isupper() for c in word[1:]):
        return True
    caps = re.match(r"[A-Z]+", word)
    if caps is None:
        return False
    return len(caps.group()) >= 2 or len(word) == 1 or not word[1:2].isalpha()


def _word_sound(w: str) -> bool | None:
    if w.startswith(VOWEL_CONSONANT) and not w.startswith("oner"):  # "an onerror", "onerous"
        return False
    if len(w) > 1 and w[0] not in "aeiou" and w[1] not in "aeiouy" and w[:2] not in ONSETS:
        return None  # "rspack", "npm", "mkdocs", "html": letters or a name, sound uncertain
    if w[0] == "u" and len(w) > 2 and w[1] not in "nplmrstg" and w[2] not in "aeiouy":
        return None  # "uvloop", "uwsgi": letters or a word?
    if w[0] == "u":
        return not (w.startswith(U_CONSONANT) and not w.startswith(U_VOWEL_EXCEPT))
    if w[0] in "aeio":
        return True
    if w[0] == "h":
        return w.startswith(SILENT_H)
    return False


_ARTICLE = re.compile(r"([Aa](?<![\w'’.\-/§].)n?)" + WS + r"(?=([\"'“‘(]?)([A-Za-z0-9][\w-]*))")


@check("a-an")
def a_an(text: str, ctx: Context) -> Iterator[Match]:
    for m in _ARTICLE.finditer(text):
        article = m.group(1)
        word = m.group(3)
        if word.lower() in NOT_AFTER_ARTICLE:
            continue
        if article in ("A", "An") and not _sentence_start(text, m.start()):
            continue
        after_end = m.end() + len(m.group(2)) + len(word)
        if (
            after_end < len(text)
            and text[after_end] in ".§"
            and text[after_end - 1 :].startswith(".")
        ):
            # "a.k.a", "an e.g." - abbreviations and file names are left alone.
            continue
        want = wants_an(word)
        if want is None:
            continue
        has_n = article.lower() == "an"
        if want == has_n:
            continue
        if has_n and word.lower().startswith(AN_H_ACCEPTED):
            continue  # "an homage", "an historic": a recorded variant, not a slip
        if want and _coined_u_word(word, ctx):
            continue  # "a udev rule", "a umask", "a uvicorn worker": u read as "you"
        if m.group(2) == "(" and _glossed_term(text, after_end):
            continue  # "- a (ares)": the letter is a term glossed in parentheses
        if _tag_between(ctx, text, m.end(1), m.end()):
            continue  # "a <style> element": the article goes with the tag's name
        if is_acronym(word) and _page_usage(ctx.source, article, word):
            continue  # "a LXD" written throughout the page: the writer's reading of it
        if _foreign_sentence(text, m.start()):
            continue  # "configure a instância": another language's "a"
        fixed = _case_like(article, "an" if want else "a")
        # Acronyms: "an SQL" / "a SQL" depends on the reader; reported, never auto-fixed.
        replacement = None if is_acronym(word) or m.group(2) else fixed
        yield Match(m.start(1), m.end(1), f"{fixed} {word}", replacement, (m.start(1), after_end))


def _glossed_term(text: str, end: int) -> bool:
    """The "a" is a term (a unit's symbol, a variable) glossed in parentheses that close the
    line or the sentence, no noun after them ("- a (ares)"); an article's parenthesis goes
    on to its noun ("a (possibly empty) array")."""
    close = text.find(")", end, end + 60)
    return close >= 0 and _GLOSS_ENDS.match(text, close + 1) is not None


_GLOSS_ENDS = re.compile(r"[.;,]?[ \t]*(?:\n|\u00b6|$)")


_TAG_AS_WORD = re.compile(r"[ \t\n]+<[A-Za-z][\w-]*(?:[ \t][^<>]*)?/?>[ \t\n]+")


def _tag_between(ctx: Context, text: str, start: int, end: int) -> bool:
    """An HTML tag written as a word between the article and the next word ("a <style>
    element", "an <img> tag"): the tag is the noun's modifier, read by its name, and the
    prose has dropped it. (A tag around the next word, "an <b>apple</b>", has no space
    after it and is not this case.)"""
    prose = ctx.prose
    if prose is None or prose.text is not text:
        return False
    between = (prose.source, prose.source_end(start), prose.source_offset(end))
    return _TAG_AS_WORD.fullmatch(*between) is not None


_ALNUM_LOWER = re.compile(r"[a-z0-9]+")  # a word page_counts counts as it is

PAGE_USAGE = 3  # the same article before the same acronym this many times on the page


def _page_usage(source: str, article: str, word: str) -> bool:
    """The page writes this article before this acronym at least `PAGE_USAGE` times and
    never the other one ("a LXD" throughout LXD's docs, read "lex-dee"): the writer's
    reading of a name whose sound is the writer's to know."""
    if not source:
        return False
    other = "a" if article.lower() == "an" else "an"
    tail = r"[ \t]+\n?[ \t]*" + re.escape(word) + r"(?![\w-])"
    same = len(re.findall(r"(?<![\w'’.-])(?i:" + article.lower() + ")" + tail, source))
    if same < PAGE_USAGE:
        return False
    return re.search(r"(?<![\w'’.-])(?i:" + other + ")" + tail, source) is None


def _coined_u_word(word: str, ctx: Context) -> bool:
    """A lowercase word that starts with "u", outside the English dictionary and not the
    prefix "un" before an English word ("unmounted"): a coined technical name whose "u" is
    often the letter ("udev", "umask", "ulimit", "uname", "uvicorn"), so whether it takes
    "an" is uncertain."""
    if word[:1] != "u" or not word.islower():
        return False
    english = ctx.speller.dict
    if english.check(word):
        return False
    return not (word.startswith("un") and len(word) > 4 and ctx.speller.known(word[2:]))


_PREPOSITION_WORD = re.compile(
    r"for|in|on|at|by|to|from|with|about|like|because|up|out|off|over|under|through|into|"
    r"only|just|also|what|how|why|where|when|all|not|more|less|most"
)


# Function words of Portuguese, Spanish, Italian, French and German that are no English
# words (lowercase), against English ones: a sentence with more of the first is not English.
_FOREIGN_WORDS = frozenset(
    """e o os um uma da das dos para que com não na nas em el los las y es un una del al il
    gli di che per le les des du et est der und ist mit zu ein eine einen nicht auf für""".split()
)
_ENGLISH_WORDS = frozenset(
    """the of and to is are in for with that this it you on be can by from or not your
    will an at if""".split()
)
_LETTERS = re.compile(r"[^\W\d_]+")


def _foreign_sentence(text: str, i: int) -> bool:
    """The sentence around `i` is in another language: more of its function words are
    Portuguese, Spanish, Italian, French or German than English (at least two)."""
    lo = max(0, i - 200)
    start = max(lo, max(text.rfind(c, lo, i) for c in ".!?\u00b6") + 1)
    ends = [e for e in (text.find(c, i, i + 200) for c in ".!?\u00b6") if e >= 0]
    end = min(ends) if ends else min(len(text), i + 200)
    words = _LETTERS.findall(text[start:end].lower())
    foreign = sum(1 for w in words if w in _FOREIGN_WORDS)
    return foreign >= 2 and foreign > sum(1 for w in words if w in _ENGLISH_WORDS)


def _sentence_start(text: str, i: int) -> bool:
    j = i - 1
    while j >= 0 and text[j] in " \t\n\"'“(*_":
        j -= 1
    return j < 0 or text[j] in ".!?:¶"


# --- its / it's ---------------------------------------------------------------------------

# After "its", these words mean "it is" whatever follows ("Its not ...", "Its been ...").
IT_IS_FOLLOWERS = frozenset(
    """a an the not been being going also just still here there now
    already almost always usually often probably currently actually apparently basically
    certainly clearly definitely easily especially essentially exactly generally highly
    mostly normally obviously possibly quite rarely simply typically supposed free-to no""".split()
)
# Adjectives that read as "it is" only when a clause goes on after them ("Its possible to
# ..."), not before a noun ("Its possible values", "Its likely cause").
IT_IS_ADJ_FOLLOWERS = frozenset(
    """very so too really likely possible important recommended necessary easy hard difficult
    better worth okay fine unlikely helpful unclear true false""".split()
)
_INTENSIFIERS = frozenset("very so too really".split())


def _adjective(w: str) -> bool:
    return w in IT_IS_ADJ or w in IT_IS_ADJ_TO or w.endswith(_ADJ_STRONG_SUFFIX)


# What may follow "it's <adjective>": a clause or the end of one, not a noun.
_CLAUSE_AFTER = frozenset("to that for , . ; : if when because since as whether and or but".split())
POSSESSED = frozenset(
    """own name purpose value data source contents content parent children state output input
    configuration owner members users size type role job way length lifetime behavior behaviour
    documentation api interface implementation dependencies resources services nodes
    features settings""".split()
)
IT_IS_ADVERBS = frozenset(
    """commonly automatically primarily mainly frequently widely fully partially completely
    entirely heavily publicly officially recently generally currently actually simply
    already still now mostly slightly largely""".split()
)
# Adjectives that take "to"/"that" after "it's": "it's common to ...", "it's likely that".
IT_IS_ADJ = frozenset(
    """incorrect correct wrong right true false ready available unavailable unclear clear
    broken down up empty full slow fast inevitable unlikely likely possible impossible
    necessary unnecessary important""".split()
)
_ADJ_STRONG_SUFFIX = ("able", "ible", "ous", "ful", "less", "cult")
_NOT_ADJ = frozenset("table cable label vegetable potential".split())
IT_IS_ADJ_TO = frozenset(
    """common important possible impossible hard easy difficult necessary helpful useful
    better likely unlikely safe recommended advisable worth okay fine normal typical crucial
    essential critical reasonable convenient tempting tricky simple good bad time""".split()
)
_AFTER_PARTICIPLE = frozenset(
    "by to on in at as for with from under via using when because and within into once every "
    "each automatically".split()
)
IRREGULAR_PARTICIPLES = frozenset(
    "done made built rebuilt run set put kept held known shown given taken written seen found "
    "sent spent lost hidden".split()
)
_ADJ_SUFFIX = ("ing", "ed", "ly", "ble", "ful", "ive", "ous", "al", "ic", "ent", "ant", "er", "est")
_NOT_PLURAL = ("ss", "us", "is", "ous", "ics")
_S_WORDS = frozenset(
    """always perhaps sometimes various numerous nowadays afterwards towards regardless unless
    less thus yours ours hers theirs lots plus was has does this its as us yes is""".split()
)

_WW = W + r"(?![\w'’-])"  # a whole word: "its ASGI" must not read "its A"
_ITS = re.compile(
    r"([Ii](?<![\w'’].)ts)" + WS + r"(" + _WW + r")(?:" + WS + r"(" + _WW + r")|[ \t]*([,.;:]))?"
)
_IT_S = re.compile(
    r"([Ii](?<![\w'’].)t['’]s)" + WS + r"(" + _WW + r")(?:" + WS + r"(" + _WW + r"))?"
)
# "it's many orders of magnitude", "it's two times": a measure after "it is", no noun owned.
_MEASURE_WORDS = frozenset(
    "many much several few two three four five ten hundreds thousands times".split()
)
# "it's way out of scope", "it's way too slow", "it's far more": an adverb of degree, "it is";
# "made its way out" (a verb of motion before it) keeps the possessive reading.
_DEGREE_WORDS = frozenset({"way", "far"})
_DEGREE_AFTER = frozenset(
    "too more less out off over beyond past ahead behind above below better worse".split()
)
_WAY_VERBS = re.compile(
    r"(?:make|made|find|found|work|worked|pave|paved|lose|lost|wend|wended|push|pushed|"
    r"force|forced|fight|fought|feel|felt|wind|wound)(?:s|ing)?" + WS + r"$",
    re.IGNORECASE,
)
# "It's nodes are busy": at a sentence start, a plural noun after "It's" is owned only when a
# verb follows it; otherwise it is a cleft ("It's methods like X that ...").
_VERB_AFTER_POSSESSED = frozenset(
    "are were have had do don't aren't weren't can will must should may need use run".split()
)
# A word that opens a clause right before "it's": "like it's data" (as if it is), "if it's
# files you want"; a possessive there goes on to its verb ("if it's files are", "when it's
# value is") or is "own".
_SUBORDINATOR_BEFORE = re.compile(
    r"(?<![\w'’-])(?:like|if|unless|because|since|whether|when|once|though|although)" + WS + "$",
    re.IGNORECASE,
)
# The same after a singular noun ("when it's value is empty", "if it's state changes").
_VERB_AFTER_POSSESSED_ONE = frozenset(
    "is was has does isn't wasn't hasn't doesn't won't can't".split()
)
# "It's these methods that ...": a cleft sentence, not a possessive.
_CLEFT = frozenset("these those this that what how why who where when".split())


def _plural_noun(w: str) -> bool:
    return (
        len(w) > 3
        and w.endswith("s")
        and not w.endswith(_NOT_PLURAL)
        and w not in _S_WORDS
        and w.islower()
    )


_NEXT_WORD = re.compile(WS + r"([A-Za-z§][\w-]*)")
_NOT_NOUN_AFTER = frozenset(
    "the a an this that these those your our their its my his her it them you we they all "
    "any some each every one two three order case".split()
)


def _compound_adjective(text: str, m: re.Match[str]) -> bool:
    """ "its built in resolution", "its baked on config": a participle and a particle that
    make a compound adjective ("built-in") before a lowercase noun, not "it's built in the"."""
    nxt = _NEXT_WORD.match(text, m.end())
    if nxt is None:
        return False
    word = nxt.group(1)
    return word.islower() and word not in _NOT_NOUN_AFTER and not word[:1].isdigit()


@check("its")
def its(text: str, ctx: Context) -> Iterator[Match]:
    for m in _ITS.finditer(text):
        nxt = m.group(2)
        low = nxt.lower()
        after = (m.group(3) or m.group(4) or "").lower()
        participle = (low.endswith("ed") or low in IRREGULAR_PARTICIPLES) and (
            after in _AFTER_PARTICIPLE or after in (",", ".", ";", ":")
        )
        if participle and after in ("in", "on", "up", "out") and _compound_adjective(text, m):
            participle = False  # "its built in resolution": "built-in", a possessive
        adjective = low not in _NOT_ADJ and (
            low in IT_IS_ADJ or low.endswith(_ADJ_STRONG_SUFFIX) or low in IT_IS_ADJ_TO
        )
        if _PREPOSITION_BEFORE.search(text, max(0, m.start() - 12), m.start()):
            continue  # "the numbers to its right", "on its own": a preposition's object
        if (
            low in IT_IS_ADJ_FOLLOWERS
            and after
            and after not in _CLAUSE_AFTER
            and (low not in _INTENSIFIERS or not _adjective(after))
        ):
            continue  # "Its possible values", "by its very nature": possessive
        if (
            low in IT_IS_FOLLOWERS
            or low in IT_IS_ADJ_FOLLOWERS
            or low in IT_IS_ADVERBS
            or (low in IT_IS_ADJ_TO and after in ("to", "that"))
            or (adjective and after in ("to", "that", ",", ".", ";", ":", "if", "when", "because"))
            or participle
        ):
            fixed = _case_like(m.group(1), "it's")
            yield Match(m.start(1), m.end(1), fixed)
    for m in _IT_S.finditer(text):
        nxt = m.group(2)
        after = m.group(3) or ""
        low = nxt.lower()
        if low in IT_IS_FOLLOWERS or low in IT_IS_ADJ_FOLLOWERS or low in _CLEFT:
            continue
        if _PREPOSITION_WORD.fullmatch(low):
            continue  # "It's for packages that ...": it is
        if low in _MEASURE_WORDS or low[:1].isdigit():
            continue  # "it's many orders of magnitude cheaper", "it's two times faster": it is
        if (
            low in _DEGREE_WORDS
            and (after.lower() in _DEGREE_AFTER or after.lower().endswith("er"))
            and not _WAY_VERBS.search(text[max(0, m.start() - 20) : m.start()])
        ):
            continue  # "since it's way out of scope": it is, "way" a degree adverb
        if (
            _SUBORDINATOR_BEFORE.search(text, max(0, m.start() - 12), m.start())
            and after.lower() not in _VERB_AFTER_POSSESSED
            and after.lower() not in _VERB_AFTER_POSSESSED_ONE
            and not (after.islower() and ctx.lexicon.verb_s(after.lower()))
            and low != "own"
        ):
            continue  # "like it's data", "if it's files you want": a clause opens, it is
        if "'" in after or "’" in after:
            after = ""  # "it's clear what's happening": a contraction is no plural noun
        if (
            _plural_noun(nxt)
            and _sentence_start(text, m.start())
            and after.lower() not in _VERB_AFTER_POSSESSED
        ):
            continue  # "It's methods like __init__ that ...": a cleft, "it is"
        wrong = (
            low in POSSESSED
            or (_plural_noun(nxt) and low not in IT_IS_FOLLOWERS)
            or (
                nxt.islower()
                and (not low.endswith(_ADJ_SUFFIX) or low.endswith(("al", "ent", "ic", "ive")))
                and _plural_noun(after)
                and low not in ("all", "only", "not", "like", "more", "less", "most")
            )
        )
        if wrong:
            fixed = _case_like(m.group(1), "its")
            yield Match(m.start(1), m.end(1), fixed)


# --- could of -----------------------------------------------------------------------------

_COULD_OF = re.compile(
    r"("
    + lead("could would should must might")
    + r"(?:n['’]t)?)"
    + WS
    + r"(of)\b(?!"
    + WS
    + r"course)"
)


@check("could-of")
def could_of(text: str, ctx: Context) -> Iterator[Match]:
    for m in _COULD_OF.finditer(text):
        yield Match(m.start(2), m.end(2), f"{m.group(1)} have", "have")


# --- modal + verb form --------------------------------------------------------------------

_MODAL = re.compile(
    r"(?P<modal>"
    + lead(
        "can could will would shall should may might must cannot can't won't wouldn't "
        "shouldn't couldn't mustn't",
        upper=False,
    )
    + r")(?:"
    + WS
    + r"(?:not|also|only|still|easily|then|now|always|never|just|simply|first|then))?"
    + WS
    + r"(?P<verb>[a-z]+)\b(?!['’-])"
)
_SUBJECT_BEFORE = re.compile(
    r"\b(?:I|you|we|they|he|she|it|this|that|which|who|You|We|They|He|She|It|This|That)" + WS + r"$"
)
_ING_NOT_VERB = frozenset(
    """something nothing anything everything during bring string thing king spring ring sing
    swing sting wing ping morning evening ceiling""".split()
)
_ED_NOT_VERB = frozenset("need feed seed speed bleed breed shed embed red bed wed fed led".split())


def _verb_stem_known(ctx: Context, stem_options: list[str]) -> bool:
    words = ctx.speller.words
    return any(len(s) >= 3 and words.common(s) for s in stem_options)


@check("modal-verb")
def modal_verb(text: str, ctx: Context) -> Iterator[Match]:
    for m in _MODAL.finditer(text):
        verb = m.group("verb")
        subj = _SUBJECT_BEFORE.search(text, max(0, m.start() - 12), m.start()) is not None
        start = m.start("verb")
        before = text[max(0, m.start() - 5) : m.start()].lower()
        if re.search(r"\b(a|the)\s+$", before):
            continue  # "a can of", "the will to"
        if re.search(r"\b(?:as|than)\s+\w+\s+$", text[max(0, m.start() - 16) : m.start()]):
            continue  # "as you would using a tool": an elliptical comparison
        if verb.endswith("ing") and verb not in _ING_NOT_VERB:
            stem = verb[:-3]
            options = [stem, stem + "e"]
            if len(stem) > 2 and stem[-1] == stem[-2]:
                options.append(stem[:-1])
            if _verb_stem_known(ctx, options):
                yield Match(start, m.end("verb"), _base_form(ctx, options))
        elif subj and verb.endswith("ed") and not verb.endswith("eed"):
            if verb in _ED_NOT_VERB:
                continue
            options = [verb[:-2], verb[:-1]]
            if len(verb) > 4 and verb[-3] == verb[-4]:
                options.append(verb[:-3])
            if _verb_stem_known(ctx, options):
                yield Match(start, m.end("verb"), _base_form(ctx, options))
        elif subj and _plural_noun(verb) and not verb.endswith("ies"):
            options = [verb[:-1], verb[:-2]] if verb.endswith("es") else [verb[:-1]]
            if _verb_stem_known(ctx, options):
                yield Match(start, m.end("verb"), _base_form(ctx, options))


def _base_form(ctx: Context, options: list[str]) -> str:
    words = ctx.speller.words
    known = [o for o in options if len(o) >= 3 and o in words]
    return max(known, key=lambda o: words[o]) if known else options[0]


# --- subject-verb agreement ---------------------------------------------------------------

COLLECTIVE = (
    "list|set|group|collection|array|series|subset|table|map|sequence|pair|queue|pool|bundle|"
    "batch|combination|summary|mix|kind|sort|type|number|variety|majority|couple|lot|bunch|"
    "total|range|handful"
)
_A_PLURAL_OK = {
    "number",
    "variety",
    "majority",
    "couple",
    "lot",
    "bunch",
    "total",
    "range",
    "handful",
}
PLURAL_VERB = r"are|were|have|don't|aren't|weren't|haven't|do"
SINGULAR_VERB = r"is|was|has|does|doesn't|isn't|wasn't|hasn't"
_TO_SINGULAR = {
    "are": "is",
    "were": "was",
    "have": "has",
    "do": "does",
    "don't": "doesn't",
    "aren't": "isn't",
    "weren't": "wasn't",
    "haven't": "hasn't",
}
_TO_PLURAL = {v: k for k, v in _TO_SINGULAR.items()}
_STOP_MID = frozenset(
    """that which who whom whose where when we you they i he she it there this these those
    and or but if as than then will would can could should may might must
    is are was were be been being have has had do does did the a an""".split()
)
NOT_SINGULAR_NOUN = frozenset(
    """data media criteria people staff police team personnel majority following above latter
    former remaining rest same first last best only other new old most latest few more less
    many both two three four five six seven eight nine ten one ones what whatever who which
    way will would can could should may might must shall also only just then there here
    that this those these they we you i he she it all some any each every no not""".split()
)
_PREP = r"in|on|of|from|with|under|at|for|inside|within|across|behind|on top of"
_DET = r"the|a|an|this|that|our|your|its|their|each|every|my|his|her|another|any|some"
_FOLLOW_VERB = (
    r"(?=" + WS + r"(?:the|a|an|on|in|with|to|from|for|its|their|your|our|this|that|them|it|"
    r"is|are|all|every|each|some|any|no|only|both|at|by|up|out|down|over|one|two|more|"
    r"much|several|many|its|his|her|my)\b)"
)

_AGREE_COLLECTIVE = re.compile(
    r"(?P<det>"
    + lead("the this that a an each every one")
    + ")"
    + WS
    + r"(?P<head>"
    + COLLECTIVE
    + r")"
    + WS
    + r"of(?P<mid>(?:"
    + WS
    + W
    + r"){1,2}?)"
    + WS
    + r"(?P<verb>"
    + PLURAL_VERB
    + r")\b"
)
_AGREE_EACH_OF = re.compile(
    r"(?P<q>"
    + lead("each either neither one")
    + ")"
    + WS
    + r"of"
    + WS
    + r"(?:(?:the|these|those|our|your|their|its|all|my|his|her|them|us)(?:"
    + WS
    + W
    + r"){0,2}?)"
    + WS
    + r"(?P<verb>"
    + PLURAL_VERB
    + r"|need)\b"
)
_AGREE_EACH = re.compile(
    lead("each every") + WS + r"(?P<noun>[a-z]+)" + WS + r"(?P<verb>" + PLURAL_VERB + r")\b"
)
_AGREE_PLURAL_SUBJ = re.compile(
    lead("the these those all many some both several our your their most few")
    + WS
    + r"(?:(?P<mod>[A-Za-z][\w-]*)"
    + WS
    + r")?(?P<noun>[a-z]+s)"
    + WS
    + r"(?P<verb>"
    + SINGULAR_VERB
    + r")\b"
)
_AGREE_SINGULAR_SUBJ = re.compile(
    lead("the this that")
    + WS
    + r"(?:(?P<mod>[a-z][\w-]*)"
    + WS
    + r")?(?P<noun>[a-z]+[^s\W])"
    + WS
    + r"(?P<verb>are|were|have|aren't|weren't|haven't|do|don't)\b"
)
_AGREE_PREP = re.compile(
    lead("the these those all many some our your their most")
    + WS
    + r"(?:[A-Za-z][\w-]*"
    + WS
    + r")?(?P<noun>[a-z]+s)"
    + WS
    + r"(?:"
    + _PREP
    + r")"
    + WS
    + r"(?:"
    + _DET
    + r")"
    + WS
    + r"(?:(?P<pre>[A-Za-z][\w-]*)"
    + WS
    + r")?(?P<obj>[A-Za-z][\w-]*)"
    + WS
    + r"(?P<verb>(?:is|was|has|doesn't|isn't|wasn't|hasn't)\b|[a-z]+s\b"
    + _FOLLOW_VERB
    + r")"
)
_AGREE_INITIAL_PLURAL = re.compile(
    r"(?P<noun>[A-Z][a-z]+s)"
    + WS
    + r"(?:"
    + _PREP
    + r"|to|about|between|among|into|onto)"
    + WS
    + r"(?:(?:"
    + _DET
    + r"|another|any|some|one|all)"
    + WS
    + r")?(?P<mid>(?:[A-Za-z][\w-]*"
    + WS
    + r"){0,2}?)(?P<verb>is|was|has|isn't|wasn't|hasn't|doesn't)\b"
)
_AGREE_PARTS_OF = re.compile(
    lead("of", upper=False)
    + WS
    + r"(?:"
    + _DET
    + r")"
    + WS
    + r"(?P<obj>[A-Za-z][\w-]*)"
    + WS
    + r"(?P<verb>[a-z]+s|doesn't|isn't|wasn't|hasn't)\b"
    + _FOLLOW_VERB
)
_HEAD_BEFORE_OF = re.compile(r"(?<![\w'’-])(?P<noun>[A-Za-z][a-z]+s)" + WS + r"$")
_AGREE_PRONOUN = re.compile(
    r"(?P<pro>"
    + lead("he she it they we you")
    + r")"
    + WS
    + r"(?P<verb>don't|are|were|aren't|weren't|haven't|is|was|has|does|doesn't|isn't|wasn't|"
    r"hasn't)\b"
)
_QUESTION_BEFORE = re.compile(
    r"\b(does|did|do|will|would|can|could|should|to|let|make|makes|made|help|helps|have|has|"
    r"had|is|was|are|were)" + WS + r"$",
    re.IGNORECASE,
)
_QUANTIFIER_HEADS = frozenset(
    "lots tons plenty kinds sorts types bits loads dozens hundreds thousands millions".split()
)


# A preposition right before a word: its object is a noun phrase (agreement: "the list of
# nodes are"; its: "to its right", "on its own" are never "it is").
_PREPOSITION_BEFORE = re.compile(
    r"\b(of|in|on|for|from|with|by|to|at|into|onto|under|over|about|between|among|through|"
    r"across|within|without|behind|than|like|via|per)" + WS + r"$",
    re.IGNORECASE,
)


_DEGREE_BEFORE = re.compile(r"\b(?:too|so|as|very|that)" + WS + r"$", re.IGNORECASE)


def _after_preposition(text: str, start: int) -> bool:
    return _PREPOSITION_BEFORE.search(text, max(0, start - 16), start) is not None


_HEAD_PREP_BEFORE = re.compile(
    r"(?:^|[ \t\n(])(?:[Tt]he|[Aa]n?|[Tt]his|[Tt]hat|[Ee]ach|[Ee]very|[Ii]ts|[Oo]ur|[Yy]our|"
    r"[Tt]heir)"
    + WS
    + r"(?:[A-Za-z][\w-]*"
    + WS
    + r")?(?P<head>[a-z]+)"
    + WS
    + r"(?:of|in|on|for|from|with|to|at|under|inside|within)"
    + WS
    + r"$"
)


_QUANTIFIER_OF = re.compile(
    r"\b(?:[Ff]ew|[Mm]any|[Ss]everal|[Bb]oth|[Aa]ll|[Ss]ome|[Mm]ost)" + WS + r"of" + WS + r"$"
)


def _repeated_before(text: str, m: re.Match[str]) -> bool:
    first = re.match(r"[A-Za-z]+", m.group())
    if first is None:
        return False
    before = re.search(r"([A-Za-z]+)" + WS + "$", text[max(0, m.start() - 20) : m.start()])
    return before is not None and before.group(1).lower() == first.group().lower()


def _singular_head_before(text: str, start: int) -> bool:
    """ "The output of [the job are]": the real subject, before the preposition, is a
    singular noun introduced by a determiner."""
    m = _HEAD_PREP_BEFORE.search(text, max(0, start - 50), start)
    if m is None:
        return False
    head = m.group("head")
    if head.endswith(("ed", "ing")):
        return False  # "The steps outlined in this example are": a participle, not the head
    return not _plural_noun(head) and head not in NOT_SINGULAR_NOUN and head not in _STOP_MID


def _is_verb_s(ctx: Context, verb: str) -> bool:
    if verb in ("is", "was", "has", "does", "doesn't", "isn't", "wasn't", "hasn't"):
        return True
    if not _plural_noun(verb) and not verb.endswith("ies"):
        return False
    stems = [verb[:-1]]
    if verb.endswith("es"):
        stems.append(verb[:-2])
    if verb.endswith("ies"):
        stems.append(verb[:-3] + "y")
    return _verb_stem_known(ctx, stems)


def _plural_of(verb: str) -> str:
    if verb in _TO_PLURAL:
        return _TO_PLURAL[verb]
    if verb.endswith("ies"):
        return verb[:-3] + "y"
    if verb.endswith(("ches", "shes", "sses", "xes", "zes")):
        return verb[:-2]
    return verb[:-1]


_PARENS = re.compile(r"\([^()\n\u00b6]{1,80}\)")
_CLAUSE_START = re.compile(r"[.!?:;\u00b6]|\n[ \t]*\n")
_COORDINATION = re.compile(r"\b(?:and|or|nor|both|either|neither|plus)\b", re.IGNORECASE)
_RELATIVE = re.compile(r"\b(?:who|whom|whose|which|that|where)\b", re.IGNORECASE)
_WORD_BEFORE = re.compile(r"([A-Za-z']+)" + WS + r"$")
_ONE_OF = re.compile(r"\b(?:one|each|none|neither|either)\s+of\b", re.IGNORECASE)
_FREE_RELATIVE = re.compile(r"\b(?:what|whatever|all)\b", re.IGNORECASE)
_SUBJUNCTIVE = re.compile(r"\b(?:if|as though|wish|unless|suppose)\b", re.IGNORECASE)
_WERE = frozenset({"were", "weren't", "weren’t"})  # the subjunctive, also negated
_HOW_MANY = re.compile(r"\bhow\s+(?:many|much)\b", re.IGNORECASE)
_OBJECT_VERBS = frozenset(
    """let lets letting make makes made making help helps helped helping have has had see sees
    saw watch watches hear hears can could will would should may might must do does did
    cannot""".split()
)


def blank_parentheticals(text: str) -> str:
    """ "the repo (namely DNS management) depends": the parenthetical becomes spaces (same
    length, so positions stay), and the subject sits next to its verb again."""
    return _PARENS.sub(_blank_parenthetical, text)


# "the queue (and Redis) are ready": a parenthetical that adds a subject coordinates it; its
# words stay (brackets become spaces) so that the coordination is seen.
_ADDS_SUBJECT = re.compile(r"\(\s*(?:and|or|plus|as well as|along with|together with)\b", re.I)


def _blank_parenthetical(m: re.Match[str]) -> str:
    if _ADDS_SUBJECT.match(m.group()):
        return " " + m.group()[1:-1] + " "
    return " " * len(m.group())


def _clause_before(text: str, start: int) -> str:
    """The text of the sentence (clause) before `start`, at most 120 characters."""
    lo = max(0, start - 120)
    before = text[lo:start]
    cut = 0
    for m in _CLAUSE_START.finditer(before):
        cut = m.end()
    return before[cut:]


def subject_is_object(ctx: Context, text: str, start: int) -> bool:
    """The noun phrase at `start` is not (alone) the subject of the verb after it: it follows
    a coordination ("The text and the value are"), a relative pronoun ("users who run the
    job have"), or a verb that takes an object and a bare verb ("let the browser do")."""
    clause = _clause_before(text, start)
    if _COORDINATION.search(clause) or _RELATIVE.search(clause):
        return True
    if _HOW_MANY.search(clause):
        return True  # "How many responses is enough?"
    w = _WORD_BEFORE.search(clause)
    if w is None:
        return False
    word = w.group(1).lower()
    if word.endswith(("ing", "ed")) and len(word) > 4:
        return True  # "Understanding these disabilities is", "generated using this X are"
    return word in _OBJECT_VERBS or (word not in _STOP_MID and ctx.lexicon.verb(word))


def _at_line_start_lower(text: str, start: int) -> bool:
    """A lowercase "this flag are" at the start of a line continues a sentence whose subject
    is on the line before (after a masked code span or a line break): undecidable."""
    j = start - 1
    while j >= 0 and text[j] in " \t":
        j -= 1
    return (
        j >= 0
        and text[j] == "\n"
        and text[start].islower()
        and _TOKEN_LINE.search(text, max(0, j - 60), j) is not None
    )


_TOKEN_LINE = re.compile(r"\u00a7[^\n]*$")


# Nouns whose plural is the singular ("the emoji are", "the sheep are"): their number is
# read from the verb, never judged.
INVARIANT_PLURALS = frozenset(
    """emoji kanji sheep deer fish aircraft spacecraft hovercraft offspring moose bison salmon
    trout swine cattle""".split()
)


def _irregular_plural(ctx: Context, noun: str) -> bool:
    return noun in NOT_SINGULAR_NOUN or noun in INVARIANT_PLURALS or ctx.lexicon.plural_noun(noun)


# Words that make the noun phrase after them plural: its last `-s` word is the head noun
# ("the various image formats"), not a verb whose subject is the word before it.
_PLURAL_PREMODIFIERS = frozenset(
    "various different multiple several many numerous both few these those".split()
)


# What may stand between the start of a clause and the subject it opens: "if", "even if",
# "but", "Note that", a determiner or quantifier ("Some parts of ...").
_CLAUSE_OPENERS = frozenset(
    """if even when whenever because since although though while unless until once so but and
    or then however also thus therefore hence now note that as after before where whereas
    otherwise instead yet still only too
    the a an this these those some all most many several both few each every any no our your
    their its my his her""".split()
)
_SUBORDINATORS = frozenset(
    "if when whenever because since although though unless until once whereas".split()
)
# A code token (§) cuts a clause only where no word leads into it: "with a lowercase `x` as
# the check digit are" keeps its head "Numbers" (the token sits inside the phrase).
_CLAUSE_CUT = re.compile(r"[,\u2014\u2013(]|(?<![\w'’][ \t])\u00a7|\s-\s")
_OBJECT_START = frozenset(
    """the a an its their your our his her my this these those one two all every each
    some any no them it more much several many both only""".split()
)
_AUXILIARY_S = frozenset("is was has does doesn't isn't wasn't hasn't".split())


def _opens_clause(text: str, start: int) -> bool:
    """Strong evidence only: the subject noun phrase at `start` opens its clause (after a
    sentence start, a comma or dash, and at most a conjunction and a determiner), so it is not
    the object of a verb or preposition earlier in the sentence ("the need to monkeypatch
    your own classes is", "handling all these differences is", "results of the tests are")."""
    clause = _clause_before(text, start)
    cut = 0
    for m in _CLAUSE_CUT.finditer(clause):
        cut = m.end()
    words = [w.lower() for w in re.findall(r"[A-Za-z'’]+", clause[cut:])]
    # "the request is not sent until all preceding requests ... has": a subordinate clause
    # opens at its conjunction, whatever the main clause before it says.
    last = max((i for i, w in enumerate(words) if w in _SUBORDINATORS), default=-1)
    return all(w in _CLAUSE_OPENERS for w in words[last + 1 :])


def _verb_takes_object(text: str, end: int) -> bool:
    """ "shares the same storage", "depends on": a word that is a plural noun as often as a
    verb ("values", "sources", "tests") is read as the verb only before its object."""
    nxt = _NEXT_WORD.match(text, end)
    return nxt is not None and nxt.group(1).lower() in _OBJECT_START


@check("agreement")
def agreement(text: str, ctx: Context) -> Iterator[Match]:
    seen: set[int] = set()
    text = blank_parentheticals(text)

    def emit(start: int, end: int, suggestion: str, subject: int | None) -> Iterator[Match]:
        # A personal pronoun is its own subject wherever it stands ("which means it are"):
        # `subject` None skips the clause-opening test that noun phrases need.
        if start not in seen and (subject is None or _opens_clause(text, subject)):
            seen.add(start)
            yield Match(start, end, suggestion)

    for m in scan(_AGREE_COLLECTIVE, text):
        det, head = m.group("det").lower(), m.group("head")
        mid = m.group("mid").split()
        if det in ("a", "an") and head in _A_PLURAL_OK:
            continue
        if head in ("majority", "couple", "lot", "bunch", "handful"):
            continue
        if any(w.lower() in _STOP_MID for w in mid):
            continue
        if subject_is_object(ctx, text, m.start()):
            continue
        v = m.group("verb")
        yield from emit(m.start("verb"), m.end("verb"), _TO_SINGULAR[v], m.start())
    for m in scan(_AGREE_EACH_OF, text):
        if subject_is_object(ctx, text, m.start()):
            continue
        if m.group("q").lower() in ("neither", "either"):
            continue  # "neither of these files need to": a plural verb is common usage
        v = m.group("verb")
        yield from emit(m.start("verb"), m.end("verb"), _TO_SINGULAR.get(v, "needs"), m.start())
    for m in scan(_AGREE_EACH, text):
        if _after_preposition(text, m.start()):
            continue  # "labels falling into each category have"
        noun = m.group("noun")
        if noun.endswith("s") or noun in NOT_SINGULAR_NOUN or noun in ("time", "day", "week"):
            continue
        if _irregular_plural(ctx, noun) or subject_is_object(ctx, text, m.start()):
            continue
        v = m.group("verb")
        yield from emit(m.start("verb"), m.end("verb"), _TO_SINGULAR[v], m.start())
    for m in scan(_AGREE_PLURAL_SUBJ, text):
        subject = m.start()
        if _after_preposition(text, m.start()):
            quantifier = _QUANTIFIER_OF.search(text, max(0, m.start() - 20), m.start())
            if quantifier is None:
                continue
            subject = quantifier.start()  # "A few of our projects is"
        degree = _DEGREE_BEFORE.search(text, max(0, m.start() - 12), m.start())
        if degree is not None and _after_preposition(text, degree.start()):
            continue  # "a module with too many dependencies is": the object of "with"
        noun = m.group("noun")
        if not _plural_noun(noun) or not ctx.lexicon.maybe_plural(noun):
            continue
        mod = m.group("mod")
        if mod and (mod.lower() in _STOP_MID or mod.lower() in ("of", "to", "in", "on", "for")):
            continue
        clause = _clause_before(text, m.start())
        if _RELATIVE.search(clause) or _HOW_MANY.search(clause + text[m.start() : m.end()]):
            continue  # "users who ...", "How many responses is enough?"
        if _ONE_OF.search(clause + text[m.start() : m.end()]):
            continue  # "One of Fastify's most distinguishable features is": "one" is the subject
        w = _WORD_BEFORE.search(clause)
        if w is not None and w.group(1).lower().endswith("ing") and len(w.group(1)) > 4:
            continue  # "Understanding these disabilities is": a gerund is the subject
        if subject_is_object(ctx, text, m.start()):
            continue  # "the way it launches these subprocesses isn't": an object
        v = m.group("verb")
        yield from emit(m.start("verb"), m.end("verb"), _plural_of(v), subject)
    for m in scan(_AGREE_SINGULAR_SUBJ, text):
        if m.group("verb") in _WERE and _SUBJUNCTIVE.search(_clause_before(text, m.start())):
            continue  # "If the dependence were on 0.4": a subjunctive
        if _repeated_before(text, m):
            continue  # "in the the cluster have": the repeated word is the error
        subject = m.start()
        if _after_preposition(text, m.start()):
            if not _singular_head_before(text, m.start()):
                continue
            head = _HEAD_PREP_BEFORE.search(text, max(0, m.start() - 50), m.start())
            subject = head.start() if head is not None else subject  # "The output of [...]"
        noun = m.group("noun")
        mod = m.group("mod")
        if noun in NOT_SINGULAR_NOUN or noun.endswith(("ing", "ed")):
            continue
        if mod and (mod in NOT_SINGULAR_NOUN or mod in _STOP_MID):
            continue
        if noun in _STOP_MID or len(noun) < 3 or _irregular_plural(ctx, noun):
            continue
        if noun.endswith("ly") or (mod and mod.endswith("ly")):
            continue  # "that quietly do": an adverb, not a noun
        if noun.endswith(("able", "ible")) or (mod and ctx.lexicon.plural_noun(mod)):
            continue  # "The flags available are": the head is the plural noun before
        det = text[m.start() : m.start() + 4].lower()
        if det == "that" and not _sentence_start(text, m.start()):
            continue  # "responses that already have": a relative pronoun
        if subject_is_object(ctx, text, m.start()) or _at_line_start_lower(text, m.start()):
            continue
        if subject_is_object(ctx, text, m.start()):
            continue
        v = m.group("verb")
        yield from emit(m.start("verb"), m.end("verb"), _TO_SINGULAR[v], subject)
    for rx in (_AGREE_PREP, _AGREE_PARTS_OF):
        for m in scan(rx, text):
            if rx is _AGREE_PARTS_OF:
                hm = _HEAD_BEFORE_OF.search(text, max(0, m.start() - 40), m.start())
                if hm is None:
                    continue
                noun = hm.group("noun")
                head_start = hm.start("noun")
            else:
                noun = m.group("noun")
                head_start = m.start()
                if _after_preposition(text, m.start()) and not _QUANTIFIER_OF.search(
                    text, max(0, m.start() - 20), m.start()
                ):
                    continue  # "The content of the files inside the template is": "content"
            if not _plural_noun(noun.lower()) or noun.lower() in _QUANTIFIER_HEADS:
                continue
            if not ctx.lexicon.maybe_plural(noun):
                continue
            obj = m.group("obj")
            if obj.lower() in _STOP_MID or obj.lower().endswith(("ed", "ing")):
                continue  # "with any authenticated accounts that": a participle, a noun
            v = m.group("verb")
            if not _is_verb_s(ctx, v):
                continue
            pre = (m.groupdict().get("pre") or "").lower()
            if pre in _PLURAL_PREMODIFIERS and v not in _TO_PLURAL and not _plural_noun(obj):
                continue  # "for the various image formats that": a plural head noun, no verb
            if _RELATIVE.search(_clause_before(text, head_start)):
                continue
            if (
                v not in _AUXILIARY_S
                and ctx.lexicon.plural_noun(v)
                and not _verb_takes_object(text, m.end("verb"))
            ):
                continue  # "of the specific values that", "the data sources in": a noun
            yield from emit(m.start("verb"), m.end("verb"), _plural_of(v), head_start)
    for m in scan(_AGREE_INITIAL_PLURAL, text):
        if not _sentence_start(text, m.start()) or not ctx.lexicon.plural_noun(m.group("noun")):
            continue
        mid = m.group("mid").split()
        # A later word of the noun phrase may be a verb form too ("the main branch", "the
        # build cache"): right before "is" it is the head noun, so only stop words count.
        if any(w.lower() in _STOP_MID for w in mid[1:]):
            continue
        if mid and (mid[0].lower() in _STOP_MID or ctx.lexicon.verb_s(mid[0])):
            continue
        v = m.group("verb")
        yield from emit(m.start("verb"), m.end("verb"), _plural_of(v), m.start())
    for m in scan(_AGREE_PRONOUN, text):
        if _QUESTION_BEFORE.search(text, max(0, m.start() - 12), m.start()):
            continue
        if _after_preposition(text, m.start()):
            continue  # "the tarballs within it aren't": an object, not the subject
        if _FREE_RELATIVE.search(_clause_before(text, m.start())):
            continue  # "what I didn't tell you is that": the clause is the subject
        pro, v = m.group("pro").lower(), m.group("verb")
        if m.group("pro")[0].isupper() and not _sentence_start(text, m.start()):
            continue  # "According to Wikipedia, *You* is a pronoun": a word mentioned
        if v in _WERE and _SUBJUNCTIVE.search(_clause_before(text, m.start())):
            continue  # "If it were named so", "if it weren't for them": a subjunctive
        if pro in ("he", "she", "it") and v in _TO_SINGULAR:
            yield from emit(m.start("verb"), m.end("verb"), _TO_SINGULAR[v], None)
        elif pro in ("they", "we", "you") and v in _TO_PLURAL:
            yield from emit(m.start("verb"), m.end("verb"), _TO_PLURAL[v], None)


# --- a dropped verb -----------------------------------------------------------------------

_DROPPED_VERB = re.compile(
    r"(?P<subj>"
    + lead("you we they i he she it users")
    + r")"
    + WS
    + r"(?P<modal>can|could|will|would|should|must|may|might)"
    + r"(?:"
    + WS
    + r"(?:also|then|now|still|only|always|never|easily|first|just|simply|not|all))?"
    + r"(?P<gap>"
    + WS
    + r")(?P<det>the|a|an|your|this|these|those|their|our|its|my)\b"
)


_COMPARISON_BEFORE = re.compile(r"\b(?:like|as|than|unlike)" + WS + r"$", re.IGNORECASE)


@check("missing-verb")
def missing_verb(text: str, ctx: Context) -> Iterator[Match]:
    """ "You can also the status": a modal verb followed by a determiner lost its verb."""
    for m in _DROPPED_VERB.finditer(text):
        if _QUESTION_BEFORE.search(text, max(0, m.start() - 12), m.start()):
            continue
        if _COMPARISON_BEFORE.search(text, max(0, m.start() - 12), m.start()):
            continue  # "treat it like you would a browser": the verb is left out on purpose
        yield Match(m.start("modal"), m.end("det"), None)


# --- punctuation --------------------------------------------------------------------------

_MISSING_SPACE = re.compile(r"[.!?](?=([A-Z][a-z]+)(?![\w(./:@§-]))")
# Words that start sentences (pronouns, determiners, conjunctions, prepositions, sentence
# adverbs, common imperatives): "there.You", "object.The". A capitalised noun after the dot
# ("net.Server", "storage.Image", "global.Buffer") is an identifier, not a new sentence.
SENTENCE_STARTERS = frozenset(
    """the this that these those it its you your we our they their he she his her i if when
    once then in on for to see use run a an each every all some most many no not note but
    and or so as after before while since because however also there here what which who
    how why where please by with at from otherwise now finally first next make set add
    try just only both either neither my me us one any other another such instead even
    still yet thus therefore hence although though unless until do does did is are was
    were be can could will would should may might must let keep check click open go select
    enter install create read visit follow choose type press copy paste start stop sign log
    below above currently sometimes""".split()
)


def _starts_sentence(word: str, speller: Any) -> bool:
    """Could `word` (capitalised, after a dot with no space) begin a new sentence? Yes for
    sentence starters, adverbs and participles ("Currently", "Redirecting"), plurals and
    names unknown to the dictionary ("Partitions", "Terraform"); no for a singular noun or
    adjective ("net.Server", "storage.Image", "stream.Readable": a module and a class)."""
    w = word.lower()
    if w in SENTENCE_STARTERS or not speller.dict.check(w):
        return True
    return w.endswith(("ly", "ing", "ed")) or (w.endswith("s") and not w.endswith("ss"))


_TOKEN_BEFORE = re.compile(r"(?:(?<![\w.@/\\§'’])[a-z]{2,}|\)|[\"”’])$")


@check("missing-space")
def missing_space(text: str, ctx: Context) -> Iterator[Match]:
    for m in _MISSING_SPACE.finditer(text):
        p = m.start()
        before = _TOKEN_BEFORE.search(text, max(0, p - 40), p)
        if before is None:
            continue
        word = before.group()
        if word.isalpha() and not ctx.speller.dict.check(word):
            continue  # "semver.Range": an identifier, not the end of a sentence
        if not _starts_sentence(m.group(1), ctx.speller):
            continue  # "net.Server", "storage.Image": a module and a class
        yield Match(p, p + 1, f"{m.group()} {m.group(1)}", m.group() + " ")


_SPACE_COMMA = re.compile(r",(?<=[ \t],)(?=[ \t\n])")
_COMMA_AFTER = re.compile(r"[\w)\]\"'’§]")


@check("space-before-comma")
def space_before_comma(text: str, ctx: Context) -> Iterator[Match]:
    for m in _SPACE_COMMA.finditer(text):
        start = m.start()
        while start > 0 and text[start - 1] in " \t":
            start -= 1
        if start == 0 or not _COMMA_AFTER.match(text, start - 1):
            continue
        yield Match(start, m.end(), ",", ",")


_DOUBLED = re.compile(r"(,,|;;|\.\.|,\.|,;|;,|!!|\?\?)(?![./,;!?])")


@check("doubled-punctuation")
def doubled_punctuation(text: str, ctx: Context) -> Iterator[Match]:
    for m in _DOUBLED.finditer(text):
        if m.start() > 0 and text[m.start() - 1] in ".,;!?[(":
            continue  # "...", "[..]" (an elision)
        if m.group(1) in ("??", "!!"):
            continue  # emphatic, not a typo
        if m.group(1) == ".." and (
            m.start() == 0 or text[m.start() - 1].isspace() or text[m.start() - 1] == "\u00b6"
        ):
            continue  # "(a, .. etc.)" (an elision), ".. note::" opening a block: no word before
        if m.group(1) == ".." and m.start() > 0 and text[m.start() - 1].isdigit():
            continue  # "0000..0777": a range
        if (
            m.group(1) == ".."
            and m.start() > 0
            and text[m.start() - 1].isalnum()
            and text[m.end() : m.end() + 1].isalnum()
        ):
            continue  # "a try..except block", "a..z": notation between two words, no typo
        pair = m.group(1)
        keep = pair[1] if pair[0] == "," and pair[1] != "," else pair[0]
        yield Match(m.start(), m.end(), keep, keep)


# --- spelling -----------------------------------------------------------------------------

_WORD = re.compile(r"([a-z](?<![\w.@/\\§'’-].)[a-z]*)(?![\w@/\\§'’=-]|\.\w)")


_ALONE_IN_CELL = re.compile(r"[ \t]*(?::?[ \t]*(?:\u00b6|\n|$)|[ \t][-\u2013\u2014][ \t])")
_CELL_BEFORE = re.compile(r"(?:^|\u00b6|\n)[ \t]*$")


# A list of one-token items ("go, golang", "(ejs, pug, handlebars, marko)"): names, not prose.
_LIST_ITEM = re.compile(r"[\w.+#§-]+")
_LIST_OPEN = "\u00b6\n(|[:;"
_LIST_CLOSE = "\u00b6\n)|]:;."


def _in_term_list(text: str, start: int, end: int) -> bool:
    """The word is an item of a comma-separated list whose items are all single tokens,
    between brackets, cell borders, line or block breaks (within 200 characters of the
    word: a list of names is short): a list of names."""
    lo, hi = max(0, start - 200), min(len(text), end + 200)
    left = max(text.rfind(c, lo, start) for c in _LIST_OPEN)
    rights = [i for c in _LIST_CLOSE if (i := text.find(c, end, hi)) >= 0]
    if (left < 0 and lo > 0) or (not rights and hi < len(text)):
        return False
    left += 1
    right = min(rights) if rights else len(text)
    items = [x.strip() for x in text[left:right].split(",")]
    return len(items) >= 2 and all(_LIST_ITEM.fullmatch(x) for x in items)


def _marked_alone(word: str, source: str) -> bool:
    """The word is the whole text of a link or of an emphasis somewhere in the document
    ("[hancar][]", "*crmsh*", "__asort(obj)__"): a name or a mention, not prose."""
    return re.search(rf"(?<![\w])[\[*_]{{1,2}}{re.escape(word)}(?:[\]*_(]|$)", source) is not None


# A person's name and a slash just before a word: a handle in a credit line.
_CREDIT_BEFORE = re.compile(r"[A-Z][\w.'’-]*[ \t]+/[ \t]*$")


def _name_by_context(text: str, m: re.Match[str], source: str) -> bool:
    """The word's surroundings say it is a name or an identifier (see `spelling`);
    `source` is the document's source in lowercase."""
    start, end = m.start(1), m.end(1)
    after = text[end : end + 1]
    if after == "(" and not text.startswith(("(s)", "(es)"), end):
        return True  # "asort(obj)": a function; "recieve(s)" is a word and its plural
    if text[start - 1 : start] == "(" and after == ")":
        return True  # "(httpx)": one word in parentheses is a mention
    if re.search(rf"(?<![a-z]){re.escape(m.group(1))}</a>", source):
        return True  # "thanks to <a href=...>jeffrey n. carre</a>": the end of a link's text
    if _CREDIT_BEFORE.search(text, max(0, start - 80), start):
        return True  # "Chris Wanstrath / defunkt": a person's handle
    if "," in text[max(0, start - 80) : end + 80] and _in_term_list(text, start, end):
        return True
    return _marked_alone(m.group(1), source)


@check("spelling")
def spelling(text: str, ctx: Context) -> Iterator[Match]:
    sp = ctx.speller
    unknown: dict[str, list[re.Match[str]]] = {}
    slips = misspellings()
    for m in _WORD.finditer(text):
        word = m.group(1)
        if word in slips:  # "withing", "recored": known to a dictionary, still a slip
            yield Match(m.start(1), m.end(1), slips[word])
            continue
        if len(word) < 4 or word in ctx.names or sp.known(word):
            continue
        unknown.setdefault(word, []).append(m)
    if not unknown:
        return
    phrase_words, phrase_rx = phrases()
    if any(w in phrase_words for w in unknown):
        spans = [p.span() for p in phrase_rx.finditer(text)]
        for word in [w for w in unknown if w in phrase_words]:
            unknown[word] = [
                m for m in unknown[word] if not any(a <= m.start() < b for a, b in spans)
            ]
            if not unknown[word]:
                del unknown[word]  # "de facto", "lingua franca": a borrowed phrase
    source = ctx.source.lower()
    counts = page_counts(ctx.source)
    for word, ms in unknown.items():
        times = (
            counts[word]
            if _ALNUM_LOWER.fullmatch(word)
            else len(re.findall(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", source))
        )
        if times > 1 and (
            times > REPEATED_SLIP_TIMES
            or not sp.repeated_slip(word, page_words(ctx.source))
            or re.search(rf"(?<![\w.-]){word.capitalize()}(?![\w-])", ctx.source)
        ):
            # The same unknown word twice in a document is jargon, not a typo; so is one also
            # in code, a URL or a path of the page ("[aiogram](.../aiogram)"): a name. Not
            # inside a longer word ("attemp" on a page that writes "attempt" is a slip), and
            # not a long slip whose correction the page writes too ("explicitely" twice
            # beside "explicitly"), unless the page also capitalises it ("Patreon"): a name.
            # A word written more often than that is the page's word whatever its shape.
            continue
        for m in ms:
            yield from _spelling_at(text, m, source, ctx)


REPEATED_SLIP_TIMES = 3  # a slip is repeated by copying a sentence or two, not a page through


def _spelling_at(text: str, m: re.Match[str], source: str, ctx: Context) -> Iterator[Match]:
    """The finding on one unknown word, or nothing when its context or shape says name."""
    sp = ctx.speller
    word = m.group(1)
    if _ALONE_IN_CELL.match(text[m.end(1) :]) and _CELL_BEFORE.search(text, 0, m.start(1)):
        return  # a table cell or list item of one word ("| faustman |", "* adduser:"): a name
    if text[m.start(1) - 1 : m.start(1)] + text[m.end(1) : m.end(1) + 1] in ('""', "“”"):
        return  # one word in quotes is a mention or a name ('named "ninaa"'), not prose
    suggestion = sp.suggest(word)
    if suggestion is None or _name_by_context(text, m, source):
        return
    suggestion = sp.slip(word, suggestion, page_words(ctx.source))
    if suggestion is None:
        return
    if len(word) == 4 and sorted(word) != sorted(suggestion.lower()):
        return  # "zlib", "noop", "reqs", "quic": four letters are names and abbreviations
    yield Match(m.start(1), m.end(1), suggestion)
