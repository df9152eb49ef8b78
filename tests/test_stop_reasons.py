"""Cut-offs said in words (issue 30 item 7): a milestone at a ladder's phase cap is "not
within the cap", not a duration; a trajectory that stops at a cut-off says which on its plot."""

from __future__ import annotations

import io

import pytest

import forecaster
from forecaster._config import compose_forecast, plan_forecast
from forecaster._outputs import print_milestones
from forecaster._trajectory import median_path, stop_label, trajectory_figure
from forecaster.report._dates import _milestone_lead
from forecaster.report._format import milestone_cap_notes, milestone_duration


@pytest.mark.parametrize(
    ("years", "cap", "text"),
    [
        (1000.0, 1000.0, "not within the cap (1000 years)"),
        (1007.26, 1000.0, "not within the cap (1000 years)"),
        (995.0, 1000.0, "not within the cap (1000 years)"),  # within the cap's 1% bin
        (964.0, 1000.0, "964 years"),
        (0.5, 1000.0, "6 months"),
        (1000.0, None, "1e+03 years"),  # no cap: a duration like any other
        (None, 1000.0, "—"),
    ],
)
def test_a_milestone_at_the_phase_cap_is_not_a_duration(years, cap, text):
    assert milestone_duration(years, cap) == text


def test_the_lead_sentence_says_the_cap():
    years = {"q10": 0.19, "q50": 1.04, "q90": 1000.2}
    text = _milestone_lead("ASI", years, {"q50": 2028.3}, 1000.0)
    assert "at least 10% not within the phase cap of 1000 years" in text
    assert "1e+03" not in text and "Apr 2028" in text
    years["q50"] = 1003.0
    assert "not reached within the phase cap (1000 years) in at least half" in _milestone_lead(
        "ASI", years, {}, 1000.0
    )
    no_cap = _milestone_lead("ASI", {"q10": 0.19, "q50": 1.04, "q90": 7.5}, {}, 1000.0)
    assert "80% of draws between 2.28 months and 7.5 years" in no_cap


def _ladder_summary(cap: float | None) -> dict:
    """A ladder's summary, as summary.json holds it: ASI's 90% quantile and phase at the cap."""
    return {
        "settings": {"phase_cap": cap},
        "milestones": {
            "SC": {
                "phase": "start to SC",
                "years_after_start": {"q10": 0.1, "q50": 0.5, "q90": 2.5},
                "phase_years": {"q50": 0.5},
            },
            "ASI": {
                "phase": "SIAR to ASI",
                "years_after_start": {"q10": 0.19, "q50": 1.04, "q90": 1000.2},
                "phase_years": {"q50": 999.0},
            },
        },
    }


def _console(summary: dict) -> str:
    out = io.StringIO()
    print_milestones(summary, out)
    return out.getvalue()


def test_the_console_says_not_within_the_cap():
    """The command's milestone lines use the report's words (one rule: ``at_cap``)."""
    text = _console(_ladder_summary(1000.0))
    asi = next(line for line in text.splitlines() if line.strip().startswith("ASI"))
    assert "2.28 months / 1.04 years / not within the cap (1000 years)" in asi
    assert "median not within the cap (1000 years)" in asi  # the phase's median too
    assert "1e+03" not in text
    assert "2.5 years" in text  # SC's quantiles are durations
    uncapped = _console(_ladder_summary(None))  # a model without a cap: numbers as they are
    assert "cap" not in uncapped and "1e+03 years" in uncapped


def test_the_explorer_is_sent_the_same_words():
    """The explorer's milestone table and headline show these in place of the numbers."""
    assert milestone_cap_notes(_ladder_summary(1000.0)) == {
        "ASI": {
            "q90": "not within the cap (1000 years)",
            "phase_q50": "not within the cap (1000 years)",
        }
    }
    assert milestone_cap_notes(_ladder_summary(None)) == {}
    assert milestone_cap_notes({"milestones": None}) == {}


@pytest.mark.slow
def test_the_report_milestone_table_says_not_within_the_cap(tmp_path):
    """AI 2027's ladder with a 2-year phase cap: its later milestones' 90% quantiles are at
    the cap, and the report's table and the notebook view say so."""
    run = forecaster.forecast(
        "ai2027_takeoff",
        n_draws=2000,
        overrides=["scenario.phase_cap_years=2"],
        run_dir=tmp_path / "run",
        progress=False,
    )
    assert run.milestones.q90.iloc[-1] >= 2.0
    run.report()
    markdown = (tmp_path / "run" / "report.md").read_text()
    assert "not within the cap (2 years)" in markdown
    assert "phase cap of 2 years" in markdown
    page = run._repr_html_()
    assert "<td>not within the cap (2 years)</td>" in page
    console = _console(run.summary)  # what `forecaster forecast` prints
    assert "not within the cap (2 years)" in console


CASES = [
    # (overrides, code, words on the plot)
    (["scenario=decaying"], "horizon", "the horizon (20 years)"),
    (
        ["scenario=decaying", "scenario.params.r0=3", "scenario.params.ceiling_years=6"],
        "ceiling",
        "the ceiling (6 years of progress)",
    ),
    (["scenario=explosive"], "max_doublings", "the grid's end (max_doublings = 200 doublings)"),
    (
        ["scenario=decaying", "scenario.stop_doubling_years=0.3"],
        "stop_doubling_years",
        "over stop_doubling_years = 0.3",
    ),
    (["scenario=davidson_houlden_2025"], "stop_after_years", "stop_after_years = 4"),
    (["scenario=ai2027_takeoff"], "last_milestone", "the last milestone, ASI"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("overrides", "code", "words"), CASES)
def test_a_trajectory_says_why_it_stops(overrides, code, words):
    plan = plan_forecast(compose_forecast(overrides))
    frame, ceiling, stop = median_path(plan)
    assert stop[0] == code and words in stop[1], stop
    figure = trajectory_figure(frame, plan, ceiling, stop)
    progress = figure.axes[0]
    legend = [t.get_text() for t in progress.get_legend().get_texts()]
    assert stop_label(stop) in legend and words in stop_label(stop)
    notes = [t.get_text() for t in progress.texts]
    assert f"stops: {stop[1]}" in notes
    # The marker sits at the path's last point.
    marker = next(line for line in progress.lines if line.get_label() == stop_label(stop))
    assert marker.get_xdata()[0] == pytest.approx(frame.t_years.iloc[-1])
    assert marker.get_ydata()[0] == pytest.approx(frame.progress_years.iloc[-1])


@pytest.mark.slow
def test_the_trajectory_command_prints_the_reason(tmp_path, capsys):
    from forecaster.cli import main

    run = tmp_path / "run"
    assert main(["trajectory", "scenario=explosive", f"hydra.run.dir={run}"]) == 0
    assert "the path ends at the grid's end (max_doublings = 200 doublings)" in (
        capsys.readouterr().out
    )
    assert (run / "trajectory.png").is_file()
