"""Desired records vs the provider's records -> the smallest change. Pure, apart from `Provider`.

Ownership: only records this tool owns are ever changed or deleted. Cloudflare marks each owned
record with a comment (`watcloud-dnsfailover owner=<id>`); RFC 2136 servers have no comments,
so an ownership TXT record beside the RRset says who owns it (as external-dns does). A record
that is not owned ("foreign") is left alone; when it has an address we want, it counts as
published (no duplicate is created). An RFC 2136 RRset that exists without our ownership TXT is
not manageable at all: its service is skipped with a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

Key = tuple[str, str]  # (fqdn, record type)


class ProviderError(Exception):
    """The DNS provider failed (after its retries). Never a host failure."""


@dataclass(frozen=True)
class Record:
    name: str
    type: str
    content: str
    ttl: int
    owned: bool
    id: str | None = None  # provider's record id (Cloudflare)


@dataclass(frozen=True)
class RRSetView:
    """What the provider holds at (name, type)."""

    name: str
    type: str
    records: tuple[Record, ...] = ()
    manageable: bool = True
    note: str = ""

    def published(self) -> frozenset[str]:
        return frozenset(r.content for r in self.records)


@dataclass(frozen=True)
class Change:
    action: Literal["create", "delete", "update"]
    name: str
    type: str
    content: str
    ttl: int
    id: str | None = None
    reason: str = ""

    def describe(self) -> str:
        verb = {"create": "+ add", "delete": "- remove", "update": "~ update"}[self.action]
        why = f" ({self.reason})" if self.reason else ""
        return f"{verb} {self.name} {self.ttl} {self.type} {self.content}{why}"


@dataclass(frozen=True)
class Desired:
    contents: tuple[str, ...]
    ttl: int
    reasons: Mapping[str, str] = field(default_factory=dict)  # content -> why added/removed


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[Key] = field(default_factory=list)


class Provider(Protocol):
    description: str

    def fetch(self, keys: Sequence[Key]) -> dict[Key, RRSetView]:
        """The current RRsets at `keys` (an absent RRset is an empty view)."""
        ...

    def apply(self, changes: Sequence[Change]) -> list[Change]:
        """Apply `changes`; return them as applied (created ones carry their new id)."""
        ...

    def close(self) -> None: ...


def plan(desired: Mapping[Key, Desired], current: Mapping[Key, RRSetView]) -> Plan:
    """The smallest change from `current` to `desired`. Creates come before deletes."""
    out = Plan()
    creates: list[Change] = []
    deletes: list[Change] = []
    updates: list[Change] = []
    for key, want in desired.items():
        name, rtype = key
        view = current.get(key, RRSetView(name, rtype))
        if not view.manageable:
            out.skipped.append(key)
            out.warnings.append(
                f"{name} {rtype}: not managed by this tool, left alone: {view.note}"
            )
            continue
        wanted = set(want.contents)
        owned = [r for r in view.records if r.owned]
        foreign = [r for r in view.records if not r.owned]
        for r in foreign:
            if r.content not in wanted:
                out.warnings.append(
                    f"{name} {rtype} {r.content}: record not owned by this tool stays published"
                )
        have = {r.content for r in view.records}
        for content in want.contents:
            if content not in have:
                creates.append(
                    Change(
                        "create",
                        name,
                        rtype,
                        content,
                        want.ttl,
                        None,
                        want.reasons.get(content, ""),
                    )
                )
        seen: set[str] = set()
        for r in owned:
            if r.content not in wanted or r.content in seen:
                reason = want.reasons.get(r.content, "") if r.content not in seen else "duplicate"
                deletes.append(Change("delete", name, rtype, r.content, r.ttl, r.id, reason))
                continue
            seen.add(r.content)
            if r.ttl != want.ttl:
                updates.append(
                    Change("update", name, rtype, r.content, want.ttl, r.id, f"ttl {r.ttl}")
                )
    out.changes = creates + updates + deletes
    return out


def apply_to_view(
    current: Mapping[Key, RRSetView], applied: Iterable[Change]
) -> dict[Key, RRSetView]:
    """The provider's state after `applied` succeeded (so no re-read is needed)."""
    views = dict(current)
    for ch in applied:
        key = (ch.name, ch.type)
        view = views.get(key, RRSetView(ch.name, ch.type))
        records = list(view.records)
        if ch.action == "create":
            records.append(Record(ch.name, ch.type, ch.content, ch.ttl, True, ch.id))
        elif ch.action == "delete":
            for i, r in enumerate(records):
                if r.owned and r.content == ch.content and (ch.id is None or r.id == ch.id):
                    del records[i]
                    break
        else:
            records = [
                replace(r, ttl=ch.ttl) if r.owned and r.content == ch.content else r
                for r in records
            ]
        views[key] = replace(view, records=tuple(records))
    return views
