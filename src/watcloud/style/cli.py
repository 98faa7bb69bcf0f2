"""`watcloud style`: check docs (and code comments) for grammar and house style."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from watcloud.core.clikit import ConfigOpt, new_app
from watcloud.core.errors import InputError
from watcloud.style.report import Format

# The checker (rules, grammar, word list, pydantic settings) is imported inside the commands:
# `watcloud style --help` stays as light as the other tools' help.

app = new_app("Grammar and house style of Markdown/MDX docs (and code comments).")

FormatOpt = Annotated[
    Format,
    typer.Option(
        "--output", "-o", help="text, json, github (Actions annotations), sarif (2.1.0), rdjsonl."
    ),
]


def _display(p: Path) -> str:
    try:
        return os.path.relpath(p)
    except ValueError:
        return str(p)


def _read(p: Path) -> str:
    """The file's text with line endings as `\n` (Windows files are checked the same)."""
    try:
        return p.read_bytes().decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise InputError(f"{p}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read: {exc.strerror}") from None


@app.command()
def check(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or directories (default: the project root).")
    ] = None,
    config: ConfigOpt = None,
    output: FormatOpt = Format.text,
    comments: Annotated[
        bool, typer.Option("--comments", help="Also check comments and docstrings of source files.")
    ] = False,
    fix: Annotated[
        bool,
        typer.Option(
            "--fix",
            help="Apply the fixes of error-grade rules in place (one per span, never overlapping).",
        ),
    ] = False,
    baseline: Annotated[
        Path | None, typer.Option("--baseline", help="Accept the findings listed in this file.")
    ] = None,
    write_baseline_to: Annotated[
        Path | None,
        typer.Option("--write-baseline", help="Write today's findings to this baseline file."),
    ] = None,
    changed_since: Annotated[
        str | None, typer.Option("--changed-since", help="Only lines changed since this git ref.")
    ] = None,
    harper: Annotated[
        bool | None,
        typer.Option(
            "--harper/--no-harper",
            help="Also run harper-py (default: the config's harper.enabled, off).",
        ),
    ] = None,
) -> None:
    """Check PATHS; exit 1 when a finding of severity error remains."""
    from watcloud.style.config import load_settings
    from watcloud.style.engine import Checker, is_markdown
    from watcloud.style.model import Finding
    from watcloud.style.report import render
    from watcloud.style.workflow import (
        BLOCK_CHARS,
        apply_baseline,
        blocks,
        changed_lines,
        check_utf8,
        discover,
        fingerprint,
        fix_file,
        keep_changed,
        matches,
        read_baseline,
        write_baseline,
    )

    settings, root = load_settings(config)
    checker = Checker(settings, harper=harper)
    if any(r.code == "spelling" for r in checker.rules):
        checker.ctx.speller  # noqa: B018  # a missing dictionary: one line and exit 2, up front
    include = list(settings.include) + (list(settings.comments.include) if comments else [])
    files = discover(list(paths or []), root, include, settings.exclude)

    by_name: dict[str, Path] = {}
    findings: list[Finding] = []
    fixed = 0
    unreadable = 0
    for f in files:
        name = _display(f)
        as_comments = comments and not is_markdown(f)
        if not is_markdown(f) and not as_comments and not matches(name, settings.include):
            continue
        try:
            # One line on stderr per unreadable file; the others are still checked.
            check_utf8(f)
            # Source files are tokenized whole (a docstring may span blank lines).
            size = sys.maxsize if as_comments else BLOCK_CHARS
            result = checker.check_blocks(blocks(f, size), name, comments=as_comments)
            if fix and any(x.fix is not None for x in result):
                _, n = fix_file(f, _read(f), result)
                fixed += n
                result = checker.check_blocks(blocks(f, size), name, comments=as_comments)
        except InputError as exc:
            sys.stderr.write(f"error: {exc}\n")
            unreadable += 1
            continue
        by_name[name] = f
        findings.extend(result)

    def root_relative(name: str) -> str:
        """Baseline entries are keyed by the path under the project root, whatever the cwd."""
        try:
            return by_name[name].resolve().relative_to(root).as_posix()
        except ValueError:
            return name

    if changed_since is not None:
        findings = keep_changed(findings, by_name, changed_lines(changed_since, Path.cwd()))

    if write_baseline_to is not None:
        n = write_baseline(
            write_baseline_to,
            ((x, fingerprint(x)) for x in findings),
            key=root_relative,
        )
        sys.stderr.write(f"wrote {n} finding(s) to baseline {write_baseline_to}\n")
        raise typer.Exit(2 if unreadable else 0)

    accepted = 0
    baseline_path = baseline or (root / settings.baseline if settings.baseline else None)
    if baseline_path is not None:
        findings, accepted = apply_baseline(
            findings, read_baseline(baseline_path), key=root_relative
        )

    sys.stdout.write(render(output, findings, checker.all_rules))
    sys.stdout.flush()  # the summary on stderr comes after the findings
    errors = sum(1 for x in findings if x.severity == "error")
    if output == Format.text:
        parts = [
            f"{len(findings)} finding(s) ({errors} error(s)) in {len(by_name)} file(s)",
        ]
        if unreadable:
            parts.append(f"{unreadable} file(s) could not be read")
        if accepted:
            parts.append(f"{accepted} accepted by the baseline")
        if fix:
            parts.append(f"{fixed} fixed")
        sys.stderr.write("; ".join(parts) + "\n")
    if unreadable:
        raise typer.Exit(2)  # after reporting everything that could be checked
    if errors:
        raise typer.Exit(1)


@app.command("rules")
def list_rules(config: ConfigOpt = None) -> None:
    """List the rules: code, severity, measured precision (held-out), kind, fix data."""
    from watcloud.style.config import load_settings
    from watcloud.style.engine import Checker

    settings, _ = load_settings(config)
    checker = Checker(settings, harper=False)
    active = {r.code for r in checker.rules}
    for r in checker.all_rules:
        state = "on " if r.code in active else "off"
        m = r.measured
        if m is None:
            measured = "-"
        elif m.basis == "house rule":
            measured = "house rule"
        elif m.precision is None:
            measured = f"0/{m.findings}"
        else:
            measured = f"{m.correct}/{m.findings}={m.precision:.0%}"
        fixable = " fix" if r.fix else ""
        sys.stdout.write(
            f"{state} {r.code:<22} {r.severity:<10} {measured:<12} {r.kind}{fixable}\n"
        )
