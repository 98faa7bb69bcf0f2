"""Health-checked DNS failover: probe every host of a service, publish only the healthy ones.

`decide` is the pure state machine, `probe` the concurrent health checks, `reconcile` the
smallest change between desired and published records, `providers/` the DNS back ends and
`daemon` the loop around them; `api` the library calls below, `report` their rendering.

The library (see docs/dnsfailover.md, "Library"), imported lazily::

    from watcloud.dnsfailover import DnsFailoverConfig, check_hosts, load, plan_changes
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from watcloud.core.lazy import lazy_exports

if TYPE_CHECKING:
    from watcloud.dnsfailover.api import PlanReport, check_hosts, plan_changes, run_daemon
    from watcloud.dnsfailover.config import DnsFailoverConfig, load

__all__ = [
    "DnsFailoverConfig",
    "PlanReport",
    "check_hosts",
    "load",
    "plan_changes",
    "run_daemon",
]


__getattr__ = lazy_exports(
    __name__,
    {name: "config" if name in ("DnsFailoverConfig", "load") else "api" for name in __all__},
)
