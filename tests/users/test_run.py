"""The Typer-free entry (`run.fast`): same output as the Typer app, None for other forms."""

from __future__ import annotations

import enum
import subprocess
import sys
from pathlib import Path

import pytest

from tests.users.helpers import make_root, small_config, write_config
from watcloud.users.run import fast

# The dispatcher with the one-line registration this tool asks for (see docs/users.md).
PATCHED = (
    "import sys, watcloud.cli as c; "
    "c.COMMANDS['users'] = c.COMMANDS['users']._replace(fast='watcloud.users.run:fast'); "
    "code = c.run(sys.argv[1:]); "
    "sys.stderr.write('typer imported: %s\\n' % ('typer' in sys.modules)); sys.exit(code)"
)

# The dispatcher with no fast entry: the Typer command alone (the installed `watcloud` has the
# fast entry registered, so running it compares the shortcut with itself).
TYPER_ONLY = PATCHED.replace("fast='watcloud.users.run:fast'", "fast=None")


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--help"],
        ["plan", "--help"],
        ["plan", "--bogus"],
        ["plan", "--config"],  # missing value
        ["plan", "-o", "yaml"],
        ["apply", "-c", "x.yaml"],  # would prompt: Typer's confirm
        ["status"],
    ],
)
def test_other_forms_fall_back_to_typer(argv: list[str]) -> None:
    assert fast(argv) is None


def test_fast_path_matches_typer_output(tmp_path: Path) -> None:
    root_a = make_root(tmp_path / "a")
    root_b = make_root(tmp_path / "b")
    config = write_config(tmp_path / "c.json", small_config())

    def patched(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", PATCHED, "users", *args], capture_output=True, text=True
        )

    def run_watcloud(*args: str) -> subprocess.CompletedProcess[str]:
        # the Typer app alone: the installed `watcloud` would take the fast entry too
        return subprocess.run(
            [sys.executable, "-c", TYPER_ONLY, *args], capture_output=True, text=True
        )

    for args in (["plan", "-c", str(config)], ["plan", f"--config={config}", "-o", "json"]):
        typer_res = run_watcloud("users", *args, "--root", str(root_a))
        fast_res = patched(*args, "--root", str(root_a))
        assert fast_res.returncode == typer_res.returncode == 0
        assert fast_res.stdout == typer_res.stdout
        assert "typer imported: False" in fast_res.stderr
    typer_res = run_watcloud("users", "apply", "-c", str(config), "--root", str(root_a), "--yes")
    fast_res = patched("apply", "-c", str(config), "--root", str(root_b), "-y")
    assert fast_res.stdout == typer_res.stdout and fast_res.returncode == 0
    for kind in ("passwd", "group", "gshadow"):
        assert (root_a / "etc" / kind).read_bytes() == (root_b / "etc" / kind).read_bytes()
    bad = write_config(
        tmp_path / "bad.json", {"managed_uid_range": [10, 5], "managed_gid_range": [10, 20]}
    )
    res = patched("plan", "-c", str(bad), "--root", str(root_b))
    assert res.returncode == 2 and "greater than" in res.stderr


def _spellings(command: str) -> list[tuple[str, list[str]]]:
    """Every option of the real Typer `users COMMAND`, each spelling with each value it takes:
    (name of the parameter, argv fragment)."""
    import typer.main

    from watcloud.users.cli import app

    cmd = typer.main.get_command(app).commands[command]  # type: ignore[attr-defined]
    forms: list[tuple[str, list[str]]] = []
    for param in cmd.params:
        assert param.param_type_name == "option", param  # plan/apply take no argument
        for spelling in [*param.opts, *param.secondary_opts]:
            if param.is_flag:
                forms.append((str(param.name), [spelling]))
                continue
            annotation = param.type_descriptor.annotation
            if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
                values = [str(c.value) for c in annotation]  # every choice
            else:
                values = ["<" + str(param.name) + ">"]  # filled in per run
            for value in values:
                forms.append((str(param.name), [spelling, value]))
                if spelling.startswith("--"):
                    forms.append((str(param.name), [f"{spelling}={value}"]))
    return forms


@pytest.mark.parametrize("command", ["plan", "apply"])
def test_fast_path_accepts_every_option_of_the_typer_command(command: str, tmp_path: Path) -> None:
    """Each option of the real command, in each spelling, through the dispatcher with the fast
    entry and through Typer alone: same output, same exit, same files; the fast entry either
    handles the form or hands it to Typer. Adding an option to the Typer command adds a case."""
    config = write_config(tmp_path / "c.json", small_config())
    forms = _spellings(command)
    names = {name for name, _ in forms}
    assert {"config", "root", "output"} <= names and (command == "plan" or "yes" in names)
    typer_spellings = {f[0].partition("=")[0] for _, f in forms}
    from watcloud.users import run

    # the fast parser knows no option the real command lacks
    assert set(run._VALUE_OPTS) | ({"--yes", "-y"} if command == "apply" else set()) <= (
        typer_spellings
    )
    handled = 0
    for n, (name, fragment) in enumerate(forms):
        roots = [make_root(tmp_path / f"{n}-{side}") for side in ("typer", "fast")]
        results = []
        for root in roots:
            values = {"<config>": str(config), "<root>": str(root)}
            args = [
                values.get(a, a.replace("<config>", str(config)).replace("<root>", str(root)))
                for a in fragment
            ]
            if name != "config":
                args += ["-c", str(config)]
            if name != "root":
                args += ["--root", str(root)]
            if command == "apply" and name != "yes":
                args.append("--yes")
            results.append((root, args))
        (root_t, args_t), (root_f, args_f) = results
        typer_res, fast_res = (
            subprocess.run(
                [sys.executable, "-c", code, "users", command, *args],
                capture_output=True,
                text=True,
            )
            for code, args in ((TYPER_ONLY, args_t), (PATCHED, args_f))
        )
        assert "typer imported: True" in typer_res.stderr
        assert fast_res.returncode == typer_res.returncode == 0, (fragment, fast_res.stderr)
        assert fast_res.stdout.replace(str(root_f), "R") == typer_res.stdout.replace(
            str(root_t), "R"
        ), fragment
        for kind in ("passwd", "shadow", "group", "gshadow"):
            assert (root_t / "etc" / kind).read_bytes() == (root_f / "etc" / kind).read_bytes()
        handled += "typer imported: False" in fast_res.stderr
    assert handled > 0  # the shortcut is in use for the common forms
