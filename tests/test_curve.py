"""The continuous P(>= Y years within w) curve: from counts the engine keeps, on a fine grid
of Y, consistent with the probability table at the grid's points."""

from __future__ import annotations

import math

import pytest

from forecaster._summaries import curve_table, probability_table


def _curve_and_table(run_plan, tmp_path, *overrides):
    result = run_plan(tmp_path, "n_draws=8192", *overrides)
    return curve_table(result.plan, result.totals), probability_table(result.plan, result.totals)


@pytest.mark.slow
def test_the_whole_doubling_curve_is_the_table_at_every_grid_point(run_plan, tmp_path):
    curve, table = _curve_and_table(
        run_plan, tmp_path, "scenario=davidson_houlden_2025", "progress_years=[0.5,1,3,3.25,10]"
    )
    at = {(r["window_months"], r["doublings"]): r for r in curve}
    for row in table:
        k = math.floor(row["years"] * 8 + 1e-9)
        assert at[(row["window_months"], k)]["count"] == row["count"]  # exactly
    for w in (4.0, 12.0):
        points = [r for r in curve if r["window_months"] == w]
        assert len(points) >= 100  # one per whole doubling from 0.125 to 16 years
        counts = [r["count"] for r in points]
        assert counts == sorted(counts, reverse=True)  # P(>= Y) falls with Y
        assert all(r["se"] is not None and r["ci_low"] <= r["p"] <= r["ci_high"] for r in points)


@pytest.mark.slow
def test_the_smooth_curve_agrees_with_the_table_at_its_edges(run_plan, tmp_path):
    curve, table = _curve_and_table(run_plan, tmp_path, "scenario=decaying")
    for row in table:
        if row["years"] not in (1.0, 10.0):  # grid points that are bin edges (10^0, 10^1)
            continue
        point = min(
            (r for r in curve if r["window_months"] == row["window_months"]),
            key=lambda r: abs(r["years"] - row["years"]),
        )
        assert point["years"] == pytest.approx(row["years"], rel=1e-9)
        # Within a grid step the table's cell interpolates with the cubic Hermite, the curve
        # linearly: a few draws in 10,000 may fall between the two.
        assert abs(point["count"] - row["count"]) <= 0.002 * row["n"]
    assert len([r for r in curve if r["window_months"] == 12.0]) >= 100
