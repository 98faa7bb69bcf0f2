"""`watcloud config get|set|unset` on a real file: typed values, validation before writing,
atomic replacement, and where a value comes from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.integration


def test_set_get_unset_round_trip(run_watcloud: Any, tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    path = tmp_path / "cfg" / "watcloud" / "cluster.yaml"
    got = run_watcloud("config", "get", "source_timeout", env=env)
    assert got.stdout == "source_timeout = 3.0  (default)\n"
    done = run_watcloud("config", "set", "source_timeout", "7.5", env=env)
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(path.read_text()) == {"source_timeout": 7.5}
    assert path.stat().st_mode & 0o777 == 0o600
    run_watcloud("config", "set", "use_slurm", "false", env=env)
    run_watcloud("config", "set", "notify_email", "alice@example.org", env=env)
    data = yaml.safe_load(path.read_text())
    assert data == {"source_timeout": 7.5, "use_slurm": False, "notify_email": "alice@example.org"}
    got = json.loads(run_watcloud("config", "get", "use_slurm", "-o", "json", env=env).stdout)
    assert got == {"key": "use_slurm", "value": False, "source": "user", "file": str(path)}
    assert run_watcloud("config", "unset", "use_slurm", env=env).returncode == 0
    assert "use_slurm" not in yaml.safe_load(path.read_text())
    # the commands read what was written
    mi = tmp_path / "mi.json"
    mi.write_text('{"machines": {"slurm_login_nodes": [{"name": "login9"}]}}')
    run_watcloud("config", "set", "machine_info_url", mi.as_uri(), env=env)
    data = json.loads(run_watcloud("status", "-o", "json", env=env).stdout)
    assert [m["name"] for m in data["machines"]] == ["login9"]


def test_site_value_shows_where_it_comes_from(run_watcloud: Any, tmp_path: Path) -> None:
    (tmp_path / "etc-cluster.yaml").write_text("cache_ttl: 120\n")
    got = run_watcloud("config", "get", "cache_ttl", "-c", str(tmp_path / "mine.yaml"))
    assert got.stdout == f"cache_ttl = 120.0  (site {tmp_path / 'etc-cluster.yaml'})\n"


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (
            ("source_timout", "5"),
            "unknown config key 'source_timout'; did you mean 'source_timeout'?",
        ),
        (("source_timeout", "soon"), "key 'source_timeout'"),
        (("source_timeout", "600"), "key 'source_timeout': Input should be less than or equal"),
        (("machine_info_url", "ftp://x/y"), "key 'machine_info_url': expected a URL"),
        (("notify_email", "not an address"), "key 'notify_email': expected an email address"),
        (("source_timeout", "[unclosed"), "is not valid YAML"),
    ],
)
def test_bad_keys_and_values_change_nothing(
    run_watcloud: Any, tmp_path: Path, args: tuple[str, str], expect: str
) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("cache_ttl: 10\n")
    before = path.read_bytes()
    proc = run_watcloud("config", "set", *args, "-c", str(path))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert expect in proc.stderr, proc.stderr
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".c.yaml")] == []


def test_a_broken_file_is_not_overwritten(run_watcloud: Any, tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("cache_ttl: [\n")
    proc = run_watcloud("config", "set", "cache_ttl", "5", "-c", str(path))
    assert proc.returncode == 2 and "invalid YAML" in proc.stderr
    assert path.read_text() == "cache_ttl: [\n"
