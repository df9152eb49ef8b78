"""``forecaster serve``: the explorer's API against the CLI's numbers, its refusals, limits and
concurrency, and the page driven in a real headless Chromium (Selenium, Debian's
chromium-driver)."""

from __future__ import annotations

import json
import shutil
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

import forecaster
from forecaster._serve import Background, overrides, parse_state
from forecaster.report._format import milestone_cap_notes

pytestmark = pytest.mark.slow
SMALL = {"scenario": "davidson_houlden_2025", "n_draws": 20000, "seed": 3}
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


class Live(Background):
    """The app on a free port of 127.0.0.1, with the page's requests."""

    def get(self, path: str):
        try:
            with urllib.request.urlopen(self.base + path, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def post(self, path: str, body):
        request = urllib.request.Request(
            self.base + path, json.dumps(body).encode(), {"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())

    def result(self, state, timeout: float = 120.0):
        code, job = self.post("/api/run", state)
        assert code == 200, job
        deadline = time.time() + timeout
        while True:
            view = json.loads(self.get(f"/api/job/{job['id']}")[1])
            if view["status"] not in ("queued", "running"):
                return view
            assert time.time() < deadline, view
            time.sleep(0.1)


@pytest.fixture(scope="module")
def live():
    server = Live(time_limit_s=120.0)
    yield server
    server.stop()


def cli_probabilities(state) -> dict:
    """What ``forecaster forecast`` computes for a state (in this process, its overrides)."""
    fc = forecaster.forecast(overrides=overrides(parse_state(state)), progress=False)
    return {(r["years"], r["window_months"]): r["p"] for r in fc.summary["probabilities"]}


def test_every_number_is_the_clis(live):
    view = live.result(SMALL)
    assert view["status"] == "done", view
    served = {(r["years"], r["window_months"]): r["p"] for r in view["summary"]["probabilities"]}
    assert served == cli_probabilities(SMALL)
    changed = {**SMALL, "params": {"f": "log_uniform(low=4, high=64)"}}
    again = live.result(changed)["summary"]["probabilities"]
    assert {(r["years"], r["window_months"]): r["p"] for r in again} == cli_probabilities(changed)


def test_latent_and_timelines_priors_are_editable_too(live):
    state = {
        "scenario": "ai2027_takeoff",
        "timelines": "ai2027",
        "n_draws": 8192,
        "params": {
            "scenario.latent.amr_to_sar": "log_normal(low=2, high=20, coverage=0.8)",
            "timelines.params.doubling_time_months": "log_normal(low=3, high=8, coverage=0.8)",
        },
    }
    query = urllib.parse.quote(json.dumps(state))
    rows = json.loads(live.get(f"/api/scenario?state={query}")[1])["parameters"]
    by_path = {r["path"]: r for r in rows}
    assert by_path["scenario.latent.amr_to_sar"]["prior"].startswith("log_normal(low=2")
    assert not by_path["scenario.params.gap_SIAR"]["editable"]  # a formula: shown, not edited
    assert by_path["timelines.params.doubling_time_months"]["unit"] == "months"
    view = live.result(state)
    served = view["summary"]
    fc = forecaster.forecast(overrides=overrides(parse_state(state)), progress=False)
    assert served["milestones"] == json.loads(json.dumps(fc.summary["milestones"]))
    # A time at the ladder's phase cap: the page shows the report's words, sent with the run.
    assert view["milestone_notes"] == milestone_cap_notes(fc.summary)
    assert served["calendar"]["automation_year"] == fc.summary["calendar"]["automation_year"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"f": "log_uniform(low=32, high=2)"}, "scenario.params.f.high"),
        ({"f": "${oc.env:HOME}"}, "scenario.params.f"),  # no interpolation reaches Hydra
        ({"f": "posterior(path=/etc/passwd, variable=x)"}, "scenario.params.f"),  # no paths
        ({"f": "uniform(low=1, high=2)', '+x=1"}, "scenario.params.f"),
        ({"r0": -1}, "scenario.params.r0"),
    ],
)
def test_a_bad_value_is_one_message_naming_its_field(live, params, field):
    code, body = live.post("/api/run", {**SMALL, "params": params})
    assert code == 400 and body["field"] == field and "is not allowed" in body["message"]


def test_bad_states_and_paths_are_refused(live):
    assert live.post("/api/run", {**SMALL, "scenario": "../../etc"})[1]["field"] == "scenario"
    assert live.post("/api/run", {**SMALL, "n_draws": 0})[1]["field"] == "n_draws"
    assert live.post("/api/run", {**SMALL, "surprise": 1})[0] == 400
    assert live.get("/static/..%2F_app.py")[0] == 404
    assert live.get("/api/job/nope")[0] == 404
    page = live.get("/")[1].decode()
    assert "http://" not in page and "https://" not in page  # every asset served here
    assert live.get("/static/plotly.min.js")[0] == 200


def test_a_computation_past_the_time_limit_is_cancelled():
    server = Live(time_limit_s=0.5)
    try:
        view = server.result({**SMALL, "n_draws": 4_000_000, "scenario": "decaying"})
    finally:
        server.stop()
    assert view["status"] == "cancelled" and "time limit of 0.5 s" in view["error"]["message"]


def test_concurrent_users_get_their_own_results(live):
    states = [{**SMALL, "seed": s} for s in (11, 12)]
    codes = [live.post("/api/run", s) for s in states]
    views = []
    for code, job in codes:
        assert code == 200
        while True:
            view = json.loads(live.get(f"/api/job/{job['id']}")[1])
            if view["status"] == "done":
                views.append(view)
                break
            time.sleep(0.1)
    for state, view in zip(states, views, strict=True):
        served = {
            (r["years"], r["window_months"]): r["p"] for r in view["summary"]["probabilities"]
        }
        assert served == cli_probabilities(state)
    assert views[0]["summary"]["seed"] == 11 and views[1]["summary"]["seed"] == 12


def test_a_mixture_of_two_runs(live):
    """POST /api/mix: two finished runs of different models weighted, forecaster mix's
    numbers (the weighted averages of the parts' probabilities); bad requests refused."""
    a = live.result(SMALL)
    b = live.result({**SMALL, "scenario": "decaying", "timelines": "metr_trend"})
    parts = [{"job": a["id"], "weight": 1.0}, {"job": b["id"], "weight": 3.0}]
    code, mix = live.post("/api/mix", {"parts": parts})
    assert code == 200, mix
    cell = lambda view: {(r["years"], r["window_months"]): r["p"]  # noqa: E731
                         for r in view["summary"]["probabilities"]}  # fmt: skip
    pa, pb = cell(a), cell(b)
    assert len(mix["probabilities"]) == len(pa)
    for row in mix["probabilities"]:
        key = (row["years"], row["window_months"])
        assert row["p"] == pytest.approx(0.25 * pa[key] + 0.75 * pb[key], abs=1e-15)
    assert [p["weight"] for p in mix["mixture"]["parts"]] == [0.25, 0.75]
    assert mix["common"]["automation"] is None  # D&H has no dated start here: unanswered
    for body in (
        {"parts": parts[:1]},
        {"parts": [{"job": "no-such-job", "weight": 1.0}, parts[1]]},
        {"parts": [{"job": a["id"], "weight": -1.0}, parts[1]]},
        "not a request",
    ):
        code, error = live.post("/api/mix", body)
        assert code == 400 and error["field"] == "mix.parts", (body, error)


def test_download_is_the_run_directory(live, tmp_path):
    import io
    import zipfile

    view = live.result(SMALL)
    code, body = live.get(f"/api/job/{view['id']}/download")
    assert code == 200
    names = set(zipfile.ZipFile(io.BytesIO(body)).namelist())
    for file in ("summary.json", "probabilities.csv", "config.yaml", "report.html"):
        assert f"forecast/{file}" in names, names
    summary = json.loads(zipfile.ZipFile(io.BytesIO(body)).read("forecast/summary.json"))
    assert summary["probabilities"] == view["summary"]["probabilities"]


def test_trajectory_and_speedup(live):
    query = urllib.parse.quote(json.dumps(SMALL))
    code, body = live.get(f"/api/trajectory?state={query}")
    served = json.loads(body)
    assert code == 200 and served["columns"]["t_years"][0] == 0.0
    assert (served["x"], served["y"]) == ("t_years", "progress_years")
    result = json.loads(live.get("/api/speedup")[1])
    assert result["speedup"] == pytest.approx(3.2766, abs=1e-4)  # their defaults: 3.28x
    code, body = live.get("/api/speedup?alpha=2")
    assert code == 400 and json.loads(body)["field"] == "alpha"


def test_a_model_on_the_calendar_serves_its_own_path(live):
    """The AI Futures Model's path at its site's defaults: calendar years, effective compute,
    its milestones dated as ``forecaster trajectory`` dates them."""
    query = urllib.parse.quote(json.dumps({"scenario": "aifm_site_defaults"}))
    code, body = live.get(f"/api/trajectory?state={query}")
    served = json.loads(body)
    assert code == 200, served
    assert (served["x"], served["y"]) == ("year", "progress")
    assert served["columns"]["year"][0] == 2012.0
    assert list(served["marks"]) == ["AC", "SAR", "SIAR", "TED-AI", "ASI"]
    assert 2029 < served["marks"]["AC"] < served["marks"]["ASI"] < 2036


# ----------------------------------------------------------------------------- the browser
@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (CHROMIUM and DRIVER):
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--window-size=1300,1800"):  # fmt: skip
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium')}")
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def until(driver, predicate, timeout: float = 60.0):
    """Wait for ``predicate(driver)`` to be truthy and return it.

    The page re-renders a panel as results arrive, so an element found a moment ago can be
    replaced before it is read (stale) or not be there yet: both mean "not yet", never a
    failure; find elements inside the predicate so each try reads the current page.
    """
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
    )
    from selenium.webdriver.support.ui import WebDriverWait

    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(driver, timeout, ignored_exceptions=ignored).until(predicate)


def _headline(driver, previous: str | None = None, timeout: float = 120.0) -> str:
    from selenium.webdriver.common.by import By

    def ready(d):
        value = d.find_element(By.CSS_SELECTOR, "#panel-a .headline").get_attribute("data-p")
        return value if value and value != previous else False

    return until(driver, ready, timeout)


def test_the_page_in_a_headless_browser(live, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    state = {"a": SMALL, "b": None, "tab": "curves"}
    browser.get(f"{live.base}/?state=" + urllib.parse.quote(json.dumps(state)))
    first = float(_headline(browser))
    assert first == cli_probabilities(SMALL)[(3.0, 12.0)]  # the CLI's number, to the bit
    # Change a prior: the headline changes, and is the CLI's for the new settings.
    field = browser.find_element(By.CSS_SELECTOR, '#panel-a input[data-field="scenario.params.f"]')
    field.clear()
    field.send_keys("log_uniform(low=4, high=64)", Keys.TAB)
    second = float(_headline(browser, previous=str(first)))
    changed = {**SMALL, "params": {"f": "log_uniform(low=4, high=64)"}}
    assert second != first and second == cli_probabilities(changed)[(3.0, 12.0)]
    # The URL holds the whole state: reloading it gives the same fields and the same number.
    url = browser.current_url
    browser.get(url)
    assert float(_headline(browser)) == second
    field = browser.find_element(By.CSS_SELECTOR, '#panel-a input[data-field="scenario.params.f"]')
    assert field.get_attribute("value") == "log_uniform(low=4, high=64)"
    # A bad value: its message beside the field, the server still serving.
    field.clear()
    field.send_keys("log_uniform(low=64, high=4)", Keys.TAB)
    message = until(
        browser,
        lambda d: d.find_element(By.CSS_SELECTOR, '#panel-a [data-error="scenario.params.f"]').text,
    )
    assert "scenario.params.f.high" in message and "is not allowed" in message
    assert live.get("/api/presets")[0] == 200


def test_a_poll_waits_for_the_end_of_its_job(live):
    """``?wait=<s>`` holds the answer until the job ends (the page learns of its results when
    they are ready), answers at once for a job that has ended, and a bad wait is refused in
    one message naming it."""
    code, job = live.post("/api/run", {**SMALL, "seed": 21})
    assert code == 200
    path = f"/api/job/{job['id']}"
    polls = 0
    while True:
        polls += 1
        view = json.loads(live.get(f"{path}?wait=5")[1])
        if view["status"] not in ("queued", "running"):
            break
        assert polls < 30, view
    assert view["status"] == "done" and view["summary"]["seed"] == 21
    t0 = time.perf_counter()
    again = json.loads(live.get(f"{path}?wait=5")[1])
    assert again["status"] == "done" and time.perf_counter() - t0 < 5.0  # no wait: it ended
    for bad in ("-1", "6", "soon", "nan"):
        code, body = live.get(f"{path}?wait={bad}")
        message = json.loads(body)
        assert code == 400 and message["field"] == "wait", (bad, message)
