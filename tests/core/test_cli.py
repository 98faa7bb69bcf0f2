"""The root dispatcher: fast help, lazy imports, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from watcloud.cli import COMMANDS, Entry, available, run


def test_help_lists_installed_commands(capsys: Any) -> None:
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    for name in available():
        assert f"  {name}" in out
    assert "Exit codes" in out


def test_no_args_prints_help_and_exits_2(capsys: Any) -> None:
    assert run([]) == 2
    assert "Usage: watcloud" in capsys.readouterr().out


def test_unknown_command(capsys: Any) -> None:
    assert run(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such command 'frobnicate'" in err


def test_a_tool_that_is_not_installed_is_neither_listed_nor_run(
    monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    ghost = Entry("watcloud.ghosttool.cli", "app", "Not shipped.")
    monkeypatch.setitem(COMMANDS, "ghost", ghost)
    assert "ghost" not in available()
    assert run(["ghost", "--help"]) == 2
    assert "no such command 'ghost'" in capsys.readouterr().err


def test_every_registered_module_is_a_watcloud_tool() -> None:
    for entry in COMMANDS.values():
        assert entry.module.startswith("watcloud.") and entry.module.endswith(".cli")


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys; from watcloud.cli import run; run(['--help']); "
        "heavy = [m for m in ('typer', 'rich', 'pydantic', 'httpx', 'yaml', 'jinja2', "
        "'harper', 'cloudflare', 'lxml', 'selectolax') if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_installed_command_version(run_watcloud: Any) -> None:
    proc = run_watcloud("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("watcloud ")
