"""Config loading: one YAML file per tool, validated with pydantic.

Errors name the file, the key and what was expected, on one line. Secrets never live in the
file: `read_secret` takes them from an environment variable or a file path.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from watcloud.core.errors import ConfigError
from watcloud.core.fsutil import read_text

M = TypeVar("M", bound=BaseModel)


class StrictModel(BaseModel):
    """Base for config models: unknown keys are errors (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def load_config(model: type[M], path: Path | None, *, default_path: Path | None = None) -> M:
    """Load and validate a YAML config.

    `path` given: the file must exist. `path` None: `default_path` is read when it exists,
    otherwise every option takes its documented default.
    """
    if path is None:
        if default_path is None or not default_path.exists():
            return _validate(model, {}, "<defaults>")
        path = default_path
    text = read_text(path, "config file", error=ConfigError)
    return parse_config(model, text, str(path))


def parse_config(model: type[M], text: str, source: str) -> M:
    """Validate YAML `text` (named `source` in errors) against `model`."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{source}:{where}: invalid YAML: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{source}: expected a mapping of options at top level, got {_kind(data)}"
        )
    return _validate(model, data, source)


def _validate(model: type[M], data: dict[str, Any], source: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {describe_validation_error(exc)}") from None


def describe_validation_error(exc: ValidationError) -> str:
    """One line: `key 'a.b': expected ..., got ...` for each problem, joined with '; '."""
    parts = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "<top level>"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; see the docs for valid keys)"
        elif err["type"] == "missing":
            msg = "required key is missing"
        got = err.get("input")
        shown = "" if err["type"] in ("missing", "extra_forbidden") else f" (got {got!r:.60})"
        parts.append(f"key '{key}': {msg}{shown}")
    return "; ".join(parts)


def read_secret(env: str, file: Path | None = None, *, required: bool = False) -> str | None:
    """A secret from environment variable `env`, else from `file` (first line, stripped)."""
    value = os.environ.get(env)
    if value:
        return value
    if file is not None:
        try:
            return Path(file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{file}: cannot read secret file: {exc.strerror}") from None
    if required:
        raise ConfigError(f"secret missing: set {env} or give a secret file")
    return None


def _kind(value: object) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )
