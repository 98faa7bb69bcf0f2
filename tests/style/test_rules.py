"""Rules as data: every rule's good/bad examples are tests; project rules and vocabulary."""

from __future__ import annotations

import pytest
import yaml

from watcloud.core.errors import ConfigError
from watcloud.style.config import StyleConfig, settings_from_dict
from watcloud.style.engine import Checker
from watcloud.style.rules import default_rules, parse_rules

ALL_ON = Checker(StyleConfig(enable=["heading-case"], suggestions=True))
RULES = list(default_rules())


def _codes(text: str, checker: Checker = ALL_ON, path: str = "example.mdx") -> list[str]:
    return [f.rule for f in checker.check_text(text, path)]


def test_every_default_rule_has_examples_of_both_kinds() -> None:
    for rule in RULES:
        assert rule.examples.bad, f"{rule.code} has no bad example"
        assert rule.examples.good, f"{rule.code} has no good example"
        assert rule.message


@pytest.mark.parametrize(
    ("code", "example"), [(r.code, ex) for r in RULES for ex in r.examples.bad]
)
def test_bad_examples_are_found(code: str, example: str) -> None:
    # Examples are Markdown (.md: four-space indented code is code); in MDX too for the rest.
    assert code in _codes(example, path="example.md")
    assert code in _codes(example)


@pytest.mark.parametrize(
    ("code", "example"), [(r.code, ex) for r in RULES for ex in r.examples.good]
)
def test_good_examples_pass(code: str, example: str) -> None:
    assert code not in _codes(example, path="example.md")
    if "\n    " not in example:  # MDX has no indented code blocks
        assert code not in _codes(example)


def test_project_rules_and_vocabulary() -> None:
    settings = settings_from_dict(
        {
            "rules": [
                {
                    "code": "no-simply",
                    "kind": "existence",
                    "severity": "error",
                    "message": "Avoid '{match}'.",
                    "tokens": ["simply", "just"],
                    "ignorecase": True,
                    "examples": {"bad": ["Simply run it."], "good": ["Run it."]},
                }
            ],
            "vocabulary": {"accept": ["clsuter"], "reject": ["foobar"]},
            "disable": ["a-an"],
            "severity": {"spelling": "error"},
        }
    )
    checker = Checker(settings)
    found = checker.check_text("Simply add a SSH key to the clsuter and foobar it.\n", "x.md")
    codes = {f.rule: f.severity for f in found}
    assert codes == {"no-simply": "error", "vocabulary-reject": "error"}
    found = checker.check_text("Check the comand today.\n", "x.md")
    assert [(f.rule, f.severity) for f in found] == [("spelling", "error")]


def test_unknown_rule_in_settings_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown rule 'no-such-rule'"):
        Checker(settings_from_dict({"disable": ["no-such-rule"]}))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([{"code": "x", "kind": "existence", "message": "m"}], "needs 'tokens'"),
        ([{"code": "x", "kind": "nonsense", "message": "m"}], "kind"),
        ([{"code": "x", "kind": "existence", "message": "m", "tokens": ["("]}], "x"),
        ([{"code": "x", "kind": "builtin", "message": "m", "check": "nope"}], "needs 'check'"),
        ([{"kind": "existence", "message": "m", "tokens": ["a"]}], "code"),
    ],
)
def test_invalid_rules_are_one_line_config_errors(data: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as exc:
        parse_rules(data, "rules.yaml")
    assert "\n" not in str(exc.value)


def test_consistency_flags_the_minority_spelling() -> None:
    text = "Slurm runs jobs. Slurm is fast. SLURM is configured.\n"
    found = [f for f in ALL_ON.check_text(text, "x.md") if f.rule == "consistency-terms"]
    assert [(f.matched, f.suggestion) for f in found] == [("SLURM", "Slurm")]


def test_heading_case_is_opt_in() -> None:
    text = "## Getting Started With Slurm\n"
    assert "heading-case" not in _codes(text, Checker())
    found = [f for f in ALL_ON.check_text(text, "x.md") if f.rule == "heading-case"]
    assert found[0].suggestion == "Getting started with slurm" or found[0].suggestion == (
        "Getting started with Slurm"
    )


def test_title_case_variant() -> None:
    settings = settings_from_dict(
        {
            "rules": [
                {
                    "code": "title",
                    "kind": "capitalization",
                    "match": "title",
                    "scope": "heading",
                    "message": "Title case: {suggestion}",
                }
            ]
        }
    )
    found = [f for f in Checker(settings).check_text("# using the cluster\n", "x.md")]
    assert [f.suggestion for f in found if f.rule == "title"] == ["Using the Cluster"]


def test_default_style_file_is_valid_yaml_with_unique_codes() -> None:
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    assert yaml.safe_dump([r.model_dump() for r in RULES])


def test_suggestion_rules_are_opt_in() -> None:
    """`suggestion`-level rules (units-mb) are hidden by default: measured on the held-out
    splits they were right 3 times in 9. `suggestions: true`, naming the rule in `enable`,
    or raising its severity shows them again."""
    text = "The quota is 500 MB per user."
    assert "units-mb" not in _codes(text, Checker())
    assert "units-mb" not in {r.code for r in Checker().rules}
    for opt_in in (
        {"suggestions": True},
        {"enable": ["units-mb"]},
        {"severity": {"units-mb": "warning"}},
    ):
        assert _codes(text, Checker(settings_from_dict(opt_in))) == ["units-mb"], opt_in
    # A project's own suggestion-level rule is opt-in the same way.
    own = {
        "code": "no-simply",
        "kind": "existence",
        "severity": "suggestion",
        "message": "Avoid '{match}'.",
        "tokens": ["simply"],
        "examples": {"bad": ["simply run it"], "good": ["run it"]},
    }
    assert _codes("You simply run it.", Checker(settings_from_dict({"rules": [own]}))) == []
    shown = Checker(settings_from_dict({"rules": [own], "suggestions": True}))
    assert _codes("You simply run it.", shown) == ["no-simply"]
