"""Shared pieces for the tools' Typer command lines. Imported by a tool's `cli.py` only."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from watcloud.core.output import OutputFormat, console

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

OutputOpt = Annotated[
    OutputFormat,
    typer.Option("--output", "-o", help="text for people, json for scripts (stable schema)."),
]


ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="YAML config file [default: ~/.config/watcloud/<tool>.yaml when it exists].",
        dir_okay=False,
    ),
]


def new_app(help: str, *, no_args_is_help: bool = True) -> typer.Typer:
    """A tool's sub-app with the project's defaults: no Rich tracebacks (errors are one line) and
    plain help text (no boxes padded to the terminal width, no `<bool>` on plain flags)."""
    return typer.Typer(
        help=help,
        no_args_is_help=no_args_is_help,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )


def show_progress() -> bool:
    """Long work shows a progress bar on a terminal and stays quiet when piped."""
    return sys.stderr.isatty()


class ProgressBar:
    """One task of a Rich progress bar: `advance` is a callback for whatever a library reports
    per item done (its argument is ignored), `set_total` one for the count once it is known."""

    def __init__(self, bar: Progress, task: TaskID) -> None:
        self._bar, self._task = bar, task

    def set_total(self, total: int) -> None:
        self._bar.update(self._task, total=total)

    def advance(self, _item: Any = None) -> None:
        self._bar.advance(self._task)


@contextlib.contextmanager
def progress_bar(
    description: str, total: int | None = None, *, worth_it: bool = True
) -> Iterator[ProgressBar | None]:
    """A progress bar on standard error while the block runs, gone when it ends; None (no bar)
    when piped (`show_progress`) or when the caller says the work is too small (`worth_it`)."""
    if not (worth_it and show_progress()):
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True, console=console(stderr=True)) as bar:
        yield ProgressBar(bar, bar.add_task(description, total=total))
