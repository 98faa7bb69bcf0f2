"""RFC 2136 dynamic updates signed with TSIG (BIND, Knot, PowerDNS), with dnspython.

Ownership, as external-dns does it: beside each RRset it manages, the tool keeps a TXT record
`<owner_prefix>-<type>.<fqdn>` = "heritage=watcloud-dnsfailover,owner=<owner_id>". An RRset
with that TXT is ours; an RRset without it (or with another owner's) is left alone. Every
update carries prerequisites (RFC 2136 section 2.4) so that a concurrent change by someone else
makes the server refuse the whole update instead of mixing the two.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring
import dns.update

from watcloud.core.backoff import backoff_delays
from watcloud.dnsfailover.config import Rfc2136Config
from watcloud.dnsfailover.reconcile import Change, Key, ProviderError, Record, RRSetView

HERITAGE = "heritage=watcloud-dnsfailover"
_RETRY_RCODES = {dns.rcode.SERVFAIL}


class Rfc2136Provider:
    def __init__(
        self,
        cfg: Rfc2136Config,
        *,
        owner_id: str = "default",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.cfg = cfg
        self.owner_id = owner_id
        self.sleep = sleep
        self.description = f"rfc2136 {cfg.server}:{cfg.port} zone {cfg.zone}"
        self.zone = dns.name.from_text(cfg.zone)
        self.keyring: Any = None
        self.keyname: dns.name.Name | None = None
        secret = cfg.tsig_secret()
        if cfg.tsig_key_name is not None and secret is not None:
            try:
                self.keyring = dns.tsigkeyring.from_text({cfg.tsig_key_name: secret})
            except Exception as exc:
                from watcloud.core.errors import ConfigError

                raise ConfigError(f"TSIG secret for {cfg.tsig_key_name}: {exc}") from None
            self.keyname = dns.name.from_text(cfg.tsig_key_name)
        self.owner_txt = f'"{HERITAGE},owner={owner_id}"'
        self._ours: set[Key] = set()  # RRsets whose ownership TXT we saw or wrote

    def owner_name(self, name: str, rtype: str) -> str:
        return f"{self.cfg.owner_prefix}-{rtype.lower()}.{name}"

    @staticmethod
    def _abs(name: str) -> dns.name.Name:
        return dns.name.from_text(name)  # absolute (the update's zone is no origin for it)

    # -- reading -------------------------------------------------------------------------
    def _query(self, name: str, rtype: str) -> dns.message.Message:
        q = dns.message.make_query(name, rtype)
        q.flags &= ~0x0100  # no recursion: we ask the primary about its own zone
        return self._send(q, f"query {name} {rtype}")

    def _send(self, msg: dns.message.Message, what: str) -> dns.message.Message:
        delays = list(backoff_delays(self.cfg.attempts, self.cfg.backoff, 10.0))
        last = ""
        for attempt in range(self.cfg.attempts):
            waited = False
            try:
                resp = dns.query.tcp(
                    msg, self.cfg.server, timeout=self.cfg.timeout, port=self.cfg.port
                )
            except dns.tsig.PeerError as exc:  # not transient: no retry
                raise ProviderError(
                    f"{self.description}: {what}: TSIG refused by the server ({exc}); check the "
                    "key name, algorithm and secret"
                ) from None
            except (dns.exception.DNSException, OSError) as exc:
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                # A timed-out try already waited `timeout` without loading the server: the next
                # one starts at once, so a server that resumes (a hung, SIGSTOPped knotd) finds a
                # query waiting for it instead of a client asleep in its backoff.
                waited = isinstance(exc, dns.exception.Timeout)
            else:
                if resp.rcode() not in _RETRY_RCODES:
                    return resp
                last = dns.rcode.to_text(resp.rcode())
            if attempt < self.cfg.attempts - 1 and not waited:
                self.sleep(delays[attempt])
        raise ProviderError(f"{self.description}: {what}: {last} (after {self.cfg.attempts} tries)")

    def _rrset(self, name: str, rtype: str) -> tuple[list[str], int]:
        resp = self._query(name, rtype)
        rcode = resp.rcode()
        if rcode == dns.rcode.NXDOMAIN:
            return [], 0
        if rcode != dns.rcode.NOERROR:
            raise ProviderError(
                f"{self.description}: query {name} {rtype}: {dns.rcode.to_text(rcode)}"
            )
        qname = dns.name.from_text(name)
        want = dns.rdatatype.from_text(rtype)
        for rrset in resp.answer:
            if rrset.name == qname and rrset.rdtype == want:
                return [r.to_text() for r in rrset], int(rrset.ttl)
        return [], 0

    def fetch(self, keys: Sequence[Key]) -> dict[Key, RRSetView]:
        views: dict[Key, RRSetView] = {}
        for name, rtype in keys:
            contents, ttl = self._rrset(name, rtype)
            txts, _ = self._rrset(self.owner_name(name, rtype), "TXT")
            heritage = [t for t in txts if HERITAGE in t]
            ours = self.owner_txt in txts
            if ours:
                self._ours.add((name, rtype))
                records = tuple(Record(name, rtype, c, ttl, True) for c in contents)
                views[(name, rtype)] = RRSetView(name, rtype, records)
                continue
            self._ours.discard((name, rtype))
            records = tuple(Record(name, rtype, c, ttl, False) for c in contents)
            if heritage:
                note = f"owned by another instance ({heritage[0]})"
                views[(name, rtype)] = RRSetView(name, rtype, records, False, note)
            elif contents:
                note = (
                    f"RRset exists without ownership TXT {self.owner_name(name, rtype)}; "
                    "add it to hand the RRset over"
                )
                views[(name, rtype)] = RRSetView(name, rtype, records, False, note)
            else:
                views[(name, rtype)] = RRSetView(name, rtype, ())
        return views

    # -- writing -------------------------------------------------------------------------
    def apply(self, changes: Sequence[Change]) -> list[Change]:
        if not changes:
            return []
        upd = dns.update.UpdateMessage(
            self.zone,
            keyring=self.keyring,
            keyname=self.keyname,
            keyalgorithm=self.cfg.tsig_algorithm,
        )
        keys = sorted({(c.name, c.type) for c in changes})
        for name, rtype in keys:
            owner = self._abs(self.owner_name(name, rtype))
            rr = self._abs(name)
            if (name, rtype) in self._ours:
                rds = dns.rdataset.from_text(
                    dns.rdataclass.IN, dns.rdatatype.TXT, 0, self.owner_txt
                )
                upd.present(owner, rds)
            else:
                # Taking an empty RRset: it must still be empty and unclaimed.
                upd.absent(rr, rtype)
                upd.absent(owner, "TXT")
                ttl = max(c.ttl for c in changes if (c.name, c.type) == (name, rtype))
                upd.add(owner, ttl, "TXT", self.owner_txt)
        for ch in changes:
            if ch.action in ("delete", "update"):
                upd.delete(self._abs(ch.name), ch.type, ch.content)
            if ch.action in ("create", "update"):
                upd.add(self._abs(ch.name), ch.ttl, ch.type, ch.content)
        resp = self._send(upd, f"update of {len(changes)} record(s)")
        rcode = resp.rcode()
        if rcode != dns.rcode.NOERROR:
            text = dns.rcode.to_text(rcode)
            hint = {
                "NOTAUTH": " (TSIG key refused or server not authoritative)",
                "REFUSED": " (update policy refused it: check the TSIG key and the zone's ACL)",
                "YXRRSET": " (changed concurrently by someone else; will re-read)",
                "NXRRSET": " (changed concurrently by someone else; will re-read)",
                "YXDOMAIN": " (changed concurrently by someone else; will re-read)",
            }.get(text, "")
            raise ProviderError(f"{self.description}: update refused: {text}{hint}")
        self._ours.update(keys)
        return list(changes)

    def close(self) -> None:
        pass
