"""The calibration report's forest plot: one panel per scale.

On one shared axis a date near 2028 (``threshold_date``) squashes a doubling time of ~130
days and an r near 1 into a line at the left; so the quantities are grouped by unit, each
group drawn on its own axis, dates written as dates and heavy-tailed positives on a log axis.
These tests use hand-made posteriors (no sampling): fast.
"""

from __future__ import annotations

import numpy as np
import pytest

from forecaster._arviz import az
from forecaster.calibration._plots import (
    LOG_AXIS_SPAN,
    _decimal_year_label,
    forest_figure,
    scale_groups,
)


def posterior(**draws: np.ndarray) -> az.InferenceData:
    """An InferenceData whose posterior holds ``draws`` (2 chains each)."""
    return az.from_dict(
        posterior={k: np.asarray(v, float).reshape(2, -1) for k, v in draws.items()}
    )


@pytest.fixture
def time_horizons_like() -> az.InferenceData:
    rng = np.random.default_rng(0)
    return posterior(
        doubling_time_days=rng.lognormal(np.log(130), 0.1, 200),
        threshold_date=2028.0 + rng.normal(0, 0.3, 200),
        log2_horizon_ref=rng.normal(9.5, 0.2, 200),
        intercept=rng.normal(7.0, 0.2, 200),
        sigma_extra=np.abs(rng.normal(0.4, 0.1, 200)),
        doublings_per_year=rng.lognormal(np.log(2.8), 0.1, 200),
    )


def test_quantities_are_grouped_by_scale(time_horizons_like) -> None:
    """Each unit its own group, in the order of first appearance; the date group is marked
    as dates; quantities with one unit (log2 minutes) share a panel."""
    names = list(time_horizons_like.posterior.data_vars)
    groups = scale_groups(time_horizons_like, names)
    assert [g.unit for g in groups] == ["days", "decimal year", "log2 minutes", "doublings a year"]
    assert groups[2].names == ("log2_horizon_ref", "intercept", "sigma_extra")
    assert [g.date for g in groups] == [False, True, False, False]
    assert sorted(n for g in groups for n in g.names) == sorted(names)  # each exactly once
    # No group mixes a date with anything else.
    assert all(len(g.names) == 1 for g in groups if g.date)


def test_mu_and_tau_share_a_panel_and_a_heavy_tail_gets_a_log_axis() -> None:
    """mu and tau (both on the log-r scale) share a panel; r_new spread over more than
    LOG_AXIS_SPAN gets a log axis, a narrow r does not; negatives never do."""
    rng = np.random.default_rng(1)
    idata = posterior(
        r_new=rng.lognormal(0.0, 1.5, 400),  # 5-95% spans e^(2*1.645*1.5) ~ 140
        mu=rng.normal(0.1, 0.3, 400),
        tau=np.abs(rng.normal(0.5, 0.2, 400)),
        g_software=rng.lognormal(np.log(3), 0.1, 400),
    )
    groups = {g.unit: g for g in scale_groups(idata, ["r_new", "mu", "tau", "g_software"])}
    assert groups["log r (mean and sd)"].names == ("mu", "tau")
    assert groups["log r (mean and sd)"].log is False  # mu has negative draws
    r_new = groups["r (doublings per doubling of input)"]
    assert r_new.log is True and np.exp(2 * 1.645 * 1.5) > LOG_AXIS_SPAN
    assert groups["doublings a year"].log is False


def test_the_forest_figure_has_one_axis_per_scale(time_horizons_like) -> None:
    """Quantities on different scales get different axes (the old plot had one); the date
    panel's ticks read as dates within the draws' range, not as 0-2000."""
    names = list(time_horizons_like.posterior.data_vars)
    fig = forest_figure(time_horizons_like, names)
    axes = fig.axes
    assert len(axes) == len(scale_groups(time_horizons_like, names)) == 4
    date_ax = axes[1]
    lo, hi = date_ax.get_xlim()
    assert 2025 < lo < hi < 2031  # its own range, not shared with days or rates
    fig.canvas.draw()
    labels = [t.get_text() for t in date_ax.get_xticklabels() if t.get_text()]
    assert labels and all(len(s) == 7 and s[:3] == "202" and s[4] == "-" for s in labels)
    assert axes[0].get_xlim()[1] < 1000  # the days panel is not stretched to the year 2028


def test_one_scale_gives_one_axis() -> None:
    idata = posterior(r=np.linspace(0.8, 1.2, 100), r_new=np.linspace(0.5, 2.0, 100))
    assert len(forest_figure(idata, ["r", "r_new"]).axes) == 1


def test_decimal_year_labels() -> None:
    assert _decimal_year_label(2027.0) == "2027-01"
    assert _decimal_year_label(2027.5) == "2027-07"
    assert _decimal_year_label(2027.999) == "2027-12"
    assert _decimal_year_label(float("inf")) == ""
