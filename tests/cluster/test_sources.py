"""Fetching from a real HTTP server on loopback: concurrency, timeouts, cache, bad answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cluster.conftest import API_KEY, CHECKS, MACHINES, FakeSite, serve_text
from tests.cluster.slurm_text import SINFO, scontrol_nodes
from watcloud.cluster.config import ClusterConfig
from watcloud.cluster.sources import ResponseCache, collect

pytestmark = pytest.mark.integration


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def cfg(site: FakeSite, **kw: Any) -> ClusterConfig:
    base = {
        "machine_info_url": site.base + MACHINES,
        "healthchecks_url": site.base,
        "use_slurm": False,
        "source_timeout": 2.0,
    }
    return ClusterConfig.model_validate({**base, **kw})


@pytest.fixture(autouse=True)
def _api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCLOUD_HEALTHCHECKS_API_KEY", API_KEY)


def by_name(sources: list[Any]) -> dict[str, Any]:
    return {s.name: s for s in sources}


def test_fetches_both_sources_with_api_key(site: FakeSite, tmp_path: Path) -> None:
    got = collect(cfg(site), cache=ResponseCache(tmp_path))
    assert len(got.machines) == 7
    assert got.checks is not None and len(got.checks) == 11
    src = by_name(got.sources)
    assert src["machine-info"].ok and src["healthchecks"].ok
    assert src["slurm"].skipped
    assert (CHECKS, API_KEY) in site.hits


def test_cache_serves_within_ttl_and_refresh_bypasses(site: FakeSite, tmp_path: Path) -> None:
    clock = Clock()
    cache = ResponseCache(tmp_path, clock)
    collect(cfg(site), cache=cache)
    clock.t += 29
    got = collect(cfg(site), cache=cache)
    assert site.count(CHECKS) == 1 and site.count(MACHINES) == 1
    assert by_name(got.sources)["healthchecks"].age_seconds == pytest.approx(29)
    collect(cfg(site), cache=cache, refresh=True)
    assert site.count(CHECKS) == 2
    clock.t += 31
    collect(cfg(site), cache=cache)
    assert site.count(CHECKS) == 3


def test_cache_key_depends_on_api_key_and_never_stores_it(
    site: FakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = ResponseCache(tmp_path)
    collect(cfg(site), cache=cache)
    monkeypatch.setenv("WATCLOUD_HEALTHCHECKS_API_KEY", "another-key")
    got = collect(cfg(site), cache=cache)
    assert site.count(CHECKS) == 2  # not served from the other key's cache entry
    assert not by_name(got.sources)["healthchecks"].ok  # the fake server refuses that key
    assert "HTTP 401" in by_name(got.sources)["healthchecks"].error
    for f in tmp_path.iterdir():
        assert API_KEY not in f.read_text()


def test_hanging_server_times_out_and_others_still_count(site: FakeSite, tmp_path: Path) -> None:
    site.set_json(CHECKS, {"checks": []}, delay=30)
    got = collect(cfg(site, source_timeout=0.5), cache=ResponseCache(tmp_path))
    src = by_name(got.sources)
    assert not src["healthchecks"].ok
    assert "no answer within 0.5 s" in src["healthchecks"].error
    assert src["machine-info"].ok and len(got.machines) == 7
    assert got.checks is None


def test_failure_falls_back_to_stale_cache(site: FakeSite, tmp_path: Path) -> None:
    clock = Clock()
    cache = ResponseCache(tmp_path, clock)
    collect(cfg(site), cache=cache)
    clock.t += 600
    site.set_raw(MACHINES, b"<html>oops</html>", status=502)
    got = collect(cfg(site), cache=cache)
    src = by_name(got.sources)["machine-info"]
    assert not src.ok and src.stale and src.age_seconds == pytest.approx(600)
    assert "HTTP 502" in src.error
    assert len(got.machines) == 7


@pytest.mark.parametrize(
    ("body", "expect"),
    [
        (b'{"checks": [', "malformed JSON"),
        (b'{"machines": 3}', 'expected an object with a "checks"'),
    ],
)
def test_malformed_answers_are_named(
    site: FakeSite, tmp_path: Path, body: bytes, expect: str
) -> None:
    site.set_raw(CHECKS, body)
    got = collect(cfg(site), cache=ResponseCache(tmp_path))
    src = by_name(got.sources)["healthchecks"]
    assert not src.ok and expect in src.error and CHECKS in src.error
    assert got.checks is None and len(got.machines) == 7
    # a bad answer is never cached
    assert len(list(tmp_path.iterdir())) == 1


def test_no_api_key_skips_healthchecks(
    site: FakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WATCLOUD_HEALTHCHECKS_API_KEY")
    got = collect(cfg(site), cache=ResponseCache(tmp_path))
    src = by_name(got.sources)["healthchecks"]
    assert src.skipped and "WATCLOUD_HEALTHCHECKS_API_KEY" in src.error
    assert site.count(CHECKS) == 0


def test_api_key_from_file(site: FakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WATCLOUD_HEALTHCHECKS_API_KEY")
    key = tmp_path / "key"
    key.write_text(API_KEY + "\n")
    got = collect(
        cfg(site, healthchecks_api_key_file=str(key)), cache=ResponseCache(tmp_path / "c")
    )
    assert by_name(got.sources)["healthchecks"].ok


def test_connection_refused_is_a_failed_source(site: FakeSite, tmp_path: Path) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    s.close()
    got = collect(cfg(site, machine_info_url=dead + "/m.json"), cache=ResponseCache(tmp_path))
    src = by_name(got.sources)["machine-info"]
    assert not src.ok and "connection refused" in src.error
    assert by_name(got.sources)["healthchecks"].ok


def test_file_url_for_machine_info(site: FakeSite, tmp_path: Path) -> None:
    f = tmp_path / "mi.json"
    f.write_text('{"machines": {"slurm_compute_nodes": [{"name": "solo"}]}}')
    got = collect(cfg(site, machine_info_url=f.as_uri()), cache=ResponseCache(tmp_path / "c"))
    assert [m.name for m in got.machines] == ["solo"]


def test_slurm_source_runs_fake_commands(site: FakeSite, tmp_path: Path, fake_bin: Path) -> None:
    serve_text(fake_bin, "sinfo", {"--Node --noheader --format=%N|%P|%T|%E": SINFO})
    serve_text(
        fake_bin,
        "scontrol",
        {
            "show node --oneliner": scontrol_nodes(),
            "show reservation --oneliner": "No reservations in the system\n",
        },
    )
    got = collect(cfg(site, use_slurm=True), cache=ResponseCache(tmp_path))
    src = by_name(got.sources)["slurm"]
    assert src.ok, src.error
    assert got.nodes is not None and got.nodes["beta-slurm1"].state == "IDLE+DRAIN"
    assert got.reservations == []


def test_slurm_partial_failure_is_named(site: FakeSite, tmp_path: Path, fake_bin: Path) -> None:
    serve_text(fake_bin, "sinfo", {"--Node --noheader --format=%N|%P|%T|%E": SINFO})
    serve_text(fake_bin, "scontrol", {"x": ""})  # refuses every real question
    got = collect(cfg(site, use_slurm=True), cache=ResponseCache(tmp_path))
    src = by_name(got.sources)["slurm"]
    assert not src.ok and "scontrol show node --oneliner" in src.error
    assert got.nodes is not None and got.nodes["gamma-slurm1"].state == "down*"
