"""Optional grammar engine: harper-py (Harper, offline, Apache-2.0), isolated.

- Runs on our extracted prose (code, URLs and markup already masked), as plain text.
- Its rules that are noise on technical docs are switched off (`HARPER_NOISY` in config.py,
  chosen from a measurement on the WATcloud docs; see docs/style.md).
- Isolated: native code may write to file descriptor 1, which would corrupt JSON/SARIF
  output, so every call runs with fd 1 pointed at stderr (`_stdout_to_stderr`).
- Nothing is downloaded: Harper's dictionary and rules are compiled into its wheel.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

from watcloud.core.errors import WatcloudError
from watcloud.style.config import HarperSettings
from watcloud.style.model import Hit
from watcloud.style.prose import BREAK, TOKEN


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Point fd 1 at fd 2 for the duration (what native code prints cannot reach stdout)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


class HarperEngine:
    def __init__(self, settings: HarperSettings) -> None:
        try:
            with _stdout_to_stderr():
                import harper

                dialect = getattr(harper.Dialect, settings.dialect.upper())
                self._linter: Any = harper.Linter(dialect)
                config: dict[str, bool | None] = dict(self._linter.get_default_lint_config())
                unknown = [r for r in (*settings.disable, *settings.enable) if r not in config]
                if unknown:
                    raise WatcloudError(f"harper: unknown rule(s): {', '.join(unknown)}")
                for r in settings.disable:
                    config[r] = False
                for r in settings.enable:
                    config[r] = True
                self._linter.set_lint_config(config)
                self._plaintext = harper.Language.PLAINTEXT
        except ImportError:
            raise WatcloudError(
                "harper-py is not installed (pip install harper-py), or disable `harper`"
            ) from None

    def lint(self, text: str) -> list[tuple[str, Hit]]:
        """Lint prose (same length as given, so spans are prose positions)."""
        # Same-length stand-ins: a block boundary is a line break, a token a neutral word.
        plain = text.replace(BREAK, "\n").replace(TOKEN, "x")
        out: list[tuple[str, Hit]] = []
        with _stdout_to_stderr():
            organized = self._linter.organized_lints(plain, language=self._plaintext)
        for rule, lints in organized.items():
            for lint in lints:
                s, e = lint.span.start, lint.span.end
                if TOKEN in text[s:e]:
                    continue
                sugg = lint.suggestions[0].replacement_text if lint.suggestions else None
                out.append((f"harper.{rule}", Hit(s, e, lint.message, sugg or None)))
        return out
