"""The library calls behind `watcloud links internal|external`, for other automation:

    from watcloud.links.api import check_internal, check_links
    result = check_internal(Path("out"))          # InternalResult; result.ok
    result, sites = check_links(["out", "https://example.org/"])

Both read the links config (`config`, else the default path) and let the arguments override it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from watcloud.core.errors import InputError

if TYPE_CHECKING:
    from watcloud.links.config import LinksConfig
    from watcloud.links.external import ExternalReport
    from watcloud.links.internal import InternalReport, Where


def check_internal(
    site_dir: Path,
    *,
    config: Path | None = None,
    base_path: str | None = None,
    ignore: Iterable[str] = (),
    check_fragments: bool = True,
    jobs: int | None = None,
) -> InternalReport:
    """Every link between the pages of an exported site, fragments included (unless the
    config or `check_fragments=False` turns them off)."""
    from watcloud.links import config as cfgmod
    from watcloud.links.internal import check_site

    cfg = cfgmod.load(config).internal
    return check_site(
        site_dir,
        base_path=cfg.base_path if base_path is None else base_path,
        ignore=[*cfg.ignore, *ignore],
        site_hosts=cfg.site_hosts,
        check_fragments=cfg.check_fragments and check_fragments,
        jobs=cfg.jobs if jobs is None else jobs,
    )


def external_links(
    targets: Iterable[str], cfg: LinksConfig, base_path: str | None = None
) -> tuple[dict[str, list[Where]], list[str]]:
    """The external URLs to check: each http(s) target itself, and every external link of each
    site directory target (with where it appears); plus the site directories given."""
    from watcloud.links.internal import Where, check_site

    found: dict[str, list[Where]] = {}
    sites = []
    for target in targets:
        if target.startswith(("http://", "https://")):
            found.setdefault(target, []).append(Where("<command line>", 0, "", "", target))
        elif Path(target).is_dir():
            sites.append(target)
            site = check_site(
                Path(target),
                base_path=cfg.internal.base_path if base_path is None else base_path,
                site_hosts=[*cfg.internal.site_hosts, *cfg.external.site_hosts],
                check_fragments=False,
                collect_external=True,
                jobs=cfg.internal.jobs,
            )
            for url, where in site.external.items():
                found.setdefault(url, []).extend(where)
        else:
            raise InputError(f"{target}: neither a directory nor an http(s) URL")
    return found, sites


def check_links(
    targets: Iterable[str],
    *,
    config: Path | LinksConfig | None = None,
    state: Path | None = None,
    check_fragments: bool | None = None,
    base_path: str | None = None,
    progress: Callable[[str], None] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> tuple[ExternalReport, list[str]]:
    """Check the external links of `targets` (site directories and/or URLs) with the grace
    period recorded in `state`; returns the result and the site directories given. The token
    is $GITHUB_TOKEN, the API root $GITHUB_API_URL. Raises NoDnsError when no host resolves."""
    from watcloud.core import github
    from watcloud.links import config as cfgmod
    from watcloud.links.external import check_external

    cfg = config if isinstance(config, cfgmod.LinksConfig) else cfgmod.load(config)
    found, sites = external_links(targets, cfg, base_path)
    result = check_external(
        found,
        cfg.external,
        state_path=state,
        check_fragments=check_fragments,
        github_token=github.token(),
        github_api=github.api_url(),
        progress=progress,
        on_start=on_start,
    )
    return result, sites
