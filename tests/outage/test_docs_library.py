"""docs/outage.md "Library": every example runs as printed (in one directory, in order), and
every function the package exports is documented there and called by an example."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import watcloud.outage
from tests.outage.conftest import Site, notice_html

DOC = Path(__file__).resolve().parents[2] / "docs" / "outage.md"
LIVE = "https://plantops.uwaterloo.ca/service-interruptions/"


def library_section() -> str:
    text = DOC.read_text()
    start = text.index("\n## Library\n")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", library_section(), re.S)


def test_every_export_is_documented_and_called() -> None:
    section = library_section()
    code = "\n".join(examples())
    for name in watcloud.outage.__all__:
        assert f"`{name}" in section, f"{name} is not in the Library table"
        if name[0].islower():
            assert f"{name}(" in code, f"no example calls {name}"
        assert getattr(watcloud.outage, name) is not None


def test_the_examples_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slurm: Any, site: Site
) -> None:
    site.set_notice(
        2496,
        notice_html(
            "Electrical Shutdown, CPH",
            "Carl A. Pollock Hall",
            "Electrical shutdown. Normal power will be off.",
            "January 20, 2030, 7:00 a.m. to 11:00 a.m.",
        ),
    )
    monkeypatch.chdir(tmp_path)
    blocks = examples()
    assert len(blocks) >= 6
    namespace: dict[str, Any] = {}
    for n, block in enumerate(blocks):
        code = block.replace(LIVE, f"{site.base}/service-interruptions/")
        exec(compile(code, f"docs/outage.md Library example {n + 1}", "exec"), namespace)
    assert Path("notices.jsonl").read_text().count("\n") == 1
    assert site.requests_for("/service-interruptions/notice.php?ID=2496")
