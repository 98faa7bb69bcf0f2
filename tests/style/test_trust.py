"""Issue 17: severity with meaning, safe fixes, false-positive classes, unreadable and large
files. Each test names the defect it guards against."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.style.test_cli import _in
from watcloud.style.config import StyleConfig
from watcloud.style.engine import Checker
from watcloud.style.rules import ERROR_MIN_FINDINGS, ERROR_PRECISION, default_rules
from watcloud.style.workflow import apply_fixes, blocks

# The opt-in rules (severity suggestion: agreement, space-before-comma) on too: their
# classes, what they must find and what they must leave alone, are tested here.
CHECKER = Checker(StyleConfig(enable=["agreement", "space-before-comma"]))
ALL_ERRORS = Checker(
    StyleConfig(
        severity={r.code: "error" for r in default_rules() if r.kind in ("builtin", "repetition")}
    )
)


def _rules(text: str, checker: Checker = CHECKER) -> list[tuple[str, str]]:
    return [(f.rule, f.matched) for f in checker.check_text(text, "t.md")]


# --- severity with meaning ----------------------------------------------------------------


def test_only_rules_with_measured_precision_fail_a_build() -> None:
    for rule in default_rules():
        assert rule.measured is not None, f"{rule.code}: no measured precision"
        assert rule.measured.corpus, rule.code
        if rule.severity == "error" and rule.measured.basis == "measured":
            p = rule.measured.precision
            assert p is not None and p >= ERROR_PRECISION, (rule.code, p)
            assert rule.measured.findings >= ERROR_MIN_FINDINGS, rule.code
        if rule.measured.basis == "house rule":
            assert rule.kind == "substitution" and all(
                "\\" not in k and "[" not in k for k in rule.swap
            ), rule.code  # literal spellings only
        if rule.measured.precision is not None and rule.measured.findings:
            assert rule.measured.correct <= rule.measured.findings


OPT_IN = ("agreement", "space-before-comma")  # under 50% on session 4's held-out rounds
SLIPS = "The list of nodes are on the page. Add the nodes , then the disks.\n"


def test_rules_under_half_right_on_held_out_docs_are_opt_in() -> None:
    """The default rule set: a rule is shown by default only once it has earned it on
    held-out docs (pooled precision >= 50% over session 4's four held-out rounds)."""
    pooled = [
        r for r in default_rules() if r.measured and "four held-out rounds" in r.measured.corpus
    ]
    assert {r.code for r in pooled} >= {*OPT_IN, "a-an", "its", "repeated-word", "brand-names"}
    for rule in pooled:
        m = rule.measured
        assert m is not None
        if m.precision is not None and m.findings >= ERROR_MIN_FINDINGS and m.precision < 0.5:
            assert rule.severity == "suggestion", (rule.code, m.precision)
        if m.findings:
            assert m.precision == round(m.correct / m.findings, 2), rule.code
    for code in OPT_IN:
        assert next(r for r in default_rules() if r.code == code).severity == "suggestion"


def test_agreement_and_space_before_comma_are_off_by_default_and_on_when_enabled() -> None:
    assert [f.rule for f in Checker().check_text(SLIPS, "t.md")] == []
    for settings in (StyleConfig(enable=list(OPT_IN)), StyleConfig(suggestions=True)):
        found = [
            (f.rule, f.matched, f.severity) for f in Checker(settings).check_text(SLIPS, "t.md")
        ]
        assert found == [
            ("agreement", "are", "suggestion"),
            ("space-before-comma", " ,", "suggestion"),
        ]
    only = Checker(StyleConfig(enable=["agreement"])).check_text(SLIPS, "t.md")
    assert [f.rule for f in only] == ["agreement"]
    # Raising its severity turns it on too (and then it counts as that severity).
    raised = Checker(StyleConfig(severity={"agreement": "warning"})).check_text(SLIPS, "t.md")
    assert [(f.rule, f.severity) for f in raised] == [("agreement", "warning")]


def test_fix_only_applies_error_grade_rules() -> None:
    # missing-space has fix data but is a warning (6% measured): shown, never applied.
    warn = CHECKER.check_text("Log in there.You will see it.", "t.md")
    assert [(f.rule, f.severity, f.fix) for f in warn] == [("missing-space", "warning", None)]
    promoted = Checker(StyleConfig(severity={"missing-space": "error"}))
    assert [f.fix for f in promoted.check_text("Log in there.You will see it.", "t.md")] == [". "]


def test_overlapping_fixes_are_never_both_applied() -> None:
    """ "using a a Node.js" must not become "using an Node.js"."""
    for text in ("We are using a a Node.js build.", "We are using an an apple."):
        fixed, _ = apply_fixes(text, ALL_ERRORS.check_text(text, "t.md"))
        assert "an Node" not in fixed and "a apple" not in fixed, fixed
    text = "We are using a a Node.js build."
    assert apply_fixes(text, ALL_ERRORS.check_text(text, "t.md"))[0] == (
        "We are using a Node.js build."
    )


def test_fixes_whose_guards_overlap_keep_only_the_first() -> None:
    from watcloud.style.model import Finding

    def f(start: int, end: int, fix: str, gs: int, ge: int) -> Finding:
        return Finding("t", 1, 1, 1, 1, "r", "error", "m", None, start, end, fix, "a", gs, ge, "")

    text = "x a a y"
    # Disjoint replaced spans, overlapping guards: one fix only.
    out, n = apply_fixes(text, [f(2, 3, "an", 2, 5), f(3, 5, "", 2, 5)])
    assert n == 1 and out == "x an a y"


def test_a_an_is_never_auto_fixed_before_an_acronym() -> None:
    found = ALL_ERRORS.check_text("Add a SSH key.", "t.md")
    assert [(f.rule, f.fix) for f in found] == [("a-an", None)]
    assert [f.fix for f in ALL_ERRORS.check_text("It takes a hour.", "t.md")] == ["an"]


@pytest.mark.parametrize(
    "text",
    [
        "Its possible values are a and b.",  # a letter/variable after the article
        "Build it with an Rspack-powered bundler.",  # sound of the word uncertain
        "Use an npm script.",
        "Send it to a uvloop event loop.",
        "It is a unary operator with a unicode name and a url.",
        "Open an html page.",
        "Put a LICENSES file at the root.",
        # a mixed-case name whose leading capitals are read as a word or as letters
        "Then create a **SQLModel** model, an SQLModel table and a SQLite file.",
        "### Create a SQLModel Model",
        "Use an SQLite database or a JSONPath query.",
    ],
)
def test_a_an_false_positive_classes(text: str) -> None:
    assert "a-an" not in [r for r, _ in _rules(text)]


def test_a_an_mixed_case_names_certain_sound_reported_never_fixed() -> None:
    """Leading capitals that read the same either way are still checked ("a IPython": I +
    Python or IP + ython; "a IPv6": a version, not a word), but a product name's article is
    never rewritten by --fix; ordinary words still are."""
    found = ALL_ERRORS.check_text(
        "Start a IPython shell on a IPv6 host through an UDPv4 socket, an MySQL and "
        "a XMLHttpRequest object, an GraphQL API.",
        "t.md",
    )
    assert [(f.rule, f.suggestion, f.fix) for f in found] == [
        ("a-an", "an IPython", None),
        ("a-an", "an IPv6", None),
        ("a-an", "a UDPv4", None),
        ("a-an", "a MySQL", None),
        ("a-an", "an XMLHttpRequest", None),
        ("a-an", "a GraphQL", None),
    ]
    assert [f.fix for f in ALL_ERRORS.check_text("Eat a apple as an user.", "t.md")] == [
        "an",
        "a",
    ]


# --- false-positive classes and misses ----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The children are optional.",  # irregular plural
        "It can let the browser do some work.",  # let + object + base verb
        "We help the team do it.",
        "The search text and the value of the checkbox are state.",  # coordination
        "People who use the cluster have a home directory.",  # relative clause
        "How many nodes is enough?",
        "Understanding these limits is important.",
        "The tarballs within it aren't corrupt.",
        "If the dependence were on 0.4, it would work.",
    ],
)
def test_agreement_false_positive_classes(text: str) -> None:
    assert "agreement" not in [r for r, _ in _rules(text)]


@pytest.mark.parametrize(
    "text",
    [
        "If it were named after the node, it would be easier.",  # a subjunctive
        "According to the guide, ***You*** is a pronoun.",  # a capitalised pronoun mid-sentence
    ],
)
def test_agreement_pronoun_subjunctive_and_mention(text: str) -> None:
    assert "agreement" not in [r for r, _ in _rules(text)]
    assert [r for r, _ in _rules("They is ready. It were late, and so you is.")] == [
        "agreement",
        "agreement",
        "agreement",
    ]


@pytest.mark.parametrize(
    ("text", "verb"),
    [
        ("Some parts of the repo (namely DNS management) depends on it.", "depends"),
        ("Changes to another VM is shown in the log.", "is"),
        ("Each of these issues have to be triaged.", "have"),
    ],
)
def test_agreement_misses_now_caught(text: str, verb: str) -> None:
    assert ("agreement", verb) in _rules(text)


def test_its_possessive_before_a_noun() -> None:
    for text in (
        "Its possible values are on and off.",
        "Black does its best to keep it.",
        "By its very nature it races.",
        "It's for packages that ship docs.",
    ):
        assert "its" not in [r for r, _ in _rules(text)], text
    assert ("its", "Its") in _rules("Its not a problem.")


def test_repeated_word_so_that_that_and_lorem_ipsum() -> None:
    assert _rules("Add a check so that that value is set.") == []
    lorem = "Lorem ipsum dolor sit amet, the the consectetur adipiscing elit, sed do eiusmod.\n"
    assert _rules(lorem) == []
    assert _rules("This is the the cluster.") == [("repeated-word", " the")]


def test_spelling_technical_words_and_two_letter_typos() -> None:
    ok = "The frontend memoizes the navbar state with a regex, apps run, and vice versa."
    assert _rules(ok) == []
    found = {
        (f.matched, f.suggestion)
        for f in CHECKER.check_text("It needs an addititional flag. One aspectis gone.", "t.md")
    }
    assert found == {("addititional", "additional"), ("aspectis", "aspect is")}


def test_spelling_misdoubled_letters_are_not_affixed_forms() -> None:
    """ "occured" is not occur + ed, nor "untill" un + till: a common word with a letter
    doubled or undoubled is a misspelling; real affixed forms still pass."""
    found = {
        (f.matched, f.suggestion)
        for f in CHECKER.check_text(
            "It occured twice, begining with a refered node; wait untill it is truely done.",
            "t.md",
        )
    }
    assert found == {
        ("occured", "occurred"),
        ("begining", "beginning"),
        ("refered", "referred"),
        ("untill", "until"),
        ("truely", "truly"),
    }
    assert _rules("The versioned files were gzipped, unmounted, rebased and memoized.") == []


def test_spelling_contractions_without_apostrophe_and_wrongly_joined_words() -> None:
    """codespell's real finds the speller missed: "doesnt", "everytime" (the compound rule
    read it as every + time)."""
    found = {
        (f.matched, f.suggestion)
        for f in CHECKER.check_text("It doesnt run everytime, only atleast once.", "t.md")
    }
    assert found == {("doesnt", "doesn't"), ("everytime", "every time"), ("atleast", "at least")}
    assert _rules("Every time it runs at least once; it doesn't stop.") == []


def test_spelling_one_quoted_word_is_a_mention() -> None:
    assert _rules('If it were named "configuraton", fix the “enviroment” typo.') == []
    assert _rules("If it were named configuraton, the enviroment is wrong.") == [
        ("spelling", "configuraton"),
        ("spelling", "enviroment"),
    ]


def test_split_compound_and_dropped_verb() -> None:
    assert ("split-compound", "safe guards") in _rules("These safe guards work.")
    assert ("missing-verb", "can also the") in _rules("You can also the status of a job.")
    assert _rules("How can the user see it?") == []


def test_project_vocabulary_extends_spelling() -> None:
    text = "Run the wattool command."
    assert [r for r, _ in _rules(text)] == []  # no close English word: not reported
    assert _rules("The clsuter is down.") == [("spelling", "clsuter")]
    own = Checker(StyleConfig.model_validate({"vocabulary": {"accept": ["clsuter"]}}))
    assert _rules("The clsuter is down.", own) == []


def test_spelling_reads_the_documents_own_name_as_a_name() -> None:
    """ "# expresso // adapters": the document's subject (a lowercase first word of its first
    heading) is a name; a typo elsewhere in a heading, or later in the title, is not."""
    assert _rules("# expresso // adapters\n\nThe modules handle requests.\n") == []
    assert _rules("# Guide\n\n## expresso // adapters\n") == [("spelling", "expresso")]
    assert _rules("# The clsuter guide\n") == [("spelling", "clsuter")]


def test_spelling_reads_the_projects_manifest_name_and_path(
    run_watcloud: Any, tmp_path: Path
) -> None:
    """The name in package.json / pyproject.toml above a document, and the words of its
    path, are names; without them the same word is reported."""
    from watcloud.style.workflow import project_names

    doc = "# Adapters\n\nThe expresso modules handle requests.\n"
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "README.md").write_text(doc, "utf-8")
    r = _in(run_watcloud, tmp_path / "bare")
    assert "spelling 'expresso'" in r.stdout, r.stdout + r.stderr
    pkg = tmp_path / "pkg"
    (pkg / ".git").mkdir(parents=True)
    (pkg / "package.json").write_text('{"name": "@scope/expresso-lite"}', "utf-8")
    (pkg / "lib" / "adapters").mkdir(parents=True)
    (pkg / "lib" / "adapters" / "README.md").write_text(doc, "utf-8")
    assert project_names(pkg / "lib" / "adapters" / "README.md") == {"scope", "expresso", "lite"}
    r = _in(run_watcloud, pkg)
    assert r.returncode == 0 and r.stdout == "", r.stdout + r.stderr
    py = tmp_path / "py"
    (py / "docs").mkdir(parents=True)
    (py / "pyproject.toml").write_text('[project]\nname = "sqlmodelx"\n', "utf-8")
    (py / "setup.cfg").write_text("[metadata\nbroken", "utf-8")  # unparsable: names nothing
    (py / "docs" / "index.md").write_text("Use sqlmodelx and the expresso engine.\n", "utf-8")
    assert {"sqlmodelx"} <= project_names(py / "docs" / "index.md")
    r = _in(run_watcloud, py)
    assert "sqlmodelx" not in r.stdout and "spelling 'expresso'" in r.stdout, r.stdout + r.stderr
    (py / "docs" / "expresso.md").write_text("Use the expresso engine.\n", "utf-8")
    r = _in(run_watcloud, py, "docs/expresso.md")
    assert r.returncode == 0 and r.stdout == "", r.stdout + r.stderr


# --- false-positive classes of dev-f (session 4) ------------------------------------------


def test_indented_code_in_markdown_is_not_prose() -> None:
    """A command line in a four-space indented code block ("terser js/a.js js/b.js",
    "make / make test") was checked as prose and failed the build as a repeated word."""
    doc = "For example:\n\n    terser js/file1.js js/file2.js\n    make\n    make test\n\nDone.\n"
    assert _rules(doc) == []
    # MDX has no indented code blocks; in Markdown a list item's continuation, a tab's or an
    # admonition's four-space body is prose, and code only four columns further in.
    assert _rules("Text:\n\n    the the end\n") == []
    assert [f.rule for f in CHECKER.check_text("Text:\n\n    the the end\n", "t.mdx")] == [
        "repeated-word"
    ]
    for doc in (
        "- item\n\n    continued with the the text\n",
        '=== "Tab"\n\n    Body with the the text\n',
        "!!! note\n    Body with the the text\n",
        "Para\n    lazy continuation with the the text\n",
    ):
        assert _rules(doc) == [("repeated-word", " the")], doc
    assert _rules("- item\n\n        code code\n") == []


def test_tab_and_block_titles_end_at_their_line() -> None:
    """`=== "pip"` or `/// tab | Twemoji` followed by a link of the same name on the next
    line read as "pip pip": a label is not part of the next sentence."""
    assert _rules('=== "pip"\n    [pip](https://pip.pypa.io) installs it.\n') == []
    assert _rules("/// tab | Twemoji\n[Twemoji](https://t.example) is a set.\n///\n") == []
    assert _rules("/// html | div.x\ntext here\n///\n") == []


def test_repeated_word_names_and_triples() -> None:
    assert _rules("It began in the Dr. Project project (a Trac fork).") == []
    assert _rules("The docstring reads: Print print print!") == []
    assert _rules("Run it. The the cluster is up.") == [("repeated-word", " the")]


@pytest.mark.parametrize(
    "text",
    [
        "The emoji are either some that only one set supports.",
        "The content of the files inside the project template is copied.",
        "This is useful because a module with too many dependencies is a code smell.",
        "It must be given as if it were a command line.",
        "So neither of these files need to go to translators.",
        "Molecule converges utilizing its built in host resolution.",
        "You should treat jsdom like you would a browser, and run scripts in it.",
    ],
)
def test_dev_f_grammar_false_positive_classes(text: str) -> None:
    assert _rules(text) == [], text


def test_spelling_phrases_tool_names_and_dictionary_slips() -> None:
    ok = (
        "JSON is the lingua franca of web services and the de facto format. Use cmake or "
        "choco, run tests with xdist, and keep the parens and bools; it is hacky."
    )
    assert _rules(ok) == []
    assert _rules("* peekfd - shows the data travelling over a descriptor\n") == []
    assert _rules("Clean the grata under the grate.") == [("spelling", "grata")]
    found = {
        (f.matched, f.suggestion)
        for f in CHECKER.check_text(
            "Work around withing the parser. Any other rouge processor. It was recored.", "t.md"
        )
    }
    assert found == {("withing", "within"), ("rouge", "rogue"), ("recored", "recorded")}


def test_codes_of_conduct_excluded_by_default(tmp_path: Path) -> None:
    """Quoted third-party boilerplate (the Contributor Covenant's "e-mail") is not the
    project's prose: not read by default, like changelogs."""
    from watcloud.style.workflow import discover

    for n in ("CODE_OF_CONDUCT.md", "docs/code-of-conduct.md", "docs/guide.md"):
        (tmp_path / n).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / n).write_text("Use e-mail. Send an email.\n", "utf-8")
    s = StyleConfig()
    found = discover([], tmp_path, s.include, s.exclude)
    assert {p.relative_to(tmp_path).as_posix() for p in found} == {"docs/guide.md"}


# --- unreadable and large files -----------------------------------------------------------


def test_unreadable_file_does_not_hide_the_others(run_watcloud: Any, tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("Welcome to WatCloud.\n", "utf-8")
    (tmp_path / "b.md").write_bytes("Caf\u00e9 \xff\xfe.\n".encode("latin-1"))
    (tmp_path / "c.md").write_text("Welcome to Watonomous.\n", "utf-8")
    r = _in(run_watcloud, tmp_path, "a.md", "b.md", "c.md")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "a.md:1:12 brand-watcloud" in r.stdout and "c.md:1:12 brand-watonomous" in r.stdout
    errors = [x for x in r.stderr.splitlines() if x.startswith("error:")]
    assert errors == ["error: b.md: not UTF-8 text (byte 3)"], r.stderr
    assert "Traceback" not in r.stderr


def test_blocks_cut_at_blank_lines_outside_fences_and_keep_positions(tmp_path: Path) -> None:
    para = "Some words here.\n\n"
    fence = "```\n\nWatCloud in code\n\n```\n\n"
    text = para * 3 + fence + para * 3 + "Welcome to WatCloud.\n"
    p = tmp_path / "big.md"
    p.write_text(text, "utf-8")
    pieces = list(blocks(p, size=20))
    assert len(pieces) > 3 and "".join(t for t, _, _ in pieces) == text
    assert any("```\n\nWatCloud in code\n\n```" in t for t, _, _ in pieces)  # never split
    for t, off, line in pieces:
        assert text[off : off + len(t)] == t and text[:off].count("\n") == line
    whole = [(f.line, f.column, f.rule) for f in CHECKER.check_text(text, "big.md")]
    streamed = [(f.line, f.column, f.rule) for f in CHECKER.check_blocks(blocks(p, 20), "b")]
    assert streamed == whole == [(len(text.splitlines()), 12, "brand-watcloud")]


def test_suppression_carries_across_blocks(tmp_path: Path) -> None:
    text = (
        "<!-- style-check-disable brand-watcloud -->\n\n"
        + "Plain words.\n\n" * 4
        + "WatCloud hidden.\n\n<!-- style-check-enable -->\n\nWatCloud shown.\n"
    )
    p = tmp_path / "s.md"
    p.write_text(text, "utf-8")
    found = CHECKER.check_blocks(blocks(p, size=16), "s.md")
    assert [f.line for f in found] == [len(text.splitlines())]


def test_missing_hunspell_dictionary_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    from watcloud.core.errors import InputError
    from watcloud.style import spelling

    fake = types.ModuleType("enchant")

    def no_dict(tag: str) -> None:
        raise RuntimeError(f"Dictionary for language '{tag}' could not be found")

    fake.Dict = no_dict  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "enchant", fake)
    spelling.hunspell.cache_clear()
    try:
        with pytest.raises(InputError, match="hunspell-en-us"):
            spelling.hunspell()
    finally:
        spelling.hunspell.cache_clear()


def test_labelled_set_names_its_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every label row names a package the eval harness fetches (split, registry, name and
    version as in its PACKAGES), so each verdict can be traced back to the real docs."""
    import importlib
    import json
    import sys

    bench = Path(__file__).resolve().parents[2] / "benchmarks"
    monkeypatch.syspath_prepend(str(bench))  # style_eval imports style_common beside it
    monkeypatch.delitem(sys.modules, "style_eval", raising=False)
    harness = importlib.import_module("style_eval")
    sources = {tuple(p) for p in harness.PACKAGES}
    assert {split for split, *_ in sources} == set(harness.SPLITS)
    rows = [json.loads(line) for line in harness.LABELS.read_text("utf-8").splitlines()]
    assert len(rows) > 300
    for r in rows:
        assert (r["split"], r["registry"], r["package"], r["version"]) in sources, r
        assert r["path"] and isinstance(r["line"], int) and isinstance(r["label"], bool), r
        assert len(r["context"]) <= 100, r  # short contexts only, never the docs' text
    # the held-out splits judge the peers too (dev-j was the held-out split of session 4)
    # every split built as a held-out one (session 4: dev-j; session 5: the rest)
    held_out = {"dev-j", "dev-k", "dev-l", "dev-m", "heldout-4", "heldout-5", "heldout-6"}
    assert held_out <= set(harness.SPLITS)
    for split in held_out:
        held = [r for r in rows if r["split"] == split]
        assert {r.get("tool", "watcloud") for r in held} == {
            "watcloud",
            "codespell",
            "proselint",
            "harper-py",
        }, split
