"""Each tool page's "## Library" section: every function the package exports is documented
under a `### `name(...)`` heading with a Python example, and the examples run (in order, in one
namespace, in an empty directory) and call the function their heading names."""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import re
from pathlib import Path

import pytest

from tests.docs_pages import DOCS, PYTHON_BLOCK, section

PAGES = {"notify": "## Usage", "users": "## Usage", "expiry": "## Usage"}
HEADING = re.compile(r"^### `(\w+)\(", re.M)


def library_section(tool: str) -> str:
    text = (DOCS / f"{tool}.md").read_text()
    assert text.index(f"\n{PAGES[tool]}") < text.index("\n## Library\n"), (
        "Library comes after the usage section"
    )
    return section(tool)


def examples(tool: str) -> list[tuple[str, str]]:
    """(function name, its example's code) for each `### `name(...)`` heading."""
    library = library_section(tool)
    heads = list(HEADING.finditer(library))
    found = []
    for i, head in enumerate(heads):
        end = heads[i + 1].start() if i + 1 < len(heads) else len(library)
        blocks = PYTHON_BLOCK.findall(library, head.end(), end)
        assert len(blocks) == 1, f"{tool}: `{head.group(1)}` needs one python example"
        found.append((head.group(1), blocks[0]))
    return found


def exported_functions(tool: str) -> set[str]:
    """The package's exported functions, old-name aliases (`load_smtp_settings`) left out."""
    package = importlib.import_module(f"watcloud.{tool}")
    names = set()
    for name in package.__all__:
        obj = getattr(package, name)
        if inspect.isfunction(obj) and obj.__name__ == name:
            names.add(name)
    return names


def calls(code: str) -> set[str]:
    return {
        node.func.id
        for node in ast.walk(ast.parse(code))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }


@pytest.mark.parametrize("tool", sorted(PAGES))
def test_every_exported_function_is_documented(tool: str) -> None:
    documented = [name for name, _ in examples(tool)]
    assert len(documented) == len(set(documented))
    assert set(documented) == exported_functions(tool)


@pytest.mark.parametrize("tool", sorted(PAGES))
def test_library_examples_run(tool: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # the XDG dirs: tests/conftest.py
    for var in list(os.environ):
        if var.startswith("WATCLOUD_"):
            monkeypatch.delenv(var)
    namespace: dict[str, object] = {"__name__": f"docs_{tool}"}
    for name, code in examples(tool):
        assert name in calls(code), f"the example under `{name}` does not call it"
        exec(compile(code, f"docs/{tool}.md: {name}", "exec"), namespace)
