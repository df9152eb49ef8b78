"""Davidson & Houlden's Speed-Up Calculator: how much faster software progresses on its
balanced growth path once AI R&D is fully automated, when there is no software-only
intelligence explosion (returns to cognitive labour r_cog < 1). Pure math, no I/O.

Software follows the semi-endogenous law g_S = L^a C_E^(1-a) S^(-1/r) (in growth rates on a
balanced path: g_S = r_cog g_L + r_comp g_C, with r_cog = r a and r_comp = r (1 - a) =
r_cog (1 - a) / a). Before automation research labour grows at an exogenous g_L^before:

    g_before = r_cog g_L^before + r_comp g_C.

After automation the researchers are AIs: their number scales with inference compute and their
quality with the software stock and training compute (S C^gamma), so g_L = (1 + gamma) g_C +
g_S, and the balanced path solves g_S = r_cog ((1 + gamma) g_C + g_S) + r_comp g_C:

    g_after = (r_cog (1 + gamma) + r_comp) g_C / (1 - r_cog)
            = r_cog (1/a + gamma) g_C / (1 - r_cog).

The speed-up is g_after / g_before; with r_cog >= 1 there is no balanced path (an explosion).
docs/MODEL.md section 4.4 has the derivation.
"""

from __future__ import annotations

import dataclasses
import math

from ... import _validate as check


@dataclasses.dataclass(frozen=True)
class SpeedUp:
    """The calculator's result; growth rates are per year (0.7 = 70%/yr).

    Attributes:
        g_before: software's growth rate before automation.
        g_after: its balanced growth rate after automation (+inf when explosive).
        speedup: g_after / g_before (+inf when explosive or g_before = 0).
        explosive: r_cog >= 1: no balanced path, a software-only intelligence explosion.
        r: the returns to software R&D implied, r_cog / a.
        r_compute: the returns to compute implied, r_cog (1 - a) / a.
    """

    g_before: float
    g_after: float
    speedup: float
    explosive: bool
    r: float
    r_compute: float


#: The calculator's inputs and their defaults (those of their web tool).
SPEEDUP_DEFAULTS: dict[str, float] = {
    "alpha": 0.4,
    "gamma": 1.0,
    "r_cog": 0.5,
    "g_labour_before": 0.7,
    "g_compute": 1.1,
}


def balanced_growth_speedup(
    alpha: float = SPEEDUP_DEFAULTS["alpha"],
    gamma: float = SPEEDUP_DEFAULTS["gamma"],
    r_cog: float = SPEEDUP_DEFAULTS["r_cog"],
    g_labour_before: float = SPEEDUP_DEFAULTS["g_labour_before"],
    g_compute: float = SPEEDUP_DEFAULTS["g_compute"],
) -> SpeedUp:
    """The balanced-growth speed-up of software progress from full automation of AI R&D.

    Args:
        alpha: labour share a of research input, in (0, 1).
        gamma: compute -> researcher quality: doublings of per-FLOP productivity per doubling
            of training compute, >= 0.
        r_cog: returns to cognitive labour (r a), > 0.
        g_labour_before: growth rate of research labour before automation [/year], >= 0.
        g_compute: growth rate of (every) compute stock [/year], >= 0.

    Raises:
        ConfigError: a value out of range, naming it and what is allowed.
    """
    a = check.number("alpha", alpha, 0.0, 1.0)
    gamma = check.number("gamma", gamma, 0.0, low_open=False)
    r_cog = check.positive("r_cog", r_cog)
    g_l = check.number("g_labour_before", g_labour_before, 0.0, low_open=False)
    g_c = check.number("g_compute", g_compute, 0.0, low_open=False)
    r_compute = r_cog * (1.0 - a) / a
    g_before = r_cog * g_l + r_compute * g_c
    explosive = r_cog >= 1.0
    g_after = math.inf if explosive else r_cog * (1.0 / a + gamma) * g_c / (1.0 - r_cog)
    speedup = g_after / g_before if g_before > 0 and math.isfinite(g_after) else math.inf
    return SpeedUp(g_before, g_after, speedup, explosive, r_cog / a, r_compute)
