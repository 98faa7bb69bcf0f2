"""The relevance reasons are data (src/watcloud/outage/reasons.yaml): every code has a
description, its patterns and good/bad examples, and the examples are tests."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from watcloud.outage import classify as classify_module
from watcloud.outage.analysis import analyze
from watcloud.outage.classify import RULES, load_reasons
from watcloud.outage.parse import parse_text

ROOT = Path(__file__).resolve().parents[2]
CASES = [
    (code, kind, i, text)
    for code, rule in RULES.items()
    for kind, texts in (("good", rule.good), ("bad", rule.bad))
    for i, text in enumerate(texts)
]


def _codes(text: str) -> list[str]:
    return [r.code for r in analyze(parse_text(text), date(2026, 6, 1)).decision.reasons]


@pytest.mark.parametrize(
    ("code", "kind", "i", "text"), CASES, ids=[f"{c}-{k}{i}" for c, k, i, _ in CASES]
)
def test_examples(code: str, kind: str, i: int, text: str) -> None:
    codes = _codes(text)
    if kind == "good":
        assert code in codes, codes
    else:
        assert code not in codes, codes


def test_every_rule_is_complete_and_its_patterns_compile() -> None:
    for code, rule in RULES.items():
        assert rule.description and rule.message, code
        assert rule.good and rule.bad, f"{code}: needs good and bad examples"
        for p in [*rule.patterns, *(p for ps in rule.named_patterns.values() for p in ps)]:
            re.compile(p)


def test_every_code_the_classifier_emits_is_in_the_table() -> None:
    src = Path(classify_module.__file__).read_text()
    emitted = set(re.findall(r'\breason\(\s*"([a-z-]+)"', src))
    emitted |= set(re.findall(r'\bReason\(\s*"([a-z-]+)"', src))
    emitted |= {"power-off", "generator-feed", "switch-over"}  # hit[0]: the pattern's own code
    assert emitted <= set(RULES), emitted - set(RULES)


def test_every_code_is_documented() -> None:
    doc = (ROOT / "docs" / "outage.md").read_text()
    missing = [code for code in RULES if f"`{code}`" not in doc]
    assert not missing, f"docs/outage.md does not list: {missing}"


def test_the_table_can_be_read_from_a_path(tmp_path: Path) -> None:
    packaged = Path(classify_module.__file__).with_name("reasons.yaml")
    copy = tmp_path / "r.yaml"
    copy.write_text(packaged.read_text())
    rules, noise = load_reasons(copy)
    assert set(rules) == set(RULES) and noise
