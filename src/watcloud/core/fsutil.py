"""File I/O every tool needs: reading an input file with one-line errors, and atomic writes
(temporary file beside the target, fsync, rename, fsync the directory). Standard library only."""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

from watcloud.core.errors import InputError, WatcloudError


def read_text(
    path: Path | str,
    what: str = "file",
    *,
    error: type[WatcloudError] = InputError,
    dash_is_stdin: bool = False,
) -> str:
    """The UTF-8 text of `path`, or `error` with one line: `PATH: WHAT not found` or
    `PATH: cannot read WHAT: why`. With `dash_is_stdin`, `-` reads standard input."""
    try:
        if dash_is_stdin and str(path) == "-":
            return sys.stdin.read()
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{path}: {what} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read {what}: {exc}") from None


def atomic_write(path: Path, data: bytes | str, mode: int | None = None) -> None:
    """Replace `path` with `data` so readers see either the old or the new file, never a mix.

    The mode defaults to the existing file's mode (or 0o644 for a new file).
    """
    import tempfile  # here, not at the top: readers of this module (the users CLI) skip it

    path = Path(path)
    payload = data.encode() if isinstance(data, str) else data
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o644
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
