"""The spool is on for every caller of the library, in the calling tool's state directory, and
off only when the config says so."""

from __future__ import annotations

import pytest

from watcloud.core.paths import state_dir
from watcloud.notify import Message, load_notify_config, send_batch
from watcloud.notify.config import NotifyConfig
from watcloud.notify.outbox import Outbox
from watcloud.notify.testing import RelayBehaviour

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(settings_for):
    """The conftest's settings with the library's default spool (None: the tool's state
    directory) and one attempt, so a busy mailbox is kept for the next run at once."""
    return lambda relay: settings_for(relay, spool=None, max_attempts=1)


def _busy(relay_factory):
    return relay_factory(
        RelayBehaviour(rcpt_replies={"a@example.org": ("452 4.2.2 mailbox full", 1)})
    )


def test_a_library_caller_gets_a_spool_in_its_tools_state_directory(relay_factory, settings):
    relay = _busy(relay_factory)
    msg = Message(to=["a@example.org"], subject="s", text="t")
    [r] = send_batch([msg], settings(relay), tool="expiry")
    assert r.status == "spooled"  # kept, not lost
    path = state_dir() / "expiry-outbox.sqlite"
    box = Outbox(path)
    assert [row["id"] for row in box.list_outbox()] == [msg.id]
    box.close()
    # The next call of that tool delivers it, once.
    [r] = send_batch([msg], settings(relay), tool="expiry")
    assert r.status == "sent" and len(relay.delivered) == 1
    [r] = send_batch([msg], settings(relay), tool="expiry")
    assert r.status == "duplicate" and len(relay.delivered) == 1


def test_the_tool_is_the_calling_watcloud_module(relay_factory, settings):
    """A caller that names no tool (outage's delivery code, say) gets its own package's
    spool: here code running as module `watcloud.outage.example`."""
    relay = relay_factory()
    namespace = {"__name__": "watcloud.outage.example"}
    exec(
        "from watcloud.notify import Message, send_batch\n"
        "def send(settings):\n"
        "    return send_batch([Message(to=['a@example.org'], subject='o', text='t')], settings)\n",
        namespace,
    )
    [r] = namespace["send"](settings(relay))  # type: ignore[operator]
    assert r.status == "sent"
    assert (state_dir() / "outage-outbox.sqlite").exists()
    assert not (state_dir() / "notify-outbox.sqlite").exists()


@pytest.mark.parametrize("how", ["yaml", "env"])
def test_only_explicit_config_turns_it_off(relay_factory, tmp_path, monkeypatch, how):
    relay = _busy(relay_factory)
    cfg = tmp_path / "notify.yaml"
    lines = f"smtp:\n  host: 127.0.0.1\n  port: {relay.port}\n  security: none\n"
    lines += "  max_attempts: 1\n"
    if how == "yaml":
        lines += "  spool: false\n"
    else:
        monkeypatch.setenv("WATCLOUD_SMTP_SPOOL", "off")
    cfg.write_text(lines)
    settings = load_notify_config(cfg)
    assert settings.spool is False
    [r] = send_batch([Message(to=["a@example.org"], subject="s", text="t")], settings)
    assert r.status == "failed"  # nowhere to keep it
    assert not state_dir().exists() or not list(state_dir().glob("*outbox*"))


def test_after_crash_setting(tmp_path, monkeypatch):
    from watcloud.core.errors import ConfigError

    cfg = tmp_path / "notify.yaml"
    cfg.write_text("smtp:\n  after_crash: resend\n")
    assert load_notify_config(cfg).after_crash == "resend"
    assert NotifyConfig().after_crash == "sent"  # the default: never twice
    monkeypatch.setenv("WATCLOUD_SMTP_AFTER_CRASH", "sometimes")
    with pytest.raises(ConfigError, match="after_crash"):
        load_notify_config(cfg)
