"""apply against real files in a fake root, judged by shadow-utils' own tools."""

from __future__ import annotations

import copy
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_binary, require_root
from tests.users.helpers import (
    BASE_GROUP,
    BASE_PASSWD,
    BASE_SHADOW,
    SHA512,
    make_root,
    small_config,
    write_config,
)
from watcloud.core.errors import WatcloudError
from watcloud.users.apply import LockError, account_locks, apply, make_plan
from watcloud.users.config import UsersConfig, load, validate
from watcloud.users.files import FILES, read_db
from watcloud.users.plan import plan_accounts

REPO = Path(__file__).resolve().parents[2]
TODAY = 20000


def cfg_of(data: dict[str, Any]) -> UsersConfig:
    return validate(data)


def snapshot(root: Path) -> dict[str, tuple[bytes | str, int, int, int, int]]:
    """Every path under root: (content or link target, mode, uid, gid, mtime_ns)."""
    out: dict[str, tuple[bytes | str, int, int, int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            st = p.lstat()
            if p.is_symlink():
                body: bytes | str = os.readlink(p)
            elif p.is_file():
                body = p.read_bytes()
            else:
                body = "<dir>"
            out[str(p.relative_to(root))] = (body, st.st_mode, st.st_uid, st.st_gid, st.st_mtime_ns)
    return out


def unmanaged(data: bytes, lo: int = 2000, hi: int = 2999) -> list[bytes]:
    """The lines of a passwd/group file whose id is outside the managed range."""
    out = []
    for ln in data.splitlines(keepends=True):
        parts = ln.split(b":")
        if len(parts) < 3 or not parts[2].isdigit() or not lo <= int(parts[2]) <= hi:
            out.append(ln)
    return out


def pwck_clean(root: Path) -> None:
    pwck, grpck = require_binary("pwck", "grpck")
    require_root()  # -R chroots
    for tool in (pwck, grpck):
        res = subprocess.run([tool, "-r", "-R", str(root)], capture_output=True, text=True)
        lines = [
            ln for ln in (res.stdout + res.stderr).splitlines() if not ln.endswith(": no changes")
        ]
        assert res.returncode == 0 and lines == [], (tool, res.returncode, res.stdout, res.stderr)


def test_generated_files_pass_pwck_and_grpck(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    pwck_clean(root)  # the fixture itself is clean
    apply(root, cfg_of(small_config()), today=TODAY)
    pwck_clean(root)
    # and after changes and deletions
    cfg = small_config()
    del cfg["users"][0]
    cfg["groups"][1]["members"] = ["bob"]
    apply(root, cfg_of(cfg), today=TODAY)
    pwck_clean(root)


def test_owner_mode_backups_and_homes(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    os.chmod(root / "etc/shadow", 0o600)
    before = {k: (root / "etc" / k).read_bytes() for k in FILES}
    apply(root, cfg_of(small_config()), today=TODAY)
    for kind in FILES:
        assert (root / "etc" / f"{kind}-").read_bytes() == before[kind]
        assert (
            not (root / "etc" / f"{kind}+").exists()
            and not (root / "etc" / f"{kind}.lock").exists()
        )
    assert (root / "etc/shadow").stat().st_mode & 0o7777 == 0o600
    assert (root / "etc/shadow-").stat().st_mode & 0o7777 == 0o600
    assert (root / "etc/passwd").stat().st_mode & 0o7777 == 0o644
    if os.geteuid() == 0:
        assert (root / "etc/gshadow").stat().st_gid == 42
    home = root / "home/alice"
    assert (home / ".bashrc").read_text() == "# skel bashrc\n"
    assert (home / ".config/x.conf").read_text() == "x=1\n"
    assert home.stat().st_mode & 0o7777 == 0o700
    keys = home / ".ssh/authorized_keys"
    text = keys.read_text()
    assert text.startswith("# Managed by watcloud users") and text.rstrip().endswith("alice@laptop")
    assert keys.stat().st_mode & 0o7777 == 0o600
    if os.geteuid() == 0:
        assert (keys.stat().st_uid, keys.stat().st_gid) == (2001, 2001)
        assert (home / ".config/x.conf").stat().st_uid == 2001
        assert (root / "home/carol").stat().st_gid == 2500
    assert (root / "var/lib/systemd/linger/alice").exists()
    assert not (root / "var/lib/systemd/linger/bob").exists()
    assert not list((root / "home").glob(".*watcloud-new"))


def test_second_apply_is_a_no_op(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    cfg = cfg_of(small_config(managed_directories=[{"path": "/scratch/%u", "mode": "0750"}]))
    first = apply(root, cfg, today=TODAY)
    assert first.changes
    before = snapshot(root)
    second = apply(root, cfg, today=TODAY + 3)
    assert second.changes == [] and second.fs_actions == []
    assert make_plan(root, cfg, today=TODAY + 3).changes == []
    after = snapshot(root)
    # the lock file is opened, never rewritten; everything else is byte- and mtime-identical
    assert after == before


def test_unmanaged_users_survive_every_operation(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    steps: list[dict[str, Any]] = []
    c = small_config()
    steps.append(copy.deepcopy(c))
    c["users"][0]["shell"] = "/bin/sh"
    c["users"][1]["additional_groups"] = []
    steps.append(copy.deepcopy(c))
    c["users"] = c["users"][1:]
    c["groups"] = c["groups"][:1]
    steps.append(copy.deepcopy(c))
    c["users"] = []
    c["groups"] = []
    steps.append(copy.deepcopy(c))
    for cfg in steps:
        apply(root, cfg_of(cfg), today=TODAY)
        assert unmanaged((root / "etc/passwd").read_bytes()) == BASE_PASSWD.splitlines(
            keepends=True
        )
        assert unmanaged((root / "etc/group").read_bytes()) == BASE_GROUP.splitlines(keepends=True)
        shadow = (root / "etc/shadow").read_bytes()
        assert shadow.startswith(BASE_SHADOW)
    assert (root / "etc/passwd").read_bytes() == BASE_PASSWD
    assert (root / "etc/shadow").read_bytes() == BASE_SHADOW
    assert (root / "etc/group").read_bytes() == BASE_GROUP
    assert (root / "home/alice").is_dir()  # removed_user_home: keep


def test_removed_home_is_deleted_when_asked(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    apply(root, cfg_of(small_config()), today=TODAY)
    (root / "home/bob/.config/link").symlink_to(root / "etc")
    cfg = small_config(removed_user_home="remove")
    cfg["users"] = cfg["users"][:1]
    apply(root, cfg_of(cfg), today=TODAY)
    assert not (root / "home/bob").exists() and not (root / "home/carol").exists()
    assert (root / "home/alice").is_dir() and (root / "home/handmade").is_dir()
    assert (root / "etc/passwd").exists()  # the symlink inside bob's home was not followed


def test_bad_config_changes_nothing(tmp_path: Path, run_watcloud: Any) -> None:
    root = make_root(tmp_path)
    apply(root, cfg_of(small_config()), today=TODAY)
    before = snapshot(root)
    bads = []
    c = small_config()
    c["users"][0]["password"] = "plaintext-secret"
    bads.append(c)
    c = small_config()
    c["users"][0]["username"] = "handmade"  # clash with an unmanaged user
    bads.append(c)
    c = small_config()
    c["users"][1]["uid"] = 5000
    bads.append(c)
    c = small_config()
    c["users"][0]["ssh_authorized_keys"] = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGarbage"]
    bads.append(c)
    for i, bad in enumerate(bads):
        path = write_config(tmp_path / f"bad{i}.json", bad)
        res = run_watcloud("users", "apply", "--config", str(path), "--root", str(root), "--yes")
        assert res.returncode == 2, res.stderr
        assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
        assert snapshot(root) == before
    (tmp_path / "garbled.yaml").write_text("users: [ {username: \n")
    res = run_watcloud(
        "users", "apply", "-c", str(tmp_path / "garbled.yaml"), "--root", str(root), "--yes"
    )
    assert res.returncode == 2 and "invalid YAML" in res.stderr
    assert snapshot(root) == before


def test_symlinks_planted_by_a_user_are_not_followed(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    cfg = small_config(managed_directories=[{"path": "%h/work", "mode": "0700"}])
    apply(root, cfg_of(cfg), today=TODAY)
    victim = root / "victim"
    victim.mkdir(mode=0o755)
    (victim / "authorized_keys").write_text("precious\n")
    alice = root / "home/alice"
    shutil.rmtree(alice / ".ssh")
    (alice / ".ssh").symlink_to(victim)  # alice redirects ~/.ssh
    (alice / "work").rmdir()
    (alice / "work").symlink_to(victim)  # and her managed directory
    cfg["users"][0]["ssh_authorized_keys"].append(
        small_config()["users"][0]["ssh_authorized_keys"][0] + "2"
    )
    result = apply(root, cfg_of(cfg), today=TODAY)
    assert (victim / "authorized_keys").read_text() == "precious\n"
    assert victim.stat().st_mode & 0o7777 == 0o755
    assert (alice / ".ssh").is_symlink() and (alice / "work").is_symlink()
    skipped = [c for c in result.changes if any("skipped" in d for d in c.details)]
    assert {c.kind for c in skipped} >= {"directory", "authorized_keys"}
    # a symlinked authorized_keys file itself is not written through either
    (alice / ".ssh").unlink()
    (alice / ".ssh").mkdir()
    (alice / ".ssh/authorized_keys").symlink_to(victim / "authorized_keys")
    apply(root, cfg_of(cfg), today=TODAY)
    assert (victim / "authorized_keys").read_text() == "precious\n"


def test_lock_held_by_another_process_blocks_apply(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl,os,sys; fd=os.open(sys.argv[1], os.O_WRONLY|os.O_CREAT, 0o600); "
            "fcntl.lockf(fd, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()",
            str(root / "etc/.pwd.lock"),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        before = snapshot(root)
        with pytest.raises(LockError, match=r"\.pwd\.lock"):
            apply(root, cfg_of(small_config()), today=TODAY, lock_timeout=0.3)
        assert snapshot(root) == before
    finally:
        holder.communicate("")
    apply(root, cfg_of(small_config()), today=TODAY)  # free again
    assert b"alice" in (root / "etc/passwd").read_bytes()


def test_link_locks_live_and_stale(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    sleeper = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        (root / "etc/shadow.lock").write_text(str(sleeper.pid))  # as shadow-utils writes it
        with pytest.raises(LockError, match=r"shadow\.lock"), account_locks(root, timeout=0.3):
            pass
        assert not (root / "etc/passwd.lock").exists()  # what we took was released
    finally:
        sleeper.communicate(b"")
    # now its owner is dead: the lock is stale and taken over
    with account_locks(root, timeout=5):
        assert (root / "etc/shadow.lock").read_text() == str(os.getpid())
    assert not (root / "etc/shadow.lock").exists()


def _run_child(root: Path, config: Path, target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.users.crash_runner", str(root), str(config), target],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _prepared(tmp_path: Path) -> tuple[Path, Path]:
    """A root with users already applied, and a config that adds, changes and deletes."""
    root = make_root(tmp_path / "before")
    apply(root, cfg_of(small_config()), today=TODAY)
    cfg = small_config()
    cfg["users"][0]["shell"] = "/bin/sh"
    del cfg["users"][1]  # bob goes: deletion
    cfg["groups"][1] = {"groupname": "devs", "gid": 2600}  # admins goes, devs comes
    cfg["users"][0]["additional_groups"] = ["students", "devs"]
    cfg["users"].append(
        {
            "username": "dave",
            "uid": 2004,
            "ssh_authorized_keys": cfg["users"][0]["ssh_authorized_keys"],
        }
    )
    return root, write_config(tmp_path / "next.json", cfg)


def _consistent(root: Path) -> None:
    etc = root / "etc"

    def names(kind: str) -> set[bytes]:
        return {ln.split(b":")[0] for ln in (etc / kind).read_bytes().splitlines() if ln}

    assert names("passwd") <= names("shadow")
    assert names("group") <= names("gshadow")
    gids = {ln.split(b":")[2] for ln in (etc / "group").read_bytes().splitlines() if ln}
    assert all(ln.split(b":")[3] in gids for ln in (etc / "passwd").read_bytes().splitlines() if ln)


def test_killed_at_every_step_leaves_old_or_new_files(tmp_path: Path) -> None:
    before_root, config = _prepared(tmp_path)
    old = {k: (before_root / "etc" / k).read_bytes() for k in FILES}
    ref = tmp_path / "ref"
    shutil.copytree(before_root, ref, symlinks=True)
    listed = _run_child(ref, config, "list")
    assert listed.returncode == 0, listed.stderr
    steps = listed.stdout.split()
    assert "write:passwd:renamed" in steps and "write:shadow:written" in steps
    new = {k: (ref / "etc" / k).read_bytes() for k in FILES}
    assert all(new[k] != old[k] for k in FILES)
    # old, new, or the one planned intermediate (shadow/gshadow/group keeping deleted entries)
    planned = plan_accounts(read_db(before_root), load(config), TODAY).steps
    allowed = {k: {old[k], new[k]} | {d for kk, d in planned if kk == k} for k in FILES}
    assert any(d not in (old[k], new[k]) for k, d in planned), "no intermediate step tested"
    ref_tree = {k: v[:4] for k, v in snapshot(ref).items() if not k.startswith("etc/")}
    for i, step in enumerate(steps[:-1]):
        root = tmp_path / f"crash{i}"
        shutil.copytree(before_root, root, symlinks=True)
        res = _run_child(root, config, step)
        assert res.returncode == -signal.SIGKILL, (step, res.stderr)
        for kind in FILES:
            data = (root / "etc" / kind).read_bytes()
            assert data in allowed[kind], (step, kind)
            backup = root / "etc" / f"{kind}-"
            if data != old[kind]:
                assert backup.read_bytes() == old[kind]
        _consistent(root)
        # the next run (stale link locks, leftover temp files) finishes the job exactly
        done = _run_child(root, config, "none")
        assert done.returncode == 0, (step, done.stderr)
        for kind in FILES:
            assert (root / "etc" / kind).read_bytes() == new[kind], (step, kind)
        tree = {k: v[:4] for k, v in snapshot(root).items() if not k.startswith("etc/")}
        assert tree == ref_tree, step


def test_useradd_racing_with_apply_is_not_lost(tmp_path: Path) -> None:
    (useradd,) = require_binary("useradd")
    require_root()
    root = make_root(tmp_path)
    config = write_config(tmp_path / "c.json", small_config())
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.users.crash_runner",
            str(root),
            str(config),
            f"pause:planned:{fifo}",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "paused"
    # apply has read the files and holds the locks; useradd must wait for them
    racer = subprocess.Popen(
        [useradd, "--root", str(root), "-u", "1600", "-U", "-m", "racer"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        racer.wait(timeout=2)
        finished_early = True
    except subprocess.TimeoutExpired:
        finished_early = False
    with open(fifo, "w") as fh:
        fh.write("go")
    _, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    _, r_err = racer.communicate(timeout=60)
    assert racer.returncode == 0, r_err
    assert not finished_early, "useradd did not wait for the locks apply holds"
    passwd = (root / "etc/passwd").read_text()
    assert "racer:x:1600:" in passwd and "alice:x:2001:" in passwd
    assert (
        "racer:" in (root / "etc/shadow").read_text()
        and "alice:" in (root / "etc/shadow").read_text()
    )
    assert (
        "racer:x:" in (root / "etc/group").read_text()
        and "students:x:2500:" in (root / "etc/group").read_text()
    )
    pwck_clean(root)
    assert make_plan(root, cfg_of(small_config()), today=TODAY).changes == []


def test_keys_linger_and_directories_follow_the_config(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    cfg = small_config(
        ssh_authorized_keys_path="/etc/ssh/authorized_keys/%u",
        managed_directories=[{"path": "/scratch/%u", "mode": "0750"}],
        allowed_roots=["/home", "/scratch", "/etc/ssh/authorized_keys"],
    )
    apply(root, cfg_of(cfg), today=TODAY)
    central = root / "etc/ssh/authorized_keys/alice"
    assert central.read_text().splitlines()[1].endswith("alice@laptop")
    assert central.stat().st_mode & 0o7777 == 0o600
    assert (root / "etc/ssh/authorized_keys").stat().st_mode & 0o7777 == 0o755
    assert not (root / "home/alice/.ssh").exists()
    scratch = root / "scratch/carol"
    assert scratch.stat().st_mode & 0o7777 == 0o750
    if os.geteuid() == 0:
        assert (central.stat().st_uid, scratch.stat().st_uid, scratch.stat().st_gid) == (
            2001,
            2003,
            2500,
        )
    os.chmod(scratch, 0o777)  # drift is repaired
    cfg["users"][0]["ssh_authorized_keys"] = []
    cfg["users"][0]["linger"] = False
    cfg["users"][1]["linger"] = True
    result = apply(root, cfg_of(cfg), today=TODAY)
    got = {(c.action, c.kind, c.name) for c in result.changes}
    assert got == {
        ("delete", "authorized_keys", "/etc/ssh/authorized_keys/alice"),
        ("delete", "linger", "alice"),
        ("add", "linger", "bob"),
        ("change", "directory", "/scratch/carol"),
    }
    assert not central.exists()
    assert scratch.stat().st_mode & 0o7777 == 0o750
    assert sorted(os.listdir(root / "var/lib/systemd/linger")) == ["bob"]
    # a deleted user's linger flag goes too; an unmanaged user's flag stays
    (root / "var/lib/systemd/linger/handmade").touch()
    cfg["users"] = [u for u in cfg["users"] if u["username"] != "bob"]
    cfg["groups"][0]["members"] = []
    apply(root, cfg_of(cfg), today=TODAY)
    assert sorted(os.listdir(root / "var/lib/systemd/linger")) == ["handmade"]


def test_stale_confirmation_writes_nothing(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    cfg = cfg_of(small_config())
    shown = make_plan(root, cfg, today=TODAY).changes
    # someone adds a user inside the range between the plan and the confirmation
    with open(root / "etc/passwd", "a") as fh:
        fh.write("sneaky:x:2100:100::/home/sneaky:/bin/sh\n")
    with open(root / "etc/shadow", "a") as fh:
        fh.write("sneaky:!:1:0:99999:7:::\n")
    before = snapshot(root)
    with pytest.raises(WatcloudError, match="changed since the plan was shown"):
        apply(root, cfg, today=TODAY, expected=shown)
    assert snapshot(root) == before
    fresh = make_plan(root, cfg, today=TODAY).changes
    apply(root, cfg, today=TODAY, expected=fresh)
    assert b"sneaky" not in (root / "etc/passwd").read_bytes()


def test_interactive_confirmation_on_a_terminal(tmp_path: Path) -> None:
    import pty

    root = make_root(tmp_path)
    config = write_config(tmp_path / "c.json", small_config())
    exe = str(Path(sys.executable).parent / "watcloud")
    for answer, code, applied in (("n", 1, False), ("y", 0, True)):
        primary, secondary = pty.openpty()
        proc = subprocess.Popen(
            [exe, "users", "apply", "-c", str(config), "--root", str(root)],
            stdin=secondary,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.close(secondary)
        os.write(primary, (answer + "\n").encode())
        out, err = proc.communicate(timeout=60)
        os.close(primary)
        assert proc.returncode == code, err
        assert "Plan: 12 to add" in out and "Apply these changes?" in out
        assert (b"alice:x:2001" in (root / "etc/passwd").read_bytes()) is applied


def test_one_failing_home_does_not_stop_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_watcloud: Any
) -> None:
    from watcloud.users import apply as engine

    real = engine.run_action

    def flaky(root: Path, cfg: UsersConfig, act: Any, own: Any) -> None:
        if act.user == "bob" and act.op == "create_home":
            raise OSError(28, "No space left on device")
        real(root, cfg, act, own)

    monkeypatch.setattr(engine, "run_action", flaky)
    root = make_root(tmp_path)
    result = apply(root, cfg_of(small_config()), today=TODAY)
    assert result.failures == ["create_home /home/bob for bob failed: No space left on device"]
    assert (root / "home/alice").is_dir() and (root / "home/carol").is_dir()
    assert not (root / "home/bob").exists()
    monkeypatch.setattr(engine, "run_action", real)
    again = apply(root, cfg_of(small_config()), today=TODAY)  # the next run repairs it
    assert [(c.action, c.kind, c.name) for c in again.changes] == [("add", "home", "/home/bob")]
    # through the command's code path: the account files are written, the exit code is 1
    from watcloud.users.run import PartialFailure, do_apply

    monkeypatch.setattr(engine, "run_action", flaky)
    root2 = make_root(tmp_path / "two")
    config = write_config(tmp_path / "c.json", small_config())
    with pytest.raises(PartialFailure) as exc:
        do_apply(config, root2, False, yes=True)
    assert exc.value.exit_code == 1
    assert b"bob:x:2002" in (root2 / "etc/passwd").read_bytes()


def test_adopting_users_made_by_useradd_changes_nothing(tmp_path: Path) -> None:
    """Migration: users and groups created the per-user way are taken over without churn."""
    useradd, groupadd, chpasswd = require_binary("useradd", "groupadd", "chpasswd")
    require_root()
    root = make_root(tmp_path)
    shutil.copy("/etc/login.defs", root / "etc/login.defs")
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)  # noqa: E731
    run(groupadd, "--root", str(root), "-g", "2500", "students")
    run(
        useradd,
        "--root",
        str(root),
        "-u",
        "2001",
        "-U",
        "-m",
        "-G",
        "students",
        "-s",
        "/bin/sh",
        "-c",
        "Alice A",
        "alice",
    )
    run(useradd, "--root", str(root), "-u", "2002", "-U", "-m", "-G", "students", "bob")
    subprocess.run(
        [chpasswd, "-e", "--root", str(root)], input=f"alice:{SHA512}\n".encode(), check=True
    )
    cfg = {
        "managed_uid_range": [2000, 2999],
        "managed_gid_range": [2000, 2999],
        "default_shell": "/bin/sh",
        "home_mode": "0700",
        "groups": [{"groupname": "students", "gid": 2500}],
        "users": [
            {
                "username": "alice",
                "uid": 2001,
                "comment": "Alice A",
                "password": SHA512,
                "additional_groups": ["students"],
            },
            {
                "username": "bob",
                "uid": 2002,
                "shell": "/bin/bash",
                "additional_groups": ["students"],
            },
        ],
    }
    before = snapshot(root)
    plan = make_plan(root, cfg_of(cfg), today=TODAY)
    assert plan.changes == []  # homes exist and are owned right; their mode is not enforced
    apply(root, cfg_of(cfg), today=TODAY)
    for kind in FILES:
        assert snapshot(root)[f"etc/{kind}"] == before[f"etc/{kind}"]
