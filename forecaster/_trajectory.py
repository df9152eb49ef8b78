"""``forecaster trajectory [overrides]``: one parameter set's path, as a CSV and a figure.

The parameter set is the scenario's with every uncertain prior at its median (a fixed value,
``scenario.params.f=8``, pins one). Writes, in the run directory, ``trajectory.csv`` (the
columns of :func:`forecaster.simulate`) and ``trajectory.png``: progress over time with the
recent pace (one year of progress a year), the ceiling and why the path ends where it does
(the horizon, the ceiling, the grid's end, stop_doubling_years, a ladder's last milestone);
r(t); f(t); software's annualised growth rate against its pre-automation rate g and 3x,
10x, 30x g (Davidson & Houlden's single-simulation view). A model with paths of its own
(:meth:`~forecaster.models.Model.path`: the AI Futures Model's calendar years) writes its
columns and draws its own panels (:meth:`~forecaster.models.Model.path_panels`), its
milestones marked.
"""

from __future__ import annotations

import functools
import math
import sys
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from ._config import ForecastPlan, plan_forecast
from ._errors import ConfigError
from ._files import write_atomic
from ._priors import transform
from ._rundir import run_lock, save_config
from ._settings import precision_scope
from .models import PathPanel, ProgressModel

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


def explorer_path(plan: ForecastPlan) -> dict[str, Any]:
    """The explorer's path at the prior medians: its columns, which two to plot (``x``,
    ``y``, with axis titles), the ceiling (years of progress, inf without one) and the
    milestones' times (``marks``; a model with its own path: the first panel's first
    column, against calendar years)."""
    if isinstance(plan.model, ProgressModel):
        frame, ceiling = scenario_path(plan)
        axes = ("t_years", "progress_years", "years since automation", "years of progress")
        marks: dict[str, float] = {}
    else:
        frame, marks = model_path(plan)
        panel = plan.model.path_panels()[0]
        column = panel.columns[0]
        axes = (str(frame.columns[0]), column, str(frame.columns[0]),
                f"{column.replace('_', ' ')} ({panel.ylabel})")  # fmt: skip
        ceiling = math.inf
    return {
        "columns": {c: frame[c].tolist() for c in frame.columns},
        "x": axes[0],
        "y": axes[1],
        "x_title": axes[2],
        "y_title": axes[3],
        "ceiling_years": ceiling,
        "marks": marks,
    }


def figure_png(
    frame: pd.DataFrame,
    plan: ForecastPlan,
    ceiling_years: float,
    stop: tuple[str, str] | None = None,
) -> bytes:
    """Four panels: progress, r, f, growth rate (the matplotlib objects stay local)."""
    return _png(trajectory_figure(frame, plan, ceiling_years, stop))


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


def model_path(plan: ForecastPlan) -> tuple[pd.DataFrame, dict[str, float]]:
    """The median parameter set's path of a model with its own (:meth:`Model.path`): its
    columns and its milestones' times (NaN: not reached), by time.

    Raises:
        ConfigError: the scenario's model has no path to show.
    """
    model = plan.model
    with precision_scope(plan.precision) as dtype:
        drawn = {k: v[0] for k, v in median_draw(plan, dtype).items()}
        path, order = _compiled_path(model)
        out = path(model.prepare(drawn, dtype))
        if out is None:
            raise ConfigError("scenario.model", model.name, "a model with paths to show")
        columns, marks = out
        frame = pd.DataFrame({k: np.asarray(columns[k]) for k in order})
        dates = {k: float(v) for k, v in marks.items()}
        return frame, dict(sorted(dates.items(), key=lambda kv: (math.isnan(kv[1]), kv[1])))


@functools.lru_cache(maxsize=16)
def _compiled_path(model: Any) -> tuple[Any, list[str]]:
    """``model.path`` compiled once per model (the explorer asks again for each state) and
    the order of its columns, which jit's output loses (it sorts a dict's keys)."""
    order: list[str] = []

    def traced(params: Any) -> Any:
        out = model.path(params)
        order[:] = list(out[0]) if out is not None else []
        return out

    return jax.jit(traced), order


def panels_figure(frame: pd.DataFrame, panels: tuple[PathPanel, ...],
                  marks: dict[str, float], title: str) -> Any:  # fmt: skip
    """:func:`model_path`'s columns in the model's panels, against the path's first column,
    its milestones marked (dotted lines, named on the first panel)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from .report._figures import PALETTE

    rows = math.ceil(len(panels) / 2)
    figure = Figure(figsize=(11, 3.2 * rows), layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(title)
    axes = figure.subplots(rows, 2, squeeze=False, sharex=True).ravel()
    time = frame.columns[0]
    reached = {k: v for k, v in marks.items() if math.isfinite(v)}
    for i, (ax, panel) in enumerate(zip(axes, panels, strict=False)):
        for column, color in zip(panel.columns, PALETTE, strict=False):
            ax.plot(frame[time], frame[column], color=color, label=column.replace("_", " "))
        for k, (name, at) in enumerate(reached.items()):
            ax.axvline(at, color="0.6", lw=0.7, ls=":")
            if i == 0:  # named once, staggered: milestones come months apart
                ax.annotate(name, (at, 0.97 - 0.07 * k), xycoords=("data", "axes fraction"),
                            ha="right", va="top", fontsize=7, color="0.35")  # fmt: skip
        ax.set(title=panel.title, xlabel=time, ylabel=panel.ylabel,
               yscale="log" if panel.log else "linear")  # fmt: skip
        if len(panel.columns) > 1:
            ax.legend(fontsize=8)
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    return figure


def _png(figure: Any) -> bytes:
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def run_trajectory_job(cfg: Any, run_dir: Path) -> pd.DataFrame:
    """Everything ``forecaster trajectory`` does after Hydra composed ``cfg``."""
    plan = plan_forecast(cfg)
    if not isinstance(plan.model, ProgressModel):
        return _run_model_path(cfg, plan, run_dir)
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


def _run_model_path(cfg: Any, plan: ForecastPlan, run_dir: Path) -> pd.DataFrame:
    """``forecaster trajectory`` for a model with its own path: the CSV, its panels, and
    its milestones' times printed."""
    frame, marks = model_path(plan)
    title = f"{plan.scenario} at its prior medians"
    png = _png(panels_figure(frame, plan.model.path_panels(), marks, title))
    with run_lock(run_dir):
        save_config(cfg, run_dir)
        write_atomic(run_dir / "trajectory.csv", frame.to_csv(index=False))
        write_atomic(run_dir / "trajectory.png", png)
    dated = [f"{k} {v:.2f}" for k, v in marks.items() if math.isfinite(v)]
    missed = [k for k, v in marks.items() if not math.isfinite(v)]
    end = float(frame.iloc[-1, 0])
    print(f"Scenario {plan.scenario} at its prior medians: " + "; ".join(dated or ["no milestone"])
          + (f"; not reached by {end:.0f}: {', '.join(missed)}" if missed else ""))  # fmt: skip
    print(f"results: {run_dir / 'trajectory.csv'}, {run_dir / 'trajectory.png'}")
    return frame
