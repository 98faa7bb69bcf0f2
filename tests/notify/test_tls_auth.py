"""STARTTLS, implicit TLS and AUTH against aiosmtpd with a throwaway certificate."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import require_binary
from tests.notify.conftest import Sleeps
from watcloud.notify import Message, send_batch
from watcloud.notify.smtp import deliver
from watcloud.notify.testing import RelayBehaviour, self_signed_cert, server_tls_context

pytestmark = pytest.mark.integration


@pytest.fixture
def cert(tmp_path: Path) -> tuple[Path, Path]:
    require_binary("openssl")
    return self_signed_cert(tmp_path)


def _msg(subject: str = "secure") -> Message:
    return Message(to=["a@example.org"], subject=subject, text="t")


def test_starttls_with_auth_and_password_from_env(relay_factory, settings_for, cert, monkeypatch):
    crt, key = cert
    relay = relay_factory(
        RelayBehaviour(users={"watcloud": "hunter2"}),
        tls_context=server_tls_context(crt, key),
        require_starttls=True,
    )
    monkeypatch.setenv("WATCLOUD_SMTP_PASSWORD", "hunter2")
    settings = settings_for(relay, security="starttls", ca_file=crt, username="watcloud")
    report = deliver([_msg(), _msg("two")], settings)
    assert [r.status for r in report.results] == ["sent", "sent"]
    assert relay.auth_ok and set(relay.auth_ok) == {"watcloud"}
    assert len(relay.delivered) == 2
    # One TCP connection per worker (STARTTLS upgrades it, it is not a second one).
    assert relay.connections == report.stats.connections_opened == len(relay.auth_ok) <= 2


def test_password_from_file(relay_factory, settings_for, cert, tmp_path, monkeypatch):
    crt, key = cert
    relay = relay_factory(
        RelayBehaviour(users={"watcloud": "from-file"}), tls_context=server_tls_context(crt, key)
    )
    monkeypatch.delenv("WATCLOUD_SMTP_PASSWORD", raising=False)
    pw = tmp_path / "smtp-password"
    pw.write_text("from-file\n")
    settings = settings_for(
        relay, security="starttls", ca_file=crt, username="watcloud", password_file=pw
    )
    [r] = send_batch([_msg()], settings)
    assert r.status == "sent" and relay.auth_ok == ["watcloud"]


def test_implicit_tls(relay_factory, settings_for, cert):
    crt, key = cert
    relay = relay_factory(security="tls", tls_context=server_tls_context(crt, key))
    [r] = send_batch([_msg()], settings_for(relay, security="tls", ca_file=crt))
    assert r.status == "sent" and len(relay.delivered) == 1


def test_wrong_password_stops_the_run_and_keeps_messages(
    relay_factory, settings_for, cert, tmp_path
):
    crt, key = cert
    relay = relay_factory(
        RelayBehaviour(users={"watcloud": "right"}), tls_context=server_tls_context(crt, key)
    )
    settings = settings_for(
        relay,
        security="starttls",
        ca_file=crt,
        username="watcloud",
        password="wrong",
        spool=tmp_path / "s.sqlite",
    )
    sleeps = Sleeps()
    report = deliver([_msg(f"m{i}") for i in range(10)], settings, sleep=sleeps)
    assert {r.status for r in report.results} == {"spooled"}
    assert report.fatal is not None and report.fatal.startswith("authentication failed: 535")
    assert sleeps.calls == [] and relay.delivered == []
    assert report.stats.connections_opened <= settings.pool_size


def test_untrusted_certificate_is_refused(relay_factory, settings_for, cert):
    crt, key = cert
    relay = relay_factory(tls_context=server_tls_context(crt, key))
    # No ca_file: the self-signed certificate is not trusted.
    [r] = send_batch([_msg()], settings_for(relay, security="starttls"))
    assert (
        r.status == "failed"
        and "STARTTLS" in (r.error or "")
        and "certificate" in (r.error or "").lower()
    )
    assert relay.delivered == []


def test_starttls_required_but_not_offered(relay_factory, settings_for):
    relay = relay_factory()  # no TLS context: no STARTTLS in EHLO
    [r] = send_batch([_msg()], settings_for(relay, security="starttls"))
    assert r.status == "failed" and "does not offer STARTTLS" in (r.error or "")
    assert relay.delivered == []
