"""Property tests of the planner: from any managed state to any config, in one plan."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.users.helpers import (
    BASE_GROUP,
    BASE_GSHADOW,
    BASE_PASSWD,
    BASE_SHADOW,
    BCRYPT,
    SHA512,
    YESCRYPT,
)
from tests.users.test_plan import applied, mkdb
from watcloud.users.config import UsersConfig, validate
from watcloud.users.files import AccountDb
from watcloud.users.plan import plan_accounts

NAMES = ["ann", "ben", "cat", "dan", "eve", "fay", "gus"]
GROUPS = ["g1", "g2", "g3"]


@st.composite
def configs(draw: Any) -> UsersConfig:
    users = draw(st.lists(st.sampled_from(NAMES), unique=True, max_size=6))
    groups = draw(st.lists(st.sampled_from(GROUPS), unique=True, max_size=3))
    gid_of = {g: 2900 + i for i, g in enumerate(draw(st.permutations(GROUPS)))}
    user_objs = []
    for name in users:
        u: dict[str, Any] = {
            "username": name,
            "uid": 2000 + NAMES.index(name) * 10 + draw(st.integers(0, 2)),
            "password": draw(st.sampled_from([None, SHA512, YESCRYPT, BCRYPT, "!"])),
            "update_password": draw(st.sampled_from(["always", "on_create"])),
            "shell": draw(st.sampled_from([None, "/bin/sh"])),
            "comment": draw(st.sampled_from(["", "X Y"])),
        }
        if groups:
            u["additional_groups"] = draw(st.lists(st.sampled_from(groups), unique=True))
            if draw(st.booleans()):
                u["primary_group"] = draw(st.sampled_from(groups))
        user_objs.append(u)
    group_objs = [
        {
            "groupname": g,
            "gid": gid_of[g],
            "members": draw(st.lists(st.sampled_from(["handmade", *users]), unique=True)),
        }
        for g in groups
    ]
    return validate(
        {
            "managed_uid_range": [2000, 2999],
            "managed_gid_range": [2000, 2999],
            "users": user_objs,
            "groups": group_objs,
        }
    )


def unmanaged(db: AccountDb) -> dict[str, list[bytes]]:
    managed_users = {
        ln.name for ln in db.passwd.lines if ln.fields and 2000 <= int(ln.fields[2]) <= 2999
    }
    managed_groups = {
        ln.name for ln in db.group.lines if ln.fields and 2000 <= int(ln.fields[2]) <= 2999
    }
    return {
        "passwd": [ln.raw for ln in db.passwd.lines if ln.name not in managed_users],
        "shadow": [ln.raw for ln in db.shadow.lines if ln.name not in managed_users],
        "group": [ln.raw for ln in db.group.lines if ln.name not in managed_groups],
        "gshadow": [ln.raw for ln in db.gshadow.lines if ln.name not in managed_groups],
    }


def names(data: bytes) -> set[bytes]:
    return {ln.split(b":")[0] for ln in data.splitlines() if ln and ln[:1] not in b"#+-"}


BASE = mkdb(
    b"# local users\n" + BASE_PASSWD + b"+::::::\n",
    BASE_SHADOW,
    BASE_GROUP,
    BASE_GSHADOW,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=configs(), second=configs(), day=st.integers(19000, 21000))
def test_any_state_to_any_config(first: UsersConfig, second: UsersConfig, day: int) -> None:
    start = applied(BASE, plan_accounts(BASE, first, day))
    assert unmanaged(start) == unmanaged(BASE)
    acc = plan_accounts(start, second, day + 1)
    end = applied(start, acc)
    # 1. every line outside the ranges is untouched, in its order
    assert unmanaged(end) == unmanaged(BASE)
    # 2. converged: planning again changes nothing
    again = plan_accounts(end, second, day + 2)
    assert again.changes == [] and again.steps == []
    # 3. the result says what the config says
    pw = {ln.name: ln.fields for ln in end.passwd.lines if ln.fields}
    for user in second.users:
        f = pw[user.username]
        assert f is not None and int(f[2]) == user.uid
        assert f[6] == (user.shell or "/bin/bash")
    managed = {n for n, f in pw.items() if f and 2000 <= int(f[2]) <= 2999}
    assert managed == {u.username for u in second.users}
    gr = {ln.name: ln.fields for ln in end.group.lines if ln.fields}
    for group in second.groups:
        f = gr[group.groupname]
        assert f is not None
        want = set(group.members) | {
            u.username for u in second.users if group.groupname in u.additional_groups
        }
        assert set(filter(None, f[3].split(","))) == want
    # 4. every prefix of the write order is consistent
    state = {k: start.file(k).raw for k in ("passwd", "shadow", "group", "gshadow")}
    for kind, data in acc.steps:
        state[kind] = data
        assert names(state["passwd"]) <= names(state["shadow"])
        assert names(state["group"]) <= names(state["gshadow"])
        gids = {ln.split(b":")[2] for ln in state["group"].splitlines() if ln.count(b":") == 3}
        for ln in state["passwd"].splitlines():
            if ln.count(b":") == 6 and ln[:1] not in b"+-#":
                assert ln.split(b":")[3] in gids
