"""The `plan` and `apply` commands without Typer: shared by `cli.py` and the fast entry.

`fast(argv)` handles the common, non-interactive forms (`plan ...`, `apply ... --yes`) with a
tiny option parser and returns None for anything else (help, a prompt, an unknown option), so
the dispatcher falls back to the Typer app, which explains usage errors. Skipping Typer's import
saves about a quarter of a small run's start-up.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from watcloud.core.errors import WatcloudError
from watcloud.core.output import emit_json, warn
from watcloud.users.plan import Change, summary

if TYPE_CHECKING:
    from watcloud.users.config import UsersConfig

SIGN = {"add": "+", "change": "~", "delete": "-"}


class PartialFailure(WatcloudError):
    """The account files were written but some filesystem actions failed: exit 1."""

    exit_code = 1


def load_config(path: Path | None) -> UsersConfig:
    from watcloud.users.config import load_users_config

    return load_users_config(path)


def render(changes: list[Change], verb: str = "Plan") -> str:
    lines = []
    for c in changes:
        detail = f" ({', '.join(c.details)})" if c.details else ""
        lines.append(f"  {SIGN[c.action]} {c.kind} {c.name}{detail}")
    s = summary(changes)
    if not changes:
        lines.append("No changes. The system matches the config.")
    else:
        lines.append(
            f"{verb}: {s['add']} to add, {s['change']} to change, {s['delete']} to delete."
        )
    return "\n".join(lines) + "\n"


def as_json(
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


def report(
    changes: list[Change], root: Path, notes: list[str], json_output: bool, applied: bool | None
) -> None:
    if json_output:
        emit_json(as_json(changes, root, notes, applied))
        return
    for note in notes:
        warn(note)
    if applied and not changes:
        sys.stdout.write("No changes. The system matches the config.\n")
        return
    sys.stdout.write(render(changes, "Applied" if applied else "Plan"))


def do_plan(config: Path | None, root: Path, json_output: bool) -> None:
    from watcloud.users.apply import make_plan

    result = make_plan(root, load_config(config))
    report(result.changes, root, result.notes, json_output, None)


def do_apply(
    config: Path | None,
    root: Path,
    json_output: bool,
    *,
    yes: bool,
    confirm: Callable[[str], bool] | None = None,
) -> bool:
    """Apply; without `yes`, show the plan and ask `confirm`. False when the answer was no."""
    from watcloud.users import apply as engine

    cfg = load_config(config)
    expected = None
    if not yes:
        shown = engine.make_plan(root, cfg)
        if not shown.changes:
            report([], root, shown.notes, json_output, applied=False)
            return True
        if confirm is None or not sys.stdin.isatty():
            raise WatcloudError("refusing to apply without --yes when not on a terminal")
        sys.stdout.write(render(shown.changes))
        if not confirm("Apply these changes?"):
            return False
        expected = shown.changes
    result = engine.apply(root, cfg, expected=expected)
    report(result.changes, root, result.notes, json_output, applied=True)
    if result.failures:
        raise PartialFailure(f"{len(result.failures)} home/key/directory action(s) failed")
    return True


_VALUE_OPTS = {
    "--config": "config",
    "-c": "config",
    "--root": "root",
    "--output": "output",
    "-o": "output",
}


def fast(argv: Sequence[str]) -> int | None:
    """`watcloud users ARGV` without Typer, or None to let the Typer app handle it."""
    args = list(argv)
    if not args or args[0] not in ("plan", "apply"):
        return None
    command, rest = args[0], args[1:]
    values: dict[str, str] = {}
    yes = False
    i = 0
    while i < len(rest):
        arg = rest[i]
        name, eq, inline = arg.partition("=")
        if arg in ("--yes", "-y") and command == "apply":
            yes = True
        elif name in _VALUE_OPTS and (eq or i + 1 < len(rest)):
            if eq:
                values[_VALUE_OPTS[name]] = inline
            else:
                i += 1
                values[_VALUE_OPTS[name]] = rest[i]
        else:
            return None  # --help, a typo, a missing value: Typer explains
        i += 1
    if values.get("output", "text") not in ("text", "json") or (command == "apply" and not yes):
        return None
    config = Path(values["config"]) if "config" in values else None
    root = Path(values.get("root", "/"))
    if root.exists() and not root.is_dir():
        return None
    json_output = values.get("output") == "json"
    if command == "plan":
        do_plan(config, root, json_output)
    else:
        do_apply(config, root, json_output, yes=True)
    return 0


if (
    __name__ == "__main__"
):  # `python -m watcloud.users.run apply ...`: the same, without the dispatcher
    try:
        code = fast(sys.argv[1:])
    except WatcloudError as exc:
        sys.stderr.write(f"watcloud users: error: {exc}\n")
        sys.exit(exc.exit_code)
    if code is None:
        sys.stderr.write("watcloud users: use `watcloud users --help` for this form\n")
        sys.exit(2)
    sys.exit(code)
