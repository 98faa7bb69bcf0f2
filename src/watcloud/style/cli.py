"""`watcloud style`: check docs (and code comments) for grammar and house style."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from watcloud.core.clikit import new_app
from watcloud.style.report import Format

if TYPE_CHECKING:
    from watcloud.style.rules import Rule

# The checker (rules, grammar, word list, pydantic settings) is imported inside the commands:
# `watcloud style --help` stays as light as the other tools' help.

app = new_app("Grammar and house style of Markdown/MDX docs (and code comments).")

FormatOpt = Annotated[
    Format,
    typer.Option(
        "--output", "-o", help="text, json, github (Actions annotations), sarif (2.1.0), rdjsonl."
    ),
]


# Not core.clikit's ConfigOpt: style's config is found next to the docs, not in ~/.config.
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="YAML config file [default: .watcloud-style.yaml in the current directory or the "
        "nearest parent that has one].",
        dir_okay=False,
    ),
]


PathsArg = Annotated[
    list[Path] | None, typer.Argument(help="Files or directories (default: the project root).")
]
CommentsOpt = Annotated[
    bool, typer.Option("--comments", help="Also check comments and docstrings of source files.")
]
FixOpt = Annotated[
    bool,
    typer.Option(
        "--fix",
        help="Apply the fixes of error-grade rules in place (one per span, never overlapping).",
    ),
]
BaselineOpt = Annotated[
    Path | None, typer.Option("--baseline", help="Accept the findings listed in this file.")
]
WriteBaselineOpt = Annotated[
    Path | None,
    typer.Option("--write-baseline", help="Write today's findings to this baseline file."),
]
ChangedSinceOpt = Annotated[
    str | None, typer.Option("--changed-since", help="Only lines changed since this git ref.")
]
HarperOpt = Annotated[
    bool | None,
    typer.Option(
        "--harper/--no-harper",
        help="Also run harper-py (default: the config's harper.enabled, off).",
    ),
]


@app.command()
def check(
    paths: PathsArg = None,
    config: ConfigOpt = None,
    output: FormatOpt = Format.text,
    comments: CommentsOpt = False,
    fix: FixOpt = False,
    baseline: BaselineOpt = None,
    write_baseline_to: WriteBaselineOpt = None,
    changed_since: ChangedSinceOpt = None,
    harper: HarperOpt = None,
) -> None:
    """Check PATHS; exit 1 when a finding of severity error remains."""
    from watcloud.style.report import render
    from watcloud.style.runner import check_paths

    result = check_paths(
        paths or [],
        config=config,
        comments=comments,
        fix=fix,
        baseline=baseline,
        write_baseline_to=write_baseline_to,
        changed_since=changed_since,
        harper=harper,
        # One line on stderr per unreadable file, as it happens; the others are still checked.
        on_unreadable=lambda msg: sys.stderr.write(f"error: {msg}\n"),
    )
    if result.baseline_written is not None:
        sys.stderr.write(
            f"wrote {result.baseline_written} finding(s) to baseline {write_baseline_to}\n"
        )
    else:
        sys.stdout.write(render(output, result.findings, result.rules))
        sys.stdout.flush()  # the summary on stderr comes after the findings
        if output == Format.text:
            sys.stderr.write(result.summary(fix=fix) + "\n")
    if result.exit_code:
        raise typer.Exit(result.exit_code)


@app.command("rules")
def list_rules(config: ConfigOpt = None) -> None:
    """List the rules: code, severity, measured precision (held-out), kind, fix data."""
    from watcloud.style.config import load_settings
    from watcloud.style.runner import rule_states

    disabled = set(load_settings(config)[0].disable)
    for r, on in rule_states(config):
        state = "on " if on else "off"
        fixable = " fix" if r.fix else ""
        sys.stdout.write(
            f"{state} {r.code:<22} {r.severity:<10} {_measured(r):<12} {r.kind}{fixable}"
            f"{'' if on or r.code in disabled else _opt_in(r)}\n"
        )


def _opt_in(r: Rule) -> str:
    """How to turn on a rule that is off by default (suggestion level or `enabled: false`)."""
    how = f"enable: [{r.code}]"
    if r.enabled and r.severity == "suggestion":
        how += " or suggestions: true"
    return f"  (opt-in: {how})"


def _measured(r: Rule) -> str:
    """The rule's measured precision as the table shows it."""
    m = r.measured
    if m is None:
        return "-"
    if m.basis == "house rule":
        return "house rule"
    if m.precision is None:
        return f"0/{m.findings}"
    return f"{m.correct}/{m.findings}={m.precision:.0%}"
