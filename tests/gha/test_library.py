"""The library calls docs/gha.md lists (## Library), imported and called as documented."""

from __future__ import annotations

import json
from pathlib import Path

from tests.gha.fixtures import REPO, RUN_ID
from watcloud.gha import report
from watcloud.gha.tracer import trace, write_trace

SAVED_RUN = Path(__file__).with_name("saved-run")


def test_trace_write_and_render_from_a_saved_run(tmp_path: Path) -> None:
    result = trace(REPO, str(RUN_ID), from_dir=SAVED_RUN)
    assert result.run.id == RUN_ID and result.summary.critical_path
    proto = write_trace(result, out=tmp_path / "t.pftrace")
    assert proto.stat().st_size > 0
    chrome = write_trace(result, "json", tmp_path / "t.json")
    assert "traceEvents" in json.loads(chrome.read_text())
    doc = report.summary_json(result, chrome, "json")
    assert doc["run_id"] == RUN_ID and doc["trace"] == str(chrome)
    lines = report.summary_text(result, proto, "proto")
    assert lines[0].startswith(f"{result.run.repo} run {RUN_ID} attempt 1")
    assert lines[1] == f"trace: {proto} (Perfetto protobuf, open in ui.perfetto.dev)"
    assert report.duration(3723) == "1h 2m 3s" and report.duration(62) == "1m 2s"
