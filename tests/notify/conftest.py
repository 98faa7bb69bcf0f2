"""Fixtures for notify: a real SMTP relay (aiosmtpd) on 127.0.0.1, settings pointing at it."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import missing


@pytest.fixture
def relay_factory() -> Iterator[Callable[..., object]]:
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        missing("aiosmtpd is not installed (pip install -e '.[test]')")
    from watcloud.notify.testing import SmtpRelay

    started: list[SmtpRelay] = []

    def make(behaviour: object = None, **kwargs: object) -> SmtpRelay:
        relay = SmtpRelay(behaviour, **kwargs).start()  # type: ignore[arg-type]
        started.append(relay)
        return relay

    yield make
    for relay in started:
        relay.stop()


@pytest.fixture
def settings_for(tmp_path: Path) -> Callable[..., object]:
    from watcloud.notify.config import NotifyConfig

    def make(relay: object, **overrides: object) -> NotifyConfig:
        base: dict[str, object] = {
            "host": "127.0.0.1",
            "port": relay.port,  # type: ignore[attr-defined]
            "security": "none",
            "sender": "WATcloud <no-reply@watcloud.test>",
            "timeout": 10.0,
            "backoff_base": 0.01,
            "backoff_cap": 0.05,
            # The library's default is a spool in the tool's state directory; tests about the
            # pool alone turn it off, tests about the spool pass one.
            "spool": False,
        }
        base.update(overrides)
        return NotifyConfig(**base)  # type: ignore[arg-type]

    return make


class Sleeps:
    """An injected sleep: records every delay; really sleeps `scale` times it (0 = not at all)."""

    def __init__(self, scale: float = 0.0) -> None:
        self.scale = scale
        self.calls: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, seconds: float) -> None:
        import time

        with self._lock:
            self.calls.append(seconds)
        if self.scale:
            time.sleep(seconds * self.scale)


def expected_copies(msgs: list[object]) -> set[tuple[str, str]]:
    """(X-Watcloud-Id, recipient) of every copy `msgs` should produce: one per recipient."""
    from watcloud.notify.smtp import copy_id

    out: set[tuple[str, str]] = set()
    for m in msgs:
        to = m.to  # type: ignore[attr-defined]
        key = m.id  # type: ignore[attr-defined]
        for r in to:
            out.add((key if len(set(to)) == 1 else copy_id(key, r), r))
    return out
