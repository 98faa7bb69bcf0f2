"""SMTP settings: YAML file, WATCLOUD_SMTP_* variables, secrets never from the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from watcloud.core.errors import ConfigError
from watcloud.notify import load_notify_config
from watcloud.notify.config import ENV_KEYS, NotifyConfig

ENV = ["WATCLOUD_SMTP_" + k for k in ENV_KEYS] + ["WATCLOUD_SMTP_PASSWORD"]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ENV:
        monkeypatch.delenv(var, raising=False)


def test_defaults_without_file_or_env():
    s = load_notify_config()
    assert s == NotifyConfig()
    assert (s.host, s.security, s.effective_port, s.pool_size) == ("localhost", "starttls", 587, 4)
    assert s.spool is None and s.rate_per_second is None


def test_env_only(monkeypatch: pytest.MonkeyPatch):
    for k, v in {
        "HOST": "smtp.example.org",
        "PORT": "2525",
        "SECURITY": "tls",
        "USERNAME": "u",
        "PASSWORD": "pw",
        "FROM": "Ops <ops@example.org>",
    }.items():
        monkeypatch.setenv(f"WATCLOUD_SMTP_{k}", v)
    s = load_notify_config()
    assert (s.host, s.effective_port, s.security, s.username) == (
        "smtp.example.org",
        2525,
        "tls",
        "u",
    )
    assert s.sender == "Ops <ops@example.org>" and s.envelope_sender == "ops@example.org"
    assert s.resolve_password() == "pw"
    assert "pw" not in repr(s)


def test_file_then_env_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cfg = tmp_path / "notify.yaml"
    cfg.write_text(
        "smtp:\n  host: relay.example.org\n  security: none\n  from: a@example.org\n"
        "  pool_size: 8\n  messages_per_connection: 50\n  rate_per_second: 5\n"
        "  rate_per_minute: 120\n  password_file: secret.txt\n  spool: /tmp/x.sqlite\n"
    )
    (tmp_path / "secret.txt").write_text("s3cret\n")
    monkeypatch.setenv("WATCLOUD_SMTP_HOST", "override.example.org")
    s = load_notify_config(cfg)
    assert s.host == "override.example.org" and s.effective_port == 25
    assert (s.pool_size, s.messages_per_connection, s.rate_per_second, s.rate_per_minute) == (
        8,
        50,
        5,
        120,
    )
    assert s.password_file == tmp_path / "secret.txt"  # relative to the config file
    assert s.resolve_password() == "s3cret"


def test_default_config_path_is_read(monkeypatch: pytest.MonkeyPatch):
    from watcloud.core.paths import default_config_path

    path = default_config_path("notify")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("smtp:\n  host: from-default.example.org\n")
    assert load_notify_config().host == "from-default.example.org"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("smtp:\n  password: hunter2\n", "secrets are not read from the config file"),
        ("smtp:\n  prot: 25\n", "key 'smtp.prot': unknown key"),
        ("smtp:\n  port: lots\n", "key 'smtp.port'"),
        ("smtp:\n  security: ssl\n", "key 'smtp.security'"),
        ("smtp:\n  from: not-an-address\n", "'from' must be an email address"),
        ("smtp:\n  from: Wät <ü@example.org>\n", "must be ASCII"),
        ("smtp: [1, 2\n", "invalid YAML"),
        ("- a\n- b\n", "expected a mapping"),
        ("smpt:\n  host: x\n", "key 'smpt': unknown key"),
    ],
)
def test_bad_config_is_one_line_config_error(tmp_path: Path, text: str, needle: str):
    cfg = tmp_path / "notify.yaml"
    cfg.write_text(text)
    with pytest.raises(ConfigError) as exc:
        load_notify_config(cfg)
    msg = str(exc.value)
    assert needle in msg and "\n" not in msg and str(cfg) in msg


def test_missing_file_and_bad_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with pytest.raises(ConfigError, match="config file not found"):
        load_notify_config(tmp_path / "nope.yaml")
    monkeypatch.setenv("WATCLOUD_SMTP_PORT", "seventy")
    with pytest.raises(ConfigError, match=r"WATCLOUD_SMTP_\* environment: key 'port'"):
        load_notify_config()


def test_missing_password_file_is_config_error(tmp_path: Path):
    s = NotifyConfig(username="u", password_file=tmp_path / "missing")
    with pytest.raises(ConfigError, match="cannot read secret file"):
        s.resolve_password()
