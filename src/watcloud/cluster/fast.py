"""The cached `watcloud status` path: replay the last rendered output without importing Typer.

After a normal `status` run, the command stores what it printed (stdout bytes, stderr text,
exit code) under `cache_dir()/status-output/<key>`. The key is a hash of everything that can
change the output: the exact argv, the config files' paths, mtimes and sizes (the user's and
the site's), whether stdout is a terminal and its width, the watcloud version, and the
environment variables that matter (WATCLOUD_*, colour and terminal settings, PATH,
SLURM_JOB_ID, XDG dirs, TZ, HOME). A record younger than the TTL it was written with (the
config's `cache_ttl`, 30 s by default) is printed as is. `--refresh` (or `--help`) always
runs the real command.

Only the standard library is imported here (tests/cluster check this; `_blake2` is CPython's
own hash module, lighter than `hashlib`, which loads OpenSSL): the point is to skip the
~150 ms that Typer, Rich, pydantic and httpx cost to import.
"""

from __future__ import annotations

import os
import sys
import time

try:  # the C module alone: `hashlib` also loads OpenSSL's bindings (~4 ms)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Python implementations
    from hashlib import blake2b

SUBDIR = "status-output"
SITE_CONFIG = "/etc/watcloud/cluster.yaml"
SITE_CONFIG_ENV = "WATCLOUD_CLUSTER_SITE_CONFIG"
# record layout: b"wcstatus1 <created> <ttl> <exit code> <stderr length>\n" + stderr + stdout
MAGIC = b"wcstatus1"
BYPASS = frozenset({"--refresh", "-h", "--help"})
ENV_EXACT = frozenset(
    {
        "NO_COLOR",
        "FORCE_COLOR",
        "TERM",
        "COLORTERM",
        "COLUMNS",
        "LINES",
        "PATH",
        "HOME",
        "TZ",
        "SLURM_JOB_ID",
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
        "TTY_COMPATIBLE",
        "TTY_INTERACTIVE",
    }
)

# Set by `cached_status` when it finds nothing to replay: the record path the real command
# stores its output under (None when the command was not reached through the dispatcher).
pending_record: str | None = None


def _xdg(env: str, default: str) -> str:
    value = os.environ.get(env, "")
    if value and os.path.isabs(value):
        return value
    return os.path.join(os.path.expanduser("~"), default)


def config_file(argv: list[str]) -> str:
    """The config file the command will read: `--config/-c PATH`, else the default path."""
    for i, arg in enumerate(argv):
        if arg in ("--config", "-c") and i + 1 < len(argv):
            return os.path.abspath(argv[i + 1])
        if arg.startswith("--config="):
            return os.path.abspath(arg.split("=", 1)[1])
        if arg.startswith("-c") and len(arg) > 2 and not arg.startswith("--"):
            return os.path.abspath(arg[2:])
    return os.path.join(_xdg("XDG_CONFIG_HOME", ".config"), "watcloud", "cluster.yaml")


def site_config_file() -> str:
    """The site-wide config the admins install: `$WATCLOUD_CLUSTER_SITE_CONFIG`, else
    /etc/watcloud/cluster.yaml (read before the user's; see `watcloud.cluster.config`)."""
    return os.environ.get(SITE_CONFIG_ENV) or SITE_CONFIG


def _terminal() -> tuple[bool, int | None]:
    try:
        tty = os.isatty(sys.stdout.fileno())
    except (AttributeError, ValueError, OSError):
        return False, None
    if not tty:
        return False, None
    try:
        return True, os.get_terminal_size(sys.stdout.fileno()).columns
    except OSError:
        return True, None


def record_path(argv: list[str]) -> str:
    from watcloud import __version__

    cfg_id: list[object] = []
    for cfg in (config_file(argv), site_config_file()):  # the user's config, then the site-wide one
        try:
            st = os.stat(cfg)
            cfg_id += [cfg, st.st_mtime_ns, st.st_size]
        except OSError:
            cfg_id += [cfg, None]
    env = sorted(
        (k, v) for k, v in os.environ.items() if k.startswith("WATCLOUD_") or k in ENV_EXACT
    )
    # repr of str/int/bool/None/list/tuple is deterministic: no need to import json
    material = repr((__version__, list(argv), cfg_id, _terminal(), env))
    key = blake2b(material.encode(), digest_size=32).hexdigest()
    return os.path.join(_xdg("XDG_CACHE_HOME", ".cache"), "watcloud", SUBDIR, key)


def cached_status(argv: list[str], *, clock: float | None = None) -> int | None:
    """Replay a fresh record for this exact invocation and return its exit code, else None."""
    global pending_record
    pending_record = None
    if any(arg in BYPASS for arg in argv):
        return None
    path = record_path(argv)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        header_line, _, rest = data.partition(b"\n")
        magic, created, ttl, code_text, err_len = header_line.split(b" ")
        if magic != MAGIC:
            raise ValueError("not a status record")
        age = (time.time() if clock is None else clock) - float(created)
        fresh = 0 <= age < float(ttl) and len(rest) >= int(err_len)
        code = int(code_text)
        err = rest[: int(err_len)].decode("utf-8", "replace")
        body = rest[int(err_len) :]
    except (OSError, ValueError):
        fresh = False
    if not fresh:
        pending_record = path
        return None
    out = getattr(sys.stdout, "buffer", None)
    if out is not None:
        sys.stdout.flush()
        out.write(body)
        out.flush()
    else:
        sys.stdout.write(body.decode("utf-8", "replace"))
    if err:
        sys.stderr.write(err)
    return code


def store(stdout: str, stderr: str, code: int, ttl: float) -> bool:
    """Keep the output of the run `cached_status` could not serve (True when stored)."""
    path = pending_record
    if path is None or ttl <= 0:
        return False
    from pathlib import Path

    from watcloud.core.fsutil import atomic_write

    err = stderr.encode()
    header = b"%s %f %f %d %d\n" % (MAGIC, time.time(), ttl, code, len(err))
    try:
        atomic_write(Path(path), header + err + stdout.encode(), mode=0o600)
    except OSError:
        return False
    return True
