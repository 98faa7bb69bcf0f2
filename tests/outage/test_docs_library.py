"""docs/outage.md "Library": every example runs as printed (in one directory, in order), and
every function the package exports is documented there and called by an example."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.docs_pages import assert_exports_documented_and_called, python_blocks, section
from tests.outage.conftest import Site, notice_html

LIVE = "https://plantops.uwaterloo.ca/service-interruptions/"


def examples() -> list[str]:
    return python_blocks(section("outage"))


def test_every_export_is_documented_and_called() -> None:
    assert_exports_documented_and_called("outage")


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
