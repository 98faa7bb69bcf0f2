"""`watcloud config get|set|unset`: the user's cluster config file, edited safely.

`set` parses the value as YAML (so `5`, `false` and `[a, b]` are typed), checks the key and the
whole resulting file against the config model before writing, and replaces the file atomically
(temporary file, fsync, rename). Keys are the top-level options; secrets are never stored here
(the model has no such key). `get` shows the effective value and where it comes from: the
user's file, the site-wide file, or the documented default.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from watcloud.cluster.config import ClusterConfig, site_config_path
from watcloud.core.config import parse_config
from watcloud.core.errors import ConfigError, InputError
from watcloud.core.fsutil import atomic_write, read_text
from watcloud.core.output import fields_json


def keys() -> list[str]:
    return sorted(ClusterConfig.model_fields)


def _check_key(key: str) -> None:
    if key not in ClusterConfig.model_fields:
        import difflib

        close = difflib.get_close_matches(key, keys(), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f" (keys: {', '.join(keys())})"
        raise InputError(f"unknown config key {key!r}{hint}")


def _read_mapping(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    text = read_text(path, "config file", error=ConfigError)
    parse_config(ClusterConfig, text, str(path))  # the file as it is must be valid to edit
    data = yaml.safe_load(text)
    return dict(data) if isinstance(data, dict) else {}


def parse_value(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        raise InputError(f"value {text!r} is not valid YAML") from None


def set_key(path: Path, key: str, value_text: str) -> Any:
    """Set `key` in the file at `path` (created when absent); returns the value as stored."""
    _check_key(key)
    data = _read_mapping(path)
    data[key] = parse_value(value_text)
    _write(path, data)
    return data[key]


def unset_key(path: Path, key: str) -> bool:
    """Remove `key` (back to the site's value or the default); False when it was not set."""
    _check_key(key)
    data = _read_mapping(path)
    if key not in data:
        return False
    del data[key]
    _write(path, data)
    return True


def _write(path: Path, data: dict[str, Any]) -> None:
    text = yaml.safe_dump(data, sort_keys=True, default_flow_style=False)
    parse_config(ClusterConfig, text, str(path))  # refuse before anything is written
    try:
        atomic_write(path, text, mode=0o600 if not path.exists() else None)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror}") from None


@dataclass(frozen=True)
class Setting:
    key: str
    value: Any
    source: str  # "user" | "site" | "default"
    file: str | None

    def as_json(self) -> dict[str, Any]:
        return fields_json(self)


def get_key(path: Path, key: str) -> Setting:
    """The effective value of `key`: the user's file, else the site's, else the default."""
    _check_key(key)
    for source, file in (("user", path), ("site", site_config_path())):
        data = _read_mapping(file) if file.is_file() else {}
        if key in data:
            value = getattr(parse_config(ClusterConfig, yaml.safe_dump(data), str(file)), key)
            return Setting(key, _plain(value), source, str(file))
    return Setting(key, _plain(getattr(ClusterConfig(), key)), "default", None)


def _plain(value: Any) -> Any:
    """A value as JSON/YAML shows it (paths as strings, models as mappings)."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    return value
