"""`watcloud users plan|apply`: parse options, call the library, render the result.

The work and the rendering live in `run.py`, which the dispatcher can also call without
importing Typer (`run.fast`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from watcloud.core.clikit import ConfigOpt, OutputOpt, new_app
from watcloud.core.output import OutputFormat
from watcloud.users import run

app = new_app("Linux users, groups and SSH keys: declarative, transactional, shadow-utils locks.")

RootOpt = Annotated[
    Path,
    typer.Option(
        "--root",
        help="Operate on the files under DIR (a chroot, an image, a test tree).",
        file_okay=False,
    ),
]


@app.command()
def plan(
    config: ConfigOpt = None,
    root: RootOpt = Path("/"),
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Show exactly what `apply` would change (reads only; takes no locks)."""
    run.do_plan(config, root, output is OutputFormat.json)


@app.command()
def apply(
    config: ConfigOpt = None,
    root: RootOpt = Path("/"),
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")] = False,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Apply the config: account files in one locked transaction, then homes and keys."""

    def confirm(question: str) -> bool:
        return typer.confirm(question, default=False)

    if not run.do_apply(config, root, output is OutputFormat.json, yes=yes, confirm=confirm):
        raise typer.Exit(1)
