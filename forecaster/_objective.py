"""What a forecast returns to a Hydra sweeper (``objective=...``): one number of its summary.

``objective`` names an event of the run's probability grid (``P(>=3y in 12m)``), a flag
(``accelerated``, ``reached_ceiling``: its probability) or a dotted path into summary.json
(``headline.median_peak_speedup``). The task returns that float, so sweeper plugins such as
Optuna can search priors for it. Checked before any work where the config alone decides.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ._config import ForecastPlan
from ._errors import ConfigError
from ._events import Event, event_names

_ALLOWED = (
    "an event of the run's grid (e.g. 'P(>=3y in 12m)'), a flag ({flags}) or a dotted path to "
    "a number in summary.json (e.g. 'headline.median_peak_speedup')"
)


def check_objective(objective: Any, plan: ForecastPlan) -> str | None:
    """``objective`` as given, or None; refuses an event that is not on the plan's grid."""
    if objective is None:
        return None
    names = event_names(plan.model.outcomes(), plan.windows_months, plan.progress_years)
    if not isinstance(objective, str) or not objective.strip():
        raise ConfigError("objective", objective, _allowed(plan))
    if objective.startswith("P(") and objective not in names:
        grid = names[:4]
        raise ConfigError("objective", objective, f"an event of the run's grid, e.g. {grid}")
    return objective


def objective_value(summary: Mapping[str, Any], objective: str) -> float:
    """The number ``objective`` names in ``summary``.

    Raises:
        ConfigError: the path names nothing, or something that is not a finite number here.
    """
    value: Any
    if objective.startswith("P("):
        value = next(
            (
                r["p"]
                for r in summary["probabilities"]
                if Event(r["years"], r["window_months"]).name == objective
            ),
            None,
        )
    elif objective in (summary.get("flags") or {}):
        value = summary["flags"][objective].get("p")
    else:
        value = summary
        for part in objective.split("."):
            if not isinstance(value, Mapping) or part not in value:
                raise ConfigError("objective", objective, _allowed())
            value = value[part]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(
            "objective",
            objective,
            f"a name of a finite number in this run's summary (got {value!r})",
        )
    return float(value)


def _allowed(plan: ForecastPlan | None = None) -> str:
    flags = "its flags" if plan is None else ", ".join(f.name for f in plan.model.outcomes().flags)
    return _ALLOWED.format(flags=flags)
