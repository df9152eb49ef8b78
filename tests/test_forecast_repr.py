"""The Forecast object in a notebook (issue 30 item 5): a short repr, an HTML view with the
probability table (user strings escaped), and ``milestones`` / ``calendar`` the same kind of
value whether or not the run has them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

import forecaster

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def general():
    """A general-law run in memory (no milestones, no timelines), its description a script
    tag."""
    return forecaster.forecast(
        "decaying",
        n_draws=2000,
        seed=0,
        overrides=[f"scenario.description='{SCRIPT} & more'"],
        progress=False,
    )


@pytest.fixture(scope="module")
def ladder():
    """AI 2027's takeoff in memory: milestones, no timelines stage."""
    return forecaster.forecast("ai2027_takeoff", n_draws=2000, seed=0, progress=False)


@pytest.mark.slow
def test_repr_is_short_and_names_the_run(general):
    text = repr(general)
    assert len(text) < 400 and len(text.splitlines()) <= 5, text
    assert "scenario='decaying'" in text and "model=general_law" in text
    assert "n_draws=2,000" in text and "seed=0" in text
    p = general.probability(3, 12)
    assert f"P(>= 3 years within 12 months) = {p:.3f}" in text
    assert f"P(>= 3 years within 4 months) = {general.probability(3, 4):.3f}" in text
    assert "run_dir=None (in memory)" in text
    assert "curve" not in text and "sensitivity" not in text  # no tables dumped
    written = dataclasses.replace(general, run_dir=Path("outputs/forecast/decaying/x"))
    assert "run_dir='outputs/forecast/decaying/x'>" in repr(written)
    assert "<code>outputs/forecast/decaying/x</code>" in written._repr_html_()


@pytest.mark.slow
def test_html_shows_the_table_and_escapes_user_strings(general):
    page = general._repr_html_()
    assert "<table>" in page and page.count("<tr>") == 1 + 4  # header + Y = 1, 3, 10, 30
    assert "<th>w = 4 months</th>" in page and "<th>w = 12 months</th>" in page
    p = general.probability(3, 12)
    assert f"<b>{p:.3f} [" in page  # the headline cell in bold
    assert SCRIPT not in page and "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert len(page) < 4000


@pytest.mark.slow
def test_a_run_without_milestones_or_calendar_gives_empty_tables(general):
    milestones, calendar = general.milestones, general.calendar
    assert isinstance(milestones, pd.DataFrame) and isinstance(calendar, pd.DataFrame)
    assert milestones.empty and calendar.empty
    assert list(milestones.columns)[:3] == ["milestone", "phase", "q05"]
    assert list(calendar.columns) == ["year", "p_automation", "p_explosion"]
    assert "milestone" not in general._repr_html_().lower()


@pytest.mark.slow
def test_a_ladder_shows_its_milestones(ladder):
    table = ladder.milestones
    assert list(table.milestone) == ["SAR", "SIAR", "ASI"]
    assert ladder.calendar.empty and list(ladder.calendar.columns) == [
        "year",
        "p_automation",
        "p_explosion",
    ]
    text = repr(ladder)
    assert "model=milestone_ladder" in text and "ASI: median" in text
    assert len(text.splitlines()) <= 6
    page = ladder._repr_html_()
    assert page.count("<table>") == 2 and "<th>ASI</th>" in page
