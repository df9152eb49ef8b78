"""``forecaster mix``: a weighted mixture of runs as a run directory. Its probabilities are the
weighted averages of its parts' exactly, with the standard errors of the mixture estimator's
own variance; its dates are the quantiles of the weighted histograms (issue 28's acceptance).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from forecaster import ConfigError

DRAWS = 4096


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    """Two runs of different models, both dated by a timelines stage: the general law and AI
    2027's takeoff ladder (different seeds, different draw counts)."""
    import forecaster as fc

    root = tmp_path_factory.mktemp("parts")
    law = fc.forecast("decaying", n_draws=DRAWS, seed=3, run_dir=root / "law", progress=False,
                      overrides=["timelines=metr_trend", "output.report=false"])  # fmt: skip
    stage = ["timelines=ai2027", "output.report=false"]
    ladder = fc.forecast("ai2027_takeoff", n_draws=2 * DRAWS, run_dir=root / "ladder",
                         progress=False, overrides=stage)  # fmt: skip
    return root / "law", root / "ladder", law.summary, ladder.summary


@pytest.fixture(scope="module")
def half_and_half(parts, tmp_path_factory):
    from forecaster._mix import mix_runs

    law, ladder, *_ = parts
    out = tmp_path_factory.mktemp("mix") / "mixture"
    return out, mix_runs([(law, 1.0), (ladder, 1.0)], out)


@pytest.mark.slow
def test_probabilities_are_the_weighted_average_exactly(parts, half_and_half):
    _, _, a, b = parts
    _, mixed = half_and_half
    cells_a = {(r["years"], r["window_months"]): r for r in a["probabilities"]}
    cells_b = {(r["years"], r["window_months"]): r for r in b["probabilities"]}
    assert len(mixed["probabilities"]) == len(cells_a) == 8
    for row in mixed["probabilities"]:
        ra, rb = (
            cells_a[(row["years"], row["window_months"])],
            cells_b[(row["years"], row["window_months"])],
        )
        # Exact: the parts' exact fractions k/n averaged (one rounding of a float sum).
        assert row["p"] == 0.5 * ra["count"] / ra["n"] + 0.5 * rb["count"] / rb["n"]
        # The mixture estimator's own variance: sum w^2 p (1 - p) / n over the parts.
        variance = sum(0.25 * r["p"] * (1 - r["p"]) / r["n"] for r in (ra, rb))
        assert row["se"] == pytest.approx(math.sqrt(variance), rel=1e-12)
        assert row["ci_low"] <= row["p"] <= row["ci_high"]
    for name, flag in mixed["flags"].items():
        assert flag["p"] == pytest.approx(0.5 * a["flags"][name]["p"] + 0.5 * b["flags"][name]["p"])


@pytest.mark.slow
def test_dates_are_the_mixtures_quantiles(parts, half_and_half):
    """P(automation by Y) of the mixture is the average of the parts'; its median date is
    where the mixed CDF crosses one half."""
    _, _, a, b = parts
    _, mixed = half_and_half
    ca, cb, cm = (s["common"]["automation"] for s in (a, b, mixed))
    for year, p in cm["p_by_year"].items():
        assert p == pytest.approx(0.5 * ca["p_by_year"][year] + 0.5 * cb["p_by_year"][year])
    cdf = np.asarray(cm["cdf"]["p"])
    years = np.asarray(cm["cdf"]["years"])
    np.testing.assert_allclose(
        cdf, 0.5 * np.asarray(ca["cdf"]["p"]) + 0.5 * np.asarray(cb["cdf"]["p"])
    )
    median = cm["date"]["q50"]["value"]
    below = years[years <= median]
    above = years[years >= median]
    assert cdf[years == below.max()][0] <= 0.5 <= cdf[years == above.min()][0]
    # A question one part cannot answer stays unanswered, naming the part.
    assert mixed["common"]["superintelligence"] is None
    assert "decaying" in mixed["common"]["unanswered"]["superintelligence"]


@pytest.mark.slow
def test_a_standard_run_directory(half_and_half, chromium):
    """fc.load reads it back; the report renders it, with the mixture's parts and weights."""
    import shutil

    import forecaster as fc
    from forecaster.report import write_report

    out, mixed = half_and_half
    loaded = fc.load(out)
    assert loaded.summary["mixture"]["parts"][0]["weight"] == 0.5
    assert not loaded.probabilities.empty
    html = write_report(out)
    text = html.read_text()
    assert 'id="mixture"' in text and 'id="common"' in text
    if shutil.which("chromium"):
        loaded_images, total, _ = chromium.images(html)
        assert loaded_images == total >= 1


@pytest.mark.slow
def test_weights_need_not_sum_to_one(parts, tmp_path):
    from forecaster._mix import mix_runs

    law, ladder, a, b = parts
    mixed = mix_runs([(law, 3.0), (ladder, 1.0)], tmp_path / "m")
    assert [p["weight"] for p in mixed["mixture"]["parts"]] == [0.75, 0.25]
    first = mixed["probabilities"][0]
    pa, pb = a["probabilities"][0]["p"], b["probabilities"][0]["p"]
    assert first["p"] == pytest.approx(0.75 * pa + 0.25 * pb)
    on_disk = json.loads((tmp_path / "m" / "summary.json").read_text())
    assert on_disk["probabilities"][0]["p"] == first["p"]


@pytest.mark.parametrize(
    "items",
    [["a=1"], ["a=1", "b"], ["a=1", "b=-1"], ["a=1", "b=nan"], ["a=1", "=2"], ["a=1", "b=x"]],
)
def test_bad_parts_are_refused_in_one_line(items):
    from forecaster._mix import parse_parts

    with pytest.raises(ConfigError) as err:
        parse_parts(items)
    assert err.value.field == "mix.parts"
    assert "\n" not in str(err.value)


def test_the_command_line_needs_an_output(forecaster_process, tmp_path):
    done = forecaster_process("mix", f"{tmp_path}=1", f"{tmp_path}=1")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "--out" in done.stderr


def test_the_mixed_proportion_of_one_part_is_its_own():
    """One part: its own p, binomial error and Wilson interval."""
    from forecaster._mix import mixed_proportion
    from forecaster._summaries import proportion

    mixed = mixed_proportion([0.3], [1000], [1.0])
    own = proportion(300, 1000)
    for key in ("p", "se", "ci_low", "ci_high"):
        assert mixed[key] == pytest.approx(own[key], rel=1e-12)
