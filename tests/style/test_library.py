"""The library of docs/style.md's "Library" section: each documented function, imported from
`watcloud.style` and called on real files, gives what `watcloud style check`/`rules` give."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

BAD = "# Welcome\n\nWelcome to WatCloud.\nThis is is a test.\nAdd a SSH key there.You are done.\n"
GOOD = "# Welcome\n\nWATcloud is a cluster. Use an SSH key.\n"


@pytest.fixture
def project(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/bad.mdx").write_text(BAD, encoding="utf-8")
    (tmp_path / "docs/good.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / ".watcloud-style.yaml").write_text("vocabulary:\n  reject: [foobar]\n")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(old)


def test_check_paths(project: Path) -> None:
    from watcloud.style import CheckResult, check_paths

    result = check_paths([Path("docs")])
    assert isinstance(result, CheckResult)
    assert [(f.path, f.line, f.rule) for f in result.findings] == [
        ("docs/bad.mdx", 3, "brand-watcloud"),
        ("docs/bad.mdx", 4, "repeated-word"),
        ("docs/bad.mdx", 5, "a-an"),
        ("docs/bad.mdx", 5, "missing-space"),
    ]
    assert (result.files, result.errors, result.exit_code) == (2, 1, 1)
    assert result.summary() == "4 finding(s) (1 error(s)) in 2 file(s)"


def test_check_paths_fix_baseline_and_unreadable(project: Path) -> None:
    from watcloud.style import check_paths

    fixed = check_paths(fix=True)
    assert fixed.fixed > 0 and "to WATcloud." in (project / "docs/bad.mdx").read_text()
    assert fixed.summary(fix=True).endswith(f"; {fixed.fixed} fixed")
    # a baseline written today accepts today's findings
    written = check_paths(write_baseline_to=project / "base.txt")
    assert written.baseline_written == len(fixed.findings) and written.exit_code == 0
    again = check_paths(baseline=project / "base.txt")
    assert again.findings == [] and again.accepted == len(fixed.findings)
    # a file not UTF-8: listed, reported as it happens, the others still checked, exit code 2
    (project / "docs/latin1.md").write_bytes(b"caf\xe9\n")
    seen: list[str] = []
    broken = check_paths(on_unreadable=seen.append)
    assert broken.unreadable == seen and len(seen) == 1 and "not UTF-8" in seen[0]
    assert broken.files == 2 and broken.exit_code == 2


def test_check_text(project: Path) -> None:
    from watcloud.style import check_text

    rules = [f.rule for f in check_text("Add a SSH key. We love foobar.\n", "note.md")]
    assert rules == ["a-an", "vocabulary-reject"]  # the project's config is read (reject list)
    assert check_text(GOOD, "note.md") == []


def test_rule_states(project: Path) -> None:
    from watcloud.style import rule_states

    states = {rule.code: on for rule, on in rule_states()}
    assert states["a-an"] is True and states["heading-case"] is False
    assert states["vocabulary-reject"] is True  # from the config file
    off = project / "off.yaml"
    off.write_text("disable: [a-an]\n")
    assert dict((r.code, on) for r, on in rule_states(off))["a-an"] is False


def test_checker_and_render() -> None:
    from watcloud.style import Checker, Format, StyleConfig, render

    checker = Checker(StyleConfig(severity={"a-an": "error"}))
    findings = checker.check_text("Add a SSH key.\n", "x.md")
    assert [(f.rule, f.severity) for f in findings] == [("a-an", "error")]
    rows = json.loads(render(Format.json, findings, checker.all_rules))
    assert rows[0]["rule"] == "a-an" and rows[0]["suggestion"] == "an SSH"


def test_load_settings(project: Path) -> None:
    from watcloud.style import StyleConfig, load_settings

    settings, root = load_settings(None)
    assert isinstance(settings, StyleConfig) and settings.vocabulary.reject == ["foobar"]
    assert root == project.resolve()


def test_importing_the_package_loads_no_engine() -> None:
    """`import watcloud.style` (as `watcloud --help` does through the dispatcher) stays light;
    the first use of a name loads its module."""
    probe = (
        "import sys, watcloud.style as s; a = set(sys.modules); s.check_paths; "
        "print(' '.join(sorted(a)), '|', 'watcloud.style.grammar' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    before, loaded_after = out.split("|")
    assert not set(before.split()) & {"pydantic", "watcloud.style.grammar", "watcloud.style.rules"}
    assert loaded_after.strip() == "True"


def test_unknown_name_is_an_attribute_error() -> None:
    import watcloud.style

    with pytest.raises(AttributeError):
        watcloud.style.no_such_function  # noqa: B018


def test_the_library_section_examples_run(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every code example of docs/style.md's Library section runs as written, and every name
    the package exports is shown there."""
    import re

    import watcloud.style
    from tests.docs_pages import python_blocks
    from tests.docs_pages import section as page_section

    section = page_section("style")
    examples = python_blocks(section)
    assert len(examples) == 4
    for code in examples:
        exec(compile(code, "docs/style.md", "exec"), {})
    out = capsys.readouterr().out
    assert "docs/bad.mdx:4:8 repeated-word" in out and "exit code 1" in out
    assert (
        "1 5 a-an an SSH" in out
        and "['units-mb', 'heading-case', 'agreement', 'space-before-comma']" in out
    )
    for name in watcloud.style.__all__:
        assert re.search(rf"\b{name}\b", section), name
