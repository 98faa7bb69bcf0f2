"""How the cluster commands meet a user at the shell: piped output, help, usage errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.cluster.conftest import FakeSite, write_config

pytestmark = pytest.mark.integration


def test_piped_output_has_no_trailing_spaces(
    run_watcloud: Any, site: FakeSite, tmp_path: Path, fake_bin: Path
) -> None:
    cfg = write_config(tmp_path, site, home=tmp_path, cpu_sample_seconds=0)
    for args in (("status",), ("quota", "list"), ("daemon", "status")):
        proc = run_watcloud(*args, "-c", str(cfg), env={"COLUMNS": "200"})
        assert proc.stdout.strip(), (args, proc.stderr)
        padded = [line for line in proc.stdout.splitlines() if line != line.rstrip()]
        assert padded == [], args


@pytest.mark.parametrize("command", [("status",), ("quota", "list"), ("daemon", "status")])
def test_help_names_the_real_config_path_and_no_bool_metavar(
    run_watcloud: Any, tmp_path: Path, command: tuple[str, ...]
) -> None:
    xdg = tmp_path / "xdg-config"
    proc = run_watcloud(*command, "--help", env={"XDG_CONFIG_HOME": str(xdg), "COLUMNS": "200"})
    assert proc.returncode == 0
    assert "<bool>" not in proc.stdout and "<tool>" not in proc.stdout
    # help is wrapped at 80 columns (long paths too): compare without the whitespace
    flat = "".join(proc.stdout.split())
    assert f"[default:{xdg}/watcloud/cluster.yamlwhenitexists;" in flat
    assert f"readafterthesite-wide{tmp_path / 'etc-cluster.yaml'}]" in flat
    assert "╭" not in proc.stdout and proc.stdout == "\n".join(
        line.rstrip() for line in proc.stdout.split("\n")
    )


@pytest.mark.parametrize(
    ("args", "expect"),
    [
        (("status", "--bogus"), "watcloud status: error: No such option: --bogus"),
        (
            ("quota", "list", "-o", "xml"),
            "watcloud quota list: error: Invalid value for '--output'",
        ),
        (("daemon", "stat"), "watcloud daemon: error: No such command 'stat'"),
    ],
)
def test_usage_errors_are_one_line(run_watcloud: Any, args: tuple[str, ...], expect: str) -> None:
    proc = run_watcloud(*args)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith(expect), proc.stderr
    assert "╭" not in proc.stderr and proc.stdout == ""


def test_a_mistyped_command_gets_a_suggestion(run_watcloud: Any) -> None:
    proc = run_watcloud("statu")
    assert proc.returncode == 2
    assert proc.stderr == "watcloud: error: no such command 'statu'; did you mean 'status'?\n"
    far = run_watcloud("xyzzy")
    assert "did you mean" not in far.stderr and "see `watcloud --help`" in far.stderr
