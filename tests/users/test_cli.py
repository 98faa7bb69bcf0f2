"""End to end through the installed `watcloud` command."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_binary, watcloud_exe
from tests.users.helpers import make_root, small_config, write_config


def test_plan_apply_plan(tmp_path: Path, run_watcloud: Any) -> None:
    root = make_root(tmp_path)
    config = write_config(tmp_path / "users.json", small_config())
    before = (root / "etc/passwd").read_bytes()

    res = run_watcloud("users", "plan", "--config", str(config), "--root", str(root))
    assert res.returncode == 0, res.stderr
    assert "  + user alice (uid 2001, gid 2001, home /home/alice, shell /bin/bash)" in res.stdout
    assert "  + group students (gid 2500, members handmade,alice,bob)" in res.stdout
    assert "  + authorized_keys /home/alice/.ssh/authorized_keys (1 key(s))" in res.stdout
    assert "Plan: 12 to add, 0 to change, 0 to delete." in res.stdout
    assert (root / "etc/passwd").read_bytes() == before  # plan writes nothing

    res = run_watcloud("users", "plan", "-c", str(config), "--root", str(root), "--output", "json")
    data = json.loads(res.stdout)
    assert data["summary"] == {"add": 12, "change": 0, "delete": 0}
    assert {"action": "add", "kind": "linger", "name": "alice", "details": []} in data["changes"]

    res = run_watcloud("users", "apply", "-c", str(config), "--root", str(root))
    assert res.returncode == 2 and "--yes" in res.stderr  # not a terminal: refuses to guess
    assert (root / "etc/passwd").read_bytes() == before

    res = run_watcloud("users", "apply", "-c", str(config), "--root", str(root), "--yes")
    assert res.returncode == 0, res.stderr
    assert "Applied: 12 to add, 0 to change, 0 to delete." in res.stdout
    assert b"alice:x:2001" in (root / "etc/passwd").read_bytes()

    res = run_watcloud("users", "plan", "-c", str(config), "--root", str(root))
    assert res.returncode == 0 and "No changes." in res.stdout
    res = run_watcloud(
        "users", "apply", "-c", str(config), "--root", str(root), "--yes", "-o", "json"
    )
    assert json.loads(res.stdout)["changes"] == []


def test_yaml_config_and_change_shown(tmp_path: Path, run_watcloud: Any) -> None:
    root = make_root(tmp_path)
    config = write_config(tmp_path / "users.json", small_config())
    assert (
        run_watcloud("users", "apply", "-c", str(config), "--root", str(root), "-y").returncode == 0
    )
    yaml_cfg = tmp_path / "users.yaml"
    yaml_cfg.write_text(
        "managed_uid_range: [2000, 2999]\nmanaged_gid_range: [2000, 2999]\n"
        "users:\n  - {username: bob, uid: 2002, shell: /bin/sh}\n"
    )
    res = run_watcloud("users", "plan", "-c", str(yaml_cfg), "--root", str(root))
    assert "  ~ user bob (shell: '/bin/bash' -> '/bin/sh')" in res.stdout
    assert "  - user alice (uid 2001)" in res.stdout
    assert "  - group students (gid 2500)" in res.stdout


def test_bad_input_one_line_exit_2(tmp_path: Path, run_watcloud: Any) -> None:
    root = make_root(tmp_path)
    res = run_watcloud("users", "plan", "-c", str(tmp_path / "missing.yaml"), "--root", str(root))
    assert res.returncode == 2 and res.stderr.count("\n") == 1 and "not found" in res.stderr
    bad = small_config()
    bad["users"][0]["password"] = "hunter2"
    config = write_config(tmp_path / "bad.json", bad)
    res = run_watcloud("users", "plan", "-c", str(config), "--root", str(root))
    assert res.returncode == 2 and res.stderr.count("\n") == 1
    assert "plaintext passwords are refused" in res.stderr


def test_missing_root_dir_is_an_error(tmp_path: Path, run_watcloud: Any) -> None:
    config = write_config(tmp_path / "c.json", small_config())
    for cmd in (["plan"], ["apply", "--yes"]):
        res = run_watcloud("users", *cmd, "-c", str(config), "--root", str(tmp_path / "typo"))
        assert res.returncode == 2 and "not an existing directory" in res.stderr
    assert not (tmp_path / "typo").exists()


def test_plan_without_config_or_default(tmp_path: Path, run_watcloud: Any) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    res = run_watcloud("users", "plan", "--root", str(tmp_path), env=env)
    assert res.returncode == 2 and "users.yaml does not exist" in res.stderr
    (tmp_path / "cfg/watcloud").mkdir(parents=True)
    (tmp_path / "cfg/watcloud/users.yaml").write_text(
        "managed_uid_range: [2000, 2999]\nmanaged_gid_range: [2000, 2999]\n"
    )
    root = make_root(tmp_path)
    res = run_watcloud("users", "plan", "--root", str(root), env=env)
    assert res.returncode == 0 and "No changes." in res.stdout, res.stderr


def test_non_root_under_root_dir_degrades_ownership(run_watcloud: Any) -> None:
    """As a plain user (nobody, via setpriv) on a tree it owns: works, chown skipped, noted."""
    runner: list[str] = []
    if os.geteuid() == 0:
        (setpriv,) = require_binary("setpriv")
        runner = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
        probe = subprocess.run([*runner, watcloud_exe(), "--version"], capture_output=True)
        if probe.returncode != 0:
            pytest.skip(
                "this Python lives where uid 65534 cannot run it (e.g. under /root); "
                "test_non_root_logic_in_process covers the same logic in-process"
            )
    base = Path(tempfile.mkdtemp(prefix="watcloud-users-"))
    try:
        os.chmod(base, 0o755)
        root = make_root(base)
        config = write_config(base / "users.json", small_config())
        if runner:
            for dirpath, dirnames, filenames in os.walk(base):
                for name in [*dirnames, *filenames]:
                    os.lchown(os.path.join(dirpath, name), 65534, 65534)
            os.chown(base, 65534, 65534)
        exe = watcloud_exe()
        env = {**os.environ, "HOME": str(base)}

        def run(*args: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                [*runner, exe, "users", *args], capture_output=True, text=True, env=env
            )

        res = run("apply", "-c", str(config), "--root", str(root), "--yes")
        assert res.returncode == 0, res.stderr
        assert "not running as root" in res.stderr
        assert (root / "home/alice/.ssh/authorized_keys").exists()
        res = run("plan", "-c", str(config), "--root", str(root))
        assert "No changes." in res.stdout, res.stdout + res.stderr
        if runner:
            res = run("apply", "-c", str(config), "--yes")  # the real / as non-root
            assert res.returncode == 2 and "needs root" in res.stderr
    finally:
        shutil.rmtree(base)


def test_non_root_logic_in_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ownership is neither checked nor changed when not root; the real / is refused."""
    from watcloud.core.errors import WatcloudError
    from watcloud.users import apply as engine
    from watcloud.users.config import validate

    root = make_root(tmp_path)
    calls: list[tuple[int, int, int]] = []
    monkeypatch.setattr(engine, "is_root", lambda: False)
    monkeypatch.setattr(os, "fchown", lambda fd, u, g: calls.append((fd, u, g)))
    monkeypatch.setattr(os, "chown", lambda *a, **k: calls.append((0, 0, 0)))
    cfg = validate(small_config())
    result = engine.apply(root, cfg, today=20000)
    assert any("not running as root" in n for n in result.notes)
    assert calls == []  # no chown attempted
    assert (root / "home/alice/.ssh/authorized_keys").exists()
    assert engine.make_plan(root, cfg, today=20000).changes == []
    with pytest.raises(WatcloudError, match="needs root"):
        engine.apply(Path("/"), cfg, today=20000)
