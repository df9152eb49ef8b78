"""Conditioning on an observed time horizon (``condition.horizon_year`` and
``horizon_minutes``): the AI Futures Model's horizon at the year is its path's, and the draws
kept are exactly those whose horizon is within the observed interval (issue 28)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from forecaster import ConfigError
from forecaster._accumulate import CALENDAR
from forecaster._settings import precision_scope
from forecaster.models.aifm import _dynamics as dyn
from forecaster.models.aifm._model import START, TABLE, AIFuturesModel, series
from forecaster.models.aifm._path import path

YEAR = 2026.0  # a point of their 0.1-year grid
# Gemini 3 Pro's (2025-11-18) 95% interval, METR Time Horizon 1.1 (data/metr_time_horizons.csv)
MINUTES = (139.565157, 379.235434)


def test_the_horizon_at_a_year_is_the_paths():
    """At a grid year, the horizon the condition reads is the path's (their site's panel)."""
    model = AIFuturesModel(horizon_year=YEAR)
    with precision_scope("float64") as dtype:
        draw = dyn.Draw(*(jnp.asarray(TABLE[n].default, dtype) for n in dyn.Draw._fields))
        data = dyn.Series(*(jnp.asarray(v, dtype) for v in series(model.end_year)))
        times = model.times(dtype)
        _, _, m, tr = jax.jit(lambda d: dyn.run(d, data, times))(draw)
        ours = float(model._horizon(draw, m, tr))
        columns = {k: np.asarray(v) for k, v in jax.jit(path)(m, draw, tr).items()}
    at = np.argmin(np.abs(columns["year"] - YEAR))
    assert columns["year"][at] == pytest.approx(YEAR)
    assert ours == pytest.approx(columns["time_horizon_minutes"][at], rel=1e-12)
    assert 1.0 < ours < 1e4  # minutes: a horizon, not a placeholder


@pytest.mark.slow
def test_the_draws_kept_are_those_within_the_interval(run_plan, tmp_path):
    """Every draw of the run in its sample: the per-draw horizons decide ``condition_met``,
    the counts are over those draws exactly (AC's date histogram rebuilt from the sample)."""
    n = 1024
    result = run_plan(
        tmp_path, "scenario=aifm_dec2025", f"n_draws={n}", f"output.sample_size={n}",
        f"condition.horizon_year={YEAR}",
        f"condition.horizon_minutes=[{MINUTES[0]},{MINUTES[1]}]",
    )  # fmt: skip
    sample = {k: np.asarray(v) for k, v in result.sample.items()}
    horizon = np.where(np.isnan(sample["out_horizon_minutes_at"]), np.inf,
                       sample["out_horizon_minutes_at"])  # fmt: skip
    within = (horizon >= MINUTES[0]) & (horizon <= MINUTES[1])
    np.testing.assert_array_equal(sample["condition_met"], within)
    finite = ~sample["out_non_finite"]
    kept = within & finite
    assert 0 < kept.sum() < finite.sum()  # a real condition
    assert int(result.totals["finite"][0]) == kept.sum()
    assert int(result.totals["excluded"][0]) == (finite & ~within).sum()
    dates = START + sample["out_milestone_years"][kept, 0]  # AC
    cells = np.asarray(CALENDAR.cell(jnp.asarray(dates)))
    expected = np.bincount(cells, minlength=CALENDAR.cells)
    np.testing.assert_array_equal(result.totals["cal_milestone_dates"][0], expected)
    from forecaster._outputs import build_summary

    condition = build_summary(result)["condition"]
    assert condition["horizon"] == {"year": YEAR, "low_minutes": MINUTES[0],
                                    "high_minutes": MINUTES[1]}  # fmt: skip
    assert condition["not_before"] is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        (("scenario=decaying", "condition.horizon_year=2026",
          "condition.horizon_minutes=[60,240]"), "condition.horizon_year"),
        (("scenario=aifm_dec2025", "condition.horizon_year=2026"), "condition.horizon_minutes"),
        (("scenario=aifm_dec2025", "condition.horizon_minutes=[60,240]"),
         "condition.horizon_year"),
        (("scenario=aifm_dec2025", "condition.horizon_year=2026",
          "condition.horizon_minutes=[240,60]"), "condition.horizon_minutes"),
        (("scenario=aifm_dec2025", "condition.horizon_year=2099",
          "condition.horizon_minutes=[60,240]"), "condition.horizon_year"),
    ],
)  # fmt: skip
def test_refused_in_one_line(compose_forecast, overrides, field):
    from forecaster._config import plan_forecast

    with pytest.raises(ConfigError) as err:
        plan_forecast(compose_forecast(*overrides, "n_draws=10"))
    assert err.value.field == field
    assert "\n" not in str(err.value)


def test_the_sample_column_is_a_frame_column(run_plan, tmp_path):
    """draws.parquet's frame carries the per-draw condition (cheap model: the ladder)."""
    from forecaster._outputs import sample_frame

    result = run_plan(tmp_path, "scenario=ai2027_takeoff", "timelines=ai2027", "n_draws=64",
                      "output.sample_size=64", "condition.not_before=2027.0")  # fmt: skip
    frame = sample_frame(result)
    assert isinstance(frame, pd.DataFrame) and frame["condition_met"].dtype == bool
