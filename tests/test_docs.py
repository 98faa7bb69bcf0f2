"""Docs that cannot drift (after sqlite-utils' tests/test_docs.py): every command, every option
and every config key of a tool is on its page in docs/, every tool's config is `<Tool>Config` in
`<tool>/config.py`, and every tool page follows the one heading template.

Commands and options come from the Typer apps themselves (through the `watcloud` dispatcher's
table), config keys from the config classes, so a new option or key without docs fails here.
"""

from __future__ import annotations

import dataclasses
import importlib
import re
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
from pydantic import BaseModel

from watcloud.cli import COMMANDS

DOCS = Path(__file__).resolve().parents[1] / "docs"

# top-level command -> its tool's page
PAGE = {
    "status": "cluster",
    "quota": "cluster",
    "daemon": "cluster",
    "slurm": "cluster",
    "config": "cluster",
    "notify": "notify",
    "outage": "outage",
    "style": "style",
    "links": "links",
    "expiry": "expiry",
    "dns-failover": "dnsfailover",
    "users": "users",
    "gha": "gha",
}
# tool package -> its config class name (tools without a config file have none)
CONFIGS = {
    "cluster": "ClusterConfig",
    "notify": "NotifyConfig",
    "outage": "OutageConfig",
    "style": "StyleConfig",
    "links": "LinksConfig",
    "expiry": "ExpiryConfig",
    "dnsfailover": "DnsFailoverConfig",
    "users": "UsersConfig",
}
# The one heading template of a tool page: these second-level headings, in this order (a page
# may add its own between them).
TEMPLATE = ["Usage", "Library", "Configuration", "Design", "Figures", "Tests", "Not done"]


def page_text(name: str) -> str:
    return (DOCS / f"{name}.md").read_text()


def walk(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from walk(sub, [*path, name])


def commands() -> Iterator[tuple[str, str, Any]]:
    """(page, 'watcloud a b', click command) for every command and sub-command."""
    for top, entry in COMMANDS.items():
        app = getattr(importlib.import_module(entry.module), entry.attr)
        for path, command in walk(typer.main.get_command(app), [top]):
            yield PAGE[top], "watcloud " + " ".join(path), command


def test_every_command_has_a_page() -> None:
    assert set(COMMANDS) == set(PAGE)


def test_every_command_and_option_is_on_its_page() -> None:
    missing = []
    for page, full, command in commands():
        text = page_text(page)
        if not hasattr(command, "commands") and full not in text:
            missing.append(f"{page}.md: {full}")
        for param in command.params:
            if type(param).__name__ != "TyperOption":
                continue
            for opt in [*param.opts, *param.secondary_opts]:
                if (
                    opt.startswith("--")
                    and opt != "--help"
                    and not re.search(rf"{re.escape(opt)}(?![\w-])", text)
                ):
                    missing.append(f"{page}.md: {full} {opt}")
    assert missing == []


def config_class(tool: str) -> Any:
    module = importlib.import_module(f"watcloud.{tool}.config")
    return getattr(module, CONFIGS[tool], None)


@pytest.mark.parametrize("tool", sorted(CONFIGS))
def test_config_class_is_named_after_its_tool(tool: str) -> None:
    assert config_class(tool) is not None, f"watcloud.{tool}.config.{CONFIGS[tool]}"


def _inner(annotation: Any) -> list[Any]:
    """The classes a field's annotation holds (list[X], X | None, dict[str, X] ...)."""
    args = typing.get_args(annotation)
    if not args:
        return [annotation] if isinstance(annotation, type) else []
    return [c for a in args for c in _inner(a)]


def config_keys(cls: Any, prefix: str = "") -> Iterator[str]:
    """Every key of a config class, nested sections and list items included."""
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        fields = {n: f.annotation for n, f in cls.model_fields.items()}
        aliases = {n: f.alias or n for n, f in cls.model_fields.items()}
    elif dataclasses.is_dataclass(cls):
        hints = typing.get_type_hints(cls)
        fields = {f.name: hints[f.name] for f in dataclasses.fields(cls) if f.init}
        aliases = {n: n for n in fields}
    else:
        return
    for name, annotation in fields.items():
        key = aliases[name]
        yield prefix + key
        for inner in _inner(annotation):
            if inner is not cls:
                yield from config_keys(inner, f"{prefix}{key}.")


@pytest.mark.parametrize("tool", sorted(CONFIGS))
def test_every_config_key_is_on_its_page(tool: str) -> None:
    cls = config_class(tool)
    if cls is None:
        pytest.fail(f"no watcloud.{tool}.config.{CONFIGS[tool]}")
    text = page_text(tool)
    missing = [
        key
        for key in config_keys(cls)
        if not re.search(rf"(?<![\w-]){re.escape(key.rsplit('.', 1)[-1])}(?![\w-])", text)
    ]
    assert missing == []


def without_code(text: str) -> str:
    """The page without its fenced code blocks (example output may hold `## ` lines)."""
    return re.sub(r"^(```|~~~).*?^\1[^\n]*$", "", text, flags=re.M | re.S)


@pytest.mark.parametrize("page", sorted(set(PAGE.values())))
def test_every_tool_page_follows_the_heading_template(page: str) -> None:
    text = page_text(page)
    assert text.startswith("# "), "a page starts with its title"
    headings = [h.strip() for h in re.findall(r"^## (.+)$", without_code(text), re.M)]
    positions = []
    for wanted in TEMPLATE:
        found = [i for i, h in enumerate(headings) if h.split(":")[0].startswith(wanted)]
        assert found, f"{page}.md has no '## {wanted}...' heading"
        positions.append(found[0])
    assert positions == sorted(positions), f"{page}.md: headings out of template order"
