"""The AI Futures Model's time-horizon parameters drawn jointly from a ``time_horizons``
calibration posterior (docs/CONFIG.md, "The AI Futures Model from a METR posterior"): the
present doubling time from the posterior's doubling time at the reference date, the
doubling-difficulty growth factor from its curvature, each forecast draw from one posterior
row, both then clipped to their model's bounds as their sampler clips."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

DAYS_PER_YEAR = 365.25


def metr_overrides(path) -> list[str]:
    """The recipe of docs/CONFIG.md, as command-line overrides: aifm_dec2025's correlations
    but those naming the two time-horizon draws (the posterior's rows carry their dependence;
    a variable drawn jointly from a file takes no rank correlation)."""
    from forecaster._config import compose_forecast

    preset = compose_forecast(["scenario=aifm_dec2025"]).scenario.correlations
    kept = [c for c in preset if not {"doubling_time_draw", "growth_factor_draw"} & set(c.params)]
    entries = ", ".join(f"{{params: [{c.params[0]}, {c.params[1]}], rank: {c.rank}}}"
                        for c in kept)  # fmt: skip
    posterior = "{dist: posterior, path: %s, variable: %s}"
    return [
        "scenario=aifm_dec2025",
        f"+scenario.latent.metr_days={posterior % (path, 'doubling_time_days')}",
        f"+scenario.latent.metr_curvature={posterior % (path, 'curvature')}",
        "~scenario.latent.doubling_time_draw",
        "~scenario.latent.growth_factor_draw",
        '+scenario.latent.doubling_time_draw={dist: derived, expr: "metr_days / 365.25"}',
        "+scenario.latent.growth_factor_draw={dist: derived, "
        'expr: "exp(-metr_curvature * metr_days / 365.25)"}',
        f"scenario.correlations=[{entries}]",
    ]


@pytest.fixture
def posterior(tmp_path):
    """A posterior of the shrinking-doubling-time trend: doubling times around 150 days,
    curvature (e-folds of shrinking a year) correlated with them."""
    rng = np.random.default_rng(3)
    days = 150.0 * np.exp(0.2 * rng.standard_normal(500))
    curvature = 0.3 + 0.002 * (days - 150.0) + 0.05 * rng.standard_normal(500)
    frame = pd.DataFrame({"doubling_time_days": days, "curvature": curvature})
    path = tmp_path / "posterior.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_time_horizon_parameters_come_from_one_posterior_row(compose_forecast, posterior):
    import jax.numpy as jnp

    from forecaster._config import plan_forecast
    from forecaster._priors import draw_uniforms, transform
    from forecaster._settings import precision_scope

    path, frame = posterior
    plan = plan_forecast(compose_forecast(*metr_overrides(path), "n_draws=4096"))
    with precision_scope("float64") as dtype:
        zero = jnp.zeros((), jnp.uint32)
        u = draw_uniforms(plan.priors, plan.seed, zero, zero, 4096, dtype)
        values = {k: np.asarray(v) for k, v in transform(plan.priors, u, dtype).items()}
    days = values["present_doubling_time"] * DAYS_PER_YEAR  # inside their bounds: unclipped
    factor = values["doubling_difficulty_growth_factor"]
    table = frame["doubling_time_days"].to_numpy()
    row = np.abs(days[:, None] - table[None, :]).argmin(axis=1)
    np.testing.assert_allclose(days, table[row], rtol=1e-12)  # each draw a row's
    curvature = frame["curvature"].to_numpy()[row]  # and that same row's curvature
    np.testing.assert_allclose(factor, np.exp(-curvature * days / DAYS_PER_YEAR), rtol=1e-12)
    assert len(np.unique(row)) > 400  # the rows are resampled, not one
    assert np.std(values["ac_time_horizon_minutes"]) > 0  # the rest: their sampler's priors
