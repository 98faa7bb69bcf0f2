"""Config validation: every bad input is a one-line ConfigError naming what is wrong."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tests.users.helpers import BCRYPT, SHA512, YESCRYPT, ed25519_key, small_config
from watcloud.core.errors import ConfigError
from watcloud.users.config import (
    UsersConfig,
    expand,
    hash_kind,
    load,
    parse,
    parse_ssh_key,
    validate,
)


def _parse(cfg: dict[str, Any]) -> UsersConfig:
    return parse(json.dumps(cfg), "test.json", json_input=True)


def _bad(cfg: dict[str, Any], *needles: str) -> str:
    with pytest.raises(ConfigError) as exc:
        _parse(cfg)
    msg = str(exc.value)
    assert "\n" not in msg
    for needle in needles:
        assert needle in msg, msg
    return msg


def test_small_config_is_valid_and_defaults_apply() -> None:
    cfg = _parse(small_config())
    alice = cfg.users[0]
    assert cfg.home_of(alice) == "/home/alice"
    assert cfg.shell_of(alice) == "/bin/bash"
    assert cfg.primary_group_of(alice) == "alice"
    assert cfg.primary_group_of(cfg.users[2]) == "students"
    assert [g.groupname for g in cfg.private_groups()] == ["alice", "bob"]
    assert cfg.create_home and cfg.home_mode == 0o700 and cfg.removed_user_home == "keep"
    assert cfg.ssh_authorized_keys_path == "%h/.ssh/authorized_keys"
    assert alice.update_password == "always"


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (SHA512, "sha512"),
        (YESCRYPT, "yescrypt"),
        (BCRYPT, "bcrypt"),
        (BCRYPT.replace("$2b$", "$2y$"), "bcrypt"),
        (BCRYPT.replace("$2b$", "$2a$"), "bcrypt"),
        ("!" + SHA512, "sha512"),
        ("!", "locked"),
        ("*", "locked"),
        ("$6$rounds=5000$saltsalt$" + "a" * 86, "sha512"),
    ],
)
def test_hash_formats_accepted(value: str, kind: str) -> None:
    assert hash_kind(value) == kind


@pytest.mark.parametrize(
    "value",
    [
        "hunter2",  # plaintext
        "",
        "$1$abc$def",  # MD5 crypt
        SHA512[:-1],  # truncated
        SHA512 + "x",
        YESCRYPT.replace("$y$", "$x$"),
        "$2b$99$" + "a" * 53,  # cost out of range
        "$2b$12$" + "a" * 52,
        SHA512.replace("$6$", "$6$:"),  # a colon would break the shadow file
    ],
)
def test_bad_hashes_refused(value: str) -> None:
    assert hash_kind(value) is None
    cfg = small_config()
    cfg["users"][0]["password"] = value
    _bad(cfg, "users.0.password", "plaintext passwords are refused")


def test_ssh_key_parsing() -> None:
    key = ed25519_key(7, "me@host")
    assert parse_ssh_key(key)[1] == "ssh-ed25519"
    opts, ktype, _ = parse_ssh_key('from="10.0.0.1,host x",no-pty ' + key)
    assert opts == 'from="10.0.0.1,host x",no-pty' and ktype == "ssh-ed25519"
    real = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDbYTR5mqI4J/nSuDaegvo5Cm7/ezIRwaESL5IVqiGco test@x"
    assert parse_ssh_key(real)[1] == "ssh-ed25519"


def _rsa_blob_as(ktype: str) -> str:
    body = b"ssh-ed25519"
    blob = len(body).to_bytes(4, "big") + body + (32).to_bytes(4, "big") + b"k" * 32
    return f"{ktype} {base64.b64encode(blob).decode()}"


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("ssh-ed25519 not*base64", "base64"),
        (_rsa_blob_as("ssh-rsa"), "key data says"),  # embedded type differs from the line
        ("ssh-foo AAAA", "unknown key type"),
        ("ssh-ed25519", "unknown key type"),
        (ed25519_key(1) + "\nssh-ed25519 AAAA", "one line"),  # injection of a second key
        ("ssh-ed25519 " + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519").decode(), "truncated"),
        (
            "ssh-ed25519 "
            + base64.b64encode(b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x10" + b"a" * 16).decode(),
            "32 bytes",
        ),
        ("", "empty"),
    ],
)
def test_bad_ssh_keys_refused(key: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_ssh_key(key)
    cfg = small_config()
    cfg["users"][0]["ssh_authorized_keys"] = [key]
    _bad(cfg, "key 'users.0.ssh_authorized_keys.0'")


@pytest.mark.parametrize("name", ["Alice", "1abc", "-x", "a b", "a:b", "x" * 33, "", "ä"])
def test_non_posix_names_refused(name: str) -> None:
    cfg = small_config()
    cfg["users"][1]["username"] = name
    _bad(cfg, "users.1.username", "POSIX")


def test_valid_unusual_names() -> None:
    cfg = small_config()
    cfg["users"][1]["username"] = "_svc-1"
    cfg["users"][2]["username"] = "machine$"
    _parse(cfg)


def test_uid_outside_range() -> None:
    cfg = small_config()
    cfg["users"][0]["uid"] = 1999
    _bad(cfg, "alice", "outside managed_uid_range 2000-2999")


def test_gid_outside_range() -> None:
    cfg = small_config()
    cfg["groups"][0]["gid"] = 3000
    _bad(cfg, "students", "outside managed_gid_range")


def test_private_group_gid_outside_range() -> None:
    cfg = small_config(managed_gid_range=[2500, 2600])
    _bad(cfg, "private group", "outside managed_gid_range")


def test_duplicates() -> None:
    cfg = small_config()
    cfg["users"][1]["username"] = "alice"
    _bad(cfg, "duplicate username")
    cfg = small_config()
    cfg["users"][1]["uid"] = 2001
    _bad(cfg, "uid 2001 already used by alice")
    cfg = small_config()
    cfg["groups"][1]["groupname"] = "students"
    _bad(cfg, "duplicate groupname")
    cfg = small_config()
    cfg["groups"][1]["gid"] = 2500
    _bad(cfg, "gid 2500 already used by students")
    cfg = small_config()
    cfg["groups"][1]["gid"] = 2001  # alice's private group
    _bad(cfg, "private group's gid 2001")


def test_unknown_additional_group() -> None:
    cfg = small_config()
    cfg["users"][0]["additional_groups"] = ["students", "docker"]
    _bad(cfg, "additional group 'docker' is not in 'groups'")


def test_primary_group_required_without_private_groups() -> None:
    _bad(small_config(user_private_groups=False), "primary_group is required")


def test_bad_ranges() -> None:
    _bad(small_config(managed_uid_range=[3000, 2000]), "greater than")
    _bad(small_config(managed_uid_range=[0, 100]), "managed_uid_range")
    _bad(small_config(managed_gid_range=[60000, 70000]), "65534")
    _bad(small_config(managed_gid_range=[1, 2, 3]), "expected [first, last]")
    assert _parse(small_config(managed_uid_range={"first": 2000, "last": 2999}))


def test_fields_that_would_break_the_files() -> None:
    cfg = small_config()
    cfg["users"][0]["comment"] = "evil:0:0"
    _bad(cfg, "comment", "':'")
    cfg = small_config()
    cfg["users"][0]["shell"] = "bash"
    _bad(cfg, "absolute")
    cfg = small_config()
    cfg["users"][0]["home"] = "/home/%x"
    _bad(cfg, "unknown template key %x")


def test_unknown_key_and_modes() -> None:
    cfg = small_config()
    cfg["users"][0]["passwd"] = "x"
    _bad(cfg, "users.0.passwd", "unknown key")
    assert _parse(small_config(home_mode="0750")).home_mode == 0o750
    assert _parse(small_config(home_mode=0o750)).home_mode == 0o750
    _bad(small_config(home_mode="rwx"), "octal")


def test_types_are_checked_strictly() -> None:
    """No guessing: '2001' is not a uid, 'no' is not false, true is not uid 1."""
    for value in ("2001", True, 2001.5, None):
        cfg = small_config()
        cfg["users"][0]["uid"] = value
        _bad(cfg, "key 'users.0.uid': expected a whole number", f"(got {value!r})")
    for key in ("linger",):
        cfg = small_config()
        cfg["users"][0][key] = "no"
        _bad(cfg, f"key 'users.0.{key}': expected true or false")
    _bad(small_config(create_home="no"), "key 'create_home': expected true or false")
    _bad(small_config(users={"alice": 1}), "key 'users': expected a list")
    _bad(small_config(users=[5]), "key 'users.0': expected a mapping")
    _bad(small_config(managed_uid_range="2000-2999"), "key 'managed_uid_range': expected a mapping")
    cfg = small_config()
    cfg["users"][0]["update_password"] = "sometimes"
    _bad(cfg, "expected 'always' or 'on_create'", "(got 'sometimes')")
    _bad(small_config(removed_user_home="archive"), "expected 'keep' or 'remove'")


def test_every_bad_key_is_named_and_a_long_list_is_cut() -> None:
    cfg = small_config()
    cfg["users"][0]["uid"] = "x"
    cfg["users"][2]["username"] = "Carol"
    cfg["groups"][1]["members"] = ["ok", "B"]
    del cfg["users"][1]["uid"]
    msg = _bad(
        cfg,
        "key 'users.0.uid'",
        "key 'users.1.uid': required key is missing",
        "key 'users.2.username'",
        "key 'groups.1.members.1'",
    )
    assert msg.count("; ") == 3
    many = small_config(users=[{"username": f"u{i}", "uid": str(i)} for i in range(50)])
    msg = _bad(many, "key 'users.0.uid'", "and 40 more")
    assert "users.10.uid" not in msg


def test_cross_checks_name_the_entry_not_the_whole_config() -> None:
    cfg = small_config()
    cfg["users"][1]["username"] = "alice"
    assert _bad(cfg) == "test.json: users.1 (alice): duplicate username"


def test_validate_refuses_a_non_mapping() -> None:
    with pytest.raises(ConfigError, match="src: expected a mapping of options at top level"):
        validate([1, 2], "src")


def test_expand() -> None:
    assert expand("%h/.ssh/keys-%u-%U%%", user="a", uid=5, home="/h/a") == "/h/a/.ssh/keys-a-5%"


def test_load_yaml_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "users.yaml"
    good.write_text(
        "managed_uid_range: [2000, 2999]\nmanaged_gid_range: [2000, 2999]\n"
        "users:\n  - username: zed\n    uid: 2010\n"
    )
    assert load(good).users[0].username == "zed"
    bad = tmp_path / "bad.yaml"
    bad.write_text("users: [\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load(bad)
    with pytest.raises(ConfigError, match="not found"):
        load(tmp_path / "nope.yaml")
    lst = tmp_path / "list.yaml"
    lst.write_text("- 1\n")
    with pytest.raises(ConfigError, match="mapping"):
        load(lst)
    js = tmp_path / "c.json"
    js.write_text("{nope")
    with pytest.raises(ConfigError, match="invalid JSON"):
        load(js)


def test_the_documented_example_config_is_valid_and_shows_the_defaults() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "users.md").read_text()
    section = doc.split("## Configuration reference", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    cfg = parse(example, "docs/users.md")
    defaults = validate({"managed_uid_range": [2000, 2999], "managed_gid_range": [2000, 2999]})
    for key in (
        "default_shell",
        "default_home",
        "user_private_groups",
        "create_home",
        "skel",
        "home_mode",
        "ssh_authorized_keys_path",
        "removed_user_home",
        "allowed_roots",
        "max_shrink",
    ):
        assert getattr(cfg, key) == getattr(defaults, key), key
    alice = cfg.users[0]
    assert alice.update_password == "always" and alice.linger is False
    assert cfg.managed_directories[0].owner == "%u" and cfg.managed_directories[0].group is None


@pytest.mark.parametrize("value", [2, -0.1, "0.5", True, None])
def test_max_shrink_is_a_share(value: object) -> None:
    _bad(small_config(max_shrink=value), "max_shrink", "a share from 0 to 1")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("home", "normal absolute path"),
        ("/home/", "normal absolute path"),
        ("/var", "system location"),
        ("/boot/x", "inside a system tree"),
        ("/run/user", "inside a system tree"),
    ],
)
def test_allowed_roots_are_checked(value: str, why: str) -> None:
    _bad(small_config(allowed_roots=["/home", value]), "allowed_roots.1", why)
