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


# ---- offline input, tokens, titles ----------------------------------------------------------


def test_save_dir_then_from_dir_rebuilds_the_same_trace(run_watcloud: Any, tmp_path: Path) -> None:
    api = default_api()
    saved = tmp_path / "saved"
    live_out, offline_out = tmp_path / "live.json", tmp_path / "offline.json"
    common = ("gha", "trace", REPO, str(RUN_ID), "--format", "json", "--output", "json")
    with serve(api) as base:
        live = run_watcloud(
            *common, "--out", str(live_out), "--save-dir", str(saved), env=_env(base)
        )
    assert live.returncode == 0, live.stderr
    assert (saved / f"repos/{REPO}/actions/runs/{RUN_ID}.json").is_file()
    assert (saved / f"repos/{REPO}/actions/runs/{RUN_ID}/attempts/1/jobs.json").is_file()
    # no API at all now: a dead address proves nothing is fetched
    offline = run_watcloud(
        *common,
        "--out",
        str(offline_out),
        "--from-dir",
        str(saved),
        env={"GITHUB_API_URL": "http://127.0.0.1:9", "GITHUB_TOKEN": ""},
    )
    assert offline.returncode == 0, offline.stderr
    drop = ("trace",)
    a, b = json.loads(live.stdout), json.loads(offline.stdout)
    assert {k: v for k, v in a.items() if k not in drop} == {
        k: v for k, v in b.items() if k not in drop
    }
    assert live_out.read_text() == offline_out.read_text()
    # a run that was never saved: one line, exit 2
    missing = run_watcloud("gha", "trace", REPO, "5", "--from-dir", str(saved))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    assert "no saved answer for run 5" in missing.stderr


def test_token_from_a_file_and_from_the_option(run_watcloud: Any, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("ghs_from_file\n")
    api = default_api()
    with serve(api) as base:
        proc = run_watcloud(
            "gha", "trace", REPO, str(RUN_ID), "--out", str(tmp_path / "t.pftrace"),
            "--github-token-file", str(token_file),
            env={"GITHUB_API_URL": base, "GITHUB_TOKEN": ""},
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert api.auth and all(a == "Bearer ghs_from_file" for a in api.auth)
    bad = run_watcloud(
        "gha", "trace", REPO, "1", "--github-token-file", str(tmp_path / "none"),
        env={"GITHUB_TOKEN": ""},
    )  # fmt: skip
    assert bad.returncode == 2 and "cannot read secret file" in bad.stderr


def test_run_title_in_the_process_name(run_watcloud: Any, tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    with serve(default_api()) as base:
        proc = run_watcloud(
            "gha", "trace", REPO, str(RUN_ID), "--format", "json", "--out", str(out),
            env=_env(base),
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    events = json.loads(out.read_text())["traceEvents"]
    (name,) = [e["args"]["name"] for e in events if e["name"] == "process_name"]
    assert name == f"{REPO} run {RUN_ID} attempt 1: CI: Bump versions"
    assert "(CI: Bump versions)" in proc.stdout


def test_in_progress_run_is_labelled(run_watcloud: Any, tmp_path: Path) -> None:
    api = default_api()
    api.runs[RUN_ID].update(status="in_progress", conclusion=None)
    deploy = api.jobs[RUN_ID][10]
    deploy.update(status="in_progress", conclusion=None, completed_at=None)
    api.jobs[RUN_ID] = api.jobs[RUN_ID][:11]
    with serve(api) as base:
        proc = run_watcloud(
            "gha", "trace", REPO, str(RUN_ID), "--out", str(tmp_path / "t.pftrace"),
            env=_env(base),
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "IN PROGRESS (times so far)" in proc.stdout.splitlines()[0]
    assert any(
        line.lstrip().startswith("deploy") and "(still running)" in line
        for line in proc.stdout.splitlines()
    )


SAVED_RUN = Path(__file__).with_name("saved-run")


def test_bundled_saved_run_is_what_the_stand_in_serves(run_watcloud: Any, tmp_path: Path) -> None:
    """The saved run the demo reads (`tests/gha/saved-run`) is a recording of these fixtures."""
    fresh = tmp_path / "fresh"
    with serve(default_api()) as base:
        proc = run_watcloud(
            "gha", "trace", REPO, str(RUN_ID), "--out", str(tmp_path / "t.pftrace"),
            "--save-dir", str(fresh), env=_env(base),
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    files = sorted(p.relative_to(fresh) for p in fresh.rglob("*.json"))
    assert files == sorted(p.relative_to(SAVED_RUN) for p in SAVED_RUN.rglob("*.json"))
    for rel in files:
        if rel.name != "watcloud-gha.json":
            assert (fresh / rel).read_text() == (SAVED_RUN / rel).read_text(), rel
    offline = run_watcloud(
        "gha", "trace", REPO, str(RUN_ID), "--from-dir", str(SAVED_RUN),
        "--out", str(tmp_path / "o.pftrace"), env={"GITHUB_API_URL": "http://127.0.0.1:9"},
    )  # fmt: skip
    assert offline.returncode == 0, offline.stderr
    assert offline.stdout.replace(str(tmp_path / "o.pftrace"), "X") == proc.stdout.replace(
        str(tmp_path / "t.pftrace"), "X"
    )
