"""Errors that end a command with a one-line message and exit 2 (bad usage, config, input)."""

from __future__ import annotations


class WatcloudError(Exception):
    """A user-facing error: printed as one line, exit code 2, never a traceback."""

    exit_code = 2


class ConfigError(WatcloudError):
    """A config file is missing, unreadable or invalid; the message names file, key, expectation."""


class InputError(WatcloudError):
    """Input data (a page, a report, a dataset line) is malformed."""
