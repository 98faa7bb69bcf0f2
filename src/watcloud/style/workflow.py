"""What sits between the checker and the command line: file discovery, baseline,
`--changed-since` (git diff line ranges) and `--fix`."""

from __future__ import annotations

import configparser
import functools
import hashlib
import json
import os
import re
import subprocess
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from watcloud.core.errors import InputError, WatcloudError
from watcloud.core.fsutil import atomic_write
from watcloud.style.model import Finding

# --- file discovery -----------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob with `**` (any directories), `*` and `?` (not crossing `/`) as a regex."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def matches(rel: str, patterns: Sequence[str]) -> bool:
    return any(glob_regex(p).match(rel) for p in patterns)


def discover(
    paths: Sequence[Path], root: Path, include: Sequence[str], exclude: Sequence[str]
) -> list[Path]:
    """Files to check. Directories are walked with include/exclude; named files are checked
    unless excluded (pre-commit passes file names)."""
    out: list[Path] = []
    seen: set[Path] = set()

    def rel(p: Path) -> str:
        try:
            return p.resolve().relative_to(root).as_posix()
        except ValueError:
            return p.as_posix()

    for p in paths or [root]:
        if not p.exists():
            raise InputError(f"{p}: no such file or directory")
        if p.is_file():
            if not matches(rel(p), exclude) and p.resolve() not in seen:
                seen.add(p.resolve())
                out.append(p)
            continue
        for dirpath, dirnames, filenames in os.walk(p):
            dirnames.sort()
            dirnames[:] = [
                d for d in dirnames if not matches(rel(Path(dirpath) / d) + "/x", exclude)
            ]
            for name in sorted(filenames):
                f = Path(dirpath) / name
                r = rel(f)
                if matches(r, include) and not matches(r, exclude) and f.resolve() not in seen:
                    seen.add(f.resolve())
                    out.append(f)
    return out


# --- baseline -----------------------------------------------------------------------------


def fingerprint(f: Finding) -> str:
    """Stable across line moves: rule, matched text and the text of the finding's line."""
    raw = f"{f.rule}\0{f.matched}\0{f.line_text.strip()}"
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def read_baseline(path: Path) -> Counter[tuple[str, str, str]]:
    try:
        data = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: baseline file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: cannot read baseline: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
        raise InputError(f"{path}: not a baseline file (expected {{'findings': [...]}})")
    out: Counter[tuple[str, str, str]] = Counter()
    for item in data["findings"]:
        try:
            out[(str(item["path"]), str(item["rule"]), str(item["fingerprint"]))] += 1
        except (KeyError, TypeError):
            raise InputError(f"{path}: baseline entry without path/rule/fingerprint") from None
    return out


def write_baseline(
    path: Path, entries: Iterable[tuple[Finding, str]], key: Callable[[str], str] = str
) -> int:
    """`key` maps a finding's path to the path stored (relative to the project root)."""
    items = [
        {
            "path": key(f.path),
            "rule": f.rule,
            "fingerprint": fp,
            "line": f.line,
            "message": f.message,
        }
        for f, fp in entries
    ]
    atomic_write(path, json.dumps({"version": 1, "findings": items}, indent=2) + "\n")
    return len(items)


def apply_baseline(
    findings: list[Finding],
    baseline: Counter[tuple[str, str, str]],
    key: Callable[[str], str] = str,
) -> tuple[list[Finding], int]:
    """Findings not in the baseline, and how many were accepted by it."""
    left = Counter(baseline)
    out = []
    accepted = 0
    for f in findings:
        k = (key(f.path), f.rule, fingerprint(f))
        if left[k] > 0:
            left[k] -= 1
            accepted += 1
        else:
            out.append(f)
    return out, accepted


# --- --changed-since ----------------------------------------------------------------------


def _git(args: list[str], cwd: Path) -> str:
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
        )
    except FileNotFoundError:
        raise WatcloudError("--changed-since needs git, which is not installed") from None
    if proc.returncode != 0:
        msg = (proc.stderr.strip().splitlines() or ["git failed"])[-1]
        raise InputError(f"git {' '.join(args[:2])}: {msg}")
    return proc.stdout


def changed_lines(ref: str, cwd: Path) -> dict[Path, set[int] | None]:
    """Lines added or changed since `ref` (working tree included), per absolute path.
    `None` means the whole file (untracked or new)."""
    top = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    _git(["rev-parse", "--verify", "--quiet", ref + "^{commit}"], cwd)
    diff = _git(["diff", "-U0", "--no-color", "--no-ext-diff", ref, "--"], top)
    out: dict[Path, set[int] | None] = {}
    current: Path | None = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            name = line[4:]
            current = None if name == "/dev/null" else (top / name[2:]).resolve()
            if current is not None:
                out.setdefault(current, set())
        elif line.startswith("@@") and current is not None:
            m = re.match(r"@@ -\S+ \+(\d+)(?:,(\d+))? @@", line)
            if m:
                start, count = int(m.group(1)), int(m.group(2) or "1")
                lines = out[current]
                if lines is not None:
                    lines.update(range(start, start + count))
    for name in _git(["ls-files", "--others", "--exclude-standard"], top).splitlines():
        out[(top / name).resolve()] = None
    return out


def keep_changed(
    findings: list[Finding], files: dict[str, Path], changed: dict[Path, set[int] | None]
) -> list[Finding]:
    out = []
    for f in findings:
        p = files.get(f.path)
        if p is None:
            continue
        key = p.resolve()
        if key not in changed:
            continue
        lines = changed[key]
        if lines is None or any(n in lines for n in range(f.line, f.end_line + 1)):
            out.append(f)
    return out


# --- --fix --------------------------------------------------------------------------------


def _guard(f: Finding) -> tuple[int, int]:
    if f.guard_start < 0:
        return f.start_offset, f.end_offset
    return f.guard_start, f.guard_end


def apply_fixes(source: str, findings: Sequence[Finding]) -> tuple[str, int]:
    """Apply the safe replacements, one per span, right to left. Returns (text, count).

    Two fixes conflict when the text either *read* to decide overlaps (its guard: for a/an
    the article and the next word), not only the text it replaces: in "a a Node.js" the
    repeated word and the article are both judged on "a a", and applying both would write
    "an Node.js". Of conflicting fixes the first (leftmost, then shortest) wins; what is
    left is reported by the check that runs after the fixes."""
    fixes = sorted(
        (f for f in findings if f.fix is not None and f.start_offset >= 0),
        key=lambda f: (_guard(f), f.start_offset, f.end_offset),
    )
    chosen: list[Finding] = []
    last_end = -1
    for f in fixes:
        g_start, g_end = _guard(f)
        if g_start >= last_end and source[f.start_offset : f.end_offset] == f.matched:
            chosen.append(f)
            last_end = g_end
    text = source
    for f in reversed(chosen):
        assert f.fix is not None
        text = text[: f.start_offset] + f.fix + text[f.end_offset :]
    return text, len(chosen)


def fix_file(path: Path, source: str, findings: Sequence[Finding]) -> tuple[str, int]:
    """Fix `path`, whose text (newlines as `\n`) is `source`; CRLF files stay CRLF.
    Returns the fixed text (newlines as `\n`, as given) and how many fixes were applied."""
    new, count = apply_fixes(source, findings)
    if count:
        raw = path.read_bytes()
        crlf = raw.count(b"\r\n") and raw.count(b"\r\n") == raw.count(b"\n")
        atomic_write(path, (new.replace("\n", "\r\n") if crlf else new).encode("utf-8"))
    return new, count


# --- the project a document belongs to ----------------------------------------------------

MANIFESTS = ("package.json", "pyproject.toml", "setup.cfg", "Cargo.toml", "go.mod")
_NAME_PART = re.compile(r"[a-z]{2,}")


def project_names(path: Path) -> frozenset[str]:
    """The lowercase words of the names of the projects `path` belongs to: the `name` of every
    package.json, pyproject.toml (`[project]`, `[tool.poetry]`), setup.cfg (`[metadata]`),
    Cargo.toml (`[package]`) and the last part of go.mod's module path, in its directory and
    the ones above it, up to the repository's root (a `.git` entry) or the file system's.
    `@fastify/swagger-ui` gives fastify, swagger and ui. The spelling check reads these as
    names ("# axios // adapters" in axios's docs). A manifest that cannot be read or parsed
    names nothing."""
    return _names_from(path.resolve().parent)


@functools.lru_cache(maxsize=256)
def _names_from(directory: Path) -> frozenset[str]:
    names: set[str] = set()
    for manifest in MANIFESTS:
        name = _manifest_name(directory / manifest)
        if name:
            names.update(_NAME_PART.findall(name.lower()))
    if (directory / ".git").exists() or directory.parent == directory:
        return frozenset(names)
    return frozenset(names) | _names_from(directory.parent)


def _manifest_name(path: Path) -> str | None:
    try:
        raw = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        if path.name == "go.mod":
            m = re.search(r"^module\s+(\S+)", raw, re.MULTILINE)
            name = m.group(1).strip('"').rsplit("/", 1)[-1] if m else None
        elif path.name == "package.json":
            data = json.loads(raw)
            name = data.get("name") if isinstance(data, dict) else None
        elif path.name == "setup.cfg":
            parser = configparser.ConfigParser(interpolation=None)
            parser.read_string(raw)
            name = parser.get("metadata", "name", fallback=None)
        else:
            data = tomllib.loads(raw)
            tables = [data.get("project"), data.get("package"), data.get("tool", {}).get("poetry")]
            name = next((t["name"] for t in tables if isinstance(t, dict) and "name" in t), None)
    except (ValueError, configparser.Error, AttributeError, TypeError):
        return None
    return name if isinstance(name, str) else None


# --- reading files: UTF-8 check and blocks ------------------------------------------------

READ_BYTES = 1 << 20
BLOCK_CHARS = 256 * 1024  # a file is checked in pieces of about this size, cut at blank lines
_FENCE = re.compile(r"[ \t]*(`{3,}|~{3,}|\$\$)")


def check_utf8(path: Path) -> None:
    """Raise InputError naming the file (and the byte) unless it is readable UTF-8 text.
    Streams: memory stays at one read buffer whatever the file's size."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(READ_BYTES):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    raise InputError(
                        f"{path}: not UTF-8 text (byte {offset + exc.start})"
                    ) from None
                offset += len(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text (truncated at the end)") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None


def blocks(path: Path, size: int = BLOCK_CHARS) -> Iterator[tuple[str, int, int]]:
    """The file as (text, character offset, line offset) pieces of about `size` characters,
    cut only at a blank line outside fenced code, math and comments, so that no construct
    is split (line endings as `\\n`). A small file is one piece."""
    buf: list[str] = []
    length = 0
    char_off = line_off = 0
    fence: str | None = None
    in_comment = False
    try:
        with path.open("r", encoding="utf-8", newline="") as fh:
            for raw in fh:
                line = raw.replace("\r\n", "\n")
                buf.append(line)
                length += len(line)
                if fence is not None:
                    m = _FENCE.match(line)
                    if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                        fence = None
                    continue
                if in_comment:
                    in_comment = "-->" not in line and "*/}" not in line
                    continue
                m = _FENCE.match(line)
                if m:
                    fence = m.group(1)
                    continue
                if ("<!--" in line and "-->" not in line.split("<!--")[-1]) or (
                    "{/*" in line and "*/}" not in line.split("{/*")[-1]
                ):
                    in_comment = True
                    continue
                if length >= size and not line.strip():
                    text = "".join(buf)
                    yield text, char_off, line_off
                    char_off += len(text)
                    line_off += len(buf)
                    buf, length = [], 0
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if buf or char_off == 0:
        yield "".join(buf), char_off, line_off
