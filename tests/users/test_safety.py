"""Running as root: hostile configs, implausible or corrupt account files, planted symlinks,
what killed runs leave behind. Each case gets its exact one-line error and exit 2."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_binary, require_root
from tests.users.helpers import BASE_PASSWD, BASE_SHADOW, make_root, small_config, write_config
from tests.users.test_apply import pwck_clean
from watcloud.users.apply import apply
from watcloud.users.config import validate

TODAY = 20000


def _one(**over: Any) -> dict[str, Any]:
    cfg = small_config(**over)
    cfg["users"] = [cfg["users"][0]]
    return cfg


def _user(**fields: Any) -> dict[str, Any]:
    cfg = _one()
    cfg["users"][0].update(fields)
    return cfg


def _bob(**fields: Any) -> dict[str, Any]:
    """alice and bob, bob with `fields`."""
    cfg = small_config()
    cfg["users"] = cfg["users"][:2]
    cfg["users"][1].update(fields)
    return cfg


HOSTILE: list[tuple[str, dict[str, Any], str]] = [
    # item 3: every dangerous path, each with the exact line the user sees
    (
        "key path onto /etc/shadow",
        _one(ssh_authorized_keys_path="/etc/shadow"),
        "users.0 (alice): ssh_authorized_keys_path '/etc/shadow' is in a system location (/etc)",
    ),
    ("home /etc", _user(home="/etc"), "users.0 (alice): home '/etc' is a system location"),
    ("home /", _user(home="/"), "users.0 (alice): home '/' is a system location"),
    (
        "home /usr",
        _user(home="/usr"),
        "users.0 (alice): home '/usr' is in a system location (/usr)",
    ),
    (
        "home in /bin",
        _user(home="/bin/x"),
        "users.0 (alice): home '/bin/x' is in a system location (/bin)",
    ),
    (
        "home in /boot",
        _user(home="/boot/%u"),
        "users.0 (alice): home '/boot/alice' is in a system location (/boot)",
    ),
    (
        "home /proc",
        _user(home="/proc"),
        "users.0 (alice): home '/proc' is in a system location (/proc)",
    ),
    (
        "home in /sys",
        _user(home="/sys/kernel"),
        "users.0 (alice): home '/sys/kernel' is in a system location (/sys)",
    ),
    (
        "home /dev",
        _user(home="/dev"),
        "users.0 (alice): home '/dev' is in a system location (/dev)",
    ),
    (
        "home /root",
        _user(home="/root"),
        "users.0 (alice): home '/root' is in a system location (/root)",
    ),
    (
        "home outside allowed_roots",
        _user(home="/data/%u"),
        "users.0 (alice): home '/data/alice' is outside allowed_roots (/home, /scratch)",
    ),
    (
        "home is an allowed root",
        _user(home="/home"),
        "users.0 (alice): home '/home' is an allowed root itself, not a directory below one",
    ),
    (
        "home with ..",
        _user(home="/home/../etc"),
        "users.0 (alice): home '/home/../etc' is not a normal absolute path "
        "(no '..', '.', '//' or trailing '/')",
    ),
    (
        "home with //",
        _user(home="/home//x"),
        "users.0 (alice): home '/home//x' is not a normal absolute path "
        "(no '..', '.', '//' or trailing '/')",
    ),
    ("skel /etc", _one(skel="/etc"), "skel '/etc' must be /etc/skel or a directory below it"),
    (
        "skel in a home",
        _one(skel="/home/alice"),
        "skel '/home/alice' must be /etc/skel or a directory below it",
    ),
    (
        "managed directory in /etc",
        _one(managed_directories=[{"path": "/etc/%u"}]),
        "users.0 (alice): managed_directories '/etc/%u' '/etc/alice' is in a system location "
        "(/etc)",
    ),
    (
        "managed directory /",
        _one(managed_directories=[{"path": "/"}]),
        "users.0 (alice): managed_directories '/' '/' is a system location",
    ),
    (
        "managed directory in /var/lib/systemd",
        _one(managed_directories=[{"path": "/var/lib/systemd/linger"}]),
        "users.0 (alice): managed_directories '/var/lib/systemd/linger' '/var/lib/systemd/linger' "
        "is in a system location (/var/lib/systemd)",
    ),
    (
        "key path is the home",
        _one(ssh_authorized_keys_path="%h"),
        "users.0 (alice): ssh_authorized_keys_path '/home/alice' is the home itself",
    ),
    (
        "allowed root /etc",
        _one(allowed_roots=["/etc"]),
        "key 'allowed_roots.0': an allowed root must not be a system location or hold one "
        "(got '/etc')",
    ),
    (
        "allowed root /",
        _one(allowed_roots=["/"]),
        "key 'allowed_roots.0': an allowed root must not be a system location or hold one "
        "(got '/')",
    ),
    (
        "allowed root in /usr",
        _one(allowed_roots=["/usr/local/home"]),
        "key 'allowed_roots.0': an allowed root must not be inside a system tree "
        "(/usr, /boot, /proc, ...) (got '/usr/local/home')",
    ),
    # onto a path another user owns
    (
        "home of another configured user",
        _bob(home="/home/alice"),
        "users.1 (bob): home '/home/alice' is also the home of alice",
    ),
    (
        "home inside another user's home",
        _bob(home="/home/alice/bob"),
        "users.1 (bob): home '/home/alice/bob' is inside alice's home /home/alice",
    ),
    (
        "key path in another user's home",
        {**_bob(), "ssh_authorized_keys_path": "/home/alice/.k-%u"},
        "users.1 (bob): ssh_authorized_keys_path '/home/alice/.k-bob' is inside alice's home "
        "/home/alice",
    ),
    (
        "one key file for everyone",
        small_config(ssh_authorized_keys_path="/home/keys"),
        "users.1 (bob): ssh_authorized_keys_path '/home/keys' is also alice's",
    ),
    # injections tried before: control characters, unknown template keys, relative paths
    (
        "newline in home",
        _user(home="/home/a\nroot::0:0::/:/bin/sh"),
        "key 'users.0.home': a path must not contain ':' or control characters "
        "(got '/home/a\\nroot::0:0::/:/bin/sh')",
    ),
    (
        "NUL in key path",
        _one(ssh_authorized_keys_path="/home/%u\x00/x"),
        "key 'ssh_authorized_keys_path': a path must not contain ':' or control characters "
        "(got '/home/%u\\x00/x')",
    ),
    (
        "relative home",
        _user(home="home/alice"),
        "key 'users.0.home': a path template must be absolute (or start with %h) "
        "(got 'home/alice')",
    ),
    (
        "unknown template key",
        _one(ssh_authorized_keys_path="%h/%x"),
        "key 'ssh_authorized_keys_path': unknown template key %x (use %u, %U, %h, %%) "
        "(got '%h/%x')",
    ),
]


@pytest.mark.parametrize(("case", "cfg", "line"), HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_config_is_refused_with_one_line(
    case: str, cfg: dict[str, Any], line: str, tmp_path: Path, run_watcloud: Any
) -> None:
    root = make_root(tmp_path)
    (root / "etc/shadow").chmod(0o640)
    before = (root / "etc/shadow").read_bytes()
    config = write_config(tmp_path / "c.json", cfg)
    res = run_watcloud("users", "apply", "--yes", "--config", str(config), "--root", str(root))
    assert res.returncode == 2, (case, res.stdout, res.stderr)
    err = res.stderr.strip()
    assert "\n" not in err and "Traceback" not in err
    assert err.endswith(line), (case, err)
    assert (root / "etc/shadow").read_bytes() == before
    assert not (root / "home/alice").exists()


def test_config_paths_that_resolve_through_symlinks_are_refused(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    (root / "home/alice").symlink_to("../etc")  # an admin-owned link that ends in /etc
    with pytest.raises(
        Exception, match=r"home '/home/alice' resolves to '/etc', which is a system"
    ):
        apply(root, validate(_one()), today=TODAY)
    (root / "home/alice").unlink()
    (root / "etc/skel").rename(root / "etc/skel.real")
    (root / "etc/skel").symlink_to("/etc")  # absolute: the host's /etc, outside --root
    with pytest.raises(Exception, match=r"skel '/etc/skel' resolves to a path outside --root"):
        apply(root, validate(_one()), today=TODAY)


def test_home_owned_by_another_user_is_refused(tmp_path: Path) -> None:
    require_root()
    root = make_root(tmp_path)
    os.chown(root / "home/handmade", 1500, 1500)
    cfg = _user(home="/home/handmade")
    with pytest.raises(Exception, match="inside the home of unmanaged user 'handmade'"):
        apply(root, validate(cfg), today=TODAY)
    (root / "home/carol").mkdir()
    os.chown(root / "home/carol", 1500, 1500)  # handmade's, though not handmade's home
    with pytest.raises(Exception, match="/home/carol belongs to user 'handmade'; refusing"):
        apply(root, validate(_user(home="/home/carol")), today=TODAY)
    assert b"alice" not in (root / "etc/passwd").read_bytes()  # nothing written


def test_managed_directory_under_a_user_writable_path_never_follows_a_link(
    tmp_path: Path,
) -> None:
    require_root()
    root = make_root(tmp_path)
    apply(root, validate(_one()), today=TODAY)  # alice exists
    scratch = root / "scratch"
    scratch.mkdir()
    scratch.chmod(0o1777)  # everyone may write scratch, as on the cluster
    target = root / "rootdir"
    (target / "cache").mkdir(parents=True)
    (scratch / "alice").symlink_to(target)
    os.lchown(scratch / "alice", 2001, 2001)  # planted by alice
    res = apply(root, validate(_one(managed_directories=[{"path": "/scratch/%u/cache"}])))
    st = (target / "cache").stat()
    assert (st.st_uid, st.st_gid) == (0, 0)  # root's directory stays root's
    assert any(
        "skipped" in n or "unsafe" in n for n in res.notes + [str(c.details) for c in res.changes]
    )


IMPLAUSIBLE = [
    ("emptied passwd", {"passwd": b""}, "/etc/passwd has no root entry (id 0)"),
    (
        "passwd lost a user shadow keeps",
        {"passwd": BASE_PASSWD.replace(b"daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n", b"")},
        "/etc/shadow has 1 line(s) with no passwd entry (daemon) that this tool did not manage",
    ),
    (
        "shadow lost an unmanaged user",
        {"shadow": BASE_SHADOW.replace(b"bin:*:19000:0:99999:7:::\n", b"")},
        "/etc/shadow has no line for 1 unmanaged passwd entry (bin)",
    ),
    (
        "uid in superscript digits",
        {"passwd": BASE_PASSWD + "odd:x:²:100::/home/odd:/bin/sh\n".encode()},
        "/etc/passwd line 7: uid '\\xb2' of 'odd' is not a number",
    ),
    (
        "uid in Arabic-Indic digits",
        {"passwd": BASE_PASSWD + "odd:x:٢٠٠١:100::/home/odd:/bin/sh\n".encode()},
        "/etc/passwd line 7: uid '\\u0662\\u0660\\u0660\\u0661' of 'odd' is not a number",
    ),
]


@pytest.mark.parametrize(("case", "files", "line"), IMPLAUSIBLE, ids=[c[0] for c in IMPLAUSIBLE])
def test_implausible_account_files_are_refused(
    case: str, files: dict[str, bytes], line: str, tmp_path: Path, run_watcloud: Any
) -> None:
    root = make_root(tmp_path)
    for kind, data in files.items():
        (root / "etc" / kind).write_bytes(data)
    before = {k: (root / "etc" / k).read_bytes() for k in ("passwd", "shadow", "group", "gshadow")}
    config = write_config(tmp_path / "c.json", small_config())
    res = run_watcloud("users", "apply", "--yes", "--config", str(config), "--root", str(root))
    assert res.returncode == 2, (case, res.stdout, res.stderr)
    err = res.stderr.strip()
    assert "\n" not in err and "Traceback" not in err
    assert f"{root}{line}" in err, (case, err)
    assert f"cp -p {root}/etc/passwd- {root}/etc/passwd" in err  # how to restore
    after = {k: (root / "etc" / k).read_bytes() for k in before}
    assert after == before


def test_a_file_that_shrank_since_its_backup_is_refused(tmp_path: Path, run_watcloud: Any) -> None:
    root = make_root(tmp_path)
    etc = root / "etc"
    shutil.copy(etc / "passwd", etc / "passwd-")
    shutil.copy(etc / "shadow", etc / "shadow-")
    kept = [b"root", b"handmade"]  # 4 of 6 unmanaged entries gone from both files
    for kind in ("passwd", "shadow"):
        lines = (etc / kind).read_bytes().splitlines(keepends=True)
        (etc / kind).write_bytes(b"".join(ln for ln in lines if ln.split(b":")[0] in kept))
    config = write_config(tmp_path / "c.json", small_config())
    res = run_watcloud("users", "apply", "--yes", "--config", str(config), "--root", str(root))
    assert res.returncode == 2
    assert f"{etc}/passwd lost 4 of the 6 unmanaged entries its backup passwd- has" in res.stderr
    cfg = small_config(max_shrink=0.7)  # the admin says it was deliberate
    config = write_config(tmp_path / "c.json", cfg)
    res = run_watcloud("users", "apply", "--yes", "--config", str(config), "--root", str(root))
    assert res.returncode == 0, res.stderr


def test_group_file_that_is_a_directory(tmp_path: Path, run_watcloud: Any) -> None:
    root = make_root(tmp_path)
    (root / "etc/group").unlink()
    (root / "etc/group").mkdir()
    config = write_config(tmp_path / "c.json", small_config())
    res = run_watcloud("users", "plan", "--config", str(config), "--root", str(root))
    assert res.returncode == 2
    assert res.stderr.strip().endswith(
        f"{root}/etc/group: not a regular file; restore it from {root}/etc/group- (the backup)"
    )
    assert "Traceback" not in res.stderr


def test_leftovers_of_a_run_killed_after_passwd_are_cleaned(tmp_path: Path) -> None:
    require_root()
    root = make_root(tmp_path)
    cfg = small_config(removed_user_home="remove")
    cfg["users"][1]["linger"] = True
    apply(root, validate(cfg), today=TODAY)
    assert (root / "var/lib/systemd/linger/bob").exists() and (root / "home/bob").is_dir()
    # what a run deleting bob leaves when killed just after its final passwd write
    etc = root / "etc"
    shutil.copy(etc / "passwd", etc / "passwd-")
    lines = (etc / "passwd").read_bytes().splitlines(keepends=True)
    (etc / "passwd").write_bytes(b"".join(ln for ln in lines if not ln.startswith(b"bob:")))
    del cfg["users"][1]
    res = apply(root, validate(cfg), today=TODAY)
    assert not (root / "var/lib/systemd/linger/bob").exists()
    assert not (root / "home/bob").exists()
    assert ("delete", "linger", "bob") in {(c.action, c.kind, c.name) for c in res.changes}
    pwck_clean(root)


def test_temporary_files_of_killed_runs_are_removed(tmp_path: Path) -> None:
    root = make_root(tmp_path)
    apply(root, validate(_one()), today=TODAY)
    etc = root / "etc"
    dead = subprocess.Popen(["true"])
    dead.wait()
    (etc / f"passwd.{dead.pid}").write_text(str(dead.pid))  # a killed lock attempt
    (etc / "shadow+").write_text("half")
    (etc / "group.lock").write_text(str(dead.pid))
    ssh = root / "home/alice/.ssh"
    (ssh / ".authorized_keys.watcloud-1a2b3c4d5e6f").write_text("half")
    cfg = _one()
    cfg["users"][0]["ssh_authorized_keys"].append(cfg["users"][0]["ssh_authorized_keys"][0] + "2")
    apply(root, validate(cfg), today=TODAY)
    assert sorted(p.name for p in ssh.iterdir()) == ["authorized_keys"]
    left = {p.name for p in etc.iterdir()}
    assert not left & {f"passwd.{dead.pid}", "shadow+", "group.lock"}


def test_killed_gid_change_is_finished_by_the_next_run(tmp_path: Path) -> None:
    """The issue's repro: gid 2500 -> 2600, killed at the third rename, then run again."""
    (strace,) = require_binary("strace")
    from tests.users.test_crash import _strace

    root = make_root(tmp_path)
    apply(root, validate(small_config()), today=TODAY)
    cfg = small_config()
    cfg["groups"][0]["gid"] = 2600
    config = write_config(tmp_path / "c.json", cfg)
    res = _strace(
        strace, ["-o", "/dev/null", "-e", "inject=rename:signal=KILL:when=3"], root, config
    )
    assert res.returncode != 0
    assert (root / "etc/group").read_bytes().count(b"students:") == 2  # the intermediate file
    apply(root, validate(cfg), today=TODAY)
    group = (root / "etc/group").read_bytes()
    assert group.count(b"students:") == 1 and b"students:x:2600:" in group
    pwck_clean(root)


def test_a_renamed_user_who_keeps_the_home_keeps_it(tmp_path: Path) -> None:
    """The old name is deleted (now, or as a leftover from passwd-): its home is not removed
    while another user's passwd entry names it."""
    require_root()
    root = make_root(tmp_path)
    cfg = _one(removed_user_home="remove")
    apply(root, validate(cfg), today=TODAY)
    (root / "home/alice/thesis.tex").write_text("years of work")
    cfg["users"][0].update(username="alice2", home="/home/alice")
    cfg["groups"][0]["members"] = ["handmade"]
    cfg["groups"][1]["members"] = []
    cfg["users"][0]["additional_groups"] = []
    for _ in range(2):  # the run that renames, then one that sees alice only in passwd-
        apply(root, validate(cfg), today=TODAY)
        assert (root / "home/alice/thesis.tex").read_text() == "years of work"
    pwck_clean(root)
