"""The desired state: the config's dataclasses and every check that needs no system state.

Checks against the current account files (a clash with an unmanaged user or group, a primary
group that exists nowhere) live in `check_against_system`, which `plan` calls before deciding.
Every error is a `ConfigError`: one line, exit 2, nothing written.

Why not pydantic, as the other tools' configs are: a whole `users apply` of 300 users is about
0.1 s, and importing pydantic and building these models cost more than that again (see
"Figures" in docs/users.md). The checks below are plain Python: `_record` walks a mapping
against a table of per-key check functions and collects one `key 'users.3.uid': what is wrong
(got ...)` message per bad key, in the same form as `core.config`'s messages.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal, NamedTuple, TypeVar

from watcloud.core.errors import ConfigError
from watcloud.core.fsutil import read_text

# shadow-utils' default rule (is_valid_user_name without NAME_REGEX): [a-z_][a-z0-9_-]*[$]?
NAME_RE = re.compile(r"[a-z_][a-z0-9_-]*\$?")
NAME_MAX = 32

_B64 = r"[./A-Za-z0-9]"
HASH_PATTERNS: dict[str, re.Pattern[str]] = {
    # yescrypt: $y$<params>$<salt>$<43-char hash>
    "yescrypt": re.compile(rf"\$y\${_B64}+\${_B64}{{1,86}}\${_B64}{{43}}"),
    # SHA-512 crypt: $6$[rounds=N$]<salt up to 16>$<86-char hash>
    "sha512": re.compile(rf"\$6\$(rounds=[1-9][0-9]{{3,8}}\$)?{_B64}{{1,16}}\${_B64}{{86}}"),
    # bcrypt: $2b$ / $2y$ / $2a$, two-digit cost, 22-char salt + 31-char hash
    "bcrypt": re.compile(rf"\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\${_B64}{{53}}"),
}
LOCKED = ("!", "*", "!*")

KEY_TYPES = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "ssh-dss",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
        "ssh-ed25519-cert-v01@openssh.com",
        "ssh-rsa-cert-v01@openssh.com",
        "ecdsa-sha2-nistp256-cert-v01@openssh.com",
        "ecdsa-sha2-nistp384-cert-v01@openssh.com",
        "ecdsa-sha2-nistp521-cert-v01@openssh.com",
        "sk-ssh-ed25519-cert-v01@openssh.com",
        "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    }
)
# Characters that would break a colon-separated account file or an authorized_keys line.
_FIELD_BAD = re.compile(r"[:\x00-\x1f\x7f]")


def valid_name(name: str) -> bool:
    return len(name) <= NAME_MAX and NAME_RE.fullmatch(name) is not None


def hash_kind(value: str) -> str | None:
    """'yescrypt', 'sha512', 'bcrypt', 'locked' or None (not a hash we accept)."""
    if value in LOCKED:
        return "locked"
    body = value[1:] if value.startswith("!") else value
    for kind, pattern in HASH_PATTERNS.items():
        if pattern.fullmatch(body):
            return kind
    return None


def _ssh_string(blob: bytes, pos: int) -> tuple[bytes, int]:
    if pos + 4 > len(blob):
        raise ValueError("truncated key blob")
    n = int.from_bytes(blob[pos : pos + 4], "big")
    end = pos + 4 + n
    if end > len(blob):
        raise ValueError("truncated key blob")
    return blob[pos + 4 : end], end


# How many length-prefixed fields follow the type name in each plain key type's blob.
_KEY_FIELDS = {
    "ssh-ed25519": 1,
    "ssh-rsa": 2,
    "ssh-dss": 4,
    "ecdsa-sha2-nistp256": 2,
    "ecdsa-sha2-nistp384": 2,
    "ecdsa-sha2-nistp521": 2,
    "sk-ssh-ed25519@openssh.com": 2,
    "sk-ecdsa-sha2-nistp256@openssh.com": 3,
}


def _split_options(line: str) -> tuple[str, str]:
    """Split a leading options field (`from="a b",no-pty`) off an authorized_keys line."""
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch in " \t" and not quoted:
            return line[:i], line[i:].lstrip()
    raise ValueError("options without a key")


def parse_ssh_key(line: str) -> tuple[str, str, str]:
    """Validate one authorized_keys line; return (options, type, base64 blob).

    The blob must be strict base64 whose embedded type name equals the stated type, and (for
    plain key types) hold exactly the fields that type has.
    """
    if "\n" in line or "\r" in line or "\x00" in line:
        raise ValueError("a key must be one line")
    text = line.strip()
    if not text:
        raise ValueError("empty key")
    options = ""
    first = text.split(None, 1)[0]
    if first not in KEY_TYPES:
        options, text = _split_options(text)
    parts = text.split(None, 2)
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        raise ValueError(f"unknown key type {parts[0]!r}" if parts else "no key type")
    ktype, b64 = parts[0], parts[1]
    try:
        blob = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("key data is not valid base64") from None
    inner, pos = _ssh_string(blob, 0)
    if inner != ktype.encode():
        raise ValueError(f"key data says {inner[:40]!r}, line says {ktype!r}")
    fields = _KEY_FIELDS.get(ktype)
    if fields is not None:
        for _ in range(fields):
            value, pos = _ssh_string(blob, pos)
        if pos != len(blob):
            raise ValueError("trailing bytes in key data")
        if ktype == "ssh-ed25519" and len(value) != 32:
            raise ValueError("ed25519 key is not 32 bytes")
    return options, ktype, b64


def parse_mode(value: Any) -> int:
    """A mode as an octal string ('0700', '750') or an int (YAML 1.1 reads 0700 as 448)."""
    if isinstance(value, bool):
        raise ValueError("expected an octal mode string such as '0700'")
    if isinstance(value, int):
        mode = value
    elif isinstance(value, str) and re.fullmatch(r"0?[0-7]{3,4}|0o[0-7]{3,4}", value):
        mode = int(value.removeprefix("0o"), 8)
    else:
        raise ValueError("expected an octal mode string such as '0700'")
    if not 0 <= mode <= 0o7777:
        raise ValueError("mode out of range")
    return mode


# --- leaf checks: each returns the clean value or raises ValueError("what is wrong") ----------

Check = Callable[[Any], Any]


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("expected a whole number")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _choice(*options: str) -> Check:
    def check(value: Any) -> str:
        if value not in options:
            raise ValueError("expected " + " or ".join(repr(o) for o in options))
        return str(value)

    return check


def _optional(check: Check) -> Check:
    def optional(value: Any) -> Any:
        return None if value is None else check(value)

    return optional


def _check_name(value: Any) -> str:
    if not isinstance(value, str) or not valid_name(value):
        raise ValueError(
            "not a valid POSIX user/group name (lower-case letter or _, then [a-z0-9_-], "
            f"optional trailing $, at most {NAME_MAX} characters)"
        )
    return value


def _check_field(value: Any, what: str) -> str:
    if _FIELD_BAD.search(_str(value)):
        raise ValueError(f"{what} must not contain ':' or control characters")
    return str(value)


TEMPLATE_KEYS = {"u", "U", "h", "%"}


def _check_template(value: Any) -> str:
    _check_field(value, "a path")
    if not value.startswith(("/", "%h")):
        raise ValueError("a path template must be absolute (or start with %h)")
    for match in re.finditer(r"%(.?)", value):
        if match.group(1) not in TEMPLATE_KEYS:
            raise ValueError(f"unknown template key %{match.group(1)} (use %u, %U, %h, %%)")
    return str(value)


def _check_password(value: Any) -> str:
    if not isinstance(value, str) or hash_kind(value) is None:
        raise ValueError(
            "not a crypt hash (yescrypt $y$, SHA-512 $6$, bcrypt $2b$/$2y$/$2a$, or "
            "'!' to lock); plaintext passwords are refused"
        )
    return value


def _check_shell(value: Any) -> str:
    if not _str(value).startswith("/"):
        raise ValueError("the shell must be an absolute path")
    return _check_field(value, "the shell")


def _check_key(value: Any) -> str:
    parse_ssh_key(_str(value))
    return str(value).strip()


def _check_owner(value: Any) -> str:
    return value if value == "%u" else _check_name(value)


# --- records and lists: walk a mapping, collecting one message per bad key --------------------

UNKNOWN_KEY = "unknown key (check the spelling; see the docs for valid keys)"


class _Errors(list[str]):
    def add(self, loc: str, message: str, value: Any = MISSING) -> None:
        got = "" if value is MISSING else f" (got {value!r:.60})"
        self.append(f"key '{loc}': {message}{got}")


class _Nested:
    """A check that reports its own problems (with their full key) instead of raising."""

    def __init__(self, run: Callable[[Any, str, _Errors], Any]) -> None:
        self.run = run


Spec = dict[str, "Check | _Nested"]
T = TypeVar("T")
_BAD = object()


def _record(cls: type[T], spec: Spec, data: Any, loc: str, errs: _Errors) -> T | None:
    """Check mapping `data` key by key against `spec` and build `cls`; None if anything is wrong.

    Keys not in `data` take the dataclass's default; a key without a default is required.
    """
    if not isinstance(data, dict):
        errs.add(loc, "expected a mapping of keys", data)
        return None
    before = len(errs)
    out: dict[str, Any] = {}
    for key, value in data.items():
        where = f"{loc}.{key}" if loc else str(key)
        check = spec.get(key)
        if check is None:
            errs.add(where, UNKNOWN_KEY)
        elif isinstance(check, _Nested):
            value = check.run(value, where, errs)
            if value is not _BAD:
                out[key] = value
        else:
            try:
                out[key] = check(value)
            except ValueError as exc:
                errs.add(where, str(exc), value)
    for key in _required(cls):
        if key not in data:
            errs.add(f"{loc}.{key}" if loc else key, "required key is missing")
    return cls(**out) if len(errs) == before else None


_REQUIRED: dict[type, tuple[str, ...]] = {}


def _required(cls: type) -> tuple[str, ...]:
    if cls not in _REQUIRED:
        _REQUIRED[cls] = tuple(
            f.name
            for f in fields(cls)
            if f.init and f.default is MISSING and f.default_factory is MISSING
        )
    return _REQUIRED[cls]


def _list_of(item: Check | _Nested) -> _Nested:
    """A list whose items each pass `item`; a bad item is reported as `key.N`."""

    def run(value: Any, loc: str, errs: _Errors) -> Any:
        if not isinstance(value, list):
            errs.add(loc, "expected a list", value)
            return _BAD
        before = len(errs)
        out = []
        for i, element in enumerate(value):
            if isinstance(item, _Nested):
                out.append(item.run(element, f"{loc}.{i}", errs))
                continue
            try:
                out.append(item(element))
            except ValueError as exc:
                errs.add(f"{loc}.{i}", str(exc), element)
        return out if len(errs) == before else _BAD

    return _Nested(run)


def _records(cls: type[Any], spec: Spec) -> _Nested:
    def run(value: Any, loc: str, errs: _Errors) -> Any:
        built = _record(cls, spec, value, loc, errs)
        return _BAD if built is None else built

    return _Nested(run)


# --- the config --------------------------------------------------------------------------------


@dataclass(slots=True)
class IdRange:
    first: int
    last: int

    def __contains__(self, ident: object) -> bool:
        return isinstance(ident, int) and self.first <= ident <= self.last


def _id(value: Any) -> int:
    if not 1 <= _int(value) <= 4294967294:
        raise ValueError("expected an id from 1 to 4294967294")
    return int(value)


def _run_range(value: Any, loc: str, errs: _Errors) -> Any:
    if isinstance(value, list | tuple):
        if len(value) != 2:
            errs.add(loc, "expected [first, last]", value)
            return _BAD
        value = {"first": value[0], "last": value[1]}
    rng = _record(IdRange, {"first": _id, "last": _id}, value, loc, errs)
    if rng is None:
        return _BAD
    if rng.first > rng.last:
        errs.add(loc, f"first ({rng.first}) is greater than last ({rng.last})")
        return _BAD
    if rng.first <= 65534 <= rng.last:
        errs.add(loc, "the range must not contain 65534 (nobody/nogroup)")
        return _BAD
    return rng


@dataclass(slots=True)
class User:
    username: str
    uid: int
    primary_group: str | None = None
    additional_groups: list[str] = field(default_factory=list)
    password: str | None = None
    update_password: Literal["always", "on_create"] = "always"
    shell: str | None = None
    home: str | None = None
    comment: str = ""
    ssh_authorized_keys: list[str] = field(default_factory=list)
    linger: bool = False


def _run_groups_of_user(value: Any, loc: str, errs: _Errors) -> Any:
    names = _LIST_OF_NAMES.run(value, loc, errs)
    if names is not _BAD and len(set(names)) != len(names):
        errs.add(loc, "a group is listed twice", value)
        return _BAD
    return names


_LIST_OF_NAMES = _list_of(_check_name)

USER_SPEC: Spec = {
    "username": _check_name,
    "uid": _int,
    "primary_group": _optional(_check_name),
    "additional_groups": _Nested(_run_groups_of_user),
    "password": _optional(_check_password),
    "update_password": _choice("always", "on_create"),
    "shell": _optional(_check_shell),
    "home": _optional(_check_template),
    "comment": lambda value: _check_field(value, "the comment"),
    "ssh_authorized_keys": _list_of(_check_key),
    "linger": _bool,
}


@dataclass(slots=True)
class Group:
    groupname: str
    gid: int
    members: list[str] = field(default_factory=list)


GROUP_SPEC: Spec = {"groupname": _check_name, "gid": _int, "members": _LIST_OF_NAMES}


class GroupSpec(NamedTuple):
    """A group as the planner sees it: declared in `groups` or a user's private group."""

    groupname: str
    gid: int
    members: list[str]


@dataclass(slots=True)
class ManagedDirectory:
    path: str
    owner: str = "%u"
    group: str | None = None
    mode: int = 0o700


DIRECTORY_SPEC: Spec = {
    "path": _check_template,
    "owner": _check_owner,
    "group": _optional(_check_owner),
    "mode": parse_mode,
}


def expand(template: str, *, user: str, uid: int, home: str = "") -> str:
    """Expand %u (name), %U (uid), %h (home) and %% in a path template.

    Templates are validated to hold only these keys, so plain replacements are exact.
    """
    if "%" not in template:
        return template
    out = template.replace("%%", "\0").replace("%u", user).replace("%U", str(uid))
    return out.replace("%h", home).replace("\0", "%")


@dataclass(slots=True)
class UsersConfig:
    managed_uid_range: IdRange
    managed_gid_range: IdRange
    users: list[User] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    default_shell: str = "/bin/bash"
    default_home: str = "/home/%u"
    user_private_groups: bool = True
    create_home: bool = True
    skel: str = "/etc/skel"
    home_mode: int = 0o700
    ssh_authorized_keys_path: str = "%h/.ssh/authorized_keys"
    managed_directories: list[ManagedDirectory] = field(default_factory=list)
    removed_user_home: Literal["keep", "remove"] = "keep"
    allowed_roots: list[str] = field(default_factory=lambda: ["/home", "/scratch"])
    max_shrink: float = 0.5
    _all_groups: list[GroupSpec] | None = field(default=None, init=False, repr=False)
    _homes: dict[str, str] | None = field(default=None, init=False, repr=False)
    _paths: dict[str, tuple[str, list[str]]] | None = field(default=None, init=False, repr=False)

    def private_groups(self) -> list[GroupSpec]:
        """The implicit user private groups (name = username, gid = uid)."""
        return self.all_groups()[len(self.groups) :]

    def all_groups(self) -> list[GroupSpec]:
        """Declared groups, then the implicit private groups (computed once, then cached)."""
        if self._all_groups is None:
            declared = {g.groupname for g in self.groups}
            out = [GroupSpec(g.groupname, g.gid, g.members) for g in self.groups]
            out += [
                GroupSpec(u.username, u.uid, [])
                for u in self.users
                if u.primary_group is None and u.username not in declared
            ]
            self._all_groups = out
        return self._all_groups

    def homes(self) -> dict[str, str]:
        """Each user's expanded home, by user name (computed once)."""
        homes = self._homes
        if homes is None:
            homes = self._homes = {
                u.username: expand(u.home or self.default_home, user=u.username, uid=u.uid)
                for u in self.users
            }
        return homes

    def paths(self) -> dict[str, tuple[str, list[str]]]:
        """Each user's expanded key file and managed directories (in config order), by name."""
        paths = self._paths
        if paths is None:
            homes = self.homes()
            key, dirs = self.ssh_authorized_keys_path, [d.path for d in self.managed_directories]
            paths = self._paths = {
                u.username: (
                    expand(key, user=u.username, uid=u.uid, home=homes[u.username]),
                    [expand(d, user=u.username, uid=u.uid, home=homes[u.username]) for d in dirs],
                )
                for u in self.users
            }
        return paths

    def home_of(self, user: User) -> str:
        return self.homes()[user.username]

    def shell_of(self, user: User) -> str:
        return user.shell or self.default_shell

    def primary_group_of(self, user: User) -> str:
        return user.primary_group or user.username


CONFIG_SPEC: Spec = {
    "managed_uid_range": _Nested(_run_range),
    "managed_gid_range": _Nested(_run_range),
    "users": _list_of(_records(User, USER_SPEC)),
    "groups": _list_of(_records(Group, GROUP_SPEC)),
    "default_shell": _check_shell,
    "default_home": _check_template,
    "user_private_groups": _bool,
    "create_home": _bool,
    "skel": _check_template,
    "home_mode": parse_mode,
    "ssh_authorized_keys_path": _check_template,
    "managed_directories": _list_of(_records(ManagedDirectory, DIRECTORY_SPEC)),
    "removed_user_home": _choice("keep", "remove"),
    "allowed_roots": _list_of(lambda value: _check_root(value)),
    "max_shrink": lambda value: _share(value),
}


# Whose insides are never a home, key file or managed directory (an allowed root may not be below
# them either): system trees and pseudo-filesystems.
SYSTEM_TREES = (
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/boot",
    "/proc",
    "/sys",
    "/dev",
    "/root",
    "/run",
    "/var/lib/systemd",
    "/etc/skel",
)
# Where no home, key file or managed directory may be, nor an allowed root be or contain: the
# system trees, and these (whose insides may hold, say, /var/... or /srv/... when allowed).
SYSTEM_PATHS = (
    *SYSTEM_TREES,
    "/",
    "/etc",
    "/var",
    "/var/lib",
    "/var/log",
    "/var/spool",
    "/snap",
    "/opt",
    "/srv",
    "/tmp",
    "/mnt",
    "/media",
    "/lost+found",
    "/etc/ssh",
    "/etc/ssl",
    "/etc/pam.d",
    "/etc/security",
    "/etc/sudoers.d",
    "/etc/systemd",
    "/etc/cron.d",
)


def inside(path: str, top: str) -> bool:
    """`path` is `top` or below it (both normal absolute paths)."""
    return path == top or path.startswith(top.rstrip("/") + "/")


def normal_path(path: str) -> bool:
    """Absolute, no empty, '.' or '..' component, no trailing slash (or exactly '/')."""
    if path == "/":
        return True
    return (
        path.startswith("/")
        and not path.endswith(("/", "/.", "/.."))
        and "//" not in path
        and "/./" not in path
        and "/../" not in path
    )


def root_problem(path: str) -> str | None:
    """Why `path` may not be an allowed root, or None."""
    if not normal_path(path):
        return "an allowed root must be a normal absolute path (no '..', '.', '//')"
    if any(inside(sp, path) for sp in SYSTEM_PATHS):
        return "an allowed root must not be a system location or hold one"
    if any(inside(path, tree) for tree in SYSTEM_TREES):
        return "an allowed root must not be inside a system tree (/usr, /boot, /proc, ...)"
    return None


def _check_root(value: Any) -> str:
    path = _check_field(value, "a path")
    why = root_problem(path)
    if why:
        raise ValueError(why)
    return path


def _share(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError("expected a share from 0 to 1, such as 0.5")
    return float(value)


_TREES = frozenset(SYSTEM_TREES)
_SYSTEM = frozenset(SYSTEM_PATHS)


def _ancestors(path: str) -> list[str]:
    """'/a/b/c' -> ['/a', '/a/b', '/a/b/c'] (a normal absolute path; '/' gives [])."""
    out = []
    end = path.find("/", 1)
    while end != -1:
        out.append(path[:end])
        end = path.find("/", end + 1)
    if path != "/":
        out.append(path)
    return out


def path_problem(path: str, roots: list[str]) -> str | None:
    """Why a home, key file or managed directory may not be at `path` (normal form), or None.

    It must be strictly below one of `roots` and inside no system tree; anything in a system
    location (/etc, /var, ...) is refused unless it is below an allowed root there.
    """
    if not normal_path(path):
        return "is not a normal absolute path (no '..', '.', '//' or trailing '/')"
    if path == "/":
        return "is a system location"
    ups = _ancestors(path)
    for up in ups:
        if up in _TREES:
            return f"is in a system location ({up})"
    if path in roots:
        return "is an allowed root itself, not a directory below one"
    if any(up in roots for up in ups[:-1]):
        return None
    if path in _SYSTEM:
        return "is a system location"
    for up in ups[:-1]:
        if up in _SYSTEM:
            return f"is in a system location ({up})"
    return f"is outside allowed_roots ({', '.join(roots)})"


def check_paths(cfg: UsersConfig) -> None:
    """Every home, key file and managed directory: allowed, and in no other user's home."""
    roots = cfg.allowed_roots
    if not (cfg.skel == "/etc/skel" or cfg.skel.startswith("/etc/skel/")) or not normal_path(
        cfg.skel
    ):
        raise ValueError(f"skel {cfg.skel!r} must be /etc/skel or a directory below it")
    homes = cfg.homes()
    owner_of_home: dict[str, str] = {}
    fine_parents: set[str] = set()  # homes below these need only a look at their form
    for i, user in enumerate(cfg.users):
        home = homes[user.username]
        where = f"users.{i} ({user.username})"
        parent = home.rpartition("/")[0]
        if parent in fine_parents and normal_path(home) and home not in roots:
            why = None
        else:
            why = path_problem(home, roots)
            if why is None and (parent in roots or path_problem(parent, roots) is None):
                fine_parents.add(parent)
        if why:
            raise ValueError(f"{where}: home {home!r} {why}")
        if home in owner_of_home:
            raise ValueError(f"{where}: home {home!r} is also the home of {owner_of_home[home]}")
        owner_of_home[home] = user.username
    key_owner: dict[str, str] = {}
    for i, user in enumerate(cfg.users):
        name, home = user.username, homes[user.username]
        where = f"users.{i} ({name})"
        key, dirs = cfg.paths()[name]
        paths = [("ssh_authorized_keys_path", key)]
        paths += [
            (f"managed_directories {d.path!r}", p)
            for d, p in zip(cfg.managed_directories, dirs, strict=True)
        ]
        below = home + "/"
        for what, p in paths:
            if p.startswith(below):
                # inside its own home, which passed: only the form can be wrong (no home is
                # inside another, checked below for every home)
                if not normal_path(p):
                    raise ValueError(f"{where}: {what} {p!r} {path_problem(p, roots)}")
                continue
            why = path_problem(p, roots)
            if why:
                raise ValueError(f"{where}: {what} {p!r} {why}")
            if p == home:
                raise ValueError(f"{where}: {what} {p!r} is the home itself")
        for what, p in [*paths, ("home", home)]:
            if p.startswith(below):
                continue
            up = p
            while up not in ("/", ""):
                other = owner_of_home.get(up)
                if other is not None and other != name:
                    raise ValueError(f"{where}: {what} {p!r} is inside {other}'s home {up}")
                up = up.rsplit("/", 1)[0]
        if key in key_owner:
            raise ValueError(
                f"{where}: ssh_authorized_keys_path {key!r} is also {key_owner[key]}'s"
            )
        key_owner[key] = name


def _unique(kind: str, entries: list[tuple[str, int]], rng: IdRange) -> dict[int, str]:
    """Names and ids of the `kind` ("user" or "group") entries: unique, ids inside `rng`."""
    id_name = "uid" if kind == "user" else "gid"
    ids: dict[int, str] = {}
    names: set[str] = set()
    for i, (name, ident) in enumerate(entries):
        where = f"{kind}s.{i} ({name})"
        if name in names:
            raise ValueError(f"{where}: duplicate {kind}name")
        names.add(name)
        if ident not in rng:
            raise ValueError(
                f"{where}: {id_name} {ident} is outside managed_{id_name}_range "
                f"{rng.first}-{rng.last}"
            )
        if ident in ids:
            raise ValueError(f"{where}: {id_name} {ident} already used by {ids[ident]}")
        ids[ident] = name
    return ids


def _cross_check(cfg: UsersConfig) -> None:
    """What no single key shows: duplicates, ids outside the ranges, unknown groups."""
    _unique("user", [(u.username, u.uid) for u in cfg.users], cfg.managed_uid_range)
    gids = _unique("group", [(g.groupname, g.gid) for g in cfg.groups], cfg.managed_gid_range)
    groups = set(gids.values())
    # User private groups: a user without primary_group gets a group of its own name,
    # gid = uid, unless the config declares that group itself.
    for i, user in enumerate(cfg.users):
        if user.primary_group is not None or user.username in groups:
            continue
        where = f"users.{i} ({user.username})"
        if not cfg.user_private_groups:
            raise ValueError(f"{where}: primary_group is required (user_private_groups off)")
        if user.uid not in cfg.managed_gid_range:
            raise ValueError(
                f"{where}: its private group's gid {user.uid} (= uid) is outside "
                "managed_gid_range; set primary_group"
            )
        if user.uid in gids:
            raise ValueError(
                f"{where}: its private group's gid {user.uid} (= uid) is used by "
                f"{gids[user.uid]}; set primary_group"
            )
        gids[user.uid] = user.username
    for i, user in enumerate(cfg.users):
        for name in user.additional_groups:
            if name not in groups:
                raise ValueError(
                    f"users.{i} ({user.username}): additional group {name!r} is not in "
                    "'groups' (memberships are managed only for groups in the config)"
                )
    check_paths(cfg)


MAX_SHOWN = 10  # problems named in one error line; a config broken everywhere says how many more


def validate(data: Any, source: str = "<config>") -> UsersConfig:
    """Check parsed config data; a `ConfigError` naming `source` and every bad key otherwise."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of options at top level")
    errs = _Errors()
    cfg = _record(UsersConfig, CONFIG_SPEC, data, "", errs)
    if cfg is None:
        shown = "; ".join(errs[:MAX_SHOWN])
        more = f"; and {len(errs) - MAX_SHOWN} more" if len(errs) > MAX_SHOWN else ""
        raise ConfigError(f"{source}: {shown}{more}")
    try:
        _cross_check(cfg)
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return cfg


def load_users_config(path: Path | None = None) -> UsersConfig:
    """The users config from `path`, else ~/.config/watcloud/users.yaml (which must exist:
    there is no useful default set of users)."""
    from watcloud.core.paths import default_config_path

    if path is None:
        path = default_config_path("users")
        if not path.exists():
            raise ConfigError(f"no --config given and {path} does not exist")
    return load(path)


def load(path: Path) -> UsersConfig:
    """Read and validate a YAML or JSON config file (JSON when it ends in .json)."""
    text = read_text(path, "config file", error=ConfigError)
    return parse(text, str(path), json_input=str(path).endswith(".json"))


def parse(text: str, source: str, *, json_input: bool = False) -> UsersConfig:
    data: Any
    if json_input:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{source}: line {exc.lineno}: invalid JSON: {exc.msg}") from None
    else:
        import yaml

        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 10k users fast
        try:
            data = yaml.load(text, Loader=loader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}" if mark is not None else ""
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ConfigError(f"{source}:{where}: invalid YAML: {problem}") from None
    return validate(data, source)
