"""XDG base directories for config, cache and state (`$XDG_*_HOME/watcloud/...`)."""

from __future__ import annotations

import os
from pathlib import Path

APP = "watcloud"


def _base(env: str, default: str) -> Path:
    value = os.environ.get(env, "")
    # The XDG spec says relative paths are invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / default


def config_dir() -> Path:
    return _base("XDG_CONFIG_HOME", ".config") / APP


def cache_dir() -> Path:
    return _base("XDG_CACHE_HOME", ".cache") / APP


def state_dir() -> Path:
    return _base("XDG_STATE_HOME", ".local/state") / APP


def default_config_path(tool: str) -> Path:
    """A tool's YAML config when none is given: `~/.config/watcloud/<tool>.yaml`."""
    return config_dir() / f"{tool}.yaml"
