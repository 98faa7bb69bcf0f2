"""The library calls docs/links.md lists (## Library), imported and called as documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.links.conftest import Site
from watcloud.core.errors import InputError
from watcloud.links.api import check_internal, check_links, external_links
from watcloud.links.config import LinksConfig


def _site(tmp_path: Path, web: Site) -> Path:
    site = tmp_path / "out"
    site.mkdir()
    (site / "index.html").write_text(
        f'<a href="/page#there">in</a> <a href="/page#nowhere">bad</a>'
        f' <a href="{web.url("/ok")}">out</a>'
    )
    (site / "page.html").write_text('<h2 id="there">There</h2>')
    return site


def test_check_internal(tmp_path: Path, web: Site) -> None:
    site = _site(tmp_path, web)
    result = check_internal(site, config=None)
    assert not result.ok  # /page#nowhere
    assert check_internal(site, check_fragments=False).ok


def test_external_links_and_check_links(tmp_path: Path, web: Site) -> None:
    site = _site(tmp_path, web)
    found, sites = external_links([str(site), web.url("/gone-404")], LinksConfig())
    assert set(found) == {web.url("/ok"), web.url("/gone-404")} and sites == [str(site)]
    with pytest.raises(InputError):
        external_links([str(tmp_path / "missing")], LinksConfig())
    result, sites = check_links(
        [str(site), web.url("/gone-404")], config=LinksConfig(), state=tmp_path / "s.sqlite3"
    )
    assert sites == [str(site)] and len(result.entries) == 2
    assert result.ok  # a first failure is within the grace period
    assert web.hits["/ok"] >= 1 and web.hits["/gone-404"] >= 1
