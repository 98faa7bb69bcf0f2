"""The cached `watcloud status` path (`watcloud.cluster.fast`) against every option the real
`status` command has, enumerated from the Typer command so a new option cannot be missed: each
invocation replays exactly what the real command printed (same stdout, stderr and exit), keys
on the config file the real command read, or falls back to the real command."""

from __future__ import annotations

import enum
import typing
from pathlib import Path
from typing import Any

import pytest
import typer.main

from tests.cluster.conftest import API_KEY, CHECKS, FakeSite, write_config
from watcloud.cluster import fast
from watcloud.cluster.cli import status_app

pytestmark = pytest.mark.integration
ENV = {"WATCLOUD_HEALTHCHECKS_API_KEY": API_KEY}


def _invocations(cfg: Path) -> list[list[str]]:
    """Every spelling of every option of the real command (the config given with each)."""
    command = typer.main.get_command(status_app)
    assert command.callback is not None
    hints = typing.get_type_hints(command.callback)
    out: list[list[str]] = []
    for param in command.get_params(command.make_context("status", [], resilient_parsing=True)):
        if param.param_type_name != "option":
            pytest.fail(f"status has an argument {param.name!r}: teach this test its values")
        names = [*param.opts, *param.secondary_opts]
        given = [] if param.name == "config" else ["-c", str(cfg)]
        if param.is_flag:
            out += [[*given, name] for name in names]
            continue
        if param.name == "config":
            values = [str(cfg)]
        elif isinstance(hints.get(param.name or ""), type) and issubclass(
            hints[param.name or ""], enum.Enum
        ):
            values = [str(m.value) for m in hints[param.name or ""]]
        else:
            pytest.fail(f"status has a new option {param.name!r}: teach this test its values")
        for name in names:
            for value in values if name == names[0] else values[-1:]:
                out.append([*given, name, value])
                out.append([*given, f"{name}={value}" if name.startswith("--") else name + value])
    assert any("--help" in argv for argv in out) and len(out) > 8
    return out


def test_every_status_option_is_replayed_or_falls_back(
    run_watcloud: Any,
    site: FakeSite,
    tmp_path: Path,
    fake_bin: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cfg = write_config(tmp_path, site)
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)  # the same cache key in this process as in the runs
    for argv in _invocations(cfg):
        real = run_watcloud("status", *argv, env=ENV)
        assert real.returncode == 0, (argv, real.stderr)
        hits = site.count(CHECKS)
        again = run_watcloud("status", *argv, env=ENV)
        assert (again.stdout, again.stderr, again.returncode) == (
            real.stdout,
            real.stderr,
            real.returncode,
        ), argv
        capsys.readouterr()
        if any(arg in fast.BYPASS for arg in argv):
            assert fast.cached_status(argv) is None  # falls back to the real command
            if "--refresh" in argv:
                assert site.count(CHECKS) == hits + 1, argv
            continue
        # the record the real run stored is what the fast path serves for this argv ...
        assert fast.cached_status(argv) == real.returncode, argv
        assert capsys.readouterr().out == real.stdout, argv
        # ... keyed on the config file the real command reads, in every spelling
        with cfg.open("a") as fh:
            fh.write("# changed\n")
        assert fast.cached_status(argv) is None, argv
