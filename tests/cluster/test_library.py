"""The library calls docs/cluster.md lists (## Library), imported and called as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cluster.conftest import API_KEY, FakeSite, write_config, write_exe
from watcloud.cluster import config as cluster_config
from watcloud.cluster.api import (
    capacity,
    daemon_reports,
    notify_job_end,
    quotas,
    start_daemon,
    status_report,
)
from watcloud.core.errors import InputError


def test_status_report(site: FakeSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCLOUD_HEALTHCHECKS_API_KEY", API_KEY)
    cfg = cluster_config.load(write_config(tmp_path, site, use_slurm=False))
    report = status_report(cfg, refresh=True)
    assert report.machines and not report.failed_sources
    assert report.as_json()["machines"]


def test_quotas_daemons_capacity_and_job_mail(tmp_path: Path, fake_bin: Path) -> None:
    write_exe(fake_bin, "systemctl", 'echo "Failed to connect to bus" >&2; exit 1\n')
    write_exe(fake_bin, "sinfo", 'echo "slurm_load_partitions: Unable to contact" >&2; exit 1\n')
    cfg = cluster_config.load(
        write_config(
            tmp_path,
            None,
            home=tmp_path,
            cpu_sample_seconds=0,
            daemons=[{"name": "d", "sockets": [str(tmp_path / "none.sock")]}],
        )
    )
    rows, notes = quotas(cfg)
    assert any(r.resource.startswith("disk") for r in rows) and isinstance(notes, list)
    (report,) = daemon_reports(cfg)
    assert report.state != "running"
    got = start_daemon(cfg, dry_run=True)
    assert not got.ran and got.spec.name == "d" and not got.ok
    with pytest.raises(InputError, match="no daemon named 'x'"):
        start_daemon(cfg, "x")
    with pytest.raises(InputError, match="cannot read the SLURM nodes"):
        capacity(cfg)
    with pytest.raises(InputError, match="not a SLURM job id"):
        notify_job_end(cfg, "12;rm", "a@example.org")
    with pytest.raises(InputError, match="no address"):
        notify_job_end(cfg, "12")
