"""Reading the tool pages under docs/ in tests: one section, its Python examples, and the
check that a package's exports are documented there and called by an example."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs"
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


def section(tool: str, heading: str = "Library") -> str:
    """docs/<tool>.md from `## <heading>` up to the next `## ` heading (or the end)."""
    text = (DOCS / f"{tool}.md").read_text("utf-8")
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def python_blocks(text: str) -> list[str]:
    return PYTHON_BLOCK.findall(text)


def assert_exports_documented_and_called(tool: str) -> None:
    """Every name `watcloud.<tool>` exports is on the page's Library section, and every
    exported function is called by one of its examples."""
    package = importlib.import_module(f"watcloud.{tool}")
    library = section(tool)
    code = "\n".join(python_blocks(library))
    for name in package.__all__:
        assert f"`{name}" in library, f"{name} is not in the Library section of {tool}.md"
        if name[0].islower():
            assert f"{name}(" in code, f"no example in {tool}.md calls {name}"
        assert getattr(package, name) is not None
