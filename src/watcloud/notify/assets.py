"""The files bundled with notify that both the templates and the MIME builder use."""

from __future__ import annotations

import base64
from functools import cache
from importlib import resources

LOGO_CID = "watcloud-logo"  # Content-ID of the inline logo part (`cid:watcloud-logo`)


@cache
def logo_png() -> bytes:
    """The WATcloud logo: a badge with its own opaque background, visible on light and dark."""
    return resources.files("watcloud.notify").joinpath("assets/logo.png").read_bytes()


def logo_data_uri() -> str:
    return "data:image/png;base64," + base64.b64encode(logo_png()).decode()
