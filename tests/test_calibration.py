"""Calibration subsystem: models, diagnostics, outputs, data validation.

The sampling tests run NUTS on 2 CPU cores; a full run takes 5-15 s, so the runs on the
shipped data are module fixtures shared by several tests.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import jax
import numpy as np
import numpyro
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from numpyro.infer import MCMC, NUTS, Predictive
from omegaconf import DictConfig, OmegaConf
from scipy.stats import binom

from forecaster._arviz import az
from forecaster._errors import ConfigError
from forecaster._paths import conf_dir, data_dir
from forecaster.calibration import MODELS, run_calibration
from forecaster.calibration._data import log_interval_sd
from forecaster.calibration._time_horizons import trend_log2, trend_slope, years_to_level

# The module's NUTS runs (5-15 s each) set its pace; the data checks ride along with them.
pytestmark = pytest.mark.slow

FAST = ["plots=false"]


def config(*overrides: str) -> DictConfig:
    """conf/calibrate.yaml composed with ``overrides`` the way the CLI does."""
    with initialize_config_dir(config_dir=str(conf_dir()), version_base="1.3"):
        return compose("calibrate", overrides=list(overrides))


def copy_data(tmp_path: Path) -> Path:
    """A writable copy of the shipped data directory."""
    target = tmp_path / "data"
    shutil.copytree(data_dir(), target)
    return target


def posterior_median(result: dict, name: str) -> float:
    return result["quantiles"][name]["q50"]


# ----------------------------------------------------------------- full runs (module fixtures)


@pytest.fixture(scope="module")
def time_horizons_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """The default time_horizons calibration on the shipped data, plots included."""
    run_dir = tmp_path_factory.mktemp("time_horizons")
    return run_calibration(config(), run_dir), run_dir


@pytest.fixture(scope="module")
def doubling_times_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return run_calibration(
        config("model=doubling_times", *FAST), tmp_path_factory.mktemp("doubling_times")
    )


@pytest.fixture(scope="module")
def returns_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return run_calibration(config("model=returns", *FAST), tmp_path_factory.mktemp("returns"))


def test_ols_on_selected_rows_reproduces_metr_fit() -> None:
    """Row selection check: OLS of the default rows gives METR's 128.7-day doubling time."""
    options = OmegaConf.to_container(config().model, resolve=True)
    prepared = MODELS["time_horizons"].prepare(options, data_dir())
    assert len(prepared.obs) == 14
    assert prepared.info["ols_doubling_time_days"] == pytest.approx(128.7, abs=0.1)


def test_time_horizons_acceptance(time_horizons_run: tuple[dict, Path]) -> None:
    """Median doubling time inside METR's 104-158 days; R-hat and bulk ESS on every variable."""
    result, run_dir = time_horizons_run
    assert result["converged"] is True
    assert result["n_observations"] == 14
    assert 104.0 <= posterior_median(result, "doubling_time_days") <= 158.0
    summary = pd.read_csv(run_dir / "posterior_summary.csv", index_col=0)
    assert set(summary.index) >= {
        "doubling_time_days",
        "threshold_date",
        "log2_horizon_ref",
        "intercept",
        "doublings_per_year",
    }
    assert (summary["r_hat"] <= 1.01).all()
    assert (summary["ess_bulk"] >= 400).all()
    assert result["diagnostics"]["divergences"] == 0
    # threshold (167 h) lies in the future of the last fitted model and is finite
    assert result["data"]["reference_decimal_year"] < posterior_median(result, "threshold_date")
    assert result["seconds"] < 120


def test_run_directory_outputs(time_horizons_run: tuple[dict, Path]) -> None:
    """posterior.nc groups, summary CSV, JSON and a Markdown report linking existing PNGs."""
    result, run_dir = time_horizons_run
    idata = az.from_netcdf(run_dir / "posterior.nc")
    assert set(idata.groups()) >= {
        "posterior",
        "prior",
        "prior_predictive",
        "posterior_predictive",
        "observed_data",
        "sample_stats",
    }
    # Every statistic ArviZ's diagnostics need is there: BFMI and the energy plot run.
    stats = set(idata.sample_stats.data_vars)
    assert {"diverging", "energy", "lp", "step_size", "acceptance_rate"} <= stats, stats
    assert (np.asarray(az.bfmi(idata)) > 0).all()
    from matplotlib.figure import Figure

    az.plot_energy(idata, ax=Figure().subplots())
    saved = json.loads((run_dir / "calibration.json").read_text())
    assert saved["model"] == "time_horizons" and saved["converged"] is True
    assert saved["diagnostics"]["bfmi_min"] >= 0.3
    assert saved["quantiles"]["doubling_time_days"]["q50"] == pytest.approx(
        posterior_median(result, "doubling_time_days")
    )
    assert saved["config"]["inference"]["num_chains"] == 4
    used = pd.read_csv(run_dir / "data_used.csv")
    assert len(used) == 14 and used["is_sota_p50"].all() and used["source"].notna().all()
    report = (run_dir / "calibration.md").read_text()
    for png in ("rank.png", "prior_posterior.png", "predictive.png", "trend.png"):
        assert f"]({png})" in report
        assert (run_dir / png).stat().st_size > 10_000


@pytest.fixture(scope="module")
def combined_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    return run_calibration(config("model=combined_r", *FAST), tmp_path_factory.mktemp("combined"))


RUNS = ["time_horizons_run", "doubling_times_run", "returns_run", "combined_run"]


@pytest.mark.parametrize("fixture", RUNS)
def test_forecast_interface(fixture: str, request: pytest.FixtureRequest) -> None:
    """A forecast prior {dist: posterior, path, variable} can flatten chains x draws."""
    run = request.getfixturevalue(fixture)
    result = run[0] if isinstance(run, tuple) else run
    assert result["converged"] is True
    posterior = az.from_netcdf(result["posterior_path"]).posterior
    draws = posterior[result["forecast_variable"]].values.reshape(-1)
    diag = result["diagnostics"]
    assert draws.size == diag["num_chains"] * diag["num_draws"]
    assert np.all(np.isfinite(draws)) and np.all(draws > 0)
    assert result["forecast_variable"] == MODELS[result["model"]].forecast_variable


def test_returns_posterior(returns_run: dict) -> None:
    """r_new (a new domain) is centred near 1 and spreads wider than exp(mu) (+ tau)."""
    q = returns_run["quantiles"]
    assert 0.7 < q["r_new"]["q50"] < 2.0
    assert np.log(q["r_new"]["q95"] / q["r_new"]["q05"]) > q["mu"]["q95"] - q["mu"]["q05"]


def test_combined_posterior(combined_run: dict, doubling_times_run: dict, returns_run: dict):
    """Both kinds of evidence on one r: AI software's r near 1, and narrower than the growth
    rates alone give it (the domain estimates and the pooling add information)."""
    q = combined_run["quantiles"]
    assert combined_run["n_observations"] == 8 + 6  # every domain and every growth row
    assert 0.6 < q["r_software"]["q50"] < 1.6
    alone = doubling_times_run["quantiles"]["r"]
    width = np.log(q["r_software"]["q95"] / q["r_software"]["q05"])
    assert width < np.log(alone["q95"] / alone["q05"])
    assert q["scatter"]["q50"] > 0 and "r_new" in q


@pytest.mark.parametrize("fixture", RUNS)
def test_every_arviz_diagnostic_runs(fixture: str, request: pytest.FixtureRequest) -> None:
    """sample_stats holds what ArviZ's energy plot and BFMI need, for every model."""
    from matplotlib.figure import Figure

    run = request.getfixturevalue(fixture)
    result = run[0] if isinstance(run, tuple) else run
    idata = az.from_netcdf(result["posterior_path"])
    bfmi = np.asarray(az.bfmi(idata))
    assert bfmi.shape == (result["diagnostics"]["num_chains"],) and np.all(bfmi > 0.3)
    az.plot_energy(idata, ax=Figure().subplots())
    for stat in ("energy", "lp", "tree_depth", "step_size", "acceptance_rate", "diverging"):
        assert stat in idata.sample_stats, stat


def test_doubling_times_posterior(doubling_times_run: dict) -> None:
    """r = g_software / g_inputs, near 1 on the shipped LLM-era rows."""
    q = doubling_times_run["quantiles"]
    assert 0.6 < q["r"]["q50"] < 1.6
    assert doubling_times_run["n_observations"] == 6


# ----------------------------------------------------------------- more data -> faster growth


def test_shorter_doubling_time_row_speeds_up_software(
    doubling_times_run: dict, tmp_path: Path
) -> None:
    """A new software row doubling every 2 months raises g_software and r."""
    data = copy_data(tmp_path)
    with (data / "observed_growth.csv").open("a") as f:
        f.write(
            "test_software_efficiency,doubling_time,2,months,1.5,3,0.9,2024-2025,"
            "test row,software\n"
        )
    shifted = run_calibration(
        config("model=doubling_times", f"data_dir={data}", *FAST), tmp_path / "run"
    )
    assert shifted["n_observations"] == doubling_times_run["n_observations"] + 1
    for name in ("g_software", "r"):
        assert posterior_median(shifted, name) > 1.05 * posterior_median(doubling_times_run, name)
    assert posterior_median(shifted, "software_doubling_time_days") < posterior_median(
        doubling_times_run, "software_doubling_time_days"
    )


def test_model_above_trend_shortens_horizon_doubling_time(
    time_horizons_run: tuple[dict, Path], tmp_path: Path
) -> None:
    """A new frontier model with a 64-hour horizon in 2026-04 shortens the doubling time."""
    data = copy_data(tmp_path)
    with (data / "metr_time_horizons.csv").open("a") as f:
        f.write(
            "test_model,2026-04-01,3840,1900,7700,600,300,1200,true,METR-Horizon-v1.1,test row\n"
        )
    shifted = run_calibration(config(f"data_dir={data}", *FAST), tmp_path / "run")
    baseline = time_horizons_run[0]
    assert shifted["n_observations"] == 15
    assert (
        posterior_median(shifted, "doubling_time_days")
        < posterior_median(baseline, "doubling_time_days") - 3.0
    )


def test_failed_diagnostics_warn_and_flag(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Missing a threshold prints a WARNING on stderr and writes converged: false."""
    result = run_calibration(
        config(
            "inference.num_warmup=50",
            "inference.num_samples=50",
            "inference.num_chains=2",
            "thresholds.ess_bulk_min=100000",
            *FAST,
        ),
        tmp_path,
    )
    assert result["converged"] is False
    assert json.loads((tmp_path / "calibration.json").read_text())["converged"] is False
    assert "WARNING" in capsys.readouterr().err
    assert "NOT CONVERGED" in (tmp_path / "calibration.md").read_text()


# ----------------------------------------------------------------- simulation-based calibration


@pytest.mark.parametrize(
    ("model", "names"),
    [
        ("time_horizons", ("intercept", "doublings_per_year", "doubling_time_days")),
        ("returns", ("mu", "tau", "r_new")),
        ("doubling_times", ("log_g_software", "log_g_labour", "r")),
        ("combined_r", ("mu", "tau", "scatter", "r_software")),
    ],
)
def test_simulation_based_calibration(model: str, names: tuple[str, ...]) -> None:
    """Parameters drawn from the prior fall in their 90% posterior interval ~90% of the time.

    N = 100 data sets are simulated from prior draws on the shipped design (dates, reported
    sds) and fitted at once: the model under an outer plate of N independent replicates has
    the product of the N posteriors as its posterior, so one NUTS run gives each replicate's
    own posterior. The count k of hits is Binomial(100, 0.9) for a calibrated posterior; we
    accept k in the binomial's central 99.9% (k in [79, 98]), which a correct sampler fails
    once in a thousand per quantity. Seeds are fixed, so the test is deterministic.
    """
    repeats, level = 100, 0.9
    options = OmegaConf.to_container(config(f"model={model}").model, resolve=True)
    prepared = MODELS[model].prepare(options, data_dir())

    def replicated(**kwargs: object) -> None:
        with numpyro.plate("replicate", repeats, dim=-2):
            prepared.model(**kwargs)

    truth = Predictive(replicated, num_samples=1)(
        jax.random.PRNGKey(1), **prepared.inputs, obs=None
    )
    mcmc = MCMC(NUTS(replicated), num_warmup=500, num_samples=1000, progress_bar=False)
    mcmc.run(
        jax.random.PRNGKey(2), **prepared.inputs, obs=truth["obs"][0], extra_fields=("diverging",)
    )
    assert int(mcmc.get_extra_fields()["diverging"].sum()) == 0
    samples = mcmc.get_samples()
    k_min, k_max = binom.ppf([0.0005, 0.9995], repeats, level)
    for name in names:
        low, high = np.quantile(samples[name], [(1 - level) / 2, (1 + level) / 2], axis=0)
        true = truth[name][0]
        hits = int(((low <= true) & (true <= high)).sum())
        assert k_min <= hits <= k_max, f"{name}: {hits}/{repeats} inside the 90% interval"


# ----------------------------------------------------------------- pure functions


@pytest.mark.parametrize("trend", ["linear", "quadratic", "shrinking_doubling_time"])
def test_threshold_solves_trend(trend: str) -> None:
    """years_to_level inverts trend_log2; the slope is its derivative."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(5, 1, 50), rng.uniform(1.0, 4.0, 50)
    c = rng.uniform(0.0, 0.5, 50) if trend != "linear" else np.zeros(50)
    tau = np.asarray(years_to_level(13.0, a, b, c, trend))
    np.testing.assert_allclose(np.asarray(trend_log2(tau, a, b, c, trend)), 13.0, rtol=1e-4)
    h = 1e-3
    numeric = (
        np.asarray(trend_log2(tau + h, a, b, c, trend))
        - np.asarray(trend_log2(tau - h, a, b, c, trend))
    ) / (2 * h)
    np.testing.assert_allclose(np.asarray(trend_slope(tau, b, c, trend)), numeric, rtol=2e-3)


def test_superexponential_limits_and_never_reached() -> None:
    """Curvature 0 gives the linear trend; a falling quadratic may never reach the level."""
    tau = np.linspace(-2, 2, 9)
    for trend in ("quadratic", "shrinking_doubling_time"):
        np.testing.assert_allclose(
            trend_log2(tau, 5.0, 2.0, 0.0, trend),
            trend_log2(tau, 5.0, 2.0, 0.0, "linear"),
            rtol=1e-5,
        )
    assert np.isinf(years_to_level(20.0, 5.0, 2.0, -1.0, "quadratic"))
    assert np.isinf(years_to_level(20.0, 5.0, 2.0, -1.0, "shrinking_doubling_time"))


def test_interval_to_sd() -> None:
    """A 95% interval of x4 either side is sd = 2 / 1.96 in log2; no interval -> default."""
    sd = log_interval_sd([1.0, np.nan], [16.0, np.nan], 0.95, 0.7, base=2.0)
    np.testing.assert_allclose(sd, [2 / 1.959964, 0.7], rtol=1e-5)


# ----------------------------------------------------------------- user mistakes


def test_unknown_model_names_allowed(tmp_path: Path) -> None:
    cfg = config()
    cfg.model.name = "nope"
    with pytest.raises(ConfigError) as err:
        run_calibration(cfg, tmp_path)
    assert err.value.field == "model.name"
    assert all(name in err.value.allowed for name in MODELS)


def test_missing_data_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        run_calibration(config(f"data_dir={tmp_path}"), tmp_path / "run")
    assert err.value.field == "model.data_file"
    assert "metr_time_horizons.csv" in str(err.value.value)


def test_missing_data_dir(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="data_dir"):
        run_calibration(config(f"data_dir={tmp_path / 'absent'}"), tmp_path / "run")


def test_malformed_column(tmp_path: Path) -> None:
    """A renamed column is reported with the required header."""
    data = copy_data(tmp_path)
    path = data / "metr_time_horizons.csv"
    path.write_text(path.read_text().replace("p50_minutes", "p50_mins", 1))
    with pytest.raises(ConfigError) as err:
        run_calibration(config(f"data_dir={data}"), tmp_path / "run")
    assert "columns" in err.value.field and "p50_minutes" in err.value.allowed


def test_non_numeric_value(tmp_path: Path) -> None:
    """A bad cell is reported by file, CSV line and column."""
    data = copy_data(tmp_path)
    path = data / "returns_to_software_rd.csv"
    path.write_text(path.read_text().replace("sat_solvers,3.5,", "sat_solvers,lots,"))
    with pytest.raises(ConfigError) as err:
        run_calibration(config("model=returns", f"data_dir={data}"), tmp_path / "run")
    assert err.value.field == "returns_to_software_rd.csv line 4 column r_median"
    assert err.value.value == "lots" and err.value.allowed == "a number"


def test_bad_role(tmp_path: Path) -> None:
    data = copy_data(tmp_path)
    path = data / "observed_growth.csv"
    path.write_text(path.read_text().replace(",labour\n", ",labor\n"))
    with pytest.raises(ConfigError) as err:
        run_calibration(config("model=doubling_times", f"data_dir={data}"), tmp_path / "run")
    assert err.value.value == "labor" and "labour" in err.value.allowed


@pytest.mark.parametrize(
    ("override", "field", "allowed"),
    [
        ("model.trend=cubic", "model.trend", "shrinking_doubling_time"),
        (
            "model.priors.doublings_per_year.dist=gaussian",
            "model.priors.doublings_per_year.dist",
            "log_normal",
        ),
        (
            "model.priors.sigma_extra.dist=normal +model.priors.sigma_extra.loc=0",
            "model.priors.sigma_extra.dist",
            "half_normal",
        ),
        ("model.priors.intercept.scale=-1", "model.priors.intercept.scale", "positive"),
        ("model.start_date=2023-13-01", "model.start_date", "YYYY-MM-DD"),
        ("model.start_date=2027-01-01", "model.start_date/end_date/sota_only", "more than"),
        ("inference.chain_method=threads", "inference.chain_method", "vectorized"),
        ("inference.num_chains=0", "inference.num_chains", ">= 1"),
        ("thresholds.r_hat_max=0.9", "thresholds.r_hat_max", "(1.0"),
    ],
)
def test_bad_config_values(override: str, field: str, allowed: str, tmp_path: Path) -> None:
    """Each bad value names its field and what is allowed (before any sampling)."""
    with pytest.raises(ConfigError) as err:
        run_calibration(config(*override.split()), tmp_path)
    assert err.value.field == field
    assert allowed in err.value.allowed


def test_shipped_data_has_sources() -> None:
    """Every row of every shipped CSV names its source; data/README.md documents each file."""
    readme = (data_dir() / "README.md").read_text()
    for path in sorted(data_dir().glob("*.csv")):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert (table["source"].str.strip() != "").all(), path.name
        assert path.name in readme


def test_report_accepts_a_calibration_directory(time_horizons_run: tuple[dict, Path]) -> None:
    from forecaster.report import write_report

    result, run_dir = time_horizons_run
    html = write_report(run_dir).read_text()
    for section in ("status", "diagnostics", "posterior", "data", "plots"):
        assert f'<section id="{section}">' in html, section
    assert html.count('<img src="data:image/png;base64,') == len(result["plots"])
    override = (
        f"timelines.params.doubling_time_days=&quot;posterior(path={run_dir / 'posterior.nc'}, "
        "variable=doubling_time_days)&quot;"
    )
    assert override in html
    r_hat = result["diagnostics"]["variables"]["intercept"]["r_hat"]
    assert f"<td>{r_hat:.3f}</td>" in html  # R-hat to 3 decimals, not "1"
    md = (run_dir / "report.md").read_text()
    assert "## Data fitted" in md and "METR" in md  # the rows' sources


def test_leave_one_out_names_the_influential_points(returns_run: dict) -> None:
    """PSIS-LOO in calibration.json, one Pareto k per observation, the bad ones named (and
    in the console line)."""
    from forecaster.calibration._report import loo_line

    loo = returns_run["loo"]
    assert len(loo["pareto_k"]) == returns_run["n_observations"]
    assert loo["bad"] == [n for n, k in loo["pareto_k"].items() if k > 0.7]
    assert np.isfinite(loo["elpd_loo"]) and loo["se"] > 0
    line = loo_line(loo)
    assert all(name in line for name in loo["bad"])


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium not installed")
def test_calibration_report_renders_in_a_headless_browser(time_horizons_run, chromium) -> None:
    """`forecaster report <calibration dir>` writes a page whose every image loads."""
    from forecaster.cli import main

    result, run_dir = time_horizons_run
    assert main(["report", str(run_dir)]) == 0
    loaded, total, dom = chromium.images(run_dir / "report.html")
    assert total == len(result["plots"]) >= 6  # trend, priors, forest, predictive, rank, energy
    assert loaded == total
    assert 'id="diagnostics"' in dom


def test_a_malformed_calibration_json_is_one_line(tmp_path: Path) -> None:
    from forecaster import ConfigError
    from forecaster.report import write_report

    (tmp_path / "calibration.json").write_text('{"model": 3}')
    with pytest.raises(ConfigError, match="calibration.json with 'model'"):
        write_report(tmp_path)


@pytest.mark.slow
def test_the_calibrate_command_writes_its_report(tmp_path: Path, monkeypatch) -> None:
    from forecaster.cli import main

    monkeypatch.setenv("JAX_COMPILATION_CACHE_DIR", "")
    monkeypatch.setattr(sys, "argv", list(sys.argv))
    run = tmp_path / "run"
    assert main(["calibrate", "model=returns", *FAST, f"hydra.run.dir={run}"]) == 0
    html = (run / "report.html").read_text()
    assert '<section id="diagnostics">' in html and "scenario.params.r0=" in html
