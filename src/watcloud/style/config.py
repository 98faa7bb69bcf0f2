"""`.watcloud-style.yaml`: what to check and how (every option has a default)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from watcloud.core.config import StrictModel, load_config
from watcloud.style.rules import Rule

CONFIG_NAME = ".watcloud-style.yaml"

DEFAULT_INCLUDE = ["**/*.md", "**/*.mdx"]
DEFAULT_EXCLUDE = [
    "**/node_modules/**",
    "**/.git/**",
    "**/.venv/**",
    "**/venv/**",
    "**/build/**",
    "**/dist/**",
    "**/.next/**",
    # Changelog-like files: history, full of names, handles and identifiers, not edited
    "**/CHANGELOG*",
    "**/Changelog*",
    "**/changelog*",
    "**/HISTORY*",
    "**/History*",
    "**/history.md",
    "**/NEWS*",
    "**/News.md",
    "**/news.md",
    "**/RELEASE*NOTES*",
    "**/Release*Notes*",
    "**/release*notes*",
    # Codes of conduct: quoted third-party boilerplate (the Contributor Covenant), not edited
    "**/CODE_OF_CONDUCT*",
    "**/CODE-OF-CONDUCT*",
    "**/code_of_conduct*",
    "**/code-of-conduct*",
]
DEFAULT_COMMENT_INCLUDE = [
    "**/*.py",
    "**/*.js",
    "**/*.jsx",
    "**/*.ts",
    "**/*.tsx",
    "**/*.sh",
    "**/*.go",
    "**/*.rs",
    "**/*.c",
    "**/*.h",
    "**/*.cpp",
    "**/*.java",
    "**/*.rb",
]
# Harper rules that are noise on technical docs (measured on the WATcloud docs; see
# docs/style.md): spelling of technical words, title case, sentence capitalization of
# list items, splitting compound words, "expand" shorthand rules, long sentences, dashes.
HARPER_NOISY = [
    "SpellCheck",
    "UseTitleCase",
    "SentenceCapitalization",
    "SplitWords",
    "ExpandMemoryShorthands",
    "ExpandConfiguration",
    "ExpandDependencies",
    "ExpandParameter",
    "DisjointPrefixes",
    "CompoundNouns",
    "LongSentences",
    "OrthographicConsistency",
    "Dashes",
    "NumericRangeEnDash",
    "UseEllipsisCharacter",
    "NoFrenchSpaces",
    "Spaces",
    "UnclosedQuotes",
    "ToDoHyphen",
    "CondenseAllThe",
    "RepeatedWords",
    "AnA",
]


class Vocabulary(StrictModel):
    accept: list[str] = Field(default_factory=list)  # extra words the spelling check accepts
    reject: list[str] = Field(default_factory=list)  # words always reported (case-sensitive)


class HarperSettings(StrictModel):
    enabled: bool = False
    disable: list[str] = Field(default_factory=lambda: list(HARPER_NOISY))
    enable: list[str] = Field(default_factory=list)
    severity: Literal["error", "warning", "suggestion"] = "warning"
    dialect: Literal["american", "british", "canadian", "australian", "indian"] = "american"


class CommentSettings(StrictModel):
    include: list[str] = Field(default_factory=lambda: list(DEFAULT_COMMENT_INCLUDE))


class StyleConfig(StrictModel):
    include: list[str] = Field(default_factory=lambda: list(DEFAULT_INCLUDE))
    exclude: list[str] = Field(default_factory=lambda: list(DEFAULT_EXCLUDE))
    default_style: bool = True
    disable: list[str] = Field(default_factory=list)
    enable: list[str] = Field(default_factory=list)
    severity: dict[str, Literal["error", "warning", "suggestion"]] = Field(default_factory=dict)
    # Rules of severity `suggestion` run only when this is true or the rule is named in
    # `enable`: rules right less than half the time on held-out docs (agreement 3/15,
    # space-before-comma 3/19, units-mb 0/4; see docs/style.md, "The default rule set"),
    # too few to be shown to everyone.
    suggestions: bool = False
    vocabulary: Vocabulary = Field(default_factory=Vocabulary)
    rules: list[Rule] = Field(default_factory=list)
    baseline: str | None = None
    comments: CommentSettings = Field(default_factory=CommentSettings)
    harper: HarperSettings = Field(default_factory=HarperSettings)


def find_config(start: Path) -> Path | None:
    """`.watcloud-style.yaml` in `start` or the nearest parent directory that has one."""
    start = start.resolve()
    for d in (start, *start.parents):
        candidate = d / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_settings(path: Path | None, cwd: Path | None = None) -> tuple[StyleConfig, Path]:
    """Settings and the project root (the config file's directory, else `cwd`)."""
    cwd = cwd or Path.cwd()
    if path is None:
        path = find_config(cwd)
    if path is None:
        return StyleConfig(), cwd.resolve()
    settings = load_config(StyleConfig, path)
    return settings, Path(path).resolve().parent


def settings_from_dict(data: dict[str, Any]) -> StyleConfig:
    return StyleConfig.model_validate(data)
