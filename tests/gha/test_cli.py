"""End to end: the installed `watcloud gha trace` against the GitHub API stand-in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from perfetto.protos.perfetto.trace import perfetto_trace_pb2 as pb  # type: ignore[import-untyped]

from tests.gha.fixtures import REPO, RUN_ID, SHA, default_api, job, run_json, serve


def _env(base: str) -> dict[str, str]:
    return {"GITHUB_API_URL": base, "GITHUB_TOKEN": "ghs_test"}


def test_trace_proto_and_summary(run_watcloud: Any, tmp_path: Path) -> None:
    api = default_api()
    out = tmp_path / "t.pftrace"
    with serve(api) as base:
        proc = run_watcloud("gha", "trace", REPO, str(RUN_ID), "--out", str(out), env=_env(base))
    assert proc.returncode == 0, proc.stderr
    assert "12 jobs, 17 dependency edges" in proc.stdout
    assert "note: job 'Post-run cleanup' matches no job" in proc.stdout
    trace = pb.Trace()
    trace.ParseFromString(out.read_bytes())
    assert sum(p.HasField("track_descriptor") for p in trace.packet) == 13
    assert all(a == "Bearer ghs_test" for a in api.auth)
    assert any("contents/.github/workflows/release.yml" in r for r in api.requests)


def test_run_url_json_format_and_json_summary(run_watcloud: Any, tmp_path: Path) -> None:
    api = default_api()
    out = tmp_path / "t.json"
    url = f"https://github.com/{REPO}/actions/runs/{RUN_ID}/attempts/1"
    with serve(api) as base:
        proc = run_watcloud(
            "gha",
            "trace",
            url,
            "--format",
            "json",
            "--out",
            str(out),
            "--output",
            "json",
            env=_env(base),
        )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["attempt"] == 1 and summary["format"] == "json"
    assert [t["name"] for t in summary["critical_path"]][::5] == ["lint", "deploy"]
    assert summary["unmapped"] == ["Post-run cleanup"]
    assert len(json.loads(out.read_text())["traceEvents"]) > 50


def test_pagination_over_100_jobs(run_watcloud: Any, tmp_path: Path) -> None:
    api = default_api()
    shards = "\n".join(f"          - {i}" for i in range(128))
    api.files[(REPO, ".github/workflows/big.yml", SHA)] = (
        "jobs:\n  setup:\n    runs-on: x\n  shard:\n    needs: setup\n    strategy:\n"
        f"      matrix:\n        n:\n{shards}\n    runs-on: x\n"
        "  report:\n    needs: shard\n    runs-on: x\n"
    )
    api.runs[77] = run_json(run_id=77, path=".github/workflows/big.yml")
    api.jobs[77] = (
        [job(1, "setup", 0, 0, 1)]
        + [job(10 + i, f"shard ({i})", 1, 1.5, 3) for i in range(128)]
        + [job(500, "report", 3, 3, 4)]
    )
    with serve(api) as base:
        proc = run_watcloud(
            "gha",
            "trace",
            REPO,
            "77",
            "--out",
            str(tmp_path / "b.pftrace"),
            "--output",
            "json",
            env=_env(base),
        )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["jobs"] == 130 and len(summary["edges"]) == 256
    assert sum("/jobs" in r for r in api.requests) == 2


def test_not_found_is_one_line_exit_2(run_watcloud: Any) -> None:
    with serve(default_api()) as base:
        proc = run_watcloud("gha", "trace", REPO, "424242", env=_env(base))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "not found" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_rate_limit_is_a_clear_message(run_watcloud: Any) -> None:
    api = default_api()
    api.rate_limited = True
    with serve(api) as base:
        proc = run_watcloud("gha", "trace", REPO, str(RUN_ID), env={"GITHUB_API_URL": base})
    assert proc.returncode == 1
    assert "rate limit of 5000 requests exhausted" in proc.stderr
    assert "resets at" in proc.stderr and "set GITHUB_TOKEN" in proc.stderr


def test_secondary_rate_limit_is_waited_out(run_watcloud: Any, tmp_path: Path) -> None:
    api = default_api()
    api.secondary_limit_once = True
    with serve(api) as base:
        proc = run_watcloud(
            "gha", "trace", REPO, str(RUN_ID), "--out", str(tmp_path / "x.pftrace"), env=_env(base)
        )
    assert proc.returncode == 0, proc.stderr
    assert api.requests[0] == api.requests[1]  # the refused request was sent again


def test_cyclic_workflow_is_a_clear_error(run_watcloud: Any) -> None:
    api = default_api()
    api.files[(REPO, ".github/workflows/ci.yml", SHA)] = (
        "jobs:\n  a: {needs: c}\n  b: {needs: a}\n  c: {needs: b}\n"
    )
    with serve(api) as base:
        proc = run_watcloud("gha", "trace", REPO, str(RUN_ID), env=_env(base))
    assert proc.returncode == 2
    assert "`needs:` form a cycle: a -> c -> b -> a" in proc.stderr


def test_dead_server_and_bad_arguments(run_watcloud: Any) -> None:
    proc = run_watcloud("gha", "trace", REPO, "1", env={"GITHUB_API_URL": "http://127.0.0.1:9"})
    assert proc.returncode == 1 and "unreachable" in proc.stderr
    assert proc.stderr.count("\n") == 1
    proc = run_watcloud("gha", "trace", "not a repo", "1")
    assert proc.returncode == 2 and "neither OWNER/REPO nor a workflow run URL" in proc.stderr
    proc = run_watcloud("gha", "trace", REPO, "abc")
    assert proc.returncode == 2 and "non-numeric RUN_ID" in proc.stderr
