"""Typed names of what a forecast counts: its binary events and its quantile series.

An event's or a series' name is made here and nowhere else; code that needs the numbers
behind a name (the years, the window) reads them from these values, never from the text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .models import Declared

SeriesKind = Literal["", "window", "progress"]


@dataclasses.dataclass(frozen=True, order=True)
class Event:
    """At least ``years`` years of AI progress within a window of ``window_months``."""

    years: float
    window_months: float

    @property
    def name(self) -> str:
        """``P(>=3y in 12m)``: the event's name in summaries, tables and sensitivity rows."""
        return f"P(>={self.years:g}y in {self.window_months:g}m)"

    def __str__(self) -> str:
        return self.name


def grid_events(windows_months: Sequence[float], progress_years: Sequence[float]) -> list[Event]:
    """The probability grid in the engine's accumulator order (window-major)."""
    return [Event(float(y), float(w)) for w in windows_months for y in progress_years]


def event_names(
    declared: Declared, windows_months: Sequence[float], progress_years: Sequence[float]
) -> list[str]:
    """Names of every binary event the engine counts, in accumulator order: the grid's (when
    the model declares one), then its flags."""
    grid = grid_events(windows_months, progress_years) if declared.grid is not None else []
    return [e.name for e in grid] + [flag.name for flag in declared.flags]


@dataclasses.dataclass(frozen=True)
class Series:
    """One series of a quantile table: a progress level, a window, or the outcome itself."""

    kind: SeriesKind = ""
    value: float | None = None

    @property
    def label(self) -> str:
        if self.kind == "window":
            return f"window {self.value:g} months"
        if self.kind == "progress":
            return f"{self.value:g} years of progress"
        return ""

    def columns(self) -> dict[str, float | str | None]:
        """The row fields naming this series: its label and its number, typed."""
        return {
            "series": self.label,
            "years": self.value if self.kind == "progress" else None,
            "window_months": self.value if self.kind == "window" else None,
        }
