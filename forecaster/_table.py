"""A parameter table's row: default, allowed interval, unit and meaning.

Each model states its parameter table (:meth:`forecaster.models.Model.parameters`); priors
are checked against the table of the model they are for, so a range is stated once.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping

import numpy as np


@dataclasses.dataclass(frozen=True)
class ParameterSpec:
    """A parameter's default, allowed interval, unit and meaning (one row of a model's
    parameter table)."""

    default: float
    low: float
    high: float
    low_open: bool
    high_open: bool
    unit: str
    meaning: str

    def contains(self, value: np.ndarray | float) -> np.ndarray:
        value = np.asarray(value, dtype=float)
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above & below

    def describe(self) -> str:
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        return f"a number in {left}{_fmt(self.low)}, {_fmt(self.high)}{right}"


def _fmt(x: float) -> str:
    return "inf" if math.isinf(x) else ("-inf" if x == -math.inf else f"{x:g}")


ParameterTable = Mapping[str, ParameterSpec]
