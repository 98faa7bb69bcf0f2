"""`watcloud notify`: send email (one message or a JSONL batch), preview templates, Discord."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from watcloud.core.clikit import ConfigOpt, OutputOpt, new_app, progress_bar
from watcloud.core.errors import InputError, WatcloudError
from watcloud.core.fsutil import read_text
from watcloud.core.output import OutputFormat, console, emit_json, print_table, warn
from watcloud.notify import exit_code, message_from_spec, messages_from_jsonl
from watcloud.notify.model import Message, SendResult

app = new_app("Send email and Discord notifications.")

SpoolOpt = Annotated[
    Path | None,
    typer.Option(
        "--spool",
        help="SQLite outbox for exactly-once delivery (default: smtp.spool from the config,"
        " else $XDG_STATE_HOME/watcloud/notify-outbox.sqlite).",
        dir_okay=False,
    ),
]
NoSpoolOpt = Annotated[
    bool, typer.Option("--no-spool", help="No outbox: undeliverable messages are just reported.")
]


def _settings(config: Path | None, spool: Path | None, no_spool: bool) -> Any:
    from watcloud.notify.config import load_notify_config
    from watcloud.notify.smtp import spool_path

    settings = load_notify_config(config)
    if no_spool:
        return settings.model_copy(update={"spool": False})
    if spool is None and settings.spool is False:
        return settings  # `spool: false` in the config
    return settings.model_copy(update={"spool": spool or spool_path(settings, "notify")})


def _read_text(path: Path) -> str:
    return read_text(path, dash_is_stdin=True)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: line {exc.lineno}: invalid JSON: {exc.msg}") from None


def _report(
    results: list[SendResult],
    drained: list[SendResult],
    stats: Any,
    output: OutputFormat,
    fatal: str | None = None,
) -> None:
    if output is OutputFormat.json:
        emit_json(
            {
                "results": [r.to_dict() for r in results],
                "drained": [r.to_dict() for r in drained],
                "stats": stats,
            }
        )
    else:
        _print_results(results, drained, stats)
    if fatal is None and any(r.status == "spooled" for r in results + drained):
        warn("some messages are kept in the spool; the next run sends them")
    concluded = sum(bool(r.note) for r in results + drained)
    if concluded:
        warn(
            f"{concluded} message(s) taken over from a run that was killed while sending them"
            " were concluded sent, not sent again (see docs/notify.md, Crashes)"
        )


def _print_results(results: list[SendResult], drained: list[SendResult], stats: Any) -> None:
    rows = []
    for tag, group in (("", results), ("spool", drained)):
        for r in group:
            bad = {k: v for k, v in r.recipients.items() if v != "ok"}
            detail = r.error or (", ".join(r.recipients) if not bad else "")
            if r.note:
                detail = f"{detail} ({r.note})"
            rows.append([r.id[:12], r.status + (f" ({tag})" if tag else ""), r.attempts, detail])
    print_table(["ID", "STATUS", "ATTEMPTS", "RECIPIENTS / ERROR"], rows)
    con = console()
    con.print(
        f"{sum(r.status == 'sent' for r in results + drained)} sent, "
        f"{sum(r.status == 'duplicate' for r in results)} duplicate, "
        f"{sum(r.status == 'spooled' for r in results + drained)} spooled, "
        f"{sum(r.status == 'failed' for r in results + drained)} failed; "
        f"{stats.connections_opened} connection(s), {stats.retries} retries"
    )


def _send(messages: list[Message], settings: Any, output: OutputFormat) -> None:
    from watcloud.notify.smtp import deliver

    with progress_bar("sending", len(messages), worth_it=len(messages) > 20) as bar:
        report = deliver(messages, settings, on_result=bar.advance if bar else None)
    _report(report.results, report.drained, report.stats, output, report.fatal)
    code = exit_code(report)  # 2 (raised): relay unusable; 1: a message failed
    if code:
        raise typer.Exit(code)


ToOpt = Annotated[list[str], typer.Option("--to", help="Recipient (repeat for several).")]
SubjectOpt = Annotated[str | None, typer.Option(help="Subject (a template makes its own).")]
TextOpt = Annotated[Path | None, typer.Option("--text", help="Plain-text body file ('-': stdin).")]
HtmlOpt = Annotated[Path | None, typer.Option("--html", help="HTML body file.")]
TemplateOpt = Annotated[str | None, typer.Option(help="Template name instead of --text/--html.")]
DataOpt = Annotated[Path | None, typer.Option(help="JSON data for --template.")]
IdOpt = Annotated[str | None, typer.Option("--id", help="Idempotency key (default: from content).")]
BccOpt = Annotated[
    bool,
    typer.Option(
        "--bcc",
        help="One message to all recipients, addresses only in the envelope (To: the list"
        " address, else the sender). Default: one message per recipient.",
    ),
]


@app.command()
def send(
    to: ToOpt,
    subject: SubjectOpt = None,
    text: TextOpt = None,
    html: HtmlOpt = None,
    template: TemplateOpt = None,
    data: DataOpt = None,
    id: IdOpt = None,
    bcc: BccOpt = False,
    config: ConfigOpt = None,
    spool: SpoolOpt = None,
    no_spool: NoSpoolOpt = False,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Send one email: --text FILE (and/or --html FILE), or --template NAME --data FILE.json."""
    spec: dict[str, Any] = {"to": to, "id": id, "bcc": bcc}
    if template is not None:
        if text is not None or html is not None:
            raise InputError("give --template and --data, or --text/--html, not both")
        if data is None:
            raise InputError("--template needs --data FILE.json")
        spec.update(template=template, data=_read_json(data))
        if subject:
            spec["subject"] = subject
    else:
        if text is None and html is None:
            raise InputError("give --text FILE, --html FILE, or --template NAME --data FILE.json")
        if not subject:
            raise InputError("--subject is required with --text/--html")
        spec["subject"] = subject
        if text is not None:
            spec["text"] = _read_text(text)
        if html is not None:
            spec["html"] = _read_text(html)
    message = message_from_spec(spec, "command line")
    _send([message], _settings(config, spool, no_spool), output)


@app.command("send-batch")
def send_batch_cmd(
    messages: Annotated[
        Path, typer.Argument(help="JSONL file, one message per line ('-': stdin).")
    ],
    config: ConfigOpt = None,
    spool: SpoolOpt = None,
    no_spool: NoSpoolOpt = False,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Send every message of a JSONL file; prints a result per message, exit 1 if any failed."""
    batch = messages_from_jsonl(_read_text(messages), str(messages))
    _send(batch, _settings(config, spool, no_spool), output)


TemplateArg = Annotated[
    str, typer.Argument(help="outage, expiry-warning, expiry-deletion or announcement.")
]
DarkOpt = Annotated[bool, typer.Option("--dark", help="Apply the dark-mode rules unconditionally.")]
OutOpt = Annotated[
    Path | None,
    typer.Option(
        help="HTML file to write (default: ./TEMPLATE.html or ./TEMPLATE-dark.html).",
        dir_okay=False,
    ),
]
ShowTextOpt = Annotated[bool, typer.Option("--text", help="Print the subject and text part too.")]


@app.command()
def preview(
    template: TemplateArg,
    data: Annotated[Path, typer.Option(help="JSON data for the template.")],
    dark: DarkOpt = False,
    out: OutOpt = None,
    text: ShowTextOpt = False,
) -> None:
    """Render a template to an HTML file to open in a browser (logo embedded as a data: URI)."""
    from watcloud.core.fsutil import atomic_write
    from watcloud.notify.templating import render

    rendered = render(template, _read_json(data), force_dark=dark, logo="data")
    target = out or Path(f"{template}{'-dark' if dark else ''}.html")
    try:
        atomic_write(target, rendered.html)
    except OSError as exc:
        raise WatcloudError(f"{target}: cannot write: {exc.strerror}") from None
    if text:
        sys.stdout.write(f"Subject: {rendered.subject}\n\n{rendered.text}\n")
    sys.stdout.write(f"wrote {target} ({len(rendered.html)} bytes)\n")


@app.command()
def outbox(
    config: ConfigOpt = None,
    spool: SpoolOpt = None,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """List the messages waiting in the spool for the next run."""
    from watcloud.notify.outbox import Outbox

    settings = _settings(config, spool, False)
    if settings.spool is False:
        raise WatcloudError("the spool is off (smtp.spool: false); nothing is kept")
    box = Outbox(settings.spool)
    try:
        rows = box.list_outbox()
    finally:
        box.close()
    if output is OutputFormat.json:
        emit_json(rows)
        return
    print_table(
        ["ID", "SUBJECT", "PENDING", "ATTEMPTS", "LAST ERROR", "HELD BY"],
        [
            [
                r["id"][:12],
                r["subject"],
                ", ".join(r["pending"]),
                r["attempts"],
                r["last_error"],
                r["held_by"] or "",
            ]
            for r in rows
        ],
    )


@app.command()
def discord(
    webhook_env: Annotated[
        str, typer.Option(help="Environment variable holding the webhook URL.")
    ] = "WATCLOUD_DISCORD_WEBHOOK",
    webhook_file: Annotated[Path | None, typer.Option(help="File holding the webhook URL.")] = None,
    content: Annotated[str | None, typer.Option(help="Message text.")] = None,
    template: Annotated[str | None, typer.Option(help="Template rendered as an embed.")] = None,
    data: Annotated[Path | None, typer.Option(help="JSON data for --template.")] = None,
) -> None:
    """Post to a Discord webhook (a template becomes an embed); waits out 429s."""
    from watcloud.core.config import read_secret
    from watcloud.notify.discord import send_discord, template_embed
    from watcloud.notify.model import DeliveryError

    url = read_secret(webhook_env, webhook_file, required=True)
    assert url is not None
    if not url.startswith(("http://", "https://")):
        raise InputError("the Discord webhook URL must start with https://")
    embeds = None
    if template is not None:
        if data is None:
            raise InputError("--template needs --data FILE.json")
        embeds = [template_embed(template, _read_json(data))]
    if not content and not embeds:
        raise InputError("give --content or --template/--data")
    try:
        send_discord(url, content=content, embeds=embeds)
    except DeliveryError as exc:
        sys.stderr.write(f"watcloud notify: {exc}\n")
        raise typer.Exit(1) from None
    sys.stdout.write("posted to Discord\n")


@app.command()
def check(
    out_dir: Annotated[
        Path | None, typer.Option("--screenshots", help="Directory for PNG screenshots.")
    ] = None,
    chromium: Annotated[
        str | None, typer.Option(help="Chromium binary (default: chromium on PATH).")
    ] = None,
    output: OutputOpt = OutputFormat.text,
) -> None:
    """Check every template in headless Chromium, light and dark: WCAG contrast of all text
    (>= 4.5) and of the logo (>= 3), with screenshots. Exit 1 on a problem."""
    from watcloud.notify import contrast_report

    rows = contrast_report(out_dir=out_dir, chromium=chromium)
    if output is OutputFormat.json:
        emit_json(rows)
    else:
        print_table(
            ["TEMPLATE", "SCHEME", "BG", "TEXTS", "MIN RATIO", "LOWEST", "PROBLEMS"],
            [
                [
                    r["template"],
                    r["scheme"],
                    r["background"],
                    r["texts"],
                    r["min_contrast"],
                    r["worst"],
                    "; ".join(r["problems"]) or "none",
                ]
                for r in rows
            ],
        )
    if any(r["problems"] for r in rows):
        raise typer.Exit(1)
