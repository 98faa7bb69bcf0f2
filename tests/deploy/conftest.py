"""Fixtures of the deployment tests: the repository root and the deploy/ tree."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperGroup

from tests.conftest import missing

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def deploy_tool(name: str) -> str:
    """A tool that deploy/tools.sh fetches from Debian's archive (kubectl)."""
    proc = subprocess.run(
        ["bash", str(DEPLOY / "tools.sh"), name], capture_output=True, text=True, timeout=300
    )
    if proc.returncode != 0:
        missing(f"deploy/tools.sh {name}: {proc.stderr.strip()}")
    return proc.stdout.strip()


@pytest.fixture(scope="session")
def kubectl() -> str:
    return deploy_tool("kubectl")


def parse_cli(args: list[str]) -> None:
    """Parse `watcloud ARGS` with the tool's own Typer app (options, types, choices), without
    running it: a wrong subcommand or option raises click's usage error."""
    from watcloud.cli import COMMANDS

    entry = COMMANDS[args[0]]
    module = __import__(entry.module, fromlist=[entry.attr])
    cmd: Any = typer.main.get_command(getattr(module, entry.attr))
    ctx = cmd.make_context(args[0], list(args[1:]))
    while isinstance(cmd, TyperGroup):
        name, *rest = [*ctx._protected_args, *ctx.args]
        sub = cmd.get_command(ctx, name)
        assert sub is not None, f"no subcommand {name!r} in {args}"
        cmd, ctx = sub, sub.make_context(name, rest, parent=ctx)
