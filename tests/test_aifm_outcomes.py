"""The AI Futures Model's outcomes from its milestone dates: the chain's years from the start,
the other milestones' dates, and the takeoff durations from AC (not reached: +inf)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from forecaster.models.aifm._milestones import MILESTONES
from forecaster.models.aifm._model import FROM_AC, START, AIFuturesModel


def test_durations_from_ac_and_not_reached():
    nan = np.nan
    # three draws: everything reached; AC only; nothing (TED-AI without AC, as taste may)
    dates = {name: jnp.asarray([2030.0 + 0.5 * k, nan, nan]) for k, name in enumerate(MILESTONES)}
    dates["AC"] = jnp.asarray([2030.0, 2031.0, nan])
    dates["TED-AI"] = jnp.asarray([2034.25, nan, 2040.0])
    model = AIFuturesModel()
    fastest = jnp.full((3, 4), 0.5)  # the fastest times to the grid's progress levels
    horizon = jnp.zeros(3)  # no condition on the horizon: not an outcome
    out = model.summarise(
        None, (dates, jnp.zeros(3, bool), jnp.ones(3), jnp.ones(3), fastest, horizon)
    )
    assert "horizon_minutes_at" not in out
    np.testing.assert_array_equal(out["fastest_years_to_progress"], fastest)
    asi = 2030.0 + 0.5 * MILESTONES.index("ASI")
    np.testing.assert_allclose(out["years_ac_to_asi"], [asi - 2030.0, np.inf, np.inf])
    np.testing.assert_allclose(out["years_ac_to_ted_ai"], [4.25, np.inf, np.inf])
    np.testing.assert_allclose(out["milestone_years"][0], [2030.0 - START, 2031.0 - START, np.inf])
    declared = {q.name: q for q in model.outcomes().quantities}
    assert set(FROM_AC) <= set(declared)
    assert declared["years_ac_to_asi"].label == "AC to ASI"
