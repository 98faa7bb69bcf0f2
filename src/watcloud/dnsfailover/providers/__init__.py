"""DNS providers: Cloudflare (official SDK) and RFC 2136 dynamic updates with TSIG (dnspython)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from watcloud.dnsfailover.config import DnsFailoverConfig
    from watcloud.dnsfailover.reconcile import Provider


def make_provider(config: DnsFailoverConfig) -> Provider:
    """The provider the config names (its SDK imported only now)."""
    from watcloud.dnsfailover.config import CloudflareConfig

    if isinstance(config.provider, CloudflareConfig):
        from watcloud.dnsfailover.providers.cloudflare import CloudflareProvider

        return CloudflareProvider(config.provider, owner_id=config.owner_id)
    from watcloud.dnsfailover.providers.rfc2136 import Rfc2136Provider

    return Rfc2136Provider(config.provider, owner_id=config.owner_id)
