"""forecaster against AI 2027's published code: the committed table of their numbers
(benchmarks/results/peers/ai2027*, from their repository at the recorded commit, seed 0,
their default 5,000 simulations), compared within 4 standard errors from both sample sizes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks.peers import ai2027_compare as compare

TOLERANCE_Z = 4.0
DRAWS = 100_000


def test_their_table_records_its_source():
    meta = json.loads((compare.RESULTS / "ai2027.json").read_text())
    assert len(meta["commit"]) == 40 and meta["seed"] == 0 and meta["draws"] == 5000
    assert meta["pinned_now"] == "2025-05-08"
    theirs = compare.their_values()
    assert {v.size for v in theirs.values()} == {5000}
    assert all(np.all(np.isfinite(v)) for v in theirs.values())


@pytest.fixture(scope="module")
def values():
    return compare.their_values(), compare.forecaster_values(DRAWS, seed=0)


@pytest.fixture(scope="module")
def rows(values):
    return compare.compare_rows(*values)


@pytest.mark.slow
def test_every_comparison_within_tolerance(rows):
    names = {(r["model"], r["quantity"], r["statistic"]) for r in rows}
    # The acceptance's list: three spans and the SC date of both timelines presets at their
    # 10/50/90th percentiles, P(ASI within 1 and 2 years of SC), P(SC before 2027 ... 2031).
    for span in ("SC_to_SAR", "SC_to_SIAR", "SC_to_ASI"):
        for q in ("q10", "q50", "q90"):
            assert ("takeoff", span, f"F(their {q})") in names
    for model in ("timelines_april2025", "timelines_may2025"):
        for year in (2027, 2028, 2030, 2031):
            assert (model, "SC_year", f"P(before {year})") in names
    assert ("takeoff", "SC_to_ASI", "P(within 1 years)") in names
    bad = [r for r in rows if not abs(r["z"]) < TOLERANCE_Z]
    assert not bad, bad


@pytest.mark.slow
def test_comparison_can_fail(values):
    """The check is sharp: forecaster's SC dates three months later fail it."""
    theirs, ours = values
    key = ("timelines_april2025", "SC_year")
    shifted = compare.compare_rows({key: theirs[key]}, {key: ours[key] + 0.25})
    assert max(abs(r["z"]) for r in shifted) > TOLERANCE_Z
