"""The Typer-free entry (`run.fast`): same output as the Typer app, None for other forms."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

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


def test_fast_path_matches_typer_output(tmp_path: Path, run_watcloud: Any) -> None:
    root_a = make_root(tmp_path / "a")
    root_b = make_root(tmp_path / "b")
    config = write_config(tmp_path / "c.json", small_config())

    def patched(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", PATCHED, "users", *args], capture_output=True, text=True
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
