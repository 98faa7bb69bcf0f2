"""The pure decision: current account files + config -> the exact changes, and the file bytes.

Nothing here reads the clock, the disk or the environment: `today` (days since the epoch, for
shadow's last-change field) and the filesystem snapshot are passed in.

Ownership rule: a passwd line is managed when its uid is in `managed_uid_range`; a group line
when its gid is in `managed_gid_range`. A shadow/gshadow line follows its passwd/group line by
name. Every other line is carried through byte for byte, in its place. The one exception is a
shadow (gshadow) line whose name has no passwd (group) line at all: such an orphan is what an
interrupted deletion leaves behind (ours or another tool's), shadow-utils' `pwck` reports it as an
error, and the plan removes it, listed as its own change.

Write order (see `Plan.steps`): gshadow, group, shadow first, each as an intermediate file that
has every new entry and still keeps every entry about to be deleted; then passwd; then the final
group, gshadow, shadow. Cut the sequence anywhere and every passwd user has its shadow line, every
group line its gshadow line, and every passwd user's primary gid its group line.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from watcloud.core.errors import ConfigError, InputError
from watcloud.core.output import fields_json
from watcloud.users.config import IdRange, UsersConfig
from watcloud.users.files import (
    AccountDb,
    AccountFile,
    Line,
    corrupt_lines,
    insert_position,
    serialize,
)

Action = Literal["add", "change", "delete"]

KEYS_HEADER = (
    "# Managed by watcloud users: this file is rewritten on every apply; "
    "change the keys in the users config instead.\n"
)


@dataclass
class Change:
    action: Action
    kind: str  # user, group, shadow, gshadow, home, directory, authorized_keys, linger
    name: str
    details: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return fields_json(self)


@dataclass
class AccountPlan:
    changes: list[Change]
    final: dict[str, bytes]  # new content of each changed file
    steps: list[tuple[str, bytes]]  # ordered writes, intermediate ones included
    passwd_entries: dict[str, list[str]]  # every passwd entry after the change, by name
    deleted_users: list[list[str]]  # passwd fields of managed users being deleted
    gids: dict[str, int]  # group name -> gid after the change (all groups)


# ---------------------------------------------------------------------------- accounts


def _index(
    f: AccountFile, rng: IdRange, what: str, keep: dict[str, int] | None = None
) -> tuple[dict[str, Line], dict[str, int]]:
    """(managed entries by name, unmanaged names -> id) of a passwd or group file.

    A managed name on two lines is refused in passwd. In group it is what a run killed during a
    gid change leaves (the intermediate file keeps the old line beside the new one): with `keep`
    (name -> the gid the config wants) the line with that gid is the entry, else the first; the
    plan drops the other line once passwd no longer names its gid.
    """
    managed: dict[str, Line] = {}
    unmanaged: dict[str, int] = {}
    lo, hi = rng.first, rng.last
    for ln in f.lines:
        if ln.fields is None:
            continue
        name, ident = ln.fields[0], int(ln.fields[2])
        if lo <= ident <= hi:
            if name in managed:
                if keep is None:
                    raise ConfigError(
                        f"/etc/{f.name}: {what} {name!r} appears twice in the managed range; "
                        "fix the file by hand first (pwck/grpck)"
                    )
                if keep.get(name) == ident:
                    managed[name] = ln
                continue
            managed[name] = ln
        else:
            unmanaged.setdefault(name, ident)
    return managed, unmanaged


def _diff(labels: tuple[str, ...], old: list[str], new: list[str]) -> list[str]:
    out = []
    for label, a, b in zip(labels, old, new, strict=True):
        if a != b and label:
            out.append("password changed" if label == "password" else f"{label}: {a!r} -> {b!r}")
    return out


PASSWD_LABELS = ("", "password field", "uid", "gid", "comment", "home", "shell")
SHADOW_LABELS = ("", "password", "last change", "", "", "", "", "", "")


def check_against_system(
    cfg: UsersConfig, users_unmanaged: dict[str, int], groups_unmanaged: dict[str, int]
) -> None:
    """Errors that need the current files: clashes with unmanaged lines, unknown names.

    A clash by id cannot reach here: every config id is inside its managed range (checked in
    `config`), and every line with an id inside the range is managed by definition.
    """
    for user in cfg.users:
        if user.username in users_unmanaged:
            raise ConfigError(
                f"user {user.username!r} clashes with an unmanaged user of that name "
                f"(uid {users_unmanaged[user.username]}, outside managed_uid_range)"
            )
    for group in cfg.all_groups():
        if group.groupname in groups_unmanaged:
            raise ConfigError(
                f"group {group.groupname!r} clashes with an unmanaged group of that name "
                f"(gid {groups_unmanaged[group.groupname]}, outside managed_gid_range)"
            )
    declared = {g.groupname for g in cfg.all_groups()}
    for user in cfg.users:
        pg = cfg.primary_group_of(user)
        if pg not in declared and pg not in groups_unmanaged:
            raise ConfigError(f"user {user.username!r}: primary_group {pg!r} does not exist")
    names = {u.username for u in cfg.users}
    for d in cfg.managed_directories:
        if d.owner != "%u" and d.owner not in names and d.owner not in users_unmanaged:
            raise ConfigError(f"managed_directories {d.path!r}: owner {d.owner!r} does not exist")
        if d.group is not None and d.group not in declared and d.group not in groups_unmanaged:
            raise ConfigError(f"managed_directories {d.path!r}: group {d.group!r} does not exist")
    for declared_group in cfg.groups:
        for member in declared_group.members:
            if member not in names and member not in users_unmanaged:
                raise ConfigError(
                    f"group {declared_group.groupname!r}: member {member!r} is not a user in the "
                    "config "
                    "or on the system"
                )


class Implausible(InputError):
    """The account files do not look like a working system's: refuse to write anything."""


def _restore_hint(etc_dir: str) -> str:
    return (
        f"nothing was written. If the backups {etc_dir}/passwd-, shadow-, group- and gshadow- "
        "(the content before the last change) are intact, restore them "
        f"(cp -p {etc_dir}/passwd- {etc_dir}/passwd, and likewise each), check with "
        "pwck -r and grpck -r, then run again"
    )


def managed_names(db: AccountDb, cfg: UsersConfig, owner: str) -> set[str]:
    """Names this tool manages or managed: the config's, and the managed-range entries of the
    current `owner` file (passwd or group) and of its `-` backup."""
    rng = cfg.managed_uid_range if owner == "passwd" else cfg.managed_gid_range
    lo, hi = rng.first, rng.last
    names = (
        {u.username for u in cfg.users}
        if owner == "passwd"
        else {g.groupname for g in cfg.all_groups()}
    )
    for f in (db.file(owner), db.backup(owner)):
        names.update(ln.fields[0] for ln in f.lines if ln.fields and lo <= int(ln.fields[2]) <= hi)
    return names


def check_plausible(db: AccountDb, cfg: UsersConfig, etc_dir: str = "/etc") -> None:
    """Refuse files no working system has, before any plan is made from them.

    Checked: every entry-shaped line has numeric ids; passwd and group have root (id 0);
    shadow (gshadow) has a line for every unmanaged passwd (group) entry and no line of a name
    that is neither in passwd (group) nor one this tool manages or managed; and no file lost
    more than `max_shrink` of the unmanaged entries its `-` backup has.
    """
    hint = _restore_hint(etc_dir)
    ours_of = {owner: managed_names(db, cfg, owner) for owner in ("passwd", "group")}
    for kind in ("passwd", "shadow", "group", "gshadow"):
        bad = corrupt_lines(db.file(kind))
        if bad:
            more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
            raise Implausible(f"{etc_dir}/{kind} {bad[0]}{more}; {hint}")
    for owner, shadow, rng in (
        ("passwd", "shadow", cfg.managed_uid_range),
        ("group", "gshadow", cfg.managed_gid_range),
    ):
        of, sf = db.file(owner), db.file(shadow)
        if of.exists and not any(
            ln.fields and ln.fields[0] == "root" and ln.fields[2] == "0" for ln in of.lines
        ):
            raise Implausible(f"{etc_dir}/{owner} has no root entry (id 0): {hint}")
        if not sf.exists:
            continue  # no shadow file at all is refused (passwd) or kept (gshadow) by the plan
        owners = {ln.fields[0] for ln in of.lines if ln.fields}
        unmanaged = [ln.fields[0] for ln in of.lines if ln.fields and int(ln.fields[2]) not in rng]
        shadowed = {ln.fields[0] for ln in sf.lines if ln.fields}
        missing = [n for n in unmanaged if n not in shadowed]
        ours = ours_of[owner]
        orphans = sorted(shadowed - owners - ours)
        if missing or orphans:
            what = (
                f"{etc_dir}/{shadow} has no line for {len(missing)} unmanaged {owner} "
                f"entr{'y' if len(missing) == 1 else 'ies'} ({', '.join(missing[:3])})"
                if missing
                else f"{etc_dir}/{shadow} has {len(orphans)} line(s) with no {owner} entry "
                f"({', '.join(orphans[:3])}) that this tool did not manage"
            )
            raise Implausible(f"{what}: {hint}")
    for kind in ("passwd", "shadow", "group", "gshadow"):
        before, now = db.backup(kind), db.file(kind)
        if not before.exists:
            continue
        ours = ours_of["passwd" if kind in ("passwd", "shadow") else "group"]
        then = {ln.fields[0] for ln in before.lines if ln.fields and ln.fields[0] not in ours}
        if not then:
            continue
        lost = then - {ln.fields[0] for ln in now.lines if ln.fields}
        if len(lost) > cfg.max_shrink * len(then):
            raise Implausible(
                f"{etc_dir}/{kind} lost {len(lost)} of the {len(then)} unmanaged entries its "
                f"backup {kind}- has (more than max_shrink {cfg.max_shrink:g}): {hint}"
            )


def check_other_homes(db: AccountDb, cfg: UsersConfig) -> None:
    """No configured home, key file or managed directory inside an unmanaged user's home."""
    lo, hi = cfg.managed_uid_range.first, cfg.managed_uid_range.last
    others = {
        ln.fields[5]: ln.fields[0]
        for ln in db.passwd.lines
        if ln.fields and not lo <= int(ln.fields[2]) <= hi and ln.fields[5] not in ("", "/")
    }
    homes = cfg.homes()
    for user in cfg.users:
        home = homes[user.username]
        key, dirs = cfg.paths()[user.username]
        paths = [home, key, *dirs]
        for p in paths:
            up = p
            # inside its own home, only the part below the home can be someone else's home
            stop = ("/", "", home) if p.startswith(home + "/") else ("/", "")
            while up not in stop:
                if up in others:
                    raise ConfigError(
                        f"user {user.username!r}: {p!r} is inside the home of unmanaged user "
                        f"{others[up]!r} ({up})"
                    )
                up = up.rsplit("/", 1)[0]


def plan_accounts(
    db: AccountDb, cfg: UsersConfig, today: int, etc_dir: str = "/etc"
) -> AccountPlan:
    """The account changes and the bytes of each write, or a one-line error (nothing written).

    `etc_dir` is only for messages (the real path of etc under --root).
    """
    check_plausible(db, cfg, etc_dir)
    uid_rng, gid_rng = cfg.managed_uid_range, cfg.managed_gid_range
    cur_users, users_unmanaged = _index(db.passwd, uid_rng, "user")
    groups = cfg.all_groups()
    cur_groups, groups_unmanaged = _index(
        db.group, gid_rng, "group", {g.groupname: g.gid for g in groups}
    )
    check_against_system(cfg, users_unmanaged, groups_unmanaged)
    check_other_homes(db, cfg)

    changes: list[Change] = []
    gids = {**groups_unmanaged, **{g.groupname: g.gid for g in groups}}
    # Unmanaged users whose primary group is a managed gid keep that group alive.
    wanted_gids = {g.gid for g in groups}
    managed_gr = [ln for ln in db.group.lines if ln.fields and int(ln.fields[2]) in gid_rng]
    doomed_gids = {int(ln.fields[2]) for ln in managed_gr if ln.fields} - wanted_gids
    for ln in db.passwd.lines:
        if ln.fields is not None and ln.fields[0] not in cur_users:
            gid = int(ln.fields[3]) if ln.fields[3].isdigit() else -1
            if gid in doomed_gids:
                raise ConfigError(
                    f"unmanaged user {ln.fields[0]!r} has primary gid {gid}, a managed group "
                    "that is not in the config; add the group or move the user"
                )

    # ---- passwd
    want_pw: dict[str, list[str]] = {}
    homes = cfg.homes()
    default_shell = cfg.default_shell
    for user in cfg.users:
        want_pw[user.username] = [
            user.username,
            "x",
            str(user.uid),
            str(gids[user.primary_group or user.username]),
            user.comment,
            homes[user.username],
            user.shell or default_shell,
        ]
    new_pw: list[Line] = []
    deleted_users: list[list[str]] = []
    for ln in db.passwd.lines:
        name = ln.name
        if ln.fields is None or name not in cur_users:
            new_pw.append(ln)
        elif name in want_pw:
            want = want_pw[name]
            if want == ln.fields:
                new_pw.append(ln)
            else:
                new_pw.append(Line.make(want))
                changes.append(
                    Change("change", "user", name, _diff(PASSWD_LABELS, ln.fields, want))
                )
        else:
            deleted_users.append(ln.fields)
            changes.append(Change("delete", "user", name, [f"uid {ln.fields[2]}"]))
    added = [Line.make(want_pw[u.username]) for u in cfg.users if u.username not in cur_users]
    for ln in added:
        f = ln.fields or []
        changes.append(
            Change(
                "add", "user", f[0], [f"uid {f[2]}", f"gid {f[3]}", f"home {f[5]}", f"shell {f[6]}"]
            )
        )
    _insert(added, new_pw)

    # ---- shadow
    all_pw_names = {ln.name for ln in db.passwd.lines if ln.fields is not None}
    users_by_name = {u.username: u for u in cfg.users}

    def shadow_line(ln: Line) -> Line:
        assert ln.name is not None and ln.fields is not None
        user = users_by_name[ln.name]
        creating = ln.name not in cur_users  # shadow line left over, passwd line new
        if (
            user.password is None
            or ln.fields[1] == user.password
            or not (creating or user.update_password == "always")
        ):
            return ln
        want = list(ln.fields)
        want[1] = user.password
        want[2] = str(today)
        changes.append(Change("change", "shadow", ln.name, _diff(SHADOW_LABELS, ln.fields, want)))
        return Line.make(want)

    new_sh, mid_sh, have_sh = _follow(
        db.shadow.lines,
        "shadow",
        shadow_line,
        managed=users_by_name.keys(),
        leaving={f[0] for f in deleted_users},
        owners=all_pw_names,
        changes=changes,
    )
    sh_added = []
    for user in cfg.users:
        if user.username not in have_sh:
            sh_added.append(
                Line.make(
                    [user.username, user.password or "!", str(today), "0", "99999", "7", "", "", ""]
                )
            )
            if user.username in cur_users:
                changes.append(Change("add", "shadow", user.username, ["passwd line had none"]))
    _insert(sh_added, new_sh, mid_sh)

    # ---- group
    members: dict[str, list[str]] = {g.groupname: list(dict.fromkeys(g.members)) for g in groups}
    for user in cfg.users:
        for gname in user.additional_groups:
            if user.username not in members[gname]:
                members[gname].append(user.username)
    want_gr = {
        g.groupname: [g.groupname, "x", str(g.gid), ",".join(members[g.groupname])] for g in groups
    }
    new_gr: list[Line] = []
    mid_gr: list[Line] = []
    deleted_groups: set[str] = set()
    for ln in db.group.lines:
        name = ln.name
        if ln.fields is None or name not in cur_groups or int(ln.fields[2]) not in gid_rng:
            new_gr.append(ln)
            mid_gr.append(ln)
        elif cur_groups[name] is not ln:
            # the second line of a managed name (a killed gid change): gone once passwd is final
            mid_gr.append(ln)
            changes.append(Change("delete", "group", name, [f"duplicate line, gid {ln.fields[2]}"]))
        elif name in want_gr:
            want = want_gr[name]
            if ln.fields[3] != want[3] and _same_members(ln.fields[3], want[3]):
                want = [*want[:3], ln.fields[3]]  # same set: keep the current order
            new_ln = ln if want == ln.fields else Line.make(want)
            if new_ln is not ln:
                changes.append(Change("change", "group", name, _group_diff(ln.fields, want)))
            new_gr.append(new_ln)
            if want[2] != ln.fields[2]:
                # a new gid: the intermediate file keeps the old line too, so passwd lines
                # still naming the old gid (until passwd is renamed) find their group
                mid_gr.append(ln)
            mid_gr.append(new_ln)
        else:
            deleted_groups.add(name)  # type: ignore[arg-type]
            mid_gr.append(ln)
            changes.append(Change("delete", "group", name or "", [f"gid {ln.fields[2]}"]))
    gr_added = [Line.make(want_gr[g.groupname]) for g in groups if g.groupname not in cur_groups]
    for ln in gr_added:
        f = ln.fields or []
        detail = [f"gid {f[2]}"] + ([f"members {f[3]}"] if f[3] else [])
        changes.append(Change("add", "group", f[0], detail))
    _insert(gr_added, new_gr, mid_gr)

    # ---- gshadow
    def gshadow_line(ln: Line) -> Line:
        assert ln.name is not None and ln.fields is not None
        want = [*ln.fields[:3], want_gr[ln.name][3]]
        if ln.fields[3] != want[3] and _same_members(ln.fields[3], want[3]):
            want[3] = ln.fields[3]
        return ln if want == ln.fields else Line.make(want)

    new_gs, mid_gs, have_gs = _follow(
        db.gshadow.lines,
        "gshadow",
        gshadow_line,
        managed=want_gr.keys(),
        leaving=deleted_groups,
        owners={ln.name for ln in db.group.lines if ln.fields is not None},
        changes=changes,
    )
    gs_added = [
        Line.make([g.groupname, "!", "", want_gr[g.groupname][3]])
        for g in groups
        if g.groupname not in have_gs
    ]
    _insert(gs_added, new_gs, mid_gs)

    # ---- bytes and write order
    # No gshadow file on a system that has group lines: shadow-utils then keeps none either.
    use_gshadow = db.gshadow.exists or not db.group.entries()
    if not db.shadow.exists and db.passwd.entries():
        raise ConfigError("/etc/passwd exists without /etc/shadow; shadow passwords are required")
    old = {k: db.file(k).raw for k in ("passwd", "shadow", "group", "gshadow")}
    final = {
        "passwd": _ser(new_pw, db.passwd),
        "shadow": _ser(new_sh, db.shadow),
        "group": _ser(new_gr, db.group),
        "gshadow": _ser(new_gs, db.gshadow) if use_gshadow else old["gshadow"],
    }
    mid = {
        "gshadow": _ser(mid_gs, db.gshadow) if use_gshadow else old["gshadow"],
        "group": _ser(mid_gr, db.group),
        "shadow": _ser(mid_sh, db.shadow),
    }
    steps: list[tuple[str, bytes]] = []
    last = dict(old)
    for kind in ("gshadow", "group", "shadow"):
        if mid[kind] != last[kind]:
            steps.append((kind, mid[kind]))
            last[kind] = mid[kind]
    if final["passwd"] != old["passwd"]:
        steps.append(("passwd", final["passwd"]))
    for kind in ("group", "gshadow", "shadow"):
        if final[kind] != last[kind]:
            steps.append((kind, final[kind]))
            last[kind] = final[kind]
    changed = {k: v for k, v in final.items() if v != old[k]}
    passwd_entries = {ln.fields[0]: ln.fields for ln in new_pw if ln.fields is not None}
    gids_after = {ln.fields[0]: int(ln.fields[2]) for ln in new_gr if ln.fields is not None}
    # Users the last write deleted (managed in the `-` backup, in no passwd line now): their
    # linger flag and home are cleaned from what is on disk, even if that run died before it
    # got to them.
    present = {ln.fields[0] for ln in db.passwd.lines if ln.fields} | want_pw.keys()
    deleted_users += [
        ln.fields
        for ln in db.backup("passwd").lines
        if ln.fields and int(ln.fields[2]) in uid_rng and ln.fields[0] not in present
    ]
    return AccountPlan(changes, changed, steps, passwd_entries, deleted_users, gids_after)


def _follow(
    lines: list[Line],
    kind: str,
    update: Callable[[Line], Line],
    *,
    managed: Collection[str],
    leaving: set[str],
    owners: Collection[str | None],
    changes: list[Change],
) -> tuple[list[Line], list[Line], set[str]]:
    """Walk shadow (or gshadow), whose lines follow passwd's (group's) by name.

    The first line of each `managed` name goes through `update`; a line of a name `leaving`
    stays in the intermediate file only; an orphan (no line in `owners`) or a second line of a
    managed name is deleted, as its own change; everything else is kept as it is.
    Returns the final lines, the intermediate lines, and the managed names that had a line.
    """
    owner = "passwd" if kind == "shadow" else "group"
    final: list[Line] = []
    mid: list[Line] = []
    seen: set[str] = set()
    for ln in lines:
        name = ln.name
        if ln.fields is None or name is None:
            final.append(ln)
            mid.append(ln)
        elif name in managed and name not in seen:
            seen.add(name)
            new_ln = update(ln)
            final.append(new_ln)
            mid.append(new_ln)
        elif name in leaving:
            mid.append(ln)  # kept until the owner file has lost the entry
        elif name not in owners or name in managed:
            why = f"no {owner} line" if name not in owners else "duplicate line"
            changes.append(Change("delete", kind, name, [why]))
        else:
            final.append(ln)
            mid.append(ln)
    return final, mid, seen


def _insert(added: list[Line], *files: list[Line]) -> None:
    """Put new lines where shadow-utils does: at the end, before the first NIS `+`/`-` line."""
    for lines in files:
        pos = insert_position(lines)
        lines[pos:pos] = added


def _ser(lines: list[Line], f: AccountFile) -> bytes:
    """Bytes of `lines`; an unchanged file comes back as read (even without a final newline)."""
    if len(lines) == len(f.lines) and all(a is b for a, b in zip(lines, f.lines, strict=True)):
        return f.raw  # the very same lines: nothing to join or compare
    data = serialize(lines, f.trailing_newline)
    if data != f.raw and data and not data.endswith(b"\n"):
        data += b"\n"
    return data


def _same_members(a: str, b: str) -> bool:
    return set(filter(None, a.split(","))) == set(filter(None, b.split(",")))


def _group_diff(old: list[str], new: list[str]) -> list[str]:
    out = []
    if old[2] != new[2]:
        out.append(f"gid: {old[2]} -> {new[2]}")
    if old[1] != new[1]:
        out.append(f"password field: {old[1]!r} -> {new[1]!r}")
    a = set(filter(None, old[3].split(",")))
    b = set(filter(None, new[3].split(",")))
    if b - a:
        out.append("members +" + ",".join(sorted(b - a)))
    if a - b:
        out.append("members -" + ",".join(sorted(a - b)))
    return out


# ---------------------------------------------------------------------------- filesystem


class PathInfo(NamedTuple):
    """What `apply.observe` saw at a path (never following a symlink at the last step)."""

    kind: Literal["dir", "file", "link", "other", "missing", "unsafe"]
    mode: int = 0
    uid: int = -1
    gid: int = -1
    content: bytes | None = None  # for authorized_keys files


@dataclass(frozen=True)
class FsAction:
    op: Literal[
        "create_home",
        "fix_home_owner",
        "remove_home",
        "ensure_dir",
        "write_keys",
        "remove_keys",
        "linger_on",
        "linger_off",
    ]
    user: str
    path: str  # path in the target system (under --root when applied)
    uid: int = -1
    gid: int = -1
    mode: int = 0
    home: str = ""  # the user's home: components at and below it are never followed
    content: bytes = b""


class FsQuery(NamedTuple):
    path: str
    home: str  # "" when the path is not inside a user-writable home
    read: bool = False


def linger_path(name: str) -> str:
    return f"/var/lib/systemd/linger/{name}"


def _inside(path: str, home: str) -> bool:
    return path == home or path.startswith(home.rstrip("/") + "/")


def fs_queries(cfg: UsersConfig, acc: AccountPlan) -> list[FsQuery]:
    """Every path whose state the filesystem plan depends on."""
    out: list[FsQuery] = []
    homes, paths = cfg.homes(), cfg.paths()
    for user in cfg.users:
        home = homes[user.username]
        out.append(FsQuery(home, home))
        kp, dirs = paths[user.username]
        out.append(FsQuery(kp, home if _inside(kp, home) else "", read=True))
        out.append(FsQuery(linger_path(user.username), ""))
        for p in dirs:
            out.append(FsQuery(p, home if _inside(p, home) else p))
    for f in acc.deleted_users:
        out.append(FsQuery(f[5], f[5]))
        out.append(FsQuery(linger_path(f[0]), ""))
    return out


def keys_content(keys: list[str]) -> bytes:
    return (KEYS_HEADER + "".join(k + "\n" for k in keys)).encode()


def plan_fs(
    cfg: UsersConfig,
    acc: AccountPlan,
    seen: dict[str, PathInfo],
    *,
    manage_ownership: bool = True,
) -> tuple[list[FsAction], list[Change]]:
    """Homes, managed directories, authorized_keys and linger flags, from what `observe` saw."""
    actions: list[FsAction] = []
    changes: list[Change] = []
    users_uid = {name: int(f[2]) for name, f in acc.passwd_entries.items()}
    homes = cfg.homes()

    def owner_differs(info: PathInfo, uid: int, gid: int) -> bool:
        return manage_ownership and (info.uid, info.gid) != (uid, gid)

    uid_owner = {int(f[2]): name for name, f in acc.passwd_entries.items()}

    def not_someone_elses(path: str, info: PathInfo, name: str) -> None:
        """Refuse to take over a path that belongs to another user (before anything is written)."""
        other = uid_owner.get(info.uid)
        if (
            manage_ownership
            and info.kind not in ("missing", "unsafe")
            and other
            not in (
                None,
                name,
                "root",
            )
        ):
            raise ConfigError(f"user {name!r}: {path} belongs to user {other!r}; refusing")

    for user in cfg.users:
        name, uid = user.username, user.uid
        gid = acc.gids.get(user.primary_group or name, int(acc.passwd_entries[name][3]))
        home = homes[name]
        info = seen[home]
        not_someone_elses(home, info, name)
        if info.kind == "missing":
            if cfg.create_home:
                actions.append(FsAction("create_home", name, home, uid, gid, cfg.home_mode, home))
                changes.append(
                    Change(
                        "add", "home", home, [f"copy of {cfg.skel}", f"mode {cfg.home_mode:04o}"]
                    )
                )
        elif info.kind == "dir":
            if owner_differs(info, uid, gid):
                actions.append(FsAction("fix_home_owner", name, home, uid, gid, 0, home))
                changes.append(
                    Change("change", "home", home, [f"owner {info.uid}:{info.gid} -> {uid}:{gid}"])
                )
        else:
            changes.append(
                Change("change", "home", home, [f"skipped: is a {info.kind}, not a directory"])
            )
        home_ok = info.kind == "dir" or (info.kind == "missing" and cfg.create_home)

        kp, dirs = cfg.paths()[name]
        for d, p in zip(cfg.managed_directories, dirs, strict=True):
            o_uid = uid if d.owner == "%u" else users_uid.get(d.owner, -2)
            o_gid = gid if d.group is None else acc.gids.get(d.group, -2)
            if o_uid == -2 or o_gid == -2:
                raise ConfigError(f"managed_directories {d.path!r}: unknown owner or group")
            di = seen[p]
            if d.owner == "%u":
                not_someone_elses(p, di, name)
            if _inside(p, home) and not home_ok:
                continue
            if di.kind in ("missing", "dir") and (
                di.kind == "missing" or di.mode != d.mode or owner_differs(di, o_uid, o_gid)
            ):
                act: Action = "add" if di.kind == "missing" else "change"
                actions.append(
                    FsAction(
                        "ensure_dir", name, p, o_uid, o_gid, d.mode, home if _inside(p, home) else p
                    )
                )
                changes.append(
                    Change(act, "directory", p, [f"owner {o_uid}:{o_gid}", f"mode {d.mode:04o}"])
                )
            elif di.kind not in ("missing", "dir"):
                changes.append(Change("change", "directory", p, [f"skipped: is a {di.kind}"]))

        ki = seen[kp]
        not_someone_elses(kp, ki, name)
        inside = _inside(kp, home)
        if inside and not home_ok:
            pass
        elif user.ssh_authorized_keys:
            want = keys_content(user.ssh_authorized_keys)
            if ki.kind in ("missing", "file") and (
                ki.content != want or ki.mode != 0o600 or owner_differs(ki, uid, gid)
            ):
                kact: Action = "add" if ki.kind == "missing" else "change"
                actions.append(
                    FsAction("write_keys", name, kp, uid, gid, 0o600, home if inside else "", want)
                )
                changes.append(
                    Change(kact, "authorized_keys", kp, [f"{len(user.ssh_authorized_keys)} key(s)"])
                )
            elif ki.kind not in ("missing", "file"):
                changes.append(
                    Change("change", "authorized_keys", kp, [f"skipped: is a {ki.kind}"])
                )
        elif ki.kind == "file" and (ki.content or b"").startswith(KEYS_HEADER.encode()):
            actions.append(FsAction("remove_keys", name, kp, home=home if inside else ""))
            changes.append(Change("delete", "authorized_keys", kp, ["no keys in the config"]))

        lp = linger_path(name)
        has = seen[lp].kind != "missing"
        if user.linger and not has:
            actions.append(FsAction("linger_on", name, lp))
            changes.append(Change("add", "linger", name))
        elif not user.linger and has:
            actions.append(FsAction("linger_off", name, lp))
            changes.append(Change("delete", "linger", name))

    live_homes = {f[5] for f in acc.passwd_entries.values()}
    for f in acc.deleted_users:
        name, home = f[0], f[5]
        if seen[linger_path(name)].kind != "missing":
            actions.append(FsAction("linger_off", name, linger_path(name)))
            changes.append(Change("delete", "linger", name))
        if (
            cfg.removed_user_home == "remove"
            and seen[home].kind == "dir"
            and home not in ("/", "")
            and home not in live_homes  # a renamed user who kept the home keeps it
        ):
            actions.append(FsAction("remove_home", name, home, int(f[2]), home=home))
            changes.append(Change("delete", "home", home))
    return actions, changes


def summary(changes: list[Change]) -> dict[str, int]:
    out = {"add": 0, "change": 0, "delete": 0}
    for c in changes:
        out[c.action] += 1
    return out
