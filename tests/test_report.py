"""Reports: report.html (self-contained) and report.md for a run and for a sweep.

Two forecasts are made once per module: an in-process run of the default scenario whose r0 is
drawn from a (small, synthetic) calibration posterior, with ``output.report=true``, and a
four-scenario sweep through the command line, started first in a subprocess so the two
overlap. The figures are checked for what they plot, not just for existing.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from forecaster import ConfigError
from forecaster._forecast import run_forecast_job
from forecaster.report import _date_figures as date_figs
from forecaster.report import _figures as figs
from forecaster.report import _format, _run_report, write_report

SCENARIOS = ("explosive", "decaying", "amdahl", "expanding_pie")
RUN_SECTIONS = (
    "headline",
    "probability-curve",
    "fan-chart",
    "distributions",
    "sensitivity",
    "calibration",
    "run-facts",
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IMG_SRC = re.compile(r"<img\b[^>]*\bsrc=\"([^\"]*)\"")


# Every test needs the module's forecast run (made while the sweep runs), the sweep itself, or a
# subprocess of its own.
pytestmark = pytest.mark.slow


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """The four-dynamics sweep, started in the background (``.wait()`` gives its directory)."""
    root = tmp_path_factory.mktemp("sweep")
    sweep_dir = root / "multirun"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "forecaster",
            "forecast",
            "-m",
            f"scenario={','.join(SCENARIOS)}",
            "n_draws=3000",
            "chunk_size=1024",
            "output.sample_size=1000",
            "output.progress_bar=false",
            f"hydra.sweep.dir={sweep_dir}",
        ],
        cwd=root,
        env={**os.environ, "JAX_PLATFORMS": "cpu"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    class Handle:
        def wait(self) -> Path:
            out, _ = proc.communicate(timeout=300)
            assert proc.returncode == 0, out[-3000:]
            return sweep_dir

    handle = Handle()
    yield handle
    if proc.poll() is None:
        proc.kill()
        proc.communicate()


@pytest.fixture(scope="module")
def calibration_dir(tmp_path_factory) -> Path:
    """A calibration run directory as `forecaster calibrate` leaves it (small and synthetic)."""
    from forecaster._arviz import az

    directory = tmp_path_factory.mktemp("calibration")
    rng = np.random.default_rng(3)
    posterior = rng.lognormal(np.log(1.3), 0.3, size=(2, 300))
    prior = rng.lognormal(0.0, 1.0, size=(1, 600))
    az.from_dict(posterior={"r_new": posterior}, prior={"r_new": prior}).to_netcdf(
        str(directory / "posterior.nc")
    )
    quantiles = {f"q{q:02d}": float(np.quantile(posterior, q / 100)) for q in (5, 25, 50, 75, 95)}
    info = {
        "model": "returns",
        "description": "hierarchical returns to software R&D across domains",
        "n_observations": 8,
        "converged": True,
        "forecast_variable": "r_new",
        "posterior_path": str(directory / "posterior.nc"),
        "diagnostics": {
            "converged": True,
            "failures": [],
            "divergences": 0,
            "r_hat_max": 1.003,
            "ess_bulk_min": 812.0,
            "ess_tail_min": 640.0,
            "num_chains": 2,
            "num_draws": 300,
        },
        "quantiles": {
            "r_new": {**quantiles, "mean": float(posterior.mean()), "sd": float(posterior.std())}
        },
    }
    (directory / "calibration.json").write_text(json.dumps(info))
    pd.DataFrame(
        {"mean": [posterior.mean(), 0.26], "sd": [posterior.std(), 0.2], "r_hat": [1.0, 1.003]},
        index=["r_new", "mu"],
    ).to_csv(directory / "posterior_summary.csv")
    figure = Figure(figsize=(4, 3))
    ax = figure.subplots()
    ax.hist(prior.ravel(), bins=30, alpha=0.5, label="prior")
    ax.hist(posterior.ravel(), bins=30, alpha=0.5, label="posterior")
    figure.savefig(directory / "prior_posterior.png")
    return directory


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, sweep, calibration_dir, compose_forecast) -> Path:
    """A default-scenario forecast (r0 from the posterior) that writes its report itself."""
    directory = tmp_path_factory.mktemp("run") / "run"
    posterior = calibration_dir / "posterior.nc"
    cfg = compose_forecast(
        "n_draws=6000",
        "chunk_size=2048",
        "output.sample_size=2000",
        "output.report=true",
        "output.progress_bar=false",
        "~scenario.params.r0",
        f"+scenario.params.r0={{dist: posterior, path: '{posterior}', variable: r_new}}",
    )
    run_forecast_job(cfg, directory)
    return directory


@pytest.fixture(scope="module")
def summary(run_dir) -> dict:
    return json.loads((run_dir / "summary.json").read_text())


@pytest.fixture(scope="module")
def sweep_dir(sweep) -> Path:
    return sweep.wait()


def images_of(html: str) -> list[bytes]:
    """The PNG bytes of every <img>; fails on any source that is not a base64 PNG data URI."""
    sources = IMG_SRC.findall(html)
    out = []
    for src in sources:
        assert src.startswith("data:image/png;base64,"), src[:80]
        raw = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert raw.startswith(PNG_SIGNATURE)
        image = matplotlib.image.imread(io.BytesIO(raw), format="png")
        assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
        out.append(raw)
    return out


def assert_offline(html: str) -> None:
    assert "http://" not in html and "https://" not in html
    assert "<link" not in html and "<script" not in html and "<iframe" not in html
    assert not re.search(r"url\(", html)


# ----------------------------------------------------------------------------- a run
def test_run_report_has_every_section_and_only_embedded_images(run_dir, summary):
    html = (run_dir / "report.html").read_text()
    for section in RUN_SECTIONS:
        assert f'<section id="{section}">' in html, section
    assert_offline(html)
    images = images_of(html)
    # curve, fan, distributions, sensitivity, and the calibration run's prior/posterior plot
    assert len(images) == 5
    # The headline in plain words, with the run's own numbers.
    head = next(r for r in summary["probabilities"] if (r["years"], r["window_months"]) == (3, 12))
    sentence = _run_report.sentence("decaying", head)
    assert re.fullmatch(
        r"In the decaying scenario, there is an? [\d.]+% chance \(Monte Carlo 95% interval "
        r"[\d.]+–[\d.]+%\) that AI "
        r"compresses at least 3 years of progress into 12 months\.",
        sentence,
    )
    assert sentence in html
    assert f"{round(100 * head['p'])}%" in html
    # Run facts: seed, draws, non-finite count, device, timing, versions, the config.
    facts = html[html.index('<section id="run-facts">') :]
    for text in ("seed", "6,000", "non-finite", "device", "timing", "jax", "numpyro"):
        assert text in facts, text
    # Made through the Python API: no .hydra/, but every run saves its validated config.
    assert "Configuration (config.yaml)" in facts and "n_draws: 6000" in facts


def test_markdown_report_references_pngs_beside_it(run_dir):
    md = (run_dir / "report.md").read_text()
    for section in RUN_SECTIONS:
        assert f'<a id="{section}"></a>' in md
    files = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(files) == 5
    for name in files:
        assert "/" not in name and name.endswith(".png")
        assert (run_dir / name).read_bytes().startswith(PNG_SIGNATURE)
    assert "http://" not in md and "https://" not in md


def test_calibration_section_shows_the_posterior_and_its_run(run_dir, calibration_dir):
    html = (run_dir / "report.html").read_text()
    part = html[html.index('<section id="calibration">') : html.index('<section id="run-facts">')]
    assert str((calibration_dir / "posterior.nc").resolve()) in part
    assert "r_new" in part and "returns" in part and "converged" in part
    assert "posterior_summary.csv" in part
    (embedded,) = images_of(part)
    assert embedded == (calibration_dir / "prior_posterior.png").read_bytes()


def test_probability_curve_plots_the_summary(summary):
    plot = figs.probability_curve(summary["probabilities"])
    windows = sorted({r["window_months"] for r in summary["probabilities"]})
    assert list(plot.data) == [f"{w:g}" for w in windows]
    lines = [line for line in plot.figure.axes[0].get_lines() if line.get_marker() == "o"]
    assert len(lines) == len(windows)
    for w, line in zip(windows, lines, strict=True):
        expected = sorted(
            (r for r in summary["probabilities"] if r["window_months"] == w),
            key=lambda r: r["years"],
        )
        series = plot.data[f"{w:g}"]
        np.testing.assert_array_equal(series["years"], [r["years"] for r in expected])
        np.testing.assert_array_equal(series["p"], [r["p"] for r in expected])
        np.testing.assert_array_equal(series["ci_low"], [r["ci_low"] for r in expected])
        x, y = line.get_data()
        np.testing.assert_allclose(x, series["years"])
        np.testing.assert_allclose(np.asarray(y) / 100, series["p"])
        assert np.all(np.diff(series["p"]) <= 0), "P(>= Y) must not increase with Y"
        assert np.all(series["ci_low"] <= series["p"]) and np.all(series["p"] <= series["ci_high"])


def test_fan_chart_bands_are_ordered(summary):
    plot = figs.fan_chart(summary["fan"])
    data = plot.data
    assert len(data["t_years"]) == len(summary["fan"])
    bands = np.stack([data[k] for k in figs.FAN_KEYS])  # None (beyond range) is +inf
    assert np.all(np.diff(bands, axis=0) >= 0)
    assert np.all(bands >= 0)
    # Progress does not go backwards: each quantile is non-decreasing in time.
    assert np.all(np.diff(bands, axis=1) >= -1e-9)
    (median,) = plot.figure.axes[0].get_lines()
    finite = np.isfinite(data["q50"])
    np.testing.assert_allclose(median.get_ydata()[finite], data["q50"][finite])


def test_distributions_and_sensitivity_plot_the_tables(summary):
    peak = next(r for r in summary["quantiles"] if r["outcome"] == "peak_speedup")
    plot = figs.distributions(summary["quantiles"], None, 20.0, summary["finite_draws"])
    assert plot.data["peak_speedup"]["q50"] == peak["q50"]
    assert set(plot.data["time_to"]) == {f"{y} years of progress" for y in (1, 3, 10)}
    for q in plot.data["time_to"].values():
        values = [q[k] for k in figs.FAN_KEYS]
        assert values == sorted(values)

    events = _run_report.headline_events(summary["probabilities"])
    assert events[0] == "P(>=3y in 12m)"
    plot = figs.sensitivity_chart(summary["sensitivity"], events)
    ax = plot.figure.axes[0]
    expected = {
        r["parameter"]: r["first_order_index"]
        for r in summary["sensitivity"]
        if r["event"] == events[0]
    }
    container = ax.containers[0]  # the bars of the headline event, one per parameter
    widths = {p: bar.get_width() for p, bar in zip(plot.data["parameters"], container, strict=True)}
    assert widths == pytest.approx(expected)
    # r0 (the returns to software R&D) drives whether progress explodes.
    assert plot.data["parameters"][0] == "r0"


def test_report_is_rewritten_by_the_cli_and_rejects_other_directories(run_dir, tmp_path):
    from forecaster import cli

    before = (run_dir / "report.html").stat().st_mtime_ns
    assert cli.main(["report", str(run_dir)]) == 0
    assert (run_dir / "report.html").stat().st_mtime_ns >= before
    with pytest.raises(ConfigError, match="report.path"):
        write_report(tmp_path)
    with pytest.raises(ConfigError, match="report.path"):
        write_report(tmp_path / "missing")


def test_cli_report_on_a_non_run_directory_exits_2_with_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("not a run")
    proc = subprocess.run(
        [sys.executable, "-m", "forecaster", "report", str(tmp_path)],
        env={**os.environ, "JAX_PLATFORMS": "cpu"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("forecaster: error: report.path=")
    assert "summary.json" in lines[0]
    assert not (tmp_path / "report.html").exists()


def test_degenerate_tables_still_make_a_report(run_dir, summary, tmp_path):
    """No sensitivity, a probability with no estimate, fan bands beyond range, no sample."""
    edited = json.loads(json.dumps(summary))
    edited["sensitivity"] = []
    edited["probabilities"][-1].update(p=None, se=None, ci_low=None, ci_high=None)
    for row in edited["fan"][5:]:
        row["q95"] = None
    edited["priors"] = {"r0": "log_uniform(low=0.4, high=3.6)"}
    edited.pop("posterior_files", None)
    (tmp_path / "summary.json").write_text(json.dumps(edited))
    html = write_report(tmp_path).read_text()
    assert len(images_of(html)) == 3  # no sensitivity chart, no calibration plot
    assert '<section id="calibration">' not in html
    assert "no indices" in html.lower() or "no sensitivity" in html.lower()
    assert "n/a" in html


def test_calendar_section_when_the_run_has_timelines(summary, tmp_path):
    edited = {**summary, "posterior_files": [], "priors": {}}
    edited["calendar"] = {
        "timelines": "metr_trend",
        "explosion_event": {"years": 3.0, "window_months": 12.0},
        "p_automation_by_year": {"2026": 0.0, "2027": 0.19, "2028": 0.65, "2030": 1.0},
        "p_explosion_by_year": {"2026": 0.0, "2027": 0.05, "2028": 0.26, "2030": 0.55},
        "automation_year": {"q05": 2026.42, "q50": 2027.69, "q95": 2029.09},
        "milestone_dates": {
            "1": {"q05": 2026.7, "q25": 2027.5, "q50": 2028.1, "q75": 2028.8, "q95": 2030.1},
            "3": {"q05": 2027.0, "q25": 2028.0, "q50": 2028.9, "q75": None, "q95": None},
        },
    }
    (tmp_path / "summary.json").write_text(json.dumps(edited))
    html = write_report(tmp_path).read_text()
    part = html[html.index('<section id="calendar">') : html.index('<section id="run-facts">')]
    assert "Sep 2027" in part and "Jun 2026" in part and "Feb 2029" in part
    assert "not reached" in part and "65%" in part
    assert len(images_of(part)) == 1
    plot = date_figs.calendar_chart(edited["calendar"])
    np.testing.assert_array_equal(plot.data["p_explosion_by_year"]["p"], [0, 0.05, 0.26, 0.55])
    assert np.all(plot.data["p_explosion_by_year"]["p"] <= plot.data["p_automation_by_year"]["p"])


def _calendar_milestone(q10: float, q50: float, p_by_year: dict[str, float]) -> dict:
    """A summary.json milestone entry of a model that dates milestones on the calendar (the
    AI Futures Model's shape: its 90% quantile beyond the end of the run)."""
    edges = [2025.0 + 0.1 * i for i in range(201)]
    density = [1.0 if q10 <= e < q50 + 1 else 0.0 for e in edges[:-1]]
    date = {"q05": q10 - 0.5, "q10": q10, "q25": (q10 + q50) / 2, "q50": q50, "q75": None,
            "q90": None, "q95": None}  # fmt: skip
    years = {k: None if v is None else v - 2012.0 for k, v in date.items()}
    return {
        "years_after_start": years, "p_within_years": {"1": 0.0}, "within_counts": {"1": 0},
        "n": 1000, "phase": "start", "phase_years": years, "date": date,
        "date_density": {"edges": edges, "density": density, "log": False},
        "p_by_year": p_by_year,
    }  # fmt: skip


def test_a_model_without_a_grid_reports_its_milestones_by_date(summary, tmp_path):
    """A model that dates its milestones and has no progress grid (the AI Futures Model):
    no grid sections (no empty table, no empty figure); the milestones by calendar date with
    P(by the end of Y), not P(within Y years) of a start decades back; the sensitivity of the
    model's own events; its own section from its quantiles."""
    edited = json.loads(json.dumps(summary))
    edited.update(probabilities=[], curve=[], fan=[], posterior_files=[], priors={},
                  non_finite=3, headline={"kind": "milestones"},
                  model={"name": "aifm", "title": "AI Futures Model (Dec 2025)"})  # fmt: skip
    edited["milestones"] = {
        "AC": _calendar_milestone(2027.2, 2031.1, {"2027": 0.2, "2030": 0.49, "2049": 0.88}),
        "ASI": _calendar_milestone(2028.5, 2042.3, {"2027": 0.07, "2030": 0.24, "2049": 0.6}),
    }
    edited["quantiles"] = [
        {"outcome": "years_ac_to_asi", "series": "", "years": None, "window_months": None,
         "n": 1000, "fraction_never": 0.402, "q05": 0.13, "q25": 1.1, "q50": 8.34, "q75": None,
         "q95": None},
    ]  # fmt: skip
    edited["sensitivity"] = [
        {"event": event, "parameter": name, "first_order_index": index}
        for event, name, index in (("reached_ac", "doubling_time", 0.2),
                                   ("reached_asi", "doubling_time", 0.1),
                                   ("reached_ac", "taste_slope", 0.03),
                                   ("reached_asi", "taste_slope", 0.39))
    ]  # fmt: skip
    (tmp_path / "summary.json").write_text(json.dumps(edited))
    html = write_report(tmp_path).read_text()
    sections = re.findall(r'<section id="([^"]+)"', html)
    assert sections == ["headline", "non-finite", "sensitivity", "model-0", "common", "run-facts"]
    assert "ASI comes around Apr 2042 (median; 10% of draws by Jul 2028, and at least 10% " \
        "not by the end of the run)." in html  # fmt: skip
    head = html[html.index('<section id="headline">') : html.index('<section id="non-finite">')]
    assert "P(by end 2030)" in head and "49%" in head and "P(within" not in head
    assert "Feb 2031" in head and "not reached" in head  # dates, not years since 2012
    assert len(images_of(html)) == 3  # milestones, phases, sensitivity: no empty grid figure
    sensitivity = html[html.index('<section id="sensitivity">') :]
    assert "reached_asi" in sensitivity and "0.390" in sensitivity
    model = html[html.index('<section id="model-0">') : html.index('<section id="run-facts">')]
    assert "AC to ASI" in model and "8.34" in model and "40.2%" in model
    assert "3 draws had non-finite results" in html
    # its last milestone's median past the end of the run: said so, in dates
    edited["milestones"]["ASI"]["date"].update(q25=None, q50=None)
    (tmp_path / "summary.json").write_text(json.dumps(edited))
    html = write_report(tmp_path).read_text()
    assert "ASI is not reached by the end of the run in at least half of the draws (10% of " \
        "draws by Jul 2028)." in html  # fmt: skip


# ----------------------------------------------------------------------------- a sweep
def test_sweep_makes_one_comparison_report(sweep_dir):
    html = (sweep_dir / "report.html").read_text()
    md = (sweep_dir / "report.md").read_text()
    assert_offline(html)
    # One overlay per window: the headline's (12 months) first, then 4 months.
    twelve, four = images_of(html)
    assert (sweep_dir / "report_comparison.png").read_bytes() == twelve
    assert (sweep_dir / "report_comparison_4m.png").read_bytes() == four
    jobs = sorted(p.parent for p in sweep_dir.glob("*/summary.json"))
    assert [j.name.split("_", 1)[1] for j in jobs] == list(SCENARIOS)
    for scenario in SCENARIOS:
        assert f"In the {scenario} scenario, there is" in html
    # One table, the jobs side by side (one column each, labelled by what each swept), with
    # each job's headline numbers.
    header = next(line for line in md.splitlines() if line.startswith("|  |"))
    cells = [c.strip() for c in header.strip("|").split("|")][1:]
    assert cells == [f"scenario={j.name.split('_', 1)[1]}" for j in jobs]
    row = next(line for line in md.splitlines() if "P(≥ 3 years within 12 months)" in line)
    for job in jobs:
        s = json.loads((job / "summary.json").read_text())
        head = next(r for r in s["probabilities"] if (r["years"], r["window_months"]) == (3, 12))
        assert _format.percent_cell(head) in row
        # Each job has its own report, without a calibration section (no posterior).
        job_html = (job / "report.html").read_text()
        assert '<section id="headline">' in job_html
        assert '<section id="calibration">' not in job_html
        facts = job_html[job_html.index('<section id="run-facts">') :]
        assert "Configuration (config.yaml)" in facts and "n_draws: 3000" in facts
        assert f"[report]({job.name}/report.html)" in md
    # The overlay: one line per job, each the job's P(>= Y in 12 months).
    runs = [(j.name, json.loads((j / "summary.json").read_text())["probabilities"]) for j in jobs]
    plot = figs.sweep_curves(runs, 12.0)
    lines = [line for line in plot.figure.axes[0].get_lines() if line.get_marker() == "o"]
    assert len(lines) == len(jobs)
    for (name, probabilities), line in zip(runs, lines, strict=True):
        expected = sorted(
            (r for r in probabilities if r["window_months"] == 12), key=lambda r: r["years"]
        )
        np.testing.assert_allclose(line.get_ydata(), [100 * r["p"] for r in expected])
        assert line.get_label() == name
    # Explosive dynamics are the most likely to compress 10 years into 12 months.
    p10 = {
        n: next(r["p"] for r in p if (r["years"], r["window_months"]) == (10, 12)) for n, p in runs
    }
    assert max(p10, key=p10.get).endswith("explosive")


# ----------------------------------------------------------------------------- a browser
@pytest.mark.skipif(
    shutil.which("chromium") is None,
    reason="no headless browser: Debian's chromium is not installed (apt-get install chromium)",
)
def test_report_renders_in_a_headless_browser(run_dir, chromium):
    html = (run_dir / "report.html").read_text()
    expected = len(IMG_SRC.findall(html))
    loaded, total, dom = chromium.images(run_dir / "report.html")
    assert total == expected == 5
    assert loaded == expected
    assert 'id="fan-chart"' in dom
    pixels = matplotlib.image.imread(chromium.screenshot(run_dir / "report.html"))
    assert pixels.shape[0] >= 1000 and pixels[..., :3].std() > 0.05  # a page, not a blank


def test_one_format_for_zero_tiny_and_near_certain_probabilities():
    from forecaster.report._format import percent, share

    def row(p, low, high):
        return {"p": p, "ci_low": low, "ci_high": high}

    assert share(0.0) == percent(row(0.0, 0.0, 4e-6)) == "0%"
    assert share(1e-7) == percent(row(1e-7, 0.0, 4e-6)) == share(1e-7, 0) == "<0.01%"
    assert share(1.0) == percent(row(1.0, 0.9999, 1.0)) == "100%"
    assert share(1 - 1e-7) == ">99.99%"
    assert share(0.4213) == "42.1%" and share(0.4213, 0) == "42%"
    assert percent(row(0.003, 0.002, 0.004)) == "0.3%"  # 2 significant digits below 1%
