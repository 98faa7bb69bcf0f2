"""passwd, shadow, group and gshadow: parse and serialise, keeping every line we do not change.

A file is a list of `Line`s. Each keeps its raw bytes; a line is parsed into fields only when
it has the file's number of colon-separated fields (a comment, a blank line or an NIS `+`/`-`
line is kept as it is and never touched). Serialising an unchanged list gives back the exact
input bytes, including a missing final newline.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from watcloud.core.errors import InputError

FILES = ("passwd", "shadow", "group", "gshadow")
NFIELDS = {"passwd": 7, "shadow": 9, "group": 4, "gshadow": 4}
# The id column (uid for passwd, gid for group); shadow files carry names only.
ID_FIELD = {"passwd": 2, "group": 2}


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
    """Split `data` into lines; parse those that are account entries of `kind`."""
    if not data:
        return [], True
    trailing = data.endswith(b"\n")
    chunks = data.split(b"\n")
    if trailing:
        chunks.pop()
    n = NFIELDS[kind]
    id_field = ID_FIELD.get(kind)
    texts = data.decode("utf-8", "surrogateescape").split("\n")
    lines = []
    for raw, text in zip(chunks, texts, strict=False):
        fields = None
        if text and text[0] not in "#+-":
            parts = text.split(":")
            if len(parts) == n and parts[0] and (id_field is None or parts[id_field].isdigit()):
                fields = parts
        lines.append(Line(raw, fields))
    return lines, trailing


def serialize(lines: list[Line], trailing_newline: bool = True) -> bytes:
    if not lines:
        return b""
    body = b"\n".join(ln.raw for ln in lines)
    return body + b"\n" if trailing_newline else body


def etc(root: Path) -> Path:
    return Path(root) / "etc"


def read_file(root: Path, kind: str) -> AccountFile:
    path = etc(root) / kind
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
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
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

    def file(self, kind: str) -> AccountFile:
        f: AccountFile = getattr(self, kind)
        return f


def read_db(root: Path) -> AccountDb:
    return AccountDb(*(read_file(root, kind) for kind in FILES))


def insert_position(lines: list[Line]) -> int:
    """Where new entries go: before the first NIS compat line (`+`/`-`), else at the end."""
    for i, ln in enumerate(lines):
        if ln.raw[:1] in (b"+", b"-"):
            return i
    return len(lines)
