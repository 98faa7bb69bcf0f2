"""Power-outage notifier: PlantOps notices in, verified announcements out.

Pure core: `parse` (notice -> sections), `classify` (relevance with reasons), `when` (windows),
`announce` (the announcement), `decide` (the exactly-once rule). Shell: `sources` (web, IMAP,
mail files, stdin behind one interface), `state` (SQLite), `watch`, `api` (the library calls
below), `report` (rendering), `cli`.

The library (see docs/outage.md, "Library"), imported lazily so `import watcloud.outage` stays
cheap::

    from watcloud.outage import OutageConfig, check_notice, watch_once, sync_reservations
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from watcloud.core.lazy import lazy_exports

if TYPE_CHECKING:
    from watcloud.outage.api import (
        CheckResult,
        check_notice,
        evaluate_dataset,
        fetch_history,
        read_notice,
        run_watcher,
        sources_for,
        sync_reservations,
        watch_once,
    )
    from watcloud.outage.config import OutageConfig, load

__all__ = [
    "CheckResult",
    "OutageConfig",
    "check_notice",
    "evaluate_dataset",
    "fetch_history",
    "load",
    "read_notice",
    "run_watcher",
    "sources_for",
    "sync_reservations",
    "watch_once",
]


__getattr__ = lazy_exports(
    __name__, {name: "config" if name in ("OutageConfig", "load") else "api" for name in __all__}
)
