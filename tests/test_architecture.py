"""The map's arrows, checked on the source: `cli -> tool -> core`, no tool imports another tool
(except `notify`, the delivery layer), `core` imports no tool, and no import circle.

Every import counts, the lazy ones inside functions included: a lazy import is still an arrow.
`from package import submodule` is an arrow to the submodule, not to the package's `__init__`.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "watcloud"
TOOLS = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()} - {"core"}
SHARED_TOOLS = {"notify"}  # any tool may use it to deliver a message


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str) -> set[str]:
    """The `watcloud` modules one module imports (anywhere in it)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            for alias in node.names:  # `from pkg import submodule` is an arrow to the module
                sub = f"{module}.{alias.name}"
                found.add(sub if sub in MODULES else module)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: imports_of(name) for name in MODULES}


def room(module: str) -> str:
    """`watcloud.links.external` -> `links`; the root modules (`watcloud.cli`) -> ``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in TOOLS | {"core"} else ""


def test_the_map_has_rooms() -> None:
    assert {"cluster", "notify", "outage", "style", "links", "users", "gha"} <= TOOLS
    assert len(GRAPH) > 50


def test_core_imports_no_tool() -> None:
    wrong = sorted(
        (m, d) for m, deps in GRAPH.items() if room(m) == "core" for d in deps if room(d) in TOOLS
    )
    assert wrong == []


def test_no_tool_imports_another_tool_except_notify() -> None:
    wrong = sorted(
        (m, d)
        for m, deps in GRAPH.items()
        if room(m) in TOOLS
        for d in deps
        if room(d) in TOOLS and room(d) != room(m) and room(d) not in SHARED_TOOLS
    )
    assert wrong == []


def test_no_import_circle() -> None:
    """Tarjan's strongly connected components over every import (lazy ones too)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert circles == []


MAX_COMMAND_BODY = 40  # lines from a function's first statement (its docstring) to its end


def test_commands_are_thin() -> None:
    """A tool's `cli.py` parses options, makes one library call and renders: no function in it
    has a body over MAX_COMMAND_BODY lines (the option declarations of the signature are not
    counted: Typer wants them there)."""
    long = []
    for path in sorted(PACKAGE.glob("*/cli.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                body = (node.end_lineno or 0) - node.body[0].lineno + 1
                if body > MAX_COMMAND_BODY:
                    long.append(
                        f"{path.parent.name}/cli.py:{node.lineno} {node.name}: {body} lines"
                    )
    assert long == []
