"""harper-py as an optional engine: real Harper, noisy rules off, isolated from stdout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from watcloud.core.errors import WatcloudError
from watcloud.style.config import HARPER_NOISY, HarperSettings, StyleConfig

harper = pytest.importorskip("harper") if os.environ.get("CI") != "true" else __import__("harper")

from watcloud.style.engine import Checker  # noqa: E402
from watcloud.style.harper_engine import HarperEngine, _stdout_to_stderr  # noqa: E402


def test_noisy_rules_are_real_harper_rules() -> None:
    known = harper.get_default_lint_config()
    assert set(HARPER_NOISY) <= set(known)


def test_harper_adds_findings_and_skips_technical_spelling() -> None:
    checker = Checker(StyleConfig(harper=HarperSettings(enabled=True)))
    text = "Run kubectl on the rootless dockerd node.\n\nIn the worst case scenario, it fails.\n"
    found = checker.check_text(text, "t.md")
    rules = {f.rule for f in found}
    assert "harper.SpellCheck" not in rules  # switched off: technical words are not typos
    assert "harper.WorstCaseScenario" in rules  # a rule we do not have ourselves
    f = next(f for f in found if f.rule == "harper.WorstCaseScenario")
    assert (f.line, f.column, f.matched) == (3, 8, "worst case scenario")
    # Default harper (no rules off) does flag the technical words: the switch matters.
    plain = harper.Linter().organized_lints(text)
    assert plain["SpellCheck"]


def test_unknown_harper_rule_is_an_error() -> None:
    with pytest.raises(WatcloudError, match="unknown rule"):
        HarperEngine(HarperSettings(enabled=True, disable=["NoSuchRule"]))


def test_native_writes_to_stdout_are_diverted(tmp_path: Path) -> None:
    code = (
        "import os, sys\n"
        "from watcloud.style.harper_engine import _stdout_to_stderr\n"
        "with _stdout_to_stderr():\n"
        "    os.write(1, b'noise from native code\\n')\n"
        "print('clean')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout == "clean\n"
    assert "noise from native code" in r.stderr
    assert _stdout_to_stderr  # imported in-process too


def test_cli_with_harper_keeps_json_clean(run_watcloud: Any, tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("This is an test. Welcome to WatCloud.\n")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        r = run_watcloud("style", "check", "--harper", "-o", "json", "a.md")
    finally:
        os.chdir(old)
    data = json.loads(r.stdout)  # nothing but our JSON on stdout
    assert {"brand-watcloud", "a-an"} <= {d["rule"] for d in data}
    assert r.returncode == 1
