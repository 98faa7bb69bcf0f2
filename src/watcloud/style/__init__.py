"""watcloud.style: grammar and house style of Markdown/MDX docs (and code comments).

The library (what `watcloud style` calls; see docs/style.md, "Library"):

- `check_paths(paths, config=..., fix=..., baseline=...)` -> `CheckResult`: `watcloud style check`
  without the printing;
- `check_text(text, path)` -> findings for one document given as text;
- `rule_states(config)` -> every rule and whether it is on (`watcloud style rules`);
- `Checker(StyleConfig(...))`: a loaded configuration that checks many documents;
- `load_settings(path)` -> (`StyleConfig`, project root); `render(fmt, findings, rules)`.

The names load on first use: importing `watcloud.style` does not load the grammar engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from watcloud.core.lazy import lazy_exports

if TYPE_CHECKING:
    from watcloud.style.config import StyleConfig, load_settings
    from watcloud.style.engine import Checker
    from watcloud.style.model import Finding
    from watcloud.style.report import Format, render
    from watcloud.style.runner import CheckResult, check_paths, check_text, rule_states

_WHERE = {
    "check_paths": "runner",
    "check_text": "runner",
    "rule_states": "runner",
    "CheckResult": "runner",
    "Checker": "engine",
    "StyleConfig": "config",
    "load_settings": "config",
    "Finding": "model",
    "Format": "report",
    "render": "report",
}

__all__ = [
    "CheckResult",
    "Checker",
    "Finding",
    "Format",
    "StyleConfig",
    "check_paths",
    "check_text",
    "load_settings",
    "render",
    "rule_states",
]


__getattr__ = lazy_exports(__name__, _WHERE)
