"""Lazy package exports (core.lazy): names load their module on first use, unknown names fail."""

from __future__ import annotations

import subprocess
import sys

import pytest


def test_exports_load_on_first_use_only() -> None:
    code = (
        "import sys, watcloud.outage as o\n"
        "assert 'watcloud.outage.api' not in sys.modules\n"
        "f = o.check_notice\n"
        "assert 'watcloud.outage.api' in sys.modules and callable(f)\n"
        "assert o.OutageConfig.__module__ == 'watcloud.outage.config'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_name_is_an_attribute_error() -> None:
    import watcloud.dnsfailover as d

    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        d.nope  # noqa: B018
