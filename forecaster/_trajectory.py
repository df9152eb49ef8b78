"""``forecaster trajectory [overrides]``: one parameter set's path, as a CSV and a figure.

The parameter set is the scenario's with every uncertain prior at its median (a fixed value,
``scenario.params.f=8``, pins one). Writes, in the run directory, ``trajectory.csv`` (the
columns of :func:`forecaster.simulate`) and ``trajectory.png``: progress over time with the
recent pace (one year of progress a year), the ceiling and why the path ends where it does
(the horizon, the ceiling, the grid's end, stop_doubling_years, a ladder's last milestone);
r(t); f(t); software's annualised growth rate against its pre-automation rate g and 3x,
10x, 30x g (Davidson & Houlden's single-simulation view).
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import pandas as pd

from ._config import ForecastPlan, plan_forecast
from ._errors import ConfigError
from ._files import write_atomic
from ._priors import transform
from ._rundir import run_lock, save_config
from ._settings import precision_scope
from .models import ProgressModel

REFERENCE_MULTIPLES = (3, 10, 30)


def median_draw(plan: ForecastPlan, dtype: Any) -> dict[str, jax.Array]:
    """The plan's priors at their medians (every uniform 0.5; no point mass): one draw."""
    u = jnp.full((1, plan.priors.columns), 0.5, dtype)
    return transform(plan.priors, u, dtype)


def median_path(plan: ForecastPlan) -> tuple[pd.DataFrame, float, tuple[str, str]]:
    """The median parameter set's path, one row per reached node (simulate's columns), its
    ceiling in years of progress (inf without one) and why it ends where it does (a code and
    plain words: :meth:`~forecaster.models.ProgressModel.stop_reason`).

    Raises:
        ConfigError: the scenario's model has no paths on the doubling clock.
    """
    model = plan.model
    if not isinstance(model, ProgressModel):
        raise ConfigError("scenario.model", model.name, "a model whose draws are paths")
    with precision_scope(plan.precision) as dtype:
        drawn = {k: v[0] for k, v in median_draw(plan, dtype).items()}
        params = model.prepare(drawn, dtype)
        path = jax.jit(model.solve)(params)
        frame = pd.DataFrame(model.trajectory(params, path))
        ceiling = model.ceiling_years(params)
        stop = model.stop_reason(params, path)
    return frame, ceiling, stop


def scenario_path(plan: ForecastPlan) -> tuple[pd.DataFrame, float]:
    """:func:`median_path` without the reason it stops: the path and its ceiling."""
    frame, ceiling, _ = median_path(plan)
    return frame, ceiling


def figure_png(
    frame: pd.DataFrame,
    plan: ForecastPlan,
    ceiling_years: float,
    stop: tuple[str, str] | None = None,
) -> bytes:
    """Four panels: progress, r, f, growth rate (the matplotlib objects stay local)."""
    import io

    figure = trajectory_figure(frame, plan, ceiling_years, stop)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def trajectory_figure(
    frame: pd.DataFrame,
    plan: ForecastPlan,
    ceiling_years: float,
    stop: tuple[str, str] | None = None,
) -> Any:
    """The four panels as a matplotlib Figure; with ``stop`` (code, words) the end of the
    path is marked on the progress panel and says why the path ends there."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 7.5), layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.subplots(2, 2)
    t = frame.t_years
    ax[0, 0].plot(t, frame.progress_years, color="#0072B2", label="this path")
    ax[0, 0].plot(t, t, ":", color="black", label="recent pace")
    if math.isfinite(ceiling_years):
        ax[0, 0].axhline(ceiling_years, color="0.4", lw=0.8, label="ceiling")
    if stop is not None and len(frame):
        end_t, end_y = float(t.iloc[-1]), float(frame.progress_years.iloc[-1])
        ax[0, 0].plot([end_t], [end_y], "o", color="#D55E00", label=stop_label(stop))
        ax[0, 0].annotate(
            f"stops: {stop[1]}",
            (end_t, end_y),
            xytext=(-6, -14),
            textcoords="offset points",
            ha="right",
            fontsize=8,
            color="#D55E00",
        )
    ax[0, 0].set(xlabel="years since automation", ylabel="years of progress at the pre-"
                 "automation pace", title="AI progress over time")  # fmt: skip
    ax[0, 0].legend(fontsize=8)
    ax[0, 1].plot(t, frame.r, color="#CC79A7")
    ax[0, 1].set(xlabel="years since automation", ylabel="r", title="Returns to software R&D")
    ax[1, 0].plot(t, frame.f, color="#009E73")
    ax[1, 0].set(xlabel="years since automation", ylabel="f", yscale="log",
                 title="AI research speed-up f")  # fmt: skip
    g0 = math.log(2.0) / float(plan.model.fixed_values(plan.priors).get("Ts") or 0.25)
    ax[1, 1].plot(t[:-1], frame.growth_rate[:-1], color="#0072B2", label="growth rate")
    ax[1, 1].axhline(g0, ls="--", color="#D55E00", label=f"g = {g0:.2f}/yr (before)")
    for m, color in zip(REFERENCE_MULTIPLES, ("#009E73", "#E69F00", "#56B4E9"), strict=True):
        ax[1, 1].axhline(m * g0, ls=":", color=color, label=f"{m}x g")
    ax[1, 1].set(xlabel="years since automation", ylabel="per year (ln 2 x doublings/yr)",
                 yscale="log", title="Software's annualised growth rate")  # fmt: skip
    ax[1, 1].legend(fontsize=8)
    return figure


def stop_label(stop: tuple[str, str]) -> str:
    """The legend's words for the end of a path: ``end: <why>``."""
    return f"end: {stop[1]}"


def run_trajectory_job(cfg: Any, run_dir: Path) -> pd.DataFrame:
    """Everything ``forecaster trajectory`` does after Hydra composed ``cfg``."""
    plan = plan_forecast(cfg)
    frame, ceiling, stop = median_path(plan)
    with run_lock(run_dir):
        save_config(cfg, run_dir)
        write_atomic(run_dir / "trajectory.csv", frame.to_csv(index=False))
        write_atomic(run_dir / "trajectory.png", figure_png(frame, plan, ceiling, stop))
    last = frame.iloc[-1]
    print(
        f"Scenario {plan.scenario} at its prior medians: {last.progress_years:.3g} years of "
        f"progress in {last.t_years:.3g} years; peak speed-up {frame.speedup.max():.3g}x; "
        f"the path ends at {stop[1]}",
        file=sys.stdout,
    )
    print(f"results: {run_dir / 'trajectory.csv'}, {run_dir / 'trajectory.png'}")
    return frame
