"""PNG plots of a calibration run (matplotlib figures on an Agg canvas; no display needed).

``write_plots`` draws, for every model: rank plots of the sampled parameters (ArviZ), prior
vs posterior of each parameter and forecast quantity, and the observations against their
posterior predictive intervals; for ``time_horizons`` also the fitted trend with bands over
the data on a log2 axis, extrapolated to the threshold horizon. Every figure is a
:class:`matplotlib.figure.Figure` of its own: pyplot and the process's backend are left alone.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .._arviz import az
from ._common import OBS, Prepared
from ._time_horizons import trend_log2

_PRIOR_COLOR, _POSTERIOR_COLOR = "tab:gray", "tab:blue"


def write_plots(
    idata: az.InferenceData,
    prepared: Prepared,
    model_name: str,
    params: list[str],
    quantities: list[str],
    run_dir: Path,
) -> dict[str, str]:
    """Write the PNGs into ``run_dir``; returns {title: file name} in display order."""
    plots = {
        "Rank plots of the sampled parameters (chains should look alike)": _rank_plot(
            idata, params, run_dir / "rank.png"
        ),
        "Prior (grey) vs posterior (blue)": _prior_posterior(
            idata, [*params, *quantities], run_dir / "prior_posterior.png"
        ),
        "Observations (with reported 95% intervals) vs posterior predictive": _predictive(
            idata, prepared, run_dir / "predictive.png"
        ),
    }
    if model_name == "time_horizons":
        plots["Fitted time-horizon trend (median, 50% and 90% bands)"] = _trend(
            idata, prepared, run_dir / "trend.png"
        )
    return plots


def _rank_plot(idata: az.InferenceData, params: list[str], path: Path) -> str:
    """ArviZ rank-bar trace plot of the sampled parameters (one row each, compact)."""
    fig = _figure((12, len(params) * 2))  # the size ArviZ gives its own figure
    axes = fig.subplots(len(params), 2, squeeze=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        az.plot_trace(idata, var_names=params, kind="rank_bars", compact=True, axes=axes)
    fig.tight_layout()
    return _save(fig, path)


def _flat(values: np.ndarray) -> np.ndarray:
    """Draws of one scalar quantity as a flat array of its finite values."""
    values = np.asarray(values, dtype=float).ravel()
    return values[np.isfinite(values)]


def _prior_posterior(idata: az.InferenceData, names: list[str], path: Path) -> str:
    """Histogram of prior and posterior draws per scalar element of each variable.

    The x-range covers the posterior's central 99.8% and the prior's central 90%, so a wide
    prior does not flatten the posterior; vector variables get one panel per element.
    """
    panels = []
    for name in dict.fromkeys(names):
        if name not in idata.prior or name not in idata.posterior:
            continue
        post, prior = idata.posterior[name], idata.prior[name]
        extra = [d for d in post.dims if d not in ("chain", "draw")]
        if not extra:
            panels.append((name, post.values, prior.values))
            continue
        stacked_post, stacked_prior = post.stack(_e=extra), prior.stack(_e=extra)
        for i, label in enumerate(stacked_post["_e"].values):
            tag = label if isinstance(label, str) else "/".join(map(str, np.atleast_1d(label)))
            panels.append(
                (f"{name}[{tag}]", stacked_post.values[..., i], stacked_prior.values[..., i])
            )
    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    fig = _figure((4.2 * ncols, 2.8 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, (title, post, prior) in zip(axes.ravel(), panels, strict=False):
        post, prior = _flat(post), _flat(prior)
        lo = min(np.quantile(post, 0.001), np.quantile(prior, 0.05)) if prior.size else None
        hi = max(np.quantile(post, 0.999), np.quantile(prior, 0.95)) if prior.size else None
        bins = np.linspace(lo, hi, 60) if lo is not None and hi > lo else 60
        ax.hist(prior, bins=bins, density=True, color=_PRIOR_COLOR, alpha=0.5, label="prior")
        ax.hist(post, bins=bins, density=True, color=_POSTERIOR_COLOR, alpha=0.6, label="posterior")
        ax.set_title(title, fontsize=9)
        ax.set_yticks([])
    for ax in axes.ravel()[len(panels) :]:
        ax.set_visible(False)
    axes.ravel()[0].legend(fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


def _predictive(idata: az.InferenceData, prepared: Prepared, path: Path) -> str:
    """Each observation with its reported 95% interval over its posterior predictive 50/90%."""
    draws = (
        idata.posterior_predictive[OBS]
        .stack(s=("chain", "draw"))
        .transpose(prepared.dim, "s")
        .values
    )
    q05, q25, q50, q75, q95 = np.quantile(draws, [0.05, 0.25, 0.5, 0.75, 0.95], axis=1)
    y = np.arange(len(prepared.labels))
    fig = _figure((7.5, 0.45 * len(y) + 1.5))
    ax = fig.subplots()
    ax.hlines(y, q05, q95, color=_POSTERIOR_COLOR, alpha=0.35, lw=8, label="predictive 90%")
    ax.hlines(y, q25, q75, color=_POSTERIOR_COLOR, alpha=0.7, lw=8, label="predictive 50%")
    ax.plot(q50, y, "|", color="navy", ms=12)
    ax.errorbar(
        prepared.obs,
        y,
        xerr=1.96 * prepared.obs_sd,
        fmt="o",
        color="black",
        ms=4,
        capsize=3,
        label="observed (95%)",
    )
    ax.set_yticks(y, prepared.labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(prepared.obs_label)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return _save(fig, path)


def _trend(idata: az.InferenceData, prepared: Prepared, path: Path, max_draws: int = 1000) -> str:
    """Trend median and bands on a log2 minutes axis over the data, out to the threshold."""
    info = prepared.info
    center = info["center_decimal_year"]
    post = idata.posterior.stack(s=("chain", "draw"))
    take = np.linspace(0, post.sizes["s"] - 1, min(max_draws, post.sizes["s"])).astype(int)

    def draws(name: str) -> np.ndarray:
        return post[name].values[take][:, None] if name in post else np.zeros((take.size, 1))

    years = info["center_decimal_year"] + np.asarray(prepared.inputs["tau"], dtype=float)
    threshold = np.median(_flat(post["threshold_date"].values))
    end = (
        max(
            years.max(),
            min(threshold if np.isfinite(threshold) else years.max(), years.max() + 6.0),
        )
        + 0.25
    )
    grid = np.linspace(years.min() - 0.25, end, 200)
    curves = np.asarray(
        trend_log2(
            grid[None, :] - center,
            draws("intercept"),
            draws("doublings_per_year"),
            draws("curvature"),
            info["trend"],
        )
    )
    bands = np.quantile(curves, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
    fig = _figure((8, 5))
    ax = fig.subplots()
    ax.fill_between(
        grid, 2 ** bands[0], 2 ** bands[4], color=_POSTERIOR_COLOR, alpha=0.2, label="90% band"
    )
    ax.fill_between(
        grid, 2 ** bands[1], 2 ** bands[3], color=_POSTERIOR_COLOR, alpha=0.35, label="50% band"
    )
    ax.plot(grid, 2 ** bands[2], color=_POSTERIOR_COLOR, label="median trend")
    minutes = 2**prepared.obs
    low, high = (
        2 ** (prepared.obs - 1.96 * prepared.obs_sd),
        2 ** (prepared.obs + 1.96 * prepared.obs_sd),
    )
    ax.errorbar(
        years,
        minutes,
        yerr=[minutes - low, high - minutes],
        fmt="o",
        color="black",
        ms=4,
        capsize=3,
        label="METR (95% interval)",
    )
    ax.axhline(
        info["threshold_hours"] * 60.0,
        color="tab:red",
        ls="--",
        label=f"threshold {info['threshold_hours']:g} h",
    )
    ax.set_yscale("log", base=2)
    ax.set_xlabel("release date (decimal year)")
    ax.set_ylabel(f"{info['horizon']} time horizon (minutes, log2 axis)")
    ax.set_title(f"{info['trend']} trend, fitted to {len(years)} models")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def _figure(figsize: tuple[float, float]) -> Figure:
    """A new figure on its own Agg canvas (not registered with pyplot)."""
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def _save(fig: Figure, path: Path) -> str:
    """Save ``fig`` and clear it; return its file name (links are relative to the run dir)."""
    fig.savefig(path, dpi=110)
    fig.clear()
    return path.name
