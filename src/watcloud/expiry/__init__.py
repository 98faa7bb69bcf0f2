"""watcloud.expiry: file auto-expiration scanner (see docs/expiry.md).

The library calls behind the commands (cheap to import; the scanner loads on first call):

    from watcloud.expiry import load_expiry_config, scan_report, send_warnings, delete_report
"""

from __future__ import annotations

from typing import Any

from watcloud.expiry.service import (
    ScanFailed,
    WarningsOutcome,
    delete_report,
    load_expiry_config,
    scan_report,
    send_warnings,
)

__all__ = [
    "ExpiryConfig",
    "ScanFailed",
    "WarningsOutcome",
    "delete_report",
    "load_expiry_config",
    "scan_report",
    "send_warnings",
]


def __getattr__(name: str) -> Any:
    # ExpiryConfig is a pydantic model: imported on first use, not with the package.
    if name == "ExpiryConfig":
        from watcloud.expiry.config import ExpiryConfig

        return ExpiryConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
