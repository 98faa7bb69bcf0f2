"""watcloud.style: grammar and house style of Markdown/MDX docs (and code comments).

The library: `check_text(text, path)` returns findings for one document;
`Checker` holds a loaded configuration and checks many files. The command line is
`watcloud style check` (see `cli.py` and docs/style.md).
"""

from __future__ import annotations
