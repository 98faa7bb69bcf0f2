"""passwd, shadow, group and gshadow: parse and serialise, keeping every line we do not change.

A file is a list of `Line`s. Each keeps its raw bytes; a line is parsed into fields only when
it has the file's number of colon-separated fields (a comment, a blank line or an NIS `+`/`-`
line is kept as it is and never touched). Serialising an unchanged list gives back the exact
input bytes, including a missing final newline.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from watcloud.core.errors import InputError

FILES = ("passwd", "shadow", "group", "gshadow")
NFIELDS = {"passwd": 7, "shadow": 9, "group": 4, "gshadow": 4}
# The id column (uid for passwd, gid for group); shadow files carry names only.
ID_FIELD = {"passwd": 2, "group": 2}
# Every numeric column of an entry: an id written any other way makes the file corrupt.
NUMERIC_FIELDS = {"passwd": ((2, "uid"), (3, "gid")), "group": ((2, "gid"),)}


def is_number(text: str) -> bool:
    """ASCII digits only: str.isdigit() also takes '²' and '٢٠٠١', which int() reads or rejects."""
    return text.isascii() and text.isdigit()


@dataclass(slots=True)
class Line:
    raw: bytes  # without the newline
    fields: list[str] | None = None  # parsed fields, None when not an account entry

    @property
    def name(self) -> str | None:
        return None if self.fields is None else self.fields[0]

    @classmethod
    def make(cls, fields: list[str]) -> Line:
        return cls(":".join(fields).encode("utf-8", "surrogateescape"), fields)


@dataclass
class AccountFile:
    name: str
    lines: list[Line] = field(default_factory=list)
    trailing_newline: bool = True
    exists: bool = False
    raw: bytes = b""
    mode: int | None = None
    uid: int | None = None
    gid: int | None = None

    def entries(self) -> list[Line]:
        return [ln for ln in self.lines if ln.fields is not None]


def parse_lines(kind: str, data: bytes) -> tuple[list[Line], bool]:
    """Split `data` into lines; parse those that are account entries of `kind`.

    An entry's uid and gid must be ASCII digits; a line with the entry's number of fields but
    another id (`notanumber`, `²`, `٢٠٠١`) is kept unparsed, and `corrupt_lines` names it so the
    planner can refuse to write around it.
    """
    if not data:
        return [], True
    trailing = data.endswith(b"\n")
    chunks = data.split(b"\n")
    if trailing:
        chunks.pop()
    n = NFIELDS[kind]
    numeric = NUMERIC_FIELDS.get(kind, ())
    texts = data.decode("utf-8", "surrogateescape").split("\n")
    lines = []
    first, second = ([i for i, _ in numeric] + [-1, -1])[:2]
    for raw, text in zip(chunks, texts, strict=False):
        fields = None
        if text and text[0] not in "#+-":
            parts = text.split(":")
            if (
                len(parts) == n
                and parts[0]
                and (first < 0 or is_number(parts[first]))
                and (second < 0 or is_number(parts[second]))
            ):
                fields = parts
        lines.append(Line(raw, fields))
    return lines, trailing


def corrupt_lines(f: AccountFile) -> list[str]:
    """'line N: uid '²' of 'name' is not a number' for each entry-shaped line with a bad id."""
    out = []
    n = NFIELDS[f.name]
    for number, ln in enumerate(f.lines, 1):
        if ln.fields is not None or ln.raw[:1] in (b"", b"#", b"+", b"-"):
            continue
        parts = ln.raw.decode("utf-8", "surrogateescape").split(":")
        if len(parts) != n or not parts[0]:
            continue
        for i, label in NUMERIC_FIELDS.get(f.name, ()):
            if not is_number(parts[i]):
                shown = f"{label} {_shown(parts[i])} of {_shown(parts[0])}"
                out.append(f"line {number}: {shown} is not a number")
    return out


def _shown(text: str) -> str:
    """A field as a one-line, ASCII-only quoted string ('\\xb2' for '²')."""
    return "'" + text.encode("unicode_escape").decode("ascii") + "'"


def serialize(lines: list[Line], trailing_newline: bool = True) -> bytes:
    if not lines:
        return b""
    body = b"\n".join(ln.raw for ln in lines)
    return body + b"\n" if trailing_newline else body


def etc(root: Path) -> Path:
    return Path(root) / "etc"


def read_file(root: Path, kind: str, suffix: str = "") -> AccountFile:
    """`etc/<kind><suffix>` under root (suffix "-": the backup shadow-utils and we keep)."""
    path = etc(root) / (kind + suffix)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return AccountFile(kind)
    except OSError as exc:
        raise InputError(
            f"{path}: cannot read: {exc.strerror} (run as root, or use --root)"
        ) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"{path}: not a regular file; restore it from {path}- (the backup)")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    lines, trailing = parse_lines(kind, data)
    return AccountFile(
        kind,
        lines,
        trailing,
        exists=True,
        raw=data,
        mode=st.st_mode & 0o7777,
        uid=st.st_uid,
        gid=st.st_gid,
    )


@dataclass
class AccountDb:
    """The four files as read from one root."""

    passwd: AccountFile
    shadow: AccountFile
    group: AccountFile
    gshadow: AccountFile
    # the `-` backups (the content before the last write), by kind; empty when not read
    backups: dict[str, AccountFile] = field(default_factory=dict)

    def file(self, kind: str) -> AccountFile:
        f: AccountFile = getattr(self, kind)
        return f

    def backup(self, kind: str) -> AccountFile:
        return self.backups.get(kind) or AccountFile(kind)


def read_db(root: Path) -> AccountDb:
    """The four files and their `-` backups (a backup that is not a regular file is ignored)."""
    backups = {}
    for kind in FILES:
        try:
            backups[kind] = read_file(root, kind, "-")
        except InputError:
            continue  # a damaged backup is no reason to stop; the live file is what we change
    p, s, g, gs = (read_file(root, kind) for kind in FILES)
    return AccountDb(p, s, g, gs, backups)


def insert_position(lines: list[Line]) -> int:
    """Where new entries go: before the first NIS compat line (`+`/`-`), else at the end."""
    for i, ln in enumerate(lines):
        if ln.raw[:1] in (b"+", b"-"):
            return i
    return len(lines)
