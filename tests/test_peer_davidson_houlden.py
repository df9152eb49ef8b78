"""Davidson & Houlden (2025): forecaster against their own code, every model option.

The table is data: ``benchmarks/results/peers/davidson_houlden_2025.csv`` holds their
published code's estimates (200,000 draws per variant, fixed seeds, their commit in the
``.json`` beside it), measured by ``python -m benchmarks.peers.davidson_houlden``. Here
forecaster runs each variant at fewer draws and every cell must agree within 4 standard errors
of the difference (both sample sizes): z = (p_ours - p_theirs) / sqrt(se_ours² + se_theirs²).
With 50 cells, |z| < 4 fails by chance with probability about 0.3%.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from benchmarks.peers import davidson_houlden as dh

TABLE = dh.RESULTS / "davidson_houlden_2025.csv"
DRAWS = 40_960


@pytest.fixture(scope="module")
def theirs() -> pd.DataFrame:
    return pd.read_csv(TABLE)


def test_the_table_records_their_commit_seeds_and_every_variant(theirs):
    meta = json.loads(TABLE.with_suffix(".json").read_text())
    assert len(meta["commit"]) == 40 and meta["repository"].endswith("Accelerated_AI_Progress")
    assert meta["draws"] >= 200_000 and (theirs.n == meta["draws"]).all()
    assert sorted(set(theirs.variant)) == sorted(dh.variant_name(v) for v in dh.variants())
    assert len(theirs) == len(dh.variants()) * len(dh.CELLS)
    # Their cell is the same whole number of doublings as forecaster's event.
    for _, row in theirs.iterrows():
        assert row.doublings == math.floor(row.years * 4 / row.software_share + 1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("variant", dh.variants(), ids=dh.variant_name)
def test_forecaster_matches_their_code(theirs, variant, tmp_path: Path):
    ours = dh.forecaster_counts(variant, DRAWS, seed=7, run_dir=tmp_path)
    rows = theirs[theirs.variant == dh.variant_name(variant)]
    for _, row in rows.iterrows():
        count, n = ours[(row.window_months, row.years)]
        p = count / n
        se = math.sqrt(max(p * (1 - p), 1e-12) / n)
        z = (p - row.p) / math.hypot(se, row.se)
        assert abs(z) < 4, f"{row.years:g}y in {row.window_months:g}m: {p:.4f} vs {row.p:.4f}"
