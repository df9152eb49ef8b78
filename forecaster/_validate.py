"""One place for the checks every config layer makes on a user's value.

Config, priors, timelines and calibration all check numbers, integers, booleans, choices
and lists the same way; each check returns the value in its Python type or raises
:class:`~forecaster.ConfigError` naming the field, the value and what is allowed. A bool is
never a number here (YAML's ``true`` is not 1).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np

from ._errors import ConfigError

T = TypeVar("T")


def is_number(value: Any) -> bool:
    """A real number (Python or NumPy), not a bool."""
    return not isinstance(value, bool | np.bool_) and isinstance(
        value, int | float | np.integer | np.floating
    )


def _bounds(low: float, high: float, low_open: bool, high_open: bool) -> str:
    left = "(" if low_open else "["
    right = ")" if high_open else "]"
    return f"{left}{fmt(low)}, {fmt(high)}{right}"


def fmt(x: float) -> str:
    """A bound as a person writes it: ``inf``, ``-inf`` or ``%g``."""
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:g}"


def number(
    field: str,
    value: Any,
    low: float = -math.inf,
    high: float = math.inf,
    *,
    low_open: bool = True,
    high_open: bool = True,
    allowed: str | None = None,
) -> float:
    """``value`` as a float inside the interval; NaN is never inside.

    With the default open bounds at +-inf, any finite number passes.
    """
    if is_number(value):
        v = float(value)
        above = v > low if low_open else v >= low
        below = v < high if high_open else v <= high
        if above and below:
            return v
    raise ConfigError(
        field, value, allowed or f"a number in {_bounds(low, high, low_open, high_open)}"
    )


def finite(field: str, value: Any) -> float:
    """A finite number."""
    return number(field, value, allowed="a finite number")


def positive(field: str, value: Any) -> float:
    """A finite number > 0."""
    return number(field, value, 0.0, allowed="a number > 0 (positive)")


def integer(field: str, value: Any, low: int, high: int | None = None) -> int:
    """An integer in [low, high], or >= low without ``high`` (a float such as 2.0 is refused:
    counts are whole)."""
    whole = not isinstance(value, bool) and isinstance(value, int | np.integer)
    if whole and low <= value and (high is None or value <= high):
        return int(value)
    raise ConfigError(
        field, value, f"an integer >= {low}" if high is None else f"an integer in [{low}, {high}]"
    )


def boolean(field: str, value: Any) -> bool:
    """``true`` or ``false`` (not 0/1, not a string)."""
    if not isinstance(value, bool):
        raise ConfigError(field, value, "true or false")
    return value


def choice(field: str, value: Any, allowed: Sequence[T]) -> T:
    """One of ``allowed``."""
    if isinstance(value, bool) or value not in allowed:
        raise ConfigError(field, value, f"one of {list(allowed)}")
    return value


def text(field: str, value: Any) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value:
        raise ConfigError(field, value, "a string (non-empty)")
    return value


_SEGMENT = re.compile(r"^[A-Za-z0-9_+-][A-Za-z0-9_.+-]{0,99}$")
SEGMENT_ALLOWED = (
    "a name usable as one directory: 1-100 letters, digits, _ . + -, not starting with '.'"
)


def path_segment(field: str, value: Any) -> str:
    """A user string that becomes one path component: no separator, no ``..``, no leading dot,
    so the directory it names stays inside its parent."""
    if not isinstance(value, str) or not _SEGMENT.match(value):
        raise ConfigError(field, value, SEGMENT_ALLOWED)
    return value


def ordered(field: str, low: float, high: float) -> None:
    """``low < high`` for an interval whose upper end is ``field``."""
    if not low < high:
        raise ConfigError(field, high, f"a number > low ({low:g})")


def positive_list(field: str, value: Any, upper: float | None = None) -> tuple[float, ...]:
    """A non-empty list of distinct positive finite numbers, each at most ``upper``."""
    if not isinstance(value, list | tuple) or not value:
        raise ConfigError(field, value, "a non-empty list of positive numbers")
    out = []
    for item in value:
        if not is_number(item) or not 0 < item < math.inf:
            raise ConfigError(field, value, "a non-empty list of positive numbers")
        if upper is not None and item > upper:
            raise ConfigError(field, value, f"numbers no larger than {upper:g}")
        out.append(float(item))
    if len(set(out)) != len(out):
        raise ConfigError(field, value, "a list without repeated values")
    return tuple(out)
