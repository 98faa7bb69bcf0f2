"""Shared pieces for the tools' Typer command lines. Imported by a tool's `cli.py` only."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from watcloud.core.output import OutputFormat

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
