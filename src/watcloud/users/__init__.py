"""Declarative, transactional manager for local Linux users and groups.

`config` validates the desired state, `files` reads and writes the four account files
byte-for-byte, `plan` decides (pure), `apply` writes under the shadow-utils locks.

The library calls behind `watcloud users plan|apply` (cheap to import; the engine loads on
first call):

    from watcloud.users import load_users_config, make_plan, apply_config
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from watcloud.users.apply import Plan
    from watcloud.users.config import UsersConfig

__all__ = ["apply_config", "load_users_config", "make_plan"]


def load_users_config(path: Path | None = None) -> UsersConfig:
    """The config from `path` (YAML, or JSON when it ends in .json), else
    ~/.config/watcloud/users.yaml; `ConfigError` names the file, the key and what was expected."""
    from watcloud.users.config import load_users_config as _load

    return _load(path)


def make_plan(root: Path, cfg: UsersConfig, **kwargs: Any) -> Plan:
    """What `apply_config` would change under `root` ("/" for the live system): reads the
    account files and homes, takes no lock, writes nothing. `.changes` lists each change."""
    from watcloud.users.apply import make_plan as _plan

    return _plan(Path(root), cfg, **kwargs)


def apply_config(root: Path, cfg: UsersConfig, **kwargs: Any) -> Plan:
    """Write the config under `root`: the account files in one locked transaction, then homes,
    directories and keys. Returns what was carried out (`.changes`, `.notes`, `.failures`);
    `expected=plan.changes` writes nothing if the system moved since that plan was shown."""
    from watcloud.users.apply import apply as _apply

    return _apply(Path(root), cfg, **kwargs)
