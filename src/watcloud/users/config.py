"""The desired state: pydantic models and every check that needs no system state.

Checks against the current account files (a clash with an unmanaged user or group, a primary
group that exists nowhere) live in `check_against_system`, which `plan` calls before deciding.
Every error is a `ConfigError`: one line, exit 2, nothing written.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    BeforeValidator,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from watcloud.core.config import StrictModel, describe_validation_error
from watcloud.core.errors import ConfigError

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


Mode = Annotated[int, BeforeValidator(parse_mode)]


def _range(value: Any) -> Any:
    if isinstance(value, list | tuple):
        if len(value) != 2:
            raise ValueError("expected [first, last]")
        return {"first": value[0], "last": value[1]}
    return value


class IdRange(StrictModel):
    first: int = Field(ge=1, le=4294967294)
    last: int = Field(ge=1, le=4294967294)

    @model_validator(mode="after")
    def _ordered(self) -> IdRange:
        if self.first > self.last:
            raise ValueError(f"first ({self.first}) is greater than last ({self.last})")
        if self.first <= 65534 <= self.last:
            raise ValueError("the range must not contain 65534 (nobody/nogroup)")
        return self

    def __contains__(self, ident: object) -> bool:
        return isinstance(ident, int) and self.first <= ident <= self.last


RangeField = Annotated[IdRange, BeforeValidator(_range)]


def _check_name(value: str) -> str:
    if not valid_name(value):
        raise ValueError(
            "not a valid POSIX user/group name (lower-case letter or _, then [a-z0-9_-], "
            f"optional trailing $, at most {NAME_MAX} characters)"
        )
    return value


def _check_field(value: str, what: str) -> str:
    if _FIELD_BAD.search(value):
        raise ValueError(f"{what} must not contain ':' or control characters")
    return value


class User(StrictModel):
    username: str
    uid: int
    primary_group: str | None = None
    additional_groups: list[str] = Field(default_factory=list)
    password: str | None = None
    update_password: Literal["always", "on_create"] = "always"
    shell: str | None = None
    home: str | None = None
    comment: str = ""
    ssh_authorized_keys: list[str] = Field(default_factory=list)
    linger: bool = False

    @field_validator("username", "primary_group")
    @classmethod
    def _names(cls, value: str | None) -> str | None:
        return None if value is None else _check_name(value)

    @field_validator("additional_groups")
    @classmethod
    def _groups(cls, value: list[str]) -> list[str]:
        for name in value:
            _check_name(name)
        if len(set(value)) != len(value):
            raise ValueError("a group is listed twice")
        return value

    @field_validator("password")
    @classmethod
    def _password(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if hash_kind(value) is None:
            raise ValueError(
                "not a crypt hash (yescrypt $y$, SHA-512 $6$, bcrypt $2b$/$2y$/$2a$, or "
                "'!' to lock); plaintext passwords are refused"
            )
        return value

    @field_validator("shell")
    @classmethod
    def _shell(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("/"):
            raise ValueError("the shell must be an absolute path")
        return None if value is None else _check_field(value, "the shell")

    @field_validator("home")
    @classmethod
    def _home(cls, value: str | None) -> str | None:
        return None if value is None else _check_template(value)

    @field_validator("comment")
    @classmethod
    def _comment(cls, value: str) -> str:
        return _check_field(value, "the comment")

    @field_validator("ssh_authorized_keys")
    @classmethod
    def _keys(cls, value: list[str]) -> list[str]:
        out = []
        for i, key in enumerate(value):
            try:
                parse_ssh_key(key)
            except ValueError as exc:
                raise ValueError(f"key {i + 1}: {exc}") from None
            out.append(key.strip())
        return out


class Group(StrictModel):
    groupname: str
    gid: int
    members: list[str] = Field(default_factory=list)

    _name = field_validator("groupname")(_check_name)

    @field_validator("members")
    @classmethod
    def _members(cls, value: list[str]) -> list[str]:
        for name in value:
            _check_name(name)
        return value


class GroupSpec(NamedTuple):
    """A group as the planner sees it: declared in `groups` or a user's private group."""

    groupname: str
    gid: int
    members: list[str]


class ManagedDirectory(StrictModel):
    path: str
    owner: str = "%u"
    group: str | None = None
    mode: Mode = 0o700

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        return _check_template(value)

    @field_validator("owner", "group")
    @classmethod
    def _owner(cls, value: str | None) -> str | None:
        if value is None or value == "%u":
            return value
        return _check_name(value)


TEMPLATE_KEYS = {"u", "U", "h", "%"}


def _check_template(value: str) -> str:
    _check_field(value, "a path")
    if not value.startswith(("/", "%h")):
        raise ValueError("a path template must be absolute (or start with %h)")
    for match in re.finditer(r"%(.?)", value):
        if match.group(1) not in TEMPLATE_KEYS:
            raise ValueError(f"unknown template key %{match.group(1)} (use %u, %U, %h, %%)")
    return value


def expand(template: str, *, user: str, uid: int, home: str = "") -> str:
    """Expand %u (name), %U (uid), %h (home) and %% in a path template.

    Templates are validated to hold only these keys, so plain replacements are exact.
    """
    if "%" not in template:
        return template
    out = template.replace("%%", "\0").replace("%u", user).replace("%U", str(uid))
    return out.replace("%h", home).replace("\0", "%")


class UsersConfig(StrictModel):
    managed_uid_range: RangeField
    managed_gid_range: RangeField
    users: list[User] = Field(default_factory=list)
    groups: list[Group] = Field(default_factory=list)
    default_shell: str = "/bin/bash"
    default_home: str = "/home/%u"
    user_private_groups: bool = True
    create_home: bool = True
    skel: str = "/etc/skel"
    home_mode: Mode = 0o700
    ssh_authorized_keys_path: str = "%h/.ssh/authorized_keys"
    managed_directories: list[ManagedDirectory] = Field(default_factory=list)
    removed_user_home: Literal["keep", "remove"] = "keep"
    _all_groups: list[GroupSpec] | None = PrivateAttr(default=None)
    _homes: dict[str, str] | None = PrivateAttr(default=None)

    @field_validator("default_home", "ssh_authorized_keys_path", "skel")
    @classmethod
    def _templates(cls, value: str) -> str:
        return _check_template(value)

    @model_validator(mode="after")
    def _cross(self) -> UsersConfig:
        uids: dict[int, str] = {}
        names: set[str] = set()
        for i, user in enumerate(self.users):
            where = f"users.{i} ({user.username})"
            if user.username in names:
                raise ValueError(f"{where}: duplicate username")
            names.add(user.username)
            if user.uid not in self.managed_uid_range:
                raise ValueError(
                    f"{where}: uid {user.uid} is outside managed_uid_range "
                    f"{self.managed_uid_range.first}-{self.managed_uid_range.last}"
                )
            if user.uid in uids:
                raise ValueError(f"{where}: uid {user.uid} already used by {uids[user.uid]}")
            uids[user.uid] = user.username
        gids: dict[int, str] = {}
        groups: set[str] = set()
        for i, group in enumerate(self.groups):
            where = f"groups.{i} ({group.groupname})"
            if group.groupname in groups:
                raise ValueError(f"{where}: duplicate groupname")
            groups.add(group.groupname)
            if group.gid not in self.managed_gid_range:
                raise ValueError(
                    f"{where}: gid {group.gid} is outside managed_gid_range "
                    f"{self.managed_gid_range.first}-{self.managed_gid_range.last}"
                )
            if group.gid in gids:
                raise ValueError(f"{where}: gid {group.gid} already used by {gids[group.gid]}")
            gids[group.gid] = group.groupname
        # User private groups: a user without primary_group gets a group of its own name,
        # gid = uid, unless the config declares that group itself.
        for i, user in enumerate(self.users):
            if user.primary_group is not None or user.username in groups:
                continue
            where = f"users.{i} ({user.username})"
            if not self.user_private_groups:
                raise ValueError(f"{where}: primary_group is required (user_private_groups off)")
            if user.uid not in self.managed_gid_range:
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
        for i, user in enumerate(self.users):
            for name in user.additional_groups:
                if name not in groups:
                    raise ValueError(
                        f"users.{i} ({user.username}): additional group {name!r} is not in "
                        "'groups' (memberships are managed only for groups in the config)"
                    )
        return self

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
        """Each user's expanded home, by user name (computed once; fetch it once per loop:
        a private attribute of a pydantic model is slow to read)."""
        homes = self._homes
        if homes is None:
            homes = self._homes = {
                u.username: expand(u.home or self.default_home, user=u.username, uid=u.uid)
                for u in self.users
            }
        return homes

    def home_of(self, user: User) -> str:
        return self.homes()[user.username]

    def shell_of(self, user: User) -> str:
        return user.shell or self.default_shell

    def primary_group_of(self, user: User) -> str:
        return user.primary_group or user.username


def load(path: Path) -> UsersConfig:
    """Read and validate a YAML or JSON config file (JSON when it ends in .json)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc}") from None
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
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of options at top level")
    try:
        return UsersConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {_describe(exc)}") from None


def _describe(exc: ValidationError) -> str:
    # Model-level errors carry pydantic's "Value error, " prefix; drop it for one clean line.
    return describe_validation_error(exc).replace("Value error, ", "")
