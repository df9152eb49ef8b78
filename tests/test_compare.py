"""``forecaster compare``: four models side by side (the general law, Davidson & Houlden,
AI 2027's takeoff with their timelines, the AI Futures Model) on the outcomes they share,
every number the runs' own, the differences with their standard errors, the report in a
headless browser (issue 28's acceptance)."""

from __future__ import annotations

import math
import re
import shutil

import numpy as np
import pytest

from forecaster import ConfigError

DRAWS = 4096
RUNS = {
    "general law": ("scenario=decaying", "timelines=metr_trend"),
    "D&H": ("scenario=davidson_houlden_2025",),
    "AI 2027": ("scenario=ai2027_takeoff", "timelines=ai2027"),
    "AIFM": ("scenario=aifm_dec2025",),
}
IMG_SRC = re.compile(r'<img[^>]+src="data:image/png;base64,')


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The four runs, written as the command line writes them (summary.json last)."""
    import forecaster as fc

    root = tmp_path_factory.mktemp("runs")
    out = {}
    for label, overrides in RUNS.items():
        scenario = overrides[0].split("=", 1)[1]
        run_dir = root / scenario
        fc.forecast(scenario, n_draws=DRAWS, overrides=[*overrides[1:], "output.report=false"],
                    run_dir=run_dir, progress=False)  # fmt: skip
        out[label] = run_dir
    return out


@pytest.fixture(scope="module")
def comparison(runs, tmp_path_factory):
    import forecaster as fc

    out = tmp_path_factory.mktemp("compare")
    return fc.compare(list(runs.values()), labels=list(runs), out=out), out


def _value(comparison, run, question, outcome):
    rows = comparison.outcomes
    row = rows[(rows.run == run) & (rows.question == question) & (rows.outcome == outcome)]
    assert len(row) == 1, (run, question, outcome)
    return row.iloc[0]


@pytest.mark.slow
def test_every_number_is_the_runs_own(comparison, runs):
    """The common outcomes are each run's own numbers, read off the same counts: the ladder's
    start is its calendar's automation date, AIFM's ASI its milestone's date, the years
    between the ladder's ASI years after its start, the explosion the grid's cell."""
    from forecaster import load

    c, _ = comparison
    ladder = load(runs["AI 2027"]).summary
    aifm = load(runs["AIFM"]).summary
    law = load(runs["general law"]).summary
    median = "median date"
    assert _value(c, "AI 2027", "automation", median)["value"] == pytest.approx(
        ladder["calendar"]["automation_year"]["q50"], abs=1e-9
    )
    assert _value(c, "AIFM", "superintelligence", median)["value"] == pytest.approx(
        aifm["milestones"]["ASI"]["date"]["q50"], abs=1e-9
    )
    assert _value(c, "AIFM", "automation", median)["value"] == pytest.approx(
        aifm["milestones"]["AC"]["date"]["q50"], abs=1e-9
    )
    between = _value(c, "AI 2027", "between", "median years")["value"]
    assert between == pytest.approx(ladder["milestones"]["ASI"]["years_after_start"]["q50"])
    cell = next(r for r in law["probabilities"] if (r["years"], r["window_months"]) == (3, 12))
    sie = _value(c, "general law", "sie", "P(>= 3 years of progress within 12 months)")
    assert sie["value"] == cell["p"] and sie["se"] == pytest.approx(cell["se"])
    by_2030 = _value(c, "AIFM", "automation", "P(by the end of 2030)")
    assert by_2030["value"] == pytest.approx(aifm["milestones"]["AC"]["p_by_year"]["2030"])
    # What a model cannot answer is marked, with why, never a number.
    dh = _value(c, "D&H", "automation", median)
    assert math.isnan(dh["value"]) and "timelines" in dh["note"]
    law_asi = _value(c, "general law", "superintelligence", median)
    assert math.isnan(law_asi["value"]) and dh["note"].startswith("cannot answer")
    # The AI Futures Model answers the explosion question in years of its present-day
    # software progress (its grid, from its software efficiency's trajectory).
    aifm_sie = _value(c, "AIFM", "sie", "P(>= 3 years of progress within 12 months)")
    cell = next(r for r in aifm["probabilities"] if (r["years"], r["window_months"]) == (3, 12))
    assert aifm_sie["value"] == cell["p"]


@pytest.mark.slow
def test_differences_and_their_errors(comparison):
    """A difference is the two values' difference, its error the two errors in quadrature."""
    c, _ = comparison
    d = c.differences
    outcome = "P(by the end of 2030)"
    row = d[(d.run == "AIFM") & (d.question == "automation") & (d.outcome == outcome)]
    assert len(row) == 1
    mine = _value(c, "AIFM", "automation", "P(by the end of 2030)")
    ref = _value(c, "general law", "automation", "P(by the end of 2030)")
    assert row.iloc[0]["difference"] == pytest.approx(mine["value"] - ref["value"])
    assert row.iloc[0]["se"] == pytest.approx(math.hypot(mine["se"], ref["se"]))
    # A quantile's error comes from its interval, which brackets it.
    q = _value(c, "AI 2027", "automation", "median date")
    assert q["ci_low"] <= q["value"] <= q["ci_high"] and q["se"] > 0
    # Wide table: one column per run, in order.
    assert list(c.table().columns) == list(RUNS)
    assert np.isfinite(c.table().loc[("automation", "median date"), "AIFM"])


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="no headless browser (chromium)")
def test_the_report_renders_in_a_headless_browser(comparison, chromium):
    c, out = comparison
    for name in ("compare.csv", "differences.csv", "compare.json", "cdf_automation.csv"):
        assert (out / name).is_file()
    html = (out / "report.html").read_text()
    expected = len(IMG_SRC.findall(html))
    loaded, total, dom = chromium.images(out / "report.html")
    assert total == expected == 2  # the overlaid CDFs of both dates
    assert loaded == expected
    for section in ("compare-automation", "compare-superintelligence", "compare-between",
                    "compare-sie", "compare-differences"):  # fmt: skip
        assert f'id="{section}"' in dom
    for label in ("general law", "D&amp;H", "AI 2027", "AIFM"):
        assert label in dom
    assert "cannot answer" in dom


def test_bad_runs_are_refused_in_one_line(tmp_path):
    import forecaster as fc

    with pytest.raises(ConfigError) as err:
        fc.compare(["no_such_preset+or_stage", "decaying"], out=tmp_path)
    assert err.value.field == "compare.runs"
    with pytest.raises(ConfigError) as err:
        fc.compare([tmp_path], out=tmp_path)
    assert err.value.field == "compare.runs"


def test_the_command_line_needs_an_output(forecaster_process):
    done = forecaster_process("compare", "decaying", "explosive")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "--out" in done.stderr
