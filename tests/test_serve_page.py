"""The explorer's page in headless Chromium (issue 30 item 6): presets grouped by model with
their descriptions, the model's and each switch's meaning shown as text, compare mode starting
as a copy of A with A/B legends in paired colours, a stale headline greyed after a bad value,
prior inputs wide enough for their text, and the full P(>= Y within w) grid with A - B and its
standard error. Screenshots for what a test cannot judge (looks), explorer-*.png, go to the
test's temporary directory; with ``FORECASTER_SCREENSHOTS=1`` they refresh the committed ones in
docs/screenshots/ (``FORECASTER_SCREENSHOTS=1 python -m pytest tests/test_serve_page.py``), so
an ordinary run leaves the checkout as it was."""

from __future__ import annotations

import json
import math
import os
import urllib.parse
from pathlib import Path

import pytest
from test_serve import SMALL, Live, _headline, browser, cli_probabilities, until  # noqa: F401

pytestmark = pytest.mark.slow
DOCS_SHOTS = Path(__file__).parent.parent / "docs" / "screenshots"
DH = "davidson_houlden_2025"


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where this test's screenshots go: docs/screenshots/ with FORECASTER_SCREENSHOTS=1,
    else the test's temporary directory."""
    target = DOCS_SHOTS if os.environ.get("FORECASTER_SCREENSHOTS") == "1" else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    return target


@pytest.fixture(scope="module")
def live():
    server = Live(time_limit_s=120.0)
    yield server
    server.stop()


def _open(browser, live, a, b=None, tab="curves"):  # noqa: F811
    state = {"a": a, "b": b, "tab": tab}
    browser.get(f"{live.base}/?state=" + urllib.parse.quote(json.dumps(state)))
    return float(_headline(browser))


def _js(browser, script):  # noqa: F811
    return browser.execute_script(script)


def test_presets_are_grouped_by_model_and_described(live):
    body = json.loads(live.get("/api/presets")[1])
    details = {d["name"]: d for d in body["scenario_details"]}
    assert set(details) == set(body["scenarios"])
    assert details[DH]["model"] == "davidson_houlden"
    assert "reproduction" in details[DH]["description"]
    query = urllib.parse.quote(json.dumps({"scenario": DH}))
    table = json.loads(live.get(f"/api/scenario?state={query}")[1])
    assert table["option_help"]["constant_r"] == "r stays r0 (the ceiling is kept)"
    assert set(table["option_help"]) == set(table["options"])


def test_descriptions_and_switches_are_shown_as_text(live, browser):  # noqa: F811
    from selenium.webdriver.common.by import By

    _open(browser, live, SMALL)
    groups = _js(
        browser,
        "return [...document.querySelectorAll('#panel-a select.scenario optgroup')]"
        ".map(g => [g.label, [...g.children].map(o => o.value)])",
    )
    by_group = {label: names for label, names in groups}
    assert by_group["Davidson & Houlden (2025)"] == [DH]
    assert "decaying" in by_group["General software-intelligence-explosion law"]
    panel = browser.find_element(By.ID, "panel-a")
    model = panel.find_element(By.CSS_SELECTOR, ".model-description")
    preset = panel.find_element(By.CSS_SELECTOR, ".preset-description")
    assert model.is_displayed() and model.text.startswith("Davidson & Houlden (2025): ")
    assert preset.is_displayed() and "their priors and stepper" in preset.text
    helps = {
        h.find_element(By.XPATH, "..")
        .find_element(By.TAG_NAME, "input")
        .get_attribute("data-option"): h.text
        for h in panel.find_elements(By.CSS_SELECTOR, ".switch-help")
    }
    assert helps["gradual_boost"] == "f rises from 0.1 to the drawn f over 5 years"
    assert all(text for text in helps.values()) and len(helps) == 3
    for h in panel.find_elements(By.CSS_SELECTOR, ".switch-help"):
        assert h.is_displayed()  # on the page, not only on hover


def test_prior_inputs_are_wide_enough_for_their_text(live, browser):  # noqa: F811
    _open(browser, live, {**SMALL, "params": {"f": "log_uniform(low=2.000001, high=32.000001)"}})
    cramped = _js(
        browser,
        "return [...document.querySelectorAll('#panel-a table.params input')]"
        ".filter(i => i.offsetParent !== null && i.scrollWidth > i.clientWidth)"
        ".map(i => i.dataset.field + ': ' + i.value)",
    )
    shown = _js(browser, "return document.querySelectorAll('#panel-a table.preset input').length")
    assert shown > 3 and cramped == []


def test_a_bad_value_greys_the_stale_headline(live, browser, shots):  # noqa: F811
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    _open(browser, live, SMALL)
    head = browser.find_element(By.CSS_SELECTOR, "#panel-a .headline")
    assert "stale" not in head.get_attribute("class")
    field = browser.find_element(By.CSS_SELECTOR, '#panel-a input[data-field="scenario.params.f"]')
    field.clear()
    field.send_keys("log_uniform(low=64, high=4)", Keys.TAB)
    head = "#panel-a .headline"
    until(
        browser, lambda d: "stale" in d.find_element(By.CSS_SELECTOR, head).get_attribute("class")
    )
    assert "scenario.params.f.high" in browser.find_element(By.CSS_SELECTOR, head).get_attribute(
        "title"
    )
    browser.find_element(By.ID, "panel-a").screenshot(str(shots / "explorer-stale-headline.png"))


def test_the_grid_shows_every_cell(live, browser):  # noqa: F811
    _open(browser, live, SMALL)
    cells = _js(
        browser,
        "return [...document.querySelectorAll('#grid td')].map(td => "
        "[Number(td.dataset.years), Number(td.dataset.window), "
        "Number(td.querySelector('.a').dataset.p)])",
    )
    expected = cli_probabilities(SMALL)
    assert {(y, w): p for y, w, p in cells} == expected  # every cell, the CLI's numbers


def test_compare_starts_as_a_copy_of_a_with_paired_colours(live, browser, shots):  # noqa: F811
    from selenium.webdriver.common.by import By

    edited = {**SMALL, "params": {"f": "log_uniform(low=4, high=64)"}}
    _open(browser, live, edited)
    browser.find_element(By.ID, "compare").click()
    b_field = '#panel-b input[data-field="scenario.params.f"]'
    until(browser, timeout=60, predicate=lambda d: d.find_elements(By.CSS_SELECTOR, b_field))
    assert browser.find_element(By.CSS_SELECTOR, b_field).get_attribute("value") == (
        "log_uniform(low=4, high=64)"
    )
    assert (
        browser.find_element(By.CSS_SELECTOR, "#panel-b select.scenario").get_attribute("value")
        == DH
    )
    state = json.loads(urllib.parse.parse_qs(urllib.parse.urlsplit(browser.current_url).query)
                       ["state"][0])  # fmt: skip
    assert state["b"] == state["a"]
    # B's own results: then change B's seed, and every cell holds A - B with its error.
    until(
        browser,
        timeout=120,
        predicate=lambda d: (
            d.find_elements(By.CSS_SELECTOR, "#panel-b .headline[data-p]")
            and d.find_element(By.CSS_SELECTOR, "#panel-b .headline").get_attribute("data-p")
        ),
    )
    seed = browser.find_element(By.CSS_SELECTOR, "#panel-b input.seed")
    seed.clear()
    seed.send_keys("4\t")
    b_state = {**edited, "seed": 4}
    b_probs = cli_probabilities(b_state)
    until(
        browser,
        timeout=120,
        predicate=lambda d: (
            d.find_element(By.CSS_SELECTOR, "#panel-b .headline").get_attribute("data-p")
            == str(b_probs[(3.0, 12.0)])
        ),
    )
    traces = _js(
        browser,
        "return document.getElementById('plot-curves').data"
        ".filter(t => t.showlegend !== false).map(t => [t.name, t.line.color])",
    )
    names = [n for n, _ in traces]
    assert any(n.startswith("A: ") for n in names) and any(n.startswith("B: ") for n in names)
    colours = {n[0]: set() for n in names}
    for name, colour in traces:
        colours[name[0]].add(colour.lower())
    assert colours["A"] <= {"#0072b2", "#56b4e9", "#004a75", "#8fd0f5"}  # blues
    assert colours["B"] <= {"#d55e00", "#e69f00", "#8f3f00", "#f5c26b"}  # oranges
    until(browser, timeout=60, predicate=lambda d: d.find_elements(By.CSS_SELECTOR, "#grid .diff"))
    a_rows = _rows(edited)
    b_rows = _rows(b_state)
    for years, window, diff, se in _js(
        browser,
        "return [...document.querySelectorAll('#grid td')].map(td => [Number(td.dataset.years), "
        "Number(td.dataset.window), Number(td.querySelector('.diff').dataset.diff), "
        "Number(td.querySelector('.diff').dataset.se)])",
    ):
        a, b = a_rows[(years, window)], b_rows[(years, window)]
        assert diff == pytest.approx(a["p"] - b["p"], abs=1e-12)
        assert se == pytest.approx(math.hypot(a["se"], b["se"]), rel=1e-9)
    browser.find_element(By.ID, "tools").screenshot(str(shots / "explorer-compare-grid.png"))
    browser.save_screenshot(str(shots / "explorer-compare.png"))


def _rows(state) -> dict:
    import forecaster
    from forecaster._serve import overrides, parse_state

    fc = forecaster.forecast(overrides=overrides(parse_state(state)), progress=False)
    return {(r["years"], r["window_months"]): r for r in fc.summary["probabilities"]}


def test_the_mixture_tab_weighs_a_and_b(live, browser, shots):  # noqa: F811
    """The Mixture tab: A and B weighed by its slider, the mixture's P(>= 3 years within 12
    months) the weighted average of the two runs' (forecaster mix's numbers, as text)."""
    b = {**SMALL, "seed": 4}
    _open(browser, live, SMALL, b, tab="mixture")

    def rows(d):
        cells = d.execute_script(
            "return [...document.querySelectorAll('#mixture tr')]"
            ".map(r => [...r.cells].map(c => c.textContent))"
        )
        return cells if cells and len(cells) > 4 else None

    until(browser, rows, timeout=120.0)
    table = {what: value for what, value in rows(browser)}
    assert set(table) >= {"P(≥ 3 years within 12 months)", "P(≥ 1 years within 4 months)"}
    a_p = cli_probabilities(SMALL)[(3.0, 12.0)]
    b_p = cli_probabilities(b)[(3.0, 12.0)]
    shown = table["P(≥ 3 years within 12 months)"].split("%")[0]
    assert float(shown) == pytest.approx(100 * (a_p + b_p) / 2, abs=0.051)  # shown to 0.1 pt
    browser.find_element("id", "tab-mixture").screenshot(str(shots / "explorer-mixture.png"))
