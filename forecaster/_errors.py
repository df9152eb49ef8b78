"""User-facing errors.

A :class:`ConfigError` is a user's mistake (a value out of range, an unknown preset, a
malformed data file, a missing path). The command line prints its one-line message and exits
with code 2, without a traceback; library users get an ordinary ``ValueError``.
"""

from __future__ import annotations

import sys
from typing import Any, NoReturn


class ConfigError(ValueError):
    """A configuration or input value is not allowed.

    The message always names the field, the value given and what is allowed.
    """

    def __init__(self, field: str, value: Any, allowed: str):
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}={value!r} is not allowed: {allowed}")


class EnvironmentFault(RuntimeError):
    """The machine cannot do what was asked (no such accelerator backend, a device that
    failed to start): not the user's input and not a bug. The command line prints its
    message in one line and exits with code 1."""


class Failure(SystemExit):
    """The exit :func:`fail` raises, carrying its line (a sweep records it per job)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(code)
        self.message = message


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line for a fault and exit with ``code`` (2: the user's mistake; 1: the
    environment or a bug; 130: Ctrl-C). A SystemExit, so that it passes through Hydra's
    callbacks (which turn an exception into a warning) to the command line."""
    print(f"forecaster: error: {message}", file=sys.stderr)
    raise Failure(code, message)
