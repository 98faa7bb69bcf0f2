"""`watcloud users plan|apply`: parse options, call the library, render the result."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from watcloud.core.clikit import ConfigOpt, OutputOpt, new_app
from watcloud.core.errors import ConfigError, WatcloudError
from watcloud.core.output import OutputFormat, emit_json, warn
from watcloud.core.paths import default_config_path
from watcloud.users.plan import Change, summary

if TYPE_CHECKING:
    from watcloud.users.config import UsersConfig

app = new_app("Linux users, groups and SSH keys: declarative, transactional, shadow-utils locks.")

RootOpt = Annotated[
    Path,
    typer.Option(
        "--root",
        help="Operate on the files under DIR (a chroot, an image, a test tree) [default: /].",
        file_okay=False,
    ),
]

SIGN = {"add": "+", "change": "~", "delete": "-"}


def _config(path: Path | None) -> UsersConfig:
    from watcloud.users.config import load

    if path is None:
        path = default_config_path("users")
        if not path.exists():
            raise ConfigError(f"no --config given and {path} does not exist")
    return load(path)


def _render(changes: list[Change]) -> str:
    lines = []
    for c in changes:
        detail = f" ({', '.join(c.details)})" if c.details else ""
        lines.append(f"  {SIGN[c.action]} {c.kind} {c.name}{detail}")
    s = summary(changes)
    if not changes:
        lines.append("No changes. The system matches the config.")
    else:
        lines.append(f"Plan: {s['add']} to add, {s['change']} to change, {s['delete']} to delete.")
    return "\n".join(lines) + "\n"


def _json(
    changes: list[Change], root: Path, notes: list[str], applied: bool | None
) -> dict[str, object]:
    data: dict[str, object] = {
        "root": str(root),
        "changes": [c.to_json() for c in changes],
        "summary": summary(changes),
        "notes": notes,
    }
    if applied is not None:
        data["applied"] = applied
    return data


@app.command()
def plan(
    config: ConfigOpt = None,
    root: RootOpt = Path("/"),
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Show exactly what `apply` would change (reads only; takes no locks)."""
    from watcloud.users.apply import make_plan

    cfg = _config(config)
    result = make_plan(root, cfg)
    if output is OutputFormat.json:
        emit_json(_json(result.changes, root, result.notes, None))
        return
    for note in result.notes:
        warn(note)
    sys.stdout.write(_render(result.changes))


@app.command()
def apply(
    config: ConfigOpt = None,
    root: RootOpt = Path("/"),
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Apply without asking.")] = False,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Apply the config: account files in one locked transaction, then homes and keys."""
    from watcloud.users import apply as engine

    cfg = _config(config)
    expected = None
    if not yes:
        shown = engine.make_plan(root, cfg)
        if not shown.changes:
            _report([], root, shown.notes, output, applied=False)
            return
        if not sys.stdin.isatty():
            raise WatcloudError("refusing to apply without --yes when not on a terminal")
        sys.stdout.write(_render(shown.changes))
        if not typer.confirm("Apply these changes?", default=False):
            raise typer.Exit(1)
        expected = shown.changes
    result = engine.apply(root, cfg, expected=expected)
    _report(result.changes, root, result.notes, output, applied=True)


def _report(
    changes: list[Change], root: Path, notes: list[str], output: OutputFormat, *, applied: bool
) -> None:
    if output is OutputFormat.json:
        emit_json(_json(changes, root, notes, applied))
        return
    for note in notes:
        warn(note)
    if not changes:
        sys.stdout.write("No changes. The system matches the config.\n")
        return
    sys.stdout.write(_render(changes).replace("Plan:", "Applied:"))
