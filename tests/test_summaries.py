"""Summaries read off the counts: the CDF of a histogram at many values at once."""

from __future__ import annotations

import numpy as np
import pytest

from forecaster._summaries import histogram_cdf, histogram_cdfs
from forecaster.models import Histogram


def _cdf_one_by_one(counts: np.ndarray, spec: Histogram, value: float) -> float:
    """The reference: each prefix summed on its own (how histogram_cdf read one value)."""
    total = counts.sum()
    if total == 0:
        return float("nan")
    below = counts[spec.bins]
    if spec.log and value <= 0:
        return 0.0
    position = float(spec.position(np.float64(value)))
    if position < 0:
        return float(below / total)
    whole = min(int(position), spec.bins)
    below += counts[:whole].sum()
    if whole < spec.bins:
        below += counts[whole] * (position - whole)
    else:
        below += counts[spec.bins + 1]
    return float(below / total)


@pytest.mark.parametrize(
    "spec", [Histogram(-6.0, 4.0, 1000), Histogram(2020.0, 2100.0, 320, log=False)]
)
@pytest.mark.parametrize("kind", ["counts", "weights"])
def test_cdfs_equal_the_one_by_one_reading_bit_for_bit(spec, kind):
    """Every cell of the table equals the prefix-by-prefix reading exactly (integer counts:
    a running sum is exact; weights: summed as before), at values below, inside, at the bin
    edges of and beyond the range, for empty and non-empty series."""
    rng = np.random.default_rng(5)
    series = rng.integers(0, 50, size=(6, spec.cells)) * (rng.random((6, spec.cells)) < 0.3)
    series[2] = 0  # an empty series
    if kind == "weights":
        series = series * rng.random((6, spec.cells))
    edges = [spec.value_at(p) for p in (0, 1, 17, spec.bins)]
    inside = [spec.value_at(p) for p in rng.uniform(0, spec.bins, 40)]
    outside = [spec.value_at(-3.5), spec.value_at(spec.bins + 2.5)]
    values = [*edges, *inside, *outside, 0.0, -1.0]
    table = histogram_cdfs(series, spec, values)
    for i, counts in enumerate(series):
        for j, value in enumerate(values):
            expected = _cdf_one_by_one(np.asarray(counts), spec, value)
            got = table[i, j]
            assert (np.isnan(expected) and np.isnan(got)) or got == expected, (i, value)
            one = histogram_cdf(counts, spec, value)
            assert (np.isnan(expected) and np.isnan(one)) or one == expected
