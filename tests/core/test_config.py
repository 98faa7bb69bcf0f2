from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import Field

from watcloud.core.config import StrictModel, load_config, parse_config, read_secret
from watcloud.core.errors import ConfigError


class Inner(StrictModel):
    url: str = "https://example.invalid"
    timeout: float = Field(3.0, gt=0)


class Cfg(StrictModel):
    name: str = "x"
    inner: Inner = Inner()


def test_defaults_when_no_file(tmp_path: Path) -> None:
    cfg = load_config(Cfg, None, default_path=tmp_path / "absent.yaml")
    assert cfg.inner.timeout == 3.0


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"absent\.yaml: config file not found"):
        load_config(Cfg, tmp_path / "absent.yaml")


def test_error_names_file_key_and_expectation(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("inner:\n  timeout: -1\n")
    with pytest.raises(ConfigError) as exc:
        load_config(Cfg, path)
    msg = str(exc.value)
    assert str(path) in msg and "inner.timeout" in msg and "greater than 0" in msg
    assert "\n" not in msg


def test_unknown_key_is_an_error() -> None:
    with pytest.raises(ConfigError, match=r"key 'inner.timout': unknown key"):
        parse_config(Cfg, "inner: {timout: 2}", "c.yaml")


def test_invalid_yaml_names_line() -> None:
    with pytest.raises(ConfigError, match=r"c.yaml: line 2 column \d+: invalid YAML"):
        parse_config(Cfg, "a: 1\n b: [\n", "c.yaml")


def test_top_level_must_be_mapping() -> None:
    with pytest.raises(ConfigError, match="expected a mapping of options at top level, got a list"):
        parse_config(Cfg, "- 1\n- 2\n", "c.yaml")


def test_secret_from_env_then_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = tmp_path / "s"
    secret.write_text("from-file\n")
    monkeypatch.delenv("WC_TEST_SECRET", raising=False)
    assert read_secret("WC_TEST_SECRET", secret) == "from-file"
    monkeypatch.setenv("WC_TEST_SECRET", "from-env")
    assert read_secret("WC_TEST_SECRET", secret) == "from-env"
    monkeypatch.delenv("WC_TEST_SECRET")
    with pytest.raises(ConfigError, match="set WC_TEST_SECRET"):
        read_secret("WC_TEST_SECRET", None, required=True)
