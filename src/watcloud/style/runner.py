"""The library behind `watcloud style`: check files on disk and list the rules.

`check_paths` is the whole of `watcloud style check` except the rendering (the command
prints `render(...)` of its findings and `CheckResult.summary()`); `rule_states` is
`watcloud style rules` without the table. Both load `.watcloud-style.yaml` the same way
the commands do.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from watcloud.core.errors import InputError
from watcloud.style.config import load_settings
from watcloud.style.engine import Checker, is_markdown
from watcloud.style.model import Finding
from watcloud.style.rules import Rule
from watcloud.style.spelling import repeated_terms
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
    project_names,
    read_baseline,
    write_baseline,
)


@dataclass
class CheckResult:
    """What a check of files found (after `--changed-since` and the baseline)."""

    findings: list[Finding]
    rules: list[Rule]  # every known rule, active or not (for SARIF's rule table)
    files: int = 0  # files checked
    unreadable: list[str] = field(default_factory=list)  # one message per file not read
    fixed: int = 0  # fixes applied in place (`fix=True`)
    accepted: int = 0  # findings the baseline accepted
    baseline_written: int | None = None  # entries written (`write_baseline_to=...`)

    @property
    def errors(self) -> int:
        return sum(1 for x in self.findings if x.severity == "error")

    @property
    def exit_code(self) -> int:
        """2 if a file could not be read, else 1 if an error-grade finding remains, else 0.
        Writing a baseline exits 0 (2 with unreadable files) whatever was found."""
        if self.unreadable:
            return 2
        if self.baseline_written is not None:
            return 0
        return 1 if self.errors else 0

    def summary(self, *, fix: bool = False) -> str:
        """The one-line summary `watcloud style check` prints on stderr (text output)."""
        found = f"{len(self.findings)} finding(s) ({self.errors} error(s))"
        parts = [f"{found} in {self.files} file(s)"]
        if self.unreadable:
            parts.append(f"{len(self.unreadable)} file(s) could not be read")
        if self.accepted:
            parts.append(f"{self.accepted} accepted by the baseline")
        if fix:
            parts.append(f"{self.fixed} fixed")
        return "; ".join(parts)


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


def _check_file(
    checker: Checker, f: Path, name: str, *, as_comments: bool, fix: bool
) -> tuple[list[Finding], int]:
    """One file's findings (after `fix`, if asked) and the number of fixes applied."""
    check_utf8(f)
    # Source files are tokenized whole (a docstring may span blank lines).
    size = sys.maxsize if as_comments else BLOCK_CHARS
    names = project_names(f)
    result = checker.check_blocks(blocks(f, size), name, comments=as_comments, names=names)
    if not (fix and any(x.fix is not None for x in result)):
        return result, 0
    _, n = fix_file(f, _read(f), result)
    return checker.check_blocks(blocks(f, size), name, comments=as_comments, names=names), n


def check_paths(
    paths: Sequence[Path] = (),
    *,
    config: Path | None = None,
    comments: bool = False,
    fix: bool = False,
    baseline: Path | None = None,
    write_baseline_to: Path | None = None,
    changed_since: str | None = None,
    harper: bool | None = None,
    on_unreadable: Callable[[str], object] | None = None,
) -> CheckResult:
    """Check `paths` (files or directories; none: the project root) as `watcloud style check`
    does. `config` is a `.watcloud-style.yaml` (default: the nearest one above the current
    directory). A file that cannot be read is listed in `CheckResult.unreadable` (and passed to
    `on_unreadable` as it happens); the others are still checked. Bad configuration or a bad
    baseline raises `watcloud.core.errors.ConfigError`/`InputError`."""
    settings, root = load_settings(config)
    checker = Checker(settings, harper=harper)
    if any(r.code == "spelling" for r in checker.rules):
        checker.ctx.speller  # noqa: B018  # a missing dictionary: one error, up front
    include = list(settings.include) + (list(settings.comments.include) if comments else [])
    files = discover(list(paths), root, include, settings.exclude)

    out = CheckResult(findings=[], rules=checker.all_rules)
    by_name: dict[str, Path] = {}
    for f in files:
        name = _display(f)
        as_comments = comments and not is_markdown(f)
        if not is_markdown(f) and not as_comments and not matches(name, settings.include):
            continue
        try:
            found, n = _check_file(checker, f, name, as_comments=as_comments, fix=fix)
        except InputError as exc:
            out.unreadable.append(str(exc))
            if on_unreadable is not None:
                on_unreadable(str(exc))
            continue
        out.fixed += n
        by_name[name] = f
        out.findings.extend(found)
    out.files = len(by_name)
    # A word flagged in several files of the run is the project's term (a per-run lexicon).
    out.findings = repeated_terms(out.findings)

    def root_relative(name: str) -> str:
        """Baseline entries are keyed by the path under the project root, whatever the cwd."""
        try:
            return by_name[name].resolve().relative_to(root).as_posix()
        except ValueError:
            return name

    if changed_since is not None:
        out.findings = keep_changed(out.findings, by_name, changed_lines(changed_since, Path.cwd()))
    if write_baseline_to is not None:
        out.baseline_written = write_baseline(
            write_baseline_to, ((x, fingerprint(x)) for x in out.findings), key=root_relative
        )
        return out
    baseline_path = baseline or (root / settings.baseline if settings.baseline else None)
    if baseline_path is not None:
        out.findings, out.accepted = apply_baseline(
            out.findings, read_baseline(baseline_path), key=root_relative
        )
    return out


def check_text(text: str, path: str = "<text>", *, config: Path | None = None) -> list[Finding]:
    """Findings for one document given as text (`path` names it in the findings and decides
    Markdown vs. MDX by its suffix), with the settings `check_paths` would use."""
    settings, _ = load_settings(config)
    return Checker(settings).check_text(text, path)


def rule_states(config: Path | None = None) -> list[tuple[Rule, bool]]:
    """Every known rule and whether the configuration turns it on (`watcloud style rules`)."""
    settings, _ = load_settings(config)
    checker = Checker(settings, harper=False)
    active = {r.code for r in checker.rules}
    return [(r, r.code in active) for r in checker.all_rules]
