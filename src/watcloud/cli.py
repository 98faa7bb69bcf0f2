"""The `watcloud` command: a small dispatcher over the tools' Typer sub-apps.

Nothing heavy is imported here. `watcloud --help` is printed from the table below; a tool's
module (and Typer with it) is imported only when that tool's command runs. A tool whose
package is not installed is simply not listed.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Sequence
from typing import NamedTuple

from watcloud import __version__


class Entry(NamedTuple):
    module: str  # module holding the Typer app
    attr: str  # the Typer app's name in that module
    help: str  # one line for `watcloud --help`
    fast: str | None = None  # optional "module:function(argv) -> int | None" tried first


COMMANDS: dict[str, Entry] = {
    "status": Entry(
        "watcloud.cluster.cli",
        "status_app",
        "Is the cluster up? Machines, health checks and maintenance.",
        fast="watcloud.cluster.fast:cached_status",
    ),
    "quota": Entry("watcloud.cluster.cli", "quota_app", "Your disk, CPU, memory and GPU quotas."),
    "daemon": Entry("watcloud.cluster.cli", "daemon_app", "Your Docker rootless daemon."),
    "slurm": Entry(
        "watcloud.cluster.cli", "slurm_app", "SLURM: free capacity now, mail when a job ends."
    ),
    "config": Entry("watcloud.cluster.cli", "config_app", "Read and change your cluster config."),
    "notify": Entry("watcloud.notify.cli", "app", "Send email and Discord notifications."),
    "outage": Entry("watcloud.outage.cli", "app", "Power-outage notices for the server room."),
    "style": Entry("watcloud.style.cli", "app", "Grammar and house style of the docs."),
    "links": Entry("watcloud.links.cli", "app", "Broken internal and external links."),
    "expiry": Entry("watcloud.expiry.cli", "app", "Files on scratch nobody used for a long time."),
    "dns-failover": Entry("watcloud.dnsfailover.cli", "app", "Health-checked DNS failover."),
    "users": Entry(
        "watcloud.users.cli",
        "app",
        "Linux users, groups and SSH keys.",
        fast="watcloud.users.run:fast",
    ),
    "gha": Entry("watcloud.gha.cli", "app", "GitHub Actions runs as traces."),
}


def installed(entry: Entry) -> bool:
    """Whether the command's tool package is installed (found without importing it)."""
    return importlib.util.find_spec(entry.module.rsplit(".", 1)[0]) is not None


def available() -> dict[str, Entry]:
    """The commands whose tool package is installed."""
    return {name: entry for name, entry in COMMANDS.items() if installed(entry)}


def _help(commands: dict[str, Entry]) -> str:
    width = max((len(n) for n in commands), default=0) + 2
    lines = [
        "Usage: watcloud [--version] COMMAND [ARGS]...",
        "",
        "WATcloud tools. `watcloud COMMAND --help` shows a command's options.",
        "",
        "Commands:",
    ]
    lines += [f"  {name:<{width}}{entry.help}" for name, entry in commands.items()]
    lines += ["", "Exit codes: 0 ok, 1 findings or failures, 2 bad usage, config or input."]
    return "\n".join(lines) + "\n"


def _did_you_mean(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(available()), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else " (see `watcloud --help`)"


def _usage_prefix(name: str, exc: object) -> str:
    """`watcloud quota list` for an error in a subcommand, from the failing click context."""
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", None)
    return str(path) if path else f"watcloud {name}"


def _load(ref: str) -> Callable[..., object]:
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]


def run(argv: Sequence[str]) -> int:
    """Run `watcloud ARGV...` and return the exit code."""
    if not argv or argv[0] in ("-h", "--help", "help"):
        sys.stdout.write(_help(available()))
        return 0 if argv else 2
    if argv[0] == "--version":
        sys.stdout.write(f"watcloud {__version__}\n")
        return 0
    name, args = argv[0], list(argv[1:])
    entry = COMMANDS.get(name)
    if entry is None or not installed(entry):  # only the one command is looked up
        sys.stderr.write(f"watcloud: error: no such command {name!r}{_did_you_mean(name)}\n")
        return 2
    from watcloud.core.errors import WatcloudError

    try:
        if entry.fast is not None:
            code = _load(entry.fast)(args)
            if isinstance(code, int):
                return code
        import typer
        import typer.main

        command = typer.main.get_command(getattr(importlib.import_module(entry.module), entry.attr))
        try:
            code = command.main(args=args, prog_name=f"watcloud {name}", standalone_mode=False)
        except typer.TyperException as exc:  # usage errors: one line, not a box
            if type(exc).__name__ == "NoArgsIsHelpError":  # `watcloud quota`: its help
                sys.stderr.write(exc.format_message() + "\n")
                return 2
            where = _usage_prefix(name, exc)
            sys.stderr.write(f"{where}: error: {exc.format_message()} (see `{where} --help`)\n")
            return exc.exit_code
        except typer.Abort:
            sys.stderr.write(f"watcloud {name}: aborted\n")
            return 1
        return code if type(code) is int else 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except WatcloudError as exc:
        sys.stderr.write(f"watcloud {name}: error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write(f"watcloud {name}: interrupted\n")
        return 130
    return 0


def app() -> None:
    """Console-script entry point (`watcloud = watcloud.cli:app`)."""
    try:
        code = run(sys.argv[1:])
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`watcloud ... | head`): not an error worth a traceback.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)


if __name__ == "__main__":
    app()
