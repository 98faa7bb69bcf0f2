"""The pure planner: changes only inside the managed ranges, a safe write order, no-ops."""

from __future__ import annotations

from typing import Any

import pytest

from tests.users.helpers import (
    BASE_GROUP,
    BASE_GSHADOW,
    BASE_PASSWD,
    BASE_SHADOW,
    BCRYPT,
    SHA512,
    YESCRYPT,
    small_config,
)
from watcloud.core.errors import ConfigError
from watcloud.users.config import UsersConfig, validate
from watcloud.users.files import AccountDb, AccountFile, parse_lines
from watcloud.users.plan import AccountPlan, PathInfo, fs_queries, plan_accounts, plan_fs

TODAY = 20000


def mkdb(passwd: bytes, shadow: bytes, group: bytes, gshadow: bytes) -> AccountDb:
    files = []
    for kind, data in (
        ("passwd", passwd),
        ("shadow", shadow),
        ("group", group),
        ("gshadow", gshadow),
    ):
        lines, trailing = parse_lines(kind, data)
        files.append(
            AccountFile(kind, lines, trailing, exists=True, raw=data, mode=0o644, uid=0, gid=0)
        )
    return AccountDb(*files)


def base_db() -> AccountDb:
    return mkdb(BASE_PASSWD, BASE_SHADOW, BASE_GROUP, BASE_GSHADOW)


def cfg_of(**over: Any) -> UsersConfig:
    return validate(small_config(**over))


def applied(db: AccountDb, acc: AccountPlan) -> AccountDb:
    new = {k: db.file(k).raw for k in ("passwd", "shadow", "group", "gshadow")}
    new.update(acc.final)
    return mkdb(new["passwd"], new["shadow"], new["group"], new["gshadow"])


def names(data: bytes) -> list[str]:
    return [ln.split(b":")[0].decode() for ln in data.splitlines() if ln and ln[:1] not in b"#+-"]


def test_from_scratch_adds_everything_and_keeps_base_lines_first() -> None:
    db = base_db()
    acc = plan_accounts(db, cfg_of(), TODAY)
    assert acc.final["passwd"].startswith(BASE_PASSWD)
    assert acc.final["shadow"].startswith(BASE_SHADOW)
    assert acc.final["group"].startswith(BASE_GROUP)
    assert acc.final["gshadow"].startswith(BASE_GSHADOW)
    added = acc.final["passwd"][len(BASE_PASSWD) :].decode().splitlines()
    assert added == [
        "alice:x:2001:2001:Alice A:/home/alice:/bin/bash",
        "bob:x:2002:2002::/home/bob:/bin/bash",
        "carol:x:2003:2500::/home/carol:/bin/bash",
    ]
    assert f"alice:{SHA512}:{TODAY}:0:99999:7:::".encode() in acc.final["shadow"]
    assert b"students:x:2500:handmade,alice,bob\n" in acc.final["group"]
    assert b"students:!::handmade,alice,bob\n" in acc.final["gshadow"]
    assert {(c.action, c.kind, c.name) for c in acc.changes} >= {
        ("add", "user", "alice"),
        ("add", "group", "students"),
        ("add", "group", "alice"),
    }


def test_second_plan_is_empty() -> None:
    db = base_db()
    acc = plan_accounts(db, cfg_of(), TODAY)
    again = plan_accounts(applied(db, acc), cfg_of(), TODAY + 5)
    assert again.changes == [] and again.final == {} and again.steps == []


def test_changes_deletes_and_unmanaged_lines_untouched() -> None:
    db = applied(base_db(), plan_accounts(base_db(), cfg_of(), TODAY))
    cfg = small_config()
    cfg["users"][0]["shell"] = "/bin/zsh"
    cfg["users"][0]["password"] = YESCRYPT  # update_password: always
    cfg["users"][1]["password"] = BCRYPT  # update_password: on_create -> ignored
    cfg["users"][1]["additional_groups"] = []
    del cfg["users"][2]  # carol goes
    cfg["groups"].pop(1)  # admins goes
    cfg["users"][0]["additional_groups"] = ["students"]
    acc = plan_accounts(db, validate(cfg), TODAY + 1)
    got = {(c.action, c.kind, c.name): c.details for c in acc.changes}
    assert got[("change", "user", "alice")] == ["shell: '/bin/bash' -> '/bin/zsh'"]
    assert got[("change", "shadow", "alice")] == [
        "password changed",
        f"last change: '{TODAY}' -> '{TODAY + 1}'",
    ]
    assert ("change", "shadow", "bob") not in got
    assert ("delete", "user", "carol") in got and ("delete", "group", "admins") in got
    assert got[("change", "group", "students")] == ["members -bob"]
    new = applied(db, acc)
    for kind, base in (("passwd", BASE_PASSWD), ("shadow", BASE_SHADOW), ("group", BASE_GROUP)):
        assert new.file(kind).raw.startswith(base)
    assert "carol" not in names(new.passwd.raw) and "carol" not in names(new.shadow.raw)
    assert YESCRYPT.encode() in new.shadow.raw
    assert f"bob:{YESCRYPT}:{TODAY}:".encode() in new.shadow.raw  # on_create kept the old hash


def test_hand_added_user_inside_range_is_deleted_outside_is_kept() -> None:
    db = mkdb(
        BASE_PASSWD + b"intruder:x:2222:2222::/home/intruder:/bin/sh\n",
        BASE_SHADOW + b"intruder:!:1:0:99999:7:::\n",
        BASE_GROUP + b"intruder:x:2222:\n",
        BASE_GSHADOW + b"intruder:!::\n",
    )
    acc = plan_accounts(db, cfg_of(), TODAY)
    assert ("delete", "user", "intruder") in {(c.action, c.kind, c.name) for c in acc.changes}
    assert b"intruder" not in acc.final["passwd"] + acc.final["shadow"] + acc.final["group"]
    assert b"handmade:x:1500" in acc.final["passwd"]


def test_member_order_is_kept_when_the_set_is_equal() -> None:
    db = applied(base_db(), plan_accounts(base_db(), cfg_of(), TODAY))
    raw = db.group.raw.replace(b"handmade,alice,bob", b"bob,handmade,alice")
    db2 = mkdb(db.passwd.raw, db.shadow.raw, raw, db.gshadow.raw)
    assert plan_accounts(db2, cfg_of(), TODAY).changes == []


def test_comments_nis_and_no_trailing_newline_preserved() -> None:
    passwd = b"# managed elsewhere\n" + BASE_PASSWD + b"+::::::"
    db = mkdb(passwd, BASE_SHADOW, BASE_GROUP, BASE_GSHADOW)
    acc = plan_accounts(db, cfg_of(), TODAY)
    out = acc.final["passwd"]
    assert out.startswith(b"# managed elsewhere\n" + BASE_PASSWD + b"alice:")
    assert out.endswith(b"\n+::::::\n")  # new entries go before the NIS line


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c["users"][0].update(username="handmade"), "clashes with an unmanaged user"),
        (
            lambda c: (
                c["groups"][1].update(groupname="users"),
                c["users"][0].update(additional_groups=["students", "users"]),
            ),
            "clashes with an unmanaged group",
        ),
        (lambda c: c["users"][1].update(username="shadow"), "clashes with an unmanaged group"),
        (lambda c: c["users"][0].update(username="root"), "clashes with an unmanaged user"),
        (
            lambda c: c["users"][2].update(primary_group="nosuch"),
            "primary_group 'nosuch' does not exist",
        ),
        (lambda c: c["groups"][0].update(members=["ghost"]), "member 'ghost'"),
        (
            lambda c: c.update(managed_directories=[{"path": "/scratch/%u/x", "owner": "nobody2"}]),
            "owner 'nobody2' does not exist",
        ),
        (
            lambda c: c.update(
                managed_directories=[{"path": "/scratch/%u/x", "group": "nogroup2"}]
            ),
            "group 'nogroup2' does not exist",
        ),
    ],
)
def test_system_clashes(mutate: Any, message: str) -> None:
    cfg = small_config()
    mutate(cfg)
    with pytest.raises(ConfigError, match=message):
        plan_accounts(base_db(), validate(cfg), TODAY)


def test_group_of_an_unmanaged_user_is_never_deleted() -> None:
    cfg = small_config(managed_uid_range=[1000, 1600], managed_gid_range=[1000, 1600])
    cfg["groups"] = []
    cfg["users"] = [{"username": "zed", "uid": 1501, "primary_group": "users"}]
    plan_accounts(base_db(), validate(cfg), TODAY)  # fine: 1501 is free
    db = mkdb(
        BASE_PASSWD.replace(b"handmade:x:1500:1500", b"handmade:x:1700:1500"),
        BASE_SHADOW,
        BASE_GROUP,
        BASE_GSHADOW,
    )
    cfg["users"] = [{"username": "zed", "uid": 1500, "primary_group": "users"}]
    # handmade's primary gid 1500 is in range and not configured: refuse to delete its group
    with pytest.raises(ConfigError, match="unmanaged user 'handmade' has primary gid 1500"):
        plan_accounts(db, validate(cfg), TODAY)


def test_primary_group_may_be_an_unmanaged_group() -> None:
    cfg = small_config()
    cfg["users"][2]["primary_group"] = "users"
    acc = plan_accounts(base_db(), validate(cfg), TODAY)
    assert b"carol:x:2003:100:" in acc.final["passwd"]
    assert acc.final["group"].startswith(BASE_GROUP)  # 'users' line itself untouched


def test_orphan_shadow_lines_are_removed_and_reported() -> None:
    db = mkdb(
        BASE_PASSWD,
        BASE_SHADOW + b"ghost:!:1:0:99999:7:::\n",
        BASE_GROUP,
        BASE_GSHADOW + b"ghosts:!::\n",
    )
    # the backups show both were managed (a deletion killed before the final shadow write)
    old = mkdb(
        BASE_PASSWD + b"ghost:x:2900:2900::/home/ghost:/bin/sh\n",
        BASE_SHADOW,
        BASE_GROUP + b"ghosts:x:2900:\n",
        BASE_GSHADOW,
    )
    db.backups = {"passwd": old.passwd, "group": old.group}
    acc = plan_accounts(db, cfg_of(), TODAY)
    got = {(c.action, c.kind, c.name) for c in acc.changes}
    assert ("delete", "shadow", "ghost") in got and ("delete", "gshadow", "ghosts") in got
    assert b"ghost" not in acc.final["shadow"] and b"ghosts" not in acc.final["gshadow"]


def test_leftover_shadow_line_of_a_new_user_is_reused() -> None:
    # a run killed after writing shadow but before passwd leaves alice's shadow line
    db = mkdb(BASE_PASSWD, BASE_SHADOW + b"alice:!:5:0:99999:7:::\n", BASE_GROUP, BASE_GSHADOW)
    acc = plan_accounts(db, cfg_of(), TODAY)
    assert acc.final["shadow"].count(b"alice:") == 1
    assert f"alice:{SHA512}:{TODAY}:0:99999:7:::".encode() in acc.final["shadow"]


def _consistent(passwd: bytes, shadow: bytes, group: bytes, gshadow: bytes) -> None:
    pw_names = set(names(passwd))
    assert pw_names <= set(names(shadow)), "a passwd user without a shadow line"
    assert set(names(group)) <= set(names(gshadow)), "a group without a gshadow line"
    gids = {ln.split(b":")[2] for ln in group.splitlines() if ln.count(b":") == 3}
    for ln in passwd.splitlines():
        if ln.count(b":") == 6:
            assert ln.split(b":")[3] in gids, f"primary gid of {ln!r} has no group"


def test_every_prefix_of_the_write_order_is_consistent() -> None:
    db = applied(base_db(), plan_accounts(base_db(), cfg_of(), TODAY))
    cfg = small_config()
    cfg["users"] = [cfg["users"][0], {"username": "dave", "uid": 2004, "primary_group": "devs"}]
    cfg["groups"] = [cfg["groups"][0], {"groupname": "devs", "gid": 2600}]
    cfg["users"][0]["additional_groups"] = ["students"]
    acc = plan_accounts(db, validate(cfg), TODAY)
    kinds = [k for k, _ in acc.steps]
    assert kinds.index("passwd") > kinds.index("shadow")  # adds: shadow before passwd
    assert kinds.count("shadow") == 2  # deletes too: shadow again after passwd
    state = {k: db.file(k).raw for k in ("passwd", "shadow", "group", "gshadow")}
    _consistent(state["passwd"], state["shadow"], state["group"], state["gshadow"])
    for kind, data in acc.steps:
        state[kind] = data
        _consistent(state["passwd"], state["shadow"], state["group"], state["gshadow"])
    assert state == {**{k: db.file(k).raw for k in state}, **acc.final}


def test_fs_plan_from_observations() -> None:
    cfg = cfg_of(managed_directories=[{"path": "/scratch/%u", "mode": "0750"}])
    acc = plan_accounts(base_db(), cfg, TODAY)
    seen = {q.path: PathInfo("missing") for q in fs_queries(cfg, acc)}
    actions, changes = plan_fs(cfg, acc, seen)
    ops = [(a.op, a.user) for a in actions]
    assert ("create_home", "alice") in ops and ("write_keys", "alice") in ops
    assert ("linger_on", "alice") in ops and ("linger_on", "bob") not in ops
    scratch = next(a for a in actions if a.op == "ensure_dir" and a.user == "carol")
    assert (scratch.path, scratch.uid, scratch.gid, scratch.mode) == (
        "/scratch/carol",
        2003,
        2500,
        0o750,
    )
    # a user's home that is a symlink is never used
    seen["/home/bob"] = PathInfo("link")
    actions, changes = plan_fs(cfg, acc, seen)
    assert not [a for a in actions if a.user == "bob" and a.op == "create_home"]
    assert any(c.name == "/home/bob" and "skipped" in c.details[0] for c in changes)


def test_missing_gshadow_is_not_created_and_missing_shadow_is_refused() -> None:
    db = base_db()
    db.gshadow = AccountFile("gshadow")  # a system without gshadow
    acc = plan_accounts(db, cfg_of(), TODAY)
    assert "gshadow" not in acc.final and all(k != "gshadow" for k, _ in acc.steps)
    db = base_db()
    db.shadow = AccountFile("shadow")
    with pytest.raises(ConfigError, match="without /etc/shadow"):
        plan_accounts(db, cfg_of(), TODAY)
    empty = AccountDb(*(AccountFile(k) for k in ("passwd", "shadow", "group", "gshadow")))
    cfg = small_config()
    cfg["groups"][0]["members"] = []
    acc = plan_accounts(empty, validate(cfg), TODAY)
    assert set(acc.final) == {"passwd", "shadow", "group", "gshadow"}
