"""GitHub links checked through the REST API (so private repositories are verified with a
token instead of looking like 404s). Pure URL mapping here; requests in `external`."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from watcloud.core.github import API_DEFAULT

__all__ = ["API_DEFAULT", "ApiCheck", "api_check"]

# First path segments of github.com that are not users or organisations.
_RESERVED = frozenset(
    {
        "about",
        "apps",
        "collections",
        "contact",
        "customer-stories",
        "enterprise",
        "events",
        "explore",
        "features",
        "login",
        "marketplace",
        "new",
        "notifications",
        "pricing",
        "pulls",
        "issues",
        "search",
        "settings",
        "site",
        "sponsors",
        "topics",
        "trending",
        "readme",
        "security",
        "join",
        "codespaces",
        "copilot",
    }
)


@dataclass(frozen=True)
class ApiCheck:
    """Candidate API paths, tried in order: the first 200 verifies the link (several for
    blob/tree URLs, because a ref may contain slashes)."""

    paths: tuple[str, ...]
    what: str  # "repository", "file at ref", "issue", "pull request", ...
    note: str = ""  # e.g. "only the repository was verified"


def api_check(url: str) -> ApiCheck | None:
    """The API requests that verify a github.com URL, or None when the API cannot tell."""
    parts = urlsplit(url)
    segs = [s for s in parts.path.split("/") if s]
    if not segs:
        return None
    if segs[0] == "orgs" and len(segs) >= 2:
        return ApiCheck((f"/orgs/{_q(segs[1])}",), "organisation")
    if segs[0].lower() in _RESERVED:
        return None
    owner = _q(segs[0])
    if len(segs) == 1:
        return ApiCheck((f"/users/{owner}",), "user or organisation")
    repo_name = segs[1].removesuffix(".git")
    repo = f"/repos/{owner}/{_q(repo_name)}"
    if len(segs) == 2:
        return ApiCheck((repo,), "repository")
    kind, rest = segs[2], segs[3:]
    if kind in ("blob", "tree", "raw", "blame") and rest:
        paths = []
        for i in range(1, min(len(rest), 4) + 1):
            ref = "/".join(rest[:i])
            path = "/".join(_q(p) for p in rest[i:])
            if path:
                paths.append(f"{repo}/contents/{path}?ref={quote(ref, safe='')}")
            else:
                paths.append(f"{repo}/commits/{quote(ref, safe='')}")
        return ApiCheck(tuple(paths), "file at ref" if kind != "tree" else "tree at ref")
    if kind == "issues" and rest and rest[0].isdigit():
        return ApiCheck((f"{repo}/issues/{rest[0]}",), "issue")
    if kind == "pull" and rest and rest[0].isdigit():
        return ApiCheck((f"{repo}/pulls/{rest[0]}",), "pull request")
    if kind == "releases" and len(rest) >= 2 and rest[0] == "tag":
        return ApiCheck((f"{repo}/releases/tags/{_q('/'.join(rest[1:]))}",), "release")
    if kind == "commit" and rest:
        return ApiCheck((f"{repo}/commits/{_q(rest[0])}",), "commit")
    return ApiCheck((repo,), "repository", note=f"only the repository was verified, not /{kind}")


def _q(segment: str) -> str:
    return quote(segment, safe="")
