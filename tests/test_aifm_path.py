"""The AI Futures Model's path (``forecaster trajectory``): its time horizon against the fit
its AC inverts, its compute split against the integral of its own rates, and the command
writing the columns and panels of their site."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
import pytest

from forecaster._settings import precision_scope
from forecaster.cli import main
from forecaster.models.aifm import _calibration as cal
from forecaster.models.aifm import _dynamics as dyn
from forecaster.models.aifm._model import START, TABLE, series
from forecaster.models.aifm._path import COLUMNS, path

END = 2050.0


def _draw(dtype, **overrides) -> dyn.Draw:
    values = {n: overrides.get(n, TABLE[n].default) for n in dyn.Draw._fields}
    return dyn.Draw(*(jnp.asarray(values[n], dtype) for n in dyn.Draw._fields))


@pytest.fixture(scope="module")
def default_run():
    """Their site's defaults (linear schedule), run once: the path's columns as NumPy (the
    float64 scope ends here: a scope held open across tests would leave 64-bit mode on for
    the modules after)."""
    with precision_scope("float64") as dtype:
        data = dyn.Series(*(jnp.asarray(v, dtype) for v in series(END)))
        times = jnp.asarray(dyn.grid_times(START, END), dtype)
        draw = _draw(dtype)
        _, _, m, tr = jax.jit(lambda d: dyn.run(d, data, times))(draw)
        columns = jax.jit(path)(m, draw, tr)
        return {k: np.asarray(v) for k, v in columns.items()}


@pytest.mark.parametrize("growth_factor", [0.92, 1.0])
def test_the_horizon_runs_from_the_present_one_to_the_ac_horizon(growth_factor):
    """H(P0) is the present horizon and H(P_AC) the AC horizon (no gap), superexponential
    and exponential; beyond AC there is none."""
    with precision_scope("float64") as dtype:
        draw = _draw(dtype, doubling_difficulty_growth_factor=growth_factor, include_gap=0.0)
        anchor = cal.HumanOnly(*(jnp.asarray(v, dtype) for v in (1.0, 8.0, 1.3, 1.0, 1.0,
                                                                  1.0, 1.0, 1.0)))  # fmt: skip
        ac = cal.progress_at_ac(draw, anchor)
        h = cal.horizon(draw, anchor, jnp.stack([anchor.progress, ac, ac + 0.01]))
    np.testing.assert_allclose(h[0], float(draw.present_horizon), rtol=1e-12)
    np.testing.assert_allclose(h[1], float(draw.ac_time_horizon_minutes), rtol=1e-9)
    assert np.isnan(h[2])


def test_effective_compute_is_training_compute_and_software_efficiency(default_run):
    """Progress = training compute + software efficiency, each from the first year; the
    software efficiency's growth (the model's rate less the training growth) is the slope
    of the software efficiency integrated from it (centred differences on the 0.1-year
    grid, away from the input years' kinks and the takeoff)."""
    columns = default_run
    assert set(columns) == set(COLUMNS)  # (jit returns a dict's keys sorted)
    np.testing.assert_allclose(columns["training_compute"] + columns["software_efficiency"],
                               columns["progress"], atol=1e-12)  # fmt: skip
    year, eff = columns["year"], columns["software_efficiency"]
    slope = (eff[2:] - eff[:-2]) / (year[2:] - year[:-2])
    growth = columns["software_efficiency_growth"][1:-1]
    calm = (year[1:-1] > 2013) & (year[1:-1] < 2026) & (np.abs(year[1:-1] % 1 - 0.5) < 0.35)
    np.testing.assert_allclose(slope[calm], growth[calm], rtol=2e-3)
    # the training growth is their input series': about 0.6 OOMs a year before 2027
    assert 0.3 < columns["training_compute"][year == 2020.0][0] / 8 < 1.0


@pytest.mark.slow
def test_the_trajectory_command_writes_their_site_panels(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["trajectory", "scenario=aifm_dec2025", f"hydra.run.dir={run}"]) == 0
    frame = pd.read_csv(run / "trajectory.csv")
    assert list(frame.columns) == list(COLUMNS)
    assert (run / "trajectory.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert "aifm_dec2025 at its prior medians: AC 20" in printed
    assert frame.year.iloc[0] == START and frame.year.iloc[-1] == pytest.approx(END)
