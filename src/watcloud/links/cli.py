"""`watcloud links internal|external`: a thin shell over `internal`, `external` and `report`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from watcloud.core.clikit import ConfigOpt, OutputOpt, new_app, progress_bar
from watcloud.core.errors import InputError
from watcloud.core.output import OutputFormat, emit_json

if TYPE_CHECKING:
    from watcloud.links.config import LinksConfig
    from watcloud.links.external import NoDnsError

app = new_app("Broken internal links (with fragments) and external links (with a grace period).")

AnnotationsOpt = Annotated[
    bool,
    typer.Option("--github-annotations", help="Also print GitHub Actions ::error/::warning lines."),
]
MarkdownOpt = Annotated[
    str | None,
    typer.Option(
        "--markdown",
        metavar="FILE",
        help="Write a Markdown summary (for a PR comment); '-' for stdout.",
    ),
]
BasePathOpt = Annotated[
    str | None,
    typer.Option(
        "--base-path", help="Next.js basePath, e.g. /docs (default: from the config, else none)."
    ),
]


CheckFragmentsOpt = Annotated[
    bool | None,
    typer.Option(
        "--check-fragments/--no-check-fragments",
        help="Check #fragments on external HTML pages (default: from the config, else off).",
    ),
]
StateOpt = Annotated[
    Path | None,
    typer.Option(
        "--state",
        help="SQLite state (default: from the config, else "
        "$XDG_STATE_HOME/watcloud/links.sqlite3).",
    ),
]
ShowOkOpt = Annotated[bool, typer.Option("--show-ok", help="List ok links too.")]
IfNoDnsOpt = Annotated[
    str | None,
    typer.Option(
        "--if-no-dns",
        help="When not one host name resolves (a runner without DNS): 'fail' (exit 2) or "
        "'skip' (a warning, exit 0). Nothing is recorded either way. Default: from the "
        "config, else fail.",
        metavar="fail|skip",
    ),
]


def _write_markdown(dest: str, text: str) -> None:
    if dest == "-":
        sys.stdout.write(text)
        return
    from watcloud.core.fsutil import atomic_write

    try:
        atomic_write(Path(dest), text)
    except OSError as exc:
        raise InputError(f"{dest}: cannot write the Markdown summary: {exc.strerror}") from None


def _skip_no_dns(if_no_dns: str | None, cfg: LinksConfig) -> bool:
    """--if-no-dns (else the config's if_no_dns) is `skip`."""
    if if_no_dns not in (None, "fail", "skip"):
        raise InputError(f"--if-no-dns: expected 'fail' or 'skip' (got {if_no_dns!r})")
    return (if_no_dns or cfg.external.if_no_dns) == "skip"


def _no_dns(
    exc: NoDnsError, *, json_out: bool, skip: bool, state: Path | None, cfg: LinksConfig
) -> None:
    """Render a run where no host name resolved: the JSON document, then fail or warn."""
    from watcloud.core.timez import now
    from watcloud.links import report as rep
    from watcloud.links.external import default_state_path

    if json_out:
        state_file = state or cfg.external.state_path or default_state_path()
        doc = rep.external_no_dns_json(
            exc, checked_at=now(), state_path=str(state_file), skipped=skip
        )
        emit_json(doc)
    if not skip:
        raise exc
    print(f"warning: {exc}; skipped (--if-no-dns skip)", file=sys.stderr)


@app.command()
def internal(
    site_dir: Annotated[Path, typer.Argument(help="The exported site (e.g. out/).")],
    base_path: BasePathOpt = None,
    ignore: Annotated[
        list[str] | None, typer.Option("--ignore", help="Regex of links to skip (repeatable).")
    ] = None,
    no_fragments: Annotated[
        bool, typer.Option("--no-fragments", help="Do not check #fragments.")
    ] = False,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=0, help="Worker processes (0 = auto).")
    ] = None,
    github_annotations: AnnotationsOpt = False,
    markdown: MarkdownOpt = None,
    config: ConfigOpt = None,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Check every link between the pages of a built site, fragments included. Exit 1 when any
    link is broken."""
    from watcloud.links import report as rep
    from watcloud.links.api import check_internal

    result = check_internal(
        site_dir,
        config=config,
        base_path=base_path,
        ignore=ignore or [],
        check_fragments=not no_fragments,
        jobs=jobs,
    )
    if output is OutputFormat.json:
        emit_json(rep.internal_json(result))
    else:
        rep.internal_text(result, sys.stdout)
    if github_annotations:
        rep.internal_annotations(result, sys.stdout)
    if markdown:
        _write_markdown(markdown, rep.internal_markdown(result))
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def external(
    targets: Annotated[list[str], typer.Argument(help="Exported site directories and/or URLs.")],
    check_fragments: CheckFragmentsOpt = None,
    state: StateOpt = None,
    base_path: BasePathOpt = None,
    show_ok: ShowOkOpt = False,
    if_no_dns: IfNoDnsOpt = None,
    github_annotations: AnnotationsOpt = False,
    markdown: MarkdownOpt = None,
    config: ConfigOpt = None,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Check external links; a link fails the build only once it has failed past the grace
    period (or N runs in a row). Exit 1 when any link does."""
    from watcloud.links import config as cfgmod
    from watcloud.links import report as rep
    from watcloud.links.api import check_links
    from watcloud.links.external import NoDnsError

    cfg = cfgmod.load(config)
    skip_no_dns = _skip_no_dns(if_no_dns, cfg)
    try:
        with progress_bar("checking external links") as bar:
            result, sites = check_links(
                targets,
                config=cfg,
                state=state,
                check_fragments=check_fragments,
                base_path=base_path,
                progress=bar.advance if bar else None,
                on_start=bar.set_total if bar else None,
            )
    except NoDnsError as exc:
        _no_dns(exc, json_out=output is OutputFormat.json, skip=skip_no_dns, state=state, cfg=cfg)
        return
    if output is OutputFormat.json:
        emit_json(rep.external_json(result))
    else:
        rep.external_text(result, sys.stdout, show_ok=show_ok)
    if github_annotations:
        rep.external_annotations(result, sites[0] if len(sites) == 1 else None, sys.stdout)
    if markdown:
        _write_markdown(markdown, rep.external_markdown(result))
    if not result.ok:
        raise typer.Exit(1)
