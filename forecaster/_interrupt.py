"""Ctrl-C that cannot be lost.

Python turns SIGINT into a KeyboardInterrupt in whatever Python frame runs at that moment.
Raised inside a garbage-collection callback (JAX installs one) or a ``__del__``, it is printed
as "Exception ignored" and lost, and the run would go on to report success. :func:`install`
(an opt-in process switch: the command line calls it, importing forecaster does not) records
every SIGINT as well; :func:`check` raises it again where work can stop cleanly (after each
checkpoint of a forecast) and before the command line reports success, and a fault that
follows a recorded SIGINT (a library left half-done by it) is reported as the interrupt.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

_requested = False
_deferring = False


def _handler(signum: int, frame: Any) -> None:
    global _requested
    _requested = True
    if not _deferring:
        raise KeyboardInterrupt


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Inside: a SIGINT is only recorded; on leaving: raised. For imports, where a
    KeyboardInterrupt mid-module leaves a library half-initialised (and some libraries catch
    it and go on): importing JAX takes a second or two, so a Ctrl-C waits that long at most."""
    global _deferring
    before, _deferring = _deferring, True
    try:
        yield
    finally:
        _deferring = before
    check()


def _unraisable(info: Any) -> None:
    """A KeyboardInterrupt Python could not raise is recorded, not printed as a traceback;
    anything else goes to the hook that was there before."""
    if isinstance(info.exc_value, KeyboardInterrupt) and _requested:
        return
    _previous_hook(info)


_previous_hook = sys.unraisablehook


def install() -> None:
    """Record SIGINT as well as raising KeyboardInterrupt, and keep the one a callback could
    not raise out of the terminal (main thread only; a no-op in any other thread, where
    Python allows no signal handler)."""
    if threading.current_thread() is threading.main_thread():
        global _previous_hook
        signal.signal(signal.SIGINT, _handler)
        if sys.unraisablehook is not _unraisable:
            _previous_hook, sys.unraisablehook = sys.unraisablehook, _unraisable


def requested() -> bool:
    """Whether a SIGINT arrived since :func:`install`."""
    return _requested


def check() -> None:
    """Raise KeyboardInterrupt if a SIGINT arrived (one an ignored callback swallowed)."""
    if _requested:
        raise KeyboardInterrupt
