"""Output rendering: `--output text|json` for every reporting command.

JSON is for scripts and stays stable: keys are documented per command, datetimes are ISO 8601
with offset. Text is for people: Rich tables, coloured only on a terminal.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import sys
from collections.abc import Collection, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console


class OutputFormat(enum.StrEnum):
    text = "text"
    json = "json"


def _default(obj: Any) -> Any:
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, enum.Enum):
        return obj.value
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if hasattr(obj, "model_dump"):
        return obj.model_dump(mode="json")
    if isinstance(obj, set | frozenset):
        return sorted(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def fields_json(obj: Any, *, omit: Collection[str] = ()) -> dict[str, Any]:
    """A dataclass instance's fields as a dict in declaration order, less those named in `omit`:
    the JSON record of a class whose keys are its field names. Shallow: values are not copied
    or converted (`to_json` renders dates, paths, enums and nested dataclasses)."""
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.name not in omit}


def to_json(data: Any, *, indent: int | None = 2) -> str:
    return json.dumps(data, default=_default, indent=indent, ensure_ascii=False)


def emit_json(data: Any, stream: TextIO | None = None) -> None:
    out = stream or sys.stdout
    out.write(to_json(data) + "\n")


def console(stderr: bool = False) -> Console:
    """A Rich console: colour on a terminal, plain text when piped (Rich decides from isatty)."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def print_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    title: str | None = None,
    out: Console | None = None,
) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    (out or console()).print(table)


def warn(message: str) -> None:
    """A one-line warning on standard error."""
    sys.stderr.write(f"warning: {message}\n")


def _gh_data(s: str) -> str:
    return s.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_annotation(
    level: str,
    message: str,
    *,
    file: str | None = None,
    line: int | None = None,
    col: int | None = None,
    end_line: int | None = None,
    end_column: int | None = None,
    title: str | None = None,
) -> str:
    """One GitHub Actions workflow command, `::error file=..,line=..,title=..::message`, with
    the escaping GitHub expects (`%`, CR, LF everywhere; `:` and `,` in properties too)."""
    props = []
    for name, value in (
        ("file", file),
        ("line", line),
        ("col", col),
        ("endLine", end_line),
        ("endColumn", end_column),
        ("title", title),
    ):
        if value is None or value == "" or value == 0:
            continue
        text = _gh_data(str(value))
        if isinstance(value, str):
            text = text.replace(":", "%3A").replace(",", "%2C")
        props.append(f"{name}={text}")
    head = f"::{level} {','.join(props)}" if props else f"::{level}"
    return f"{head}::{_gh_data(message)}"
