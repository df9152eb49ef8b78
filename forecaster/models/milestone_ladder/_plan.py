"""A scenario's milestone ladder, checked: ``scenario.milestones`` into a
:class:`~forecaster._ladder.Ladder` and the parameter table of its gaps.

A ladder scenario (``model: milestone_ladder``) names its milestones in order, each with its AI
R&D progress multiplier, and gives a prior (or a formula) for each gap::

    milestones:
      - {name: SC, speedup: 5}
      - {name: SAR, speedup: 25}
    params:
      gap_SAR: {dist: log_normal, low: 1.5, high: 10, coverage: 0.8, p_mass: 0.15}

Progress is counted in years of human-only progress, so the ladder fixes Ts = 1 year,
software_share = 1 and f = the first milestone's speed-up: a year of progress is one unit of
x, and the speed-up is the rate. The general law's other parameters do not enter a ladder,
so setting one is refused rather than ignored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from ... import _validate as check
from ..._errors import ConfigError
from ..._table import ParameterSpec, ParameterTable
from ..general_law._parameters import PARAMETERS
from ._ladder import Ladder

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,31}$")
#: Model parameters a ladder sets itself.
LADDER_SETS = ("f", "Ts", "software_share")
GAP = ParameterSpec(
    1.0, 0.0, math.inf, False, True, "years of human-only progress", "gap to a milestone"
)


def plan_ladder(s: Mapping[str, Any]) -> tuple[Ladder, dict[str, Any], dict[str, ParameterSpec]]:
    """(ladder, the prior specs with what the ladder fixes, the parameter table) of a
    milestone-ladder scenario.

    Raises:
        ConfigError: naming the first value that is not allowed.
    """
    items = s.get("milestones")
    if not isinstance(items, list) or len(items) < 2:
        raise ConfigError(
            "scenario.milestones", items, "a list of at least two {name, speedup} mappings"
        )
    names, speedups = [], []
    for i, item in enumerate(items):
        field = f"scenario.milestones[{i}]"
        if not isinstance(item, Mapping) or set(item) != {"name", "speedup"}:
            raise ConfigError(field, item, "a mapping {name: <name>, speedup: <multiplier>}")
        name = item["name"]
        if not isinstance(name, str) or not _NAME.match(name) or name in names:
            raise ConfigError(
                f"{field}.name", name, "a new name of letters and digits, e.g. SAR (unique)"
            )
        names.append(name)
        speedups.append(check.number(f"{field}.speedup", item["speedup"], 0.0, 1e12))
    cap = s.get("phase_cap_years")
    if cap is not None:
        cap = check.positive("scenario.phase_cap_years", cap)
    ladder = Ladder(tuple(names), tuple(speedups), cap, _overflow(s))
    params = dict(s.get("params") or {})
    for key in LADDER_SETS:
        if key in params:
            raise ConfigError(
                f"scenario.params.{key}",
                params[key],
                "not set with a ladder (Ts = 1 year, software_share = 1, f = the first "
                "milestone's speed-up)",
            )
    table = {name: GAP for name in ladder.gaps}
    for key in params:
        if key not in table:
            raise ConfigError(
                f"scenario.params.{key}",
                key,
                f"a gap of the ladder, one of {list(table)} (other names go in scenario.latent)",
            )
    for name in ladder.gaps:
        if name not in params:
            raise ConfigError(f"scenario.params.{name}", None, "a prior (required)")
    fixed = {"f": speedups[0], "Ts": 1.0, "software_share": 1.0}
    return ladder, {**params, **fixed}, dict(ladder_table(ladder))


def ladder_table(ladder: Ladder) -> ParameterTable:
    """A ladder's parameter table: its gaps, and what it fixes itself."""
    return {name: GAP for name in ladder.gaps} | {key: PARAMETERS[key] for key in LADDER_SETS}


def _overflow(s: Mapping[str, Any]) -> tuple[float, float] | None:
    """``phase_overflow_years`` and ``overflow_year`` as (P, years after the start)."""
    longest, year = s.get("phase_overflow_years"), s.get("overflow_year")
    if longest is None and year is None:
        return None
    if longest is None or year is None or s.get("start_year") is None:
        raise ConfigError(
            "scenario.phase_overflow_years",
            longest,
            "set together with overflow_year and start_year (or all null)",
        )
    longest = check.positive("scenario.phase_overflow_years", longest)
    year = check.number("scenario.overflow_year", year, float(s["start_year"]), 1e5)
    return longest, year - float(s["start_year"])
