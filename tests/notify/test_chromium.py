"""The templates in real headless Chromium (Debian's `chromium`), prefers-color-scheme light
and dark: the scheme really applies (computed colours change), all text has WCAG contrast of
at least 4.5 against what is behind it, the logo loads and stands out (>= 3) in both.

Screenshots go to a temporary folder; the ones in docs/img/notify/ are made with
`watcloud notify check --screenshots docs/img/notify` (tests never rewrite tracked files)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import require_binary
from watcloud.notify.browser import WCAG_AA, check_page, contrast, luminance, sample_data
from watcloud.notify.templating import TEMPLATES, render

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def chromium() -> str:
    return require_binary("chromium")[0]


def test_wcag_formula():
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast((255, 255, 255), (255, 255, 255)) == pytest.approx(1.0)
    assert contrast((0x76, 0x76, 0x76), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)
    assert luminance((255, 0, 0)) == pytest.approx(0.2126)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.mark.parametrize("name", TEMPLATES)
def test_template_in_light_and_dark(name: str, chromium: str, shots: Path):
    # The bundled samples (what the docs show); edge cases are in test_templates.py.
    html = render(name, sample_data()[name], logo="data").html
    light = check_page(html, "light", screenshot=shots / f"{name}-light.png", chromium=chromium)
    dark = check_page(html, "dark", screenshot=shots / f"{name}-dark.png", chromium=chromium)
    # The emulation took: the page's own matchMedia agrees, and the computed colours moved.
    assert (light.dark_matched, dark.dark_matched) == (False, True)
    assert luminance(light.body_bg) > 0.7 and luminance(dark.body_bg) < 0.05
    for check in (light, dark):
        assert len(check.texts) >= 5, "the probe found the text"
        assert check.min_ratio >= WCAG_AA, check.problems
        assert check.problems == []
        [logo] = check.logos
        assert logo["loaded"] and logo["opaque"] > 0.9  # an opaque badge, not a transparent mark
        assert contrast(logo["colour"], logo["bg"]) >= 3.0
        assert check.screenshot is not None and check.screenshot.read_bytes()[:4] == b"\x89PNG"
    # Body text really is light-on-dark in dark mode.
    card_text = [t for t in dark.texts if "text" in t.cls.split()]
    assert card_text and all(luminance(t.fg) > luminance(t.bg) for t in card_text)


def test_the_check_catches_bad_contrast(chromium: str):
    # A page whose dark rules forget the text colour: grey-on-dark must be reported.
    page = (
        '<html><head><meta name="color-scheme" content="light dark"><style>'
        "body{background:#fff;color:#222} @media (prefers-color-scheme: dark)"
        "{body{background:#111 !important}}</style></head>"
        "<body><p>unreadable in dark</p></body></html>"
    )
    light = check_page(page, "light", chromium=chromium)
    dark = check_page(page, "dark", chromium=chromium)
    assert light.problems == []
    assert dark.min_ratio < 1.5 and any("contrast" in p for p in dark.problems)


@pytest.mark.parametrize("name", ["outage", "expiry-warning"])
def test_readable_when_a_client_strips_style(name: str, chromium: str):
    # Clients that drop <style> (some Gmail cases) keep only the inlined light colours; in a
    # dark-mode browser (color-scheme meta says "light dark") every text must stay readable.
    html = render(name, sample_data()[name], logo="data").html
    stripped = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    assert "<style>" not in stripped
    for scheme in ("light", "dark"):
        check = check_page(stripped, scheme, chromium=chromium)
        assert check.problems == [] and check.min_ratio >= WCAG_AA
        assert luminance(check.body_bg) > 0.7  # the inlined light design, whatever the scheme
