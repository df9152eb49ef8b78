"""The explorer's prior previews and calibrated posteriors (issue 30 item 6).

``GET /api/density``: a prior's density as the state gives it, against scipy's closed forms
(log_uniform, normal, a log_normal mixed with a point mass), a fixed value and a parameter at
its default as point masses, a formula as a histogram of its draws, bad input as 400
``{field, message}``. ``GET /api/posteriors``: the calibration runs of the server's
calibrations directory (a tiny one made here, in the format ``forecaster calibrate`` writes),
those it skips and why (unreadable JSON, a posterior.nc that is a link, a run directory linked
out of the directory); a forecast with ``posterior:<id>`` draws the posterior's values and its
printed command runs as printed; an unknown id, an id with ``..`` and the linked run are
refused. The page: the preview while a prior is typed, its message for a bad value, and
"use for <setting>" setting a prior to a calibrated posterior.
"""

from __future__ import annotations

import json
import os
import shlex
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from test_serve import SMALL, Live, browser, until  # noqa: F401

import forecaster
from forecaster._arviz import az
from forecaster._errors import ConfigError
from forecaster._serve import overrides, parse_state
from forecaster._serve._calibrations import Catalogue
from forecaster._serve._state import cli_command
from forecaster.calibration._report import quantiles, write_json

pytestmark = pytest.mark.slow
DH = "davidson_houlden_2025"
RETURNS = "returns/2026-12-06_10-00-00"
HORIZONS = "time_horizons/2026-12-07_09-00-00"


def _trapezoid(x, y) -> float:
    x, y = np.asarray(x), np.asarray(y)
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2)


def _run(root: Path, run_id: str, model: str, variable: str, draws: np.ndarray) -> Path:
    """A calibration run directory as ``forecaster calibrate`` writes it: posterior.nc (ArviZ)
    and calibration.json (by the calibration's own writer)."""
    directory = root / run_id
    directory.mkdir(parents=True)
    idata = az.from_dict(posterior={variable: draws.reshape(2, -1)})
    idata.to_netcdf(str(directory / "posterior.nc"))
    result = {
        "model": model,
        "description": f"{model} (a test's)",
        "n_observations": 7,
        "converged": True,
        "forecast_variable": variable,
        "posterior_path": str(directory / "posterior.nc"),
        "diagnostics": {"variables": {}, "failures": []},
        "quantiles": quantiles(idata["posterior"], [variable]),
    }
    write_json(result, directory / "calibration.json")
    return directory


@pytest.fixture(scope="module")
def calibrations(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("calibrate")
    rng = np.random.default_rng(7)
    _run(root, RETURNS, "returns", "r_new", rng.lognormal(0.0, 0.3, 1000))
    _run(root, HORIZONS, "time_horizons", "doubling_time_days", rng.lognormal(4.9, 0.1, 400))
    broken = _run(root, "returns/2026-12-08_00-00-00", "returns", "r_new", rng.lognormal(0, 1, 10))
    (broken / "calibration.json").write_text("{not json")
    linked = _run(root, "returns/2026-12-09_00-00-00", "returns", "r_new", rng.lognormal(0, 1, 10))
    (linked / "posterior.nc").rename(linked / "elsewhere.nc")
    os.symlink(linked / "elsewhere.nc", linked / "posterior.nc")
    outside = _run(tmp_path_factory.mktemp("outside"), "run", "returns", "r_new",
                   rng.lognormal(0, 1, 10))  # fmt: skip
    os.symlink(outside, root / "returns" / "escaped")  # a run directory linked out of root
    return root


@pytest.fixture(scope="module")
def live(calibrations):
    server = Live(time_limit_s=120.0, calibrations=calibrations)
    yield server
    server.stop()


def _density(live, state, path):
    query = urllib.parse.urlencode({"state": json.dumps(state), "path": path})
    code, body = live.get(f"/api/density?{query}")
    return code, json.loads(body)


# ----------------------------------------------------------------------------- densities
def test_a_log_uniform_density_is_scipys_over_its_support(live):
    state = {"scenario": DH, "params": {"f": "log_uniform(low=3, high=48)"}}
    code, body = _density(live, state, "scenario.params.f")
    assert code == 200, body
    assert body["method"] == "exact" and body["prior"] == "log_uniform(low=3.0, high=48.0)"
    x, y = np.array(body["x"]), np.array(body["density"])
    assert (
        len(x) == 200
        and x[0] == pytest.approx(3, rel=1e-4)
        and x[-1] == pytest.approx(48, rel=1e-4)
    )
    np.testing.assert_allclose(y, stats.loguniform.pdf(x, 3, 48), rtol=1e-6)
    assert body["coverage"] == 1.0 and _trapezoid(x, y) == pytest.approx(1.0, abs=1e-3)
    # The page's edit is what is shown: another prior, another density (not the preset's).
    preset = _density(live, {"scenario": DH}, "f")[1]
    assert preset["prior"] != body["prior"] and preset["x"] != body["x"]


def test_a_normal_density_is_scipys_between_its_quantiles(live):
    # A latent prior (any real number): the stage's own path form.
    state = {
        "scenario": "ai2027_takeoff",
        "params": {"scenario.latent.amr_to_sar": "normal(loc=8, scale=2)"},
    }
    code, body = _density(live, state, "scenario.latent.amr_to_sar")
    assert code == 200, body
    x, y = np.array(body["x"]), np.array(body["density"])
    normal = stats.norm(8, 2)
    assert x[0] == pytest.approx(normal.ppf(0.005), rel=1e-4)
    assert x[-1] == pytest.approx(normal.ppf(0.995), rel=1e-4)
    np.testing.assert_allclose(y, stats.norm.pdf(x, 8, 2), rtol=1e-6)
    assert body["coverage"] == pytest.approx(0.99) and _trapezoid(x, y) == pytest.approx(
        0.99, abs=1e-3
    )


def test_a_point_mass_mixture_scales_the_density_and_names_the_mass(live):
    state = {
        "scenario": DH,
        "params": {"f": "log_normal(median=8, sigma=0.5, p_mass=0.2, mass_at=1)"},
    }
    code, body = _density(live, state, "f")
    assert code == 200, body
    x, y = np.array(body["x"]), np.array(body["density"])
    np.testing.assert_allclose(y, 0.8 * stats.lognorm.pdf(x, 0.5, scale=8), rtol=1e-6)
    assert body["point_mass"] == {"at": 1.0, "p": 0.2}
    assert _trapezoid(x, y) == pytest.approx(0.8 * 0.99, abs=2e-3)


def test_fixed_values_defaults_and_formulas(live):
    code, body = _density(live, {"scenario": DH, "params": {"f": "8"}}, "f")
    assert code == 200 and body["method"] == "point" and body["point_mass"] == {"at": 8.0, "p": 1.0}
    assert body["x"] == []
    # A formula (AI 2027's gap_SIAR): a histogram of its draws, drawn as the engine draws them.
    code, body = _density(live, {"scenario": "ai2027_takeoff"}, "scenario.params.gap_SIAR")
    assert code == 200 and body["method"] == "histogram", body
    assert body["prior"].startswith("derived(expr=")
    assert 0.98 < body["coverage"] <= 0.99 + 1e-9
    centres, values = np.array(body["x"]), np.array(body["density"])
    assert np.all(values >= 0) and values.max() > 0 and np.all(np.diff(centres) > 0)


@pytest.mark.parametrize(
    ("state", "path", "field"),
    [
        (
            {"scenario": DH, "params": {"f": "log_uniform(low=32, high=2)"}},
            "f",
            "scenario.params.f.high",
        ),
        ({"scenario": DH, "params": {"f": "lognormal(x=1)"}}, "f", "scenario.params.f.dist"),
        ({"scenario": DH, "params": {"f": "${oc.env:HOME}"}}, "f", "scenario.params.f"),
        ({"scenario": DH}, "scenario.params.no_such", "path"),
        ({"scenario": DH}, "../../etc/passwd", "path"),
        ({"scenario": DH}, None, "path"),
        ({"scenario": DH}, "timelines.params.doubling_time_days", "path"),  # no stage chosen
    ],
)
def test_bad_input_is_a_400_naming_its_field(live, state, path, field):
    query = {"state": json.dumps(state), **({"path": path} if path is not None else {})}
    code, body = live.get("/api/density?" + urllib.parse.urlencode(query))
    body = json.loads(body)
    assert code == 400 and body["field"] == field and "is not allowed" in body["message"], body


# --------------------------------------------------------------------- calibrated posteriors
def test_the_listing_has_the_runs_and_says_what_it_skipped(live, calibrations):
    body = json.loads(live.get("/api/posteriors")[1])
    runs = {r["id"]: r for r in body["posteriors"]}
    assert set(runs) == {RETURNS, HORIZONS}
    returns = runs[RETURNS]
    assert returns["model"] == "returns" and returns["forecast_variable"] == "r_new"
    assert returns["setting"] == "scenario.params.r0" and returns["presets"] == []
    assert returns["converged"] is True and 0.5 < returns["quantiles"]["q50"] < 2
    horizons = runs[HORIZONS]
    assert horizons["setting"] == "timelines.params.doubling_time_days"
    assert horizons["presets"] == ["timelines=metr_trend"]
    assert str(calibrations) not in json.dumps(body["posteriors"])  # a page never sees a path
    skipped = {s["id"]: s["message"] for s in body["skipped"]}
    assert set(skipped) == {"returns/2026-12-08_00-00-00", "returns/2026-12-09_00-00-00",
                            "returns/escaped"}  # fmt: skip
    assert "readable calibration.json" in skipped["returns/2026-12-08_00-00-00"]
    assert "not a symbolic link" in skipped["returns/2026-12-09_00-00-00"]
    assert "inside the calibrations directory" in skipped["returns/escaped"]


def test_a_missing_directory_lists_nothing(tmp_path):
    catalogue = Catalogue(tmp_path / "none")
    assert catalogue.listing()["posteriors"] == [] and catalogue.priors() == {}


def test_a_forecast_draws_from_a_listed_posterior(live, calibrations):
    state = {**SMALL, "n_draws": 8192, "params": {"r0": f"posterior:{RETURNS}"}}
    view = live.result(state)
    assert view["status"] == "done", view
    posterior = (calibrations / RETURNS / "posterior.nc").resolve()
    assert view["summary"]["posterior_files"] == [
        {"parameter": "r0", "path": str(posterior), "variable": "r_new", "draws": 1000}
    ]
    job = live.server.config.app.state.jobs.get(view["id"])
    drawn = np.asarray(job.result.sample["r0"])
    draws = np.asarray(az.from_netcdf(posterior)["posterior"]["r_new"]).reshape(-1)
    # Every value drawn is one of the posterior's draws (in the run's precision).
    assert np.isin(drawn, draws.astype(drawn.dtype)).all()
    probs = (0.05, 0.25, 0.5, 0.75, 0.95)
    np.testing.assert_allclose(np.quantile(drawn, probs), np.quantile(draws, probs), rtol=0.05)
    # The command the page prints draws from the file, and runs as printed.
    command = json.loads(
        live.get("/api/scenario?state=" + urllib.parse.quote(json.dumps(state)))[1]
    )["command"]
    assert f"posterior(path={posterior}, variable=r_new)" in command
    words = shlex.split(command)
    assert words[:2] == ["forecaster", "forecast"]
    fc = forecaster.forecast(overrides=words[2:], progress=False)
    assert fc.summary["probabilities"] == view["summary"]["probabilities"]


def test_the_table_shows_the_posterior_and_its_density(live, calibrations):
    setting = "timelines.params.doubling_time_days"
    state = {
        "scenario": DH,
        "timelines": "metr_trend",
        "params": {setting: f"posterior:{HORIZONS}"},
    }
    query = urllib.parse.quote(json.dumps(state))
    code, table = live.get(f"/api/scenario?state={query}")
    rows = {r["path"]: r for r in json.loads(table)["parameters"]}
    row = rows["timelines.params.doubling_time_days"]
    posterior = (calibrations / HORIZONS / "posterior.nc").resolve()
    assert row["prior"] == f"posterior(path={posterior}, variable=doubling_time_days)"
    assert row["editable"]  # the page chose it: the page may change it back
    code, body = _density(live, state, "timelines.params.doubling_time_days")
    assert code == 200 and body["method"] == "kde", body
    draws = np.asarray(az.from_netcdf(posterior)["posterior"]["doubling_time_days"]).reshape(-1)
    x, y = np.array(body["x"]), np.array(body["density"])
    assert x[0] >= draws.min() and x[-1] <= draws.max()
    assert x[int(np.argmax(y))] == pytest.approx(np.median(draws), rel=0.1)


@pytest.mark.parametrize(
    "given",
    [
        "posterior:returns/2026-01-01_00-00-00",  # not listed
        f"posterior:returns/../{RETURNS}",  # a path, not an id
        "posterior:../../etc",
        "posterior:returns/escaped",  # the run linked out of the directory
        "posterior:returns/2026-12-09_00-00-00",  # its posterior.nc is a link
        f"posterior(path={RETURNS}/posterior.nc, variable=r_new)",  # the CLI's form: no paths
    ],
)
def test_an_id_not_listed_is_refused(live, given):
    code, body = live.post("/api/run", {**SMALL, "params": {"r0": given}})
    assert code == 400 and body["field"] == "scenario.params.r0", body
    if given.startswith("posterior:"):
        assert RETURNS in body["message"] and HORIZONS in body["message"]  # the ids allowed


def test_the_state_stays_free_of_paths_and_pure():
    listed = {RETURNS: "posterior(path=/data/cal/posterior.nc, variable=r_new)"}
    state = parse_state({"scenario": DH, "params": {"r0": f"posterior: {RETURNS}"}}, listed)
    assert state.params == {"scenario.params.r0": f"posterior:{RETURNS}"}
    assert state.to_json()["params"] == {"scenario.params.r0": f"posterior:{RETURNS}"}
    assert "/data/cal" not in json.dumps(state.to_json())
    assert f"++scenario.params.r0='{listed[RETURNS]}'" in overrides(state)
    assert listed[RETURNS] in cli_command(state)
    with pytest.raises(ConfigError) as err:
        parse_state({"scenario": DH, "params": {"r0": f"posterior:{RETURNS}"}})  # none listed
    assert err.value.field == "scenario.params.r0" and "none found" in str(err.value)
    with pytest.raises(ConfigError) as err:  # the server's own field is not the page's
        parse_state({"scenario": DH, "sources": {"scenario.params.r0": "posterior(path=/x)"}})
    assert err.value.field == "sources"


def _listed_by_the_cli(cwd: Path, *args: str) -> dict:
    """``GET /api/posteriors`` of ``forecaster serve --no-token <args>`` run in ``cwd``."""
    import subprocess
    import sys
    import urllib.request

    from test_serve_security import _free_port, _started, _stop

    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(Path.cwd())}
    process = subprocess.Popen(
        [sys.executable, "-m", "forecaster", "serve", "--no-token", "--port", str(_free_port()),
         *args],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        url = _started(process)
        with urllib.request.urlopen(url + "api/posteriors", timeout=60) as response:
            return json.loads(response.read())
    finally:
        _stop(process)


def test_forecaster_serve_reads_its_calibrations_directory(tmp_path):
    rng = np.random.default_rng(1)
    _run(tmp_path / "outputs" / "calibrate", RETURNS, "returns", "r_new", rng.lognormal(0, 0.3, 20))
    _run(tmp_path / "elsewhere", HORIZONS, "time_horizons", "doubling_time_days",
         rng.lognormal(4.9, 0.1, 20))  # fmt: skip
    default = _listed_by_the_cli(tmp_path)  # outputs/calibrate of its working directory
    assert default["directory"] == "outputs/calibrate"
    assert [r["id"] for r in default["posteriors"]] == [RETURNS]
    chosen = _listed_by_the_cli(tmp_path, "--calibrations", "elsewhere")
    assert [r["id"] for r in chosen["posteriors"]] == [HORIZONS]


# ----------------------------------------------------------------------------- the page
def test_the_page_previews_a_prior_while_it_is_typed(live, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    state = {"a": {**SMALL, "n_draws": 4096}, "b": None, "tab": "curves"}
    browser.get(f"{live.base}/?state=" + urllib.parse.quote(json.dumps(state)))
    field = until(browser, lambda d: d.find_element(
        By.CSS_SELECTOR, '#panel-a input[data-field="scenario.params.f"]'))  # fmt: skip
    field.clear()
    field.send_keys("log_uniform(low=4, high=64)")  # typed, not yet committed (no Tab)
    density = "#panel-a .density"
    until(browser, lambda d: "low=4.0, high=64.0"
          in d.find_element(By.CSS_SELECTOR, f"{density} .density-title").text)  # fmt: skip
    box = browser.find_element(By.CSS_SELECTOR, density)
    assert (
        box.get_attribute("data-status") == "exact"
        and box.get_attribute("data-path") == "scenario.params.f"
    )
    xs = browser.execute_script("return document.querySelector('#panel-a .plot-density').data[0].x")
    assert xs[0] == pytest.approx(4, rel=1e-3) and xs[-1] == pytest.approx(64, rel=1e-3)
    field.clear()
    field.send_keys("log_uniform(low=64, high=4)")
    until(browser, lambda d: "f.high"
          in d.find_element(By.CSS_SELECTOR, f"{density} .density-message").text)  # fmt: skip
    box = browser.find_element(By.CSS_SELECTOR, density)
    message = box.find_element(By.CSS_SELECTOR, ".density-message").text
    assert box.get_attribute("data-status") == "error"
    assert message.startswith("scenario.params.f.high=4.0 is not allowed")
    assert not box.find_element(By.CSS_SELECTOR, ".plot-density").is_displayed()


def test_the_page_uses_a_calibrated_posterior(live, browser, calibrations):  # noqa: F811
    from selenium.webdriver.common.by import By

    state = {"a": {**SMALL, "n_draws": 4096}, "b": None, "tab": "curves"}
    browser.get(f"{live.base}/?state=" + urllib.parse.quote(json.dumps(state)))
    button = until(browser, lambda d: d.find_element(
        By.CSS_SELECTOR, f'#panel-a .calibrated button[data-posterior="{RETURNS}"]'))  # fmt: skip
    assert button.get_attribute("textContent") == "use for scenario.params.r0"
    browser.execute_script("arguments[0].click()", button)  # inside a closed <details>
    r0 = '#panel-a input[data-field="scenario.params.r0"]'
    until(browser, lambda d: d.find_element(By.CSS_SELECTOR, r0).get_attribute("value")
          == f"posterior:{RETURNS}")  # fmt: skip
    posterior = (calibrations / RETURNS / "posterior.nc").resolve()
    until(browser, lambda d: f"posterior(path={posterior}, variable=r_new)"
          in d.find_element(By.CSS_SELECTOR, "#panel-a .command").text)  # fmt: skip
    until(
        browser,
        lambda d: d.find_element(By.CSS_SELECTOR, "#panel-a .headline").get_attribute("data-p"),
    )
    url = urllib.parse.unquote(browser.current_url)
    assert f"posterior:{RETURNS}" in url and str(posterior) not in url  # the URL holds no path
    # The time-horizon posterior brings the preset its setting needs (timelines=metr_trend).
    other = browser.find_element(
        By.CSS_SELECTOR, f'#panel-a .calibrated button[data-posterior="{HORIZONS}"]'
    )
    browser.execute_script("arguments[0].click()", other)
    field = '#panel-a input[data-field="timelines.params.doubling_time_days"]'

    def chosen(d):
        found = d.find_elements(By.CSS_SELECTOR, field)
        return found and found[0].get_attribute("value") == f"posterior:{HORIZONS}"

    until(browser, chosen)
    assert (
        browser.find_element(By.CSS_SELECTOR, "#panel-a select.timelines").get_attribute("value")
        == "metr_trend"
    )
