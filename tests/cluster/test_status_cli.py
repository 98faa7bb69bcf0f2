"""End to end: the installed `watcloud status` against a loopback server and fake SLURM."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.cluster.conftest import (
    API_KEY,
    CHECKS,
    MACHINES,
    FakeSite,
    serve_text,
    write_config,
    write_exe,
)
from tests.cluster.slurm_text import SINFO, scontrol_nodes, scontrol_reservations

pytestmark = pytest.mark.integration
ENV = {"WATCLOUD_HEALTHCHECKS_API_KEY": API_KEY}


@pytest.fixture
def fake_slurm(fake_bin: Path) -> Path:
    serve_text(fake_bin, "sinfo", {"--Node --noheader --format=%N|%P|%T|%E": SINFO})
    serve_text(
        fake_bin,
        "scontrol",
        {
            "show node --oneliner": scontrol_nodes(),
            "show reservation --oneliner": scontrol_reservations(datetime.now(UTC)),
        },
    )
    return fake_bin


def test_text_table(run_watcloud: Any, site: FakeSite, tmp_path: Path, fake_slurm: Path) -> None:
    cfg = write_config(tmp_path, site)
    proc = run_watcloud("status", "--config", str(cfg), env=ENV)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "\x1b[" not in out  # piped: no colour
    for title in ("Compute nodes", "Login nodes", "Other machines", "Hosts only in health checks"):
        assert title in out
    lines = {line.split()[0]: line for line in out.splitlines() if "-slurm1" in line[:14]}
    assert "maintenance" in lines["delta-slurm1"]
    assert " down " in lines["gamma-slurm1"]
    assert "degraded" in lines["beta-slurm1"]
    assert "Upcoming maintenance:" in out and "maint-later" in out
    assert "Ceph upgrade" in out
    assert "source healthchecks: ok" in out and "source slurm: ok" in out
    assert proc.stderr == ""


def test_reasons_are_printed_verbatim(
    run_watcloud: Any, site: FakeSite, tmp_path: Path, fake_slurm: Path
) -> None:
    # SLURM reasons carry "[user@time]", which a Rich console would take for markup
    cfg = write_config(tmp_path, site)
    out = run_watcloud("status", "-c", str(cfg), env={**ENV, "COLUMNS": "250"}).stdout
    assert (
        "SLURM IDLE+DRAIN: Kernel upgrade pending: gpu temp=95C [root@2026-11-24T09:12:00]" in out
    )


def test_failed_health_source_is_not_reported_as_no_checks(
    run_watcloud: Any, site: FakeSite, tmp_path: Path, fake_slurm: Path
) -> None:
    site.set_raw(CHECKS, b"[]")
    cfg = write_config(tmp_path, site)
    out = run_watcloud("status", "-c", str(cfg), env={**ENV, "COLUMNS": "250"}).stdout
    alpha = next(line for line in out.splitlines() if line.lstrip().startswith("alpha-slurm1"))
    assert "health unknown (healthchecks unavailable)" in alpha
    assert " up " in alpha  # SLURM alone says the node takes jobs


def test_json_and_all(run_watcloud: Any, site: FakeSite, tmp_path: Path, fake_slurm: Path) -> None:
    cfg = write_config(tmp_path, site)
    data = json.loads(run_watcloud("status", "-c", str(cfg), "-o", "json", env=ENV).stdout)
    machines = {m["name"]: m for m in data["machines"]}
    assert machines["storage1"]["state"] == "up"
    assert machines["gamma-slurm1"]["slurm"]["reason"].startswith("Not responding")
    assert machines["delta-slurm1"]["maintenance"]["reservation"] == "maint-now"
    assert datetime.fromisoformat(data["generated_at"]).tzinfo is not None
    everything = json.loads(
        run_watcloud("status", "-c", str(cfg), "-o", "json", "--all", env=ENV).stdout
    )
    storage = next(m for m in everything["machines"] if m["name"] == "storage1")
    assert storage["state"] == "degraded"
    assert {c["name"] for c in storage["checks"]} == {"ceph-health", "cluster-connection"}


def test_second_run_is_replayed_and_refresh_asks_again(
    run_watcloud: Any, site: FakeSite, tmp_path: Path, fake_bin: Path
) -> None:
    cfg = write_config(tmp_path, site)
    first = run_watcloud("status", "-c", str(cfg), env=ENV)
    assert site.count(CHECKS) == 1
    # change the server's answer: the replay must still show the first one
    site.set_json(CHECKS, {"checks": []})
    second = run_watcloud("status", "-c", str(cfg), env=ENV)
    assert second.stdout == first.stdout and second.returncode == 0
    assert site.count(CHECKS) == 1
    third = run_watcloud("status", "-c", str(cfg), "--refresh", env=ENV)
    assert site.count(CHECKS) == 2
    assert "8 machines" in first.stdout and "8 machines" not in third.stdout


def test_hanging_server_shows_what_is_known(
    run_watcloud: Any, site: FakeSite, tmp_path: Path, fake_slurm: Path
) -> None:
    site.set_json(CHECKS, {"checks": []}, delay=30)
    cfg = write_config(tmp_path, site, source_timeout=0.5)
    proc = run_watcloud("status", "-c", str(cfg), env=ENV)
    assert proc.returncode == 0
    assert "source healthchecks: FAILED: no answer within 0.5 s" in proc.stdout
    assert proc.stderr.startswith("warning: source healthchecks failed: no answer within 0.5 s")
    assert "Traceback" not in proc.stderr
    # SLURM and machine-info still count
    assert "maintenance" in proc.stdout and "login2" in proc.stdout
    # a failed run is not replayed: the next run asks again
    site.set_json(CHECKS, {"checks": []})
    again = run_watcloud("status", "-c", str(cfg), env=ENV)
    assert "source healthchecks: ok" in again.stdout


def test_malformed_json_from_a_source(
    run_watcloud: Any, site: FakeSite, tmp_path: Path, fake_bin: Path
) -> None:
    site.set_raw(MACHINES, b'{"machines": {"slurm_compute_nodes": [')
    cfg = write_config(tmp_path, site)
    proc = run_watcloud("status", "-c", str(cfg), "-o", "json", env=ENV)
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    src = {s["name"]: s for s in data["sources"]}
    assert not src["machine-info"]["ok"] and "malformed JSON" in src["machine-info"]["error"]
    # machines still come from the health checks
    assert {m["name"] for m in data["machines"]} >= {"alpha-slurm1", "login1"}
    assert "machine-info failed" in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_host_tag_is_named(
    run_watcloud: Any, site: FakeSite, tmp_path: Path, fake_bin: Path
) -> None:
    payload = {
        "checks": [
            {
                "name": "x",
                "status": "down",
                "tags": "host=ghost check=ping public=True",
                "last_ping": None,
            }
        ]
    }
    site.set_json(CHECKS, payload)
    cfg = write_config(tmp_path, site)
    proc = run_watcloud("status", "-c", str(cfg), env=ENV)
    assert proc.returncode == 0
    assert "note: health checks name host(s) missing from machine-info: ghost" in proc.stdout
    ghost = next(line for line in proc.stdout.splitlines() if line.lstrip().startswith("ghost"))
    assert "down" in ghost and "ping down (last ping ?)" in ghost


def test_missing_config_file(run_watcloud: Any, tmp_path: Path) -> None:
    proc = run_watcloud("status", "-c", str(tmp_path / "nope.yaml"))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "nope.yaml: config file not found" in proc.stderr


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("source_timeout: soon\n", "key 'source_timeout'"),
        ("machine_info: x\n", "key 'machine_info': unknown key"),
        ("daemons: [{unit: x}]\n", "key 'daemons.0.name': required key is missing"),
        ("a: [\n", "invalid YAML"),
    ],
)
def test_bad_config(run_watcloud: Any, tmp_path: Path, text: str, expect: str) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    proc = run_watcloud("status", "-c", str(cfg))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert expect in proc.stderr and "Traceback" not in proc.stderr


def test_no_sources_at_all(run_watcloud: Any, tmp_path: Path, fake_bin: Path) -> None:
    cfg = write_config(
        tmp_path, None, machine_info_url="http://127.0.0.1:9/none", source_timeout=0.5
    )
    proc = run_watcloud("status", "-c", str(cfg))
    assert proc.returncode == 0
    assert "No machines known" in proc.stdout
    assert "source machine-info: FAILED" in proc.stdout
    assert "source healthchecks: skipped (needs a read-only API key" in proc.stdout


# ---- useful without a key of one's own; clear lines when something is missing ----------------


def test_site_config_gives_every_user_the_health_checks(
    run_watcloud: Any, site: FakeSite, tmp_path: Path, fake_bin: Path
) -> None:
    key = tmp_path / "hc-read-key"
    key.write_text(API_KEY + "\n")
    site_cfg = tmp_path / "etc-cluster.yaml"  # the path the autouse fixture points at
    site_cfg.write_text(
        f"machine_info_url: {site.base}{MACHINES}\nhealthchecks_url: {site.base}\n"
        f"healthchecks_api_key_file: {key}\nsource_timeout: 5\n"
    )
    # no key in the environment, no user config at all
    data = json.loads(run_watcloud("status", "-o", "json").stdout)
    states = {m["name"]: m["state"] for m in data["machines"]}
    # every host with health checks has a verdict (delta-slurm1 and login2 have none)
    assert [n for n, st in states.items() if st == "unknown"] == ["delta-slurm1", "login2"]
    assert states["gamma-slurm1"] == "down" and states["beta-slurm1"] == "degraded"
    assert {s["name"]: s["ok"] for s in data["sources"]}["healthchecks"] is True
    # the user's file wins key by key over the site's
    user = write_config(tmp_path, None, healthchecks_url="http://127.0.0.1:9")
    proc = run_watcloud("status", "-c", str(user), "-o", "json")
    sources = {s["name"]: s for s in json.loads(proc.stdout)["sources"]}
    assert sources["machine-info"]["ok"] and not sources["healthchecks"]["ok"]


def test_missing_key_is_one_line_naming_what_is_missing(
    run_watcloud: Any, site: FakeSite, tmp_path: Path, fake_bin: Path
) -> None:
    cfg = write_config(tmp_path, site)
    proc = run_watcloud("status", "-c", str(cfg), env={"WATCLOUD_HEALTHCHECKS_API_KEY": ""})
    assert proc.returncode == 0
    (line,) = [x for x in proc.stdout.splitlines() if x.startswith("source healthchecks")]
    assert "needs a read-only API key: set WATCLOUD_HEALTHCHECKS_API_KEY" in line
    assert f"no site config at {tmp_path / 'etc-cluster.yaml'}" in line


def test_bad_site_config_is_named(run_watcloud: Any, tmp_path: Path) -> None:
    (tmp_path / "etc-cluster.yaml").write_text("source_timeout: soon\n")
    proc = run_watcloud("status")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "etc-cluster.yaml: key 'source_timeout'" in proc.stderr


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("machine_info_url: ftp://example.org/m.json\n", "key 'machine_info_url': expected a URL"),
        ("healthchecks_url: file:///tmp/x\n", "key 'healthchecks_url': expected a URL"),
        ("healthchecks_url: 'https://'\n", "the URL has no host"),
    ],
)
def test_unusable_urls_fail_validation(
    run_watcloud: Any, tmp_path: Path, text: str, expect: str
) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    proc = run_watcloud("status", "-c", str(cfg))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert expect in proc.stderr


def test_connection_refused_names_the_url(
    run_watcloud: Any, tmp_path: Path, fake_bin: Path
) -> None:
    cfg = write_config(tmp_path, None, machine_info_url="http://127.0.0.1:9/m.json")
    proc = run_watcloud("status", "-c", str(cfg))
    assert "source machine-info: FAILED" in proc.stdout
    assert "cannot connect to http://127.0.0.1:9/m.json: connection refused" in proc.stderr


def test_slurm_status_is_per_command(
    run_watcloud: Any, site: FakeSite, tmp_path: Path, fake_bin: Path
) -> None:
    # sinfo fails, scontrol answers: the scontrol data is shown and only sinfo is called failed
    write_exe(
        fake_bin, "sinfo", 'echo "sinfo: error: slurm_load_partitions: Zero Bytes" >&2; exit 1\n'
    )
    serve_text(
        fake_bin,
        "scontrol",
        {
            "show node --oneliner": scontrol_nodes(),
            "show reservation --oneliner": scontrol_reservations(datetime.now(UTC)),
        },
    )
    cfg = write_config(tmp_path, site)
    proc = run_watcloud("status", "-c", str(cfg), env={**ENV, "COLUMNS": "250"})
    assert proc.returncode == 0
    (line,) = [x for x in proc.stdout.splitlines() if x.startswith("source slurm")]
    assert "FAILED:" not in line
    assert line.startswith("source slurm: partial: sinfo FAILED (")
    assert "Zero Bytes" in line
    assert line.endswith("; scontrol show node ok; scontrol show reservation ok")
    assert "SLURM IDLE+DRAIN: Kernel upgrade pending" in proc.stdout
    assert proc.stderr.startswith("warning: source slurm partly failed: sinfo: ")
    data = json.loads(run_watcloud("status", "-c", str(cfg), "-o", "json", env=ENV).stdout)
    slurm_src = next(s for s in data["sources"] if s["name"] == "slurm")
    assert slurm_src["partial"] is True
    assert [(c["command"], c["ok"]) for c in slurm_src["commands"]] == [
        ("sinfo", False),
        ("scontrol show node", True),
        ("scontrol show reservation", True),
    ]


def badge(status: str, total: int, down: int = 0, grace: int = 0) -> dict[str, Any]:
    """healthchecks.io's JSON status badge, as its docs and badge views describe it."""
    return {"status": status, "total": total, "grace": grace, "down": down}


def test_public_badges_without_any_key(
    run_watcloud: Any, site: FakeSite, tmp_path: Path, fake_bin: Path
) -> None:
    # the admins list each host's badge (per-tag URL: badge key, tag hash, tag) in the site config
    urls = {}
    for host, payload in {
        "alpha-slurm1": badge("up", 2),
        "beta-slurm1": badge("down", 2, down=1),
        "gamma-slurm1": badge("down", 2, down=2),
        "login1": badge("up", 1, grace=1),
    }.items():
        path = f"/badge/AbCdEfGh/1a2b3c4d/host={host}.json"
        site.set_json(path, payload)
        urls[host] = site.base + path
    import yaml

    (tmp_path / "etc-cluster.yaml").write_text(
        yaml.safe_dump({"machine_info_url": site.base + MACHINES, "healthchecks_badges": urls})
    )
    data = json.loads(run_watcloud("status", "-o", "json").stdout)
    states = {m["name"]: m["state"] for m in data["machines"]}
    assert states["alpha-slurm1"] == "up" and states["beta-slurm1"] == "degraded"
    assert states["gamma-slurm1"] == "down" and states["login1"] == "up"
    src = {s["name"]: s for s in data["sources"]}["healthchecks"]
    assert src["ok"] and src["via"] == "public badges"
    assert site.count(CHECKS) == 0  # the keyed API was not asked
    text = run_watcloud("status", "--refresh", env={"COLUMNS": "200"}).stdout
    beta = next(x for x in text.splitlines() if x.lstrip().startswith("beta-slurm1"))
    assert "1/2 checks up (public badge)" in beta and "last ping" not in beta
    assert "source healthchecks: ok (via public badges)" in text
    # one badge failing: the others still count, and the failing one is named
    site.set_raw("/badge/AbCdEfGh/1a2b3c4d/host=login1.json", b"<html>", status=200)
    proc = run_watcloud("status", "--refresh", env={"COLUMNS": "200"})
    line = next(x for x in proc.stdout.splitlines() if x.startswith("source healthchecks"))
    assert line.startswith("source healthchecks (via public badges): partial: ")
    assert "badge login1 FAILED (unexpected answer from" in line
    assert "badge alpha-slurm1 ok" in line


def test_badge_shapes() -> None:
    from watcloud.cluster.health import SourceDataError, parse_badge

    assert [c.status for c in parse_badge("h", badge("down", 3, down=1, grace=1))] == [
        "down", "grace", "up",
    ]  # fmt: skip
    assert [c.status for c in parse_badge("h", {"status": "late"})] == ["grace"]
    for bad in (
        {"status": "maybe"},
        {"status": "up", "total": -1},
        [],
        {"status": "up", "down": "x", "total": 1},
    ):
        with pytest.raises(SourceDataError):
            parse_badge("h", bad)
