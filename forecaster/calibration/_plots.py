"""PNG plots of a calibration run (matplotlib figures on an Agg canvas; no display needed).

``write_plots`` draws, for every model: prior and posterior of each forecast-relevant quantity
(one panel each, in its unit, log axes for heavy tails), ArviZ's forest plot of them per
chain (one panel per scale: dates as dates, log axes for heavy tails), the observations
against their posterior predictive intervals, ArviZ's rank plots of the sampled parameters
(with a legend of the chains), ArviZ's energy plot and its prior/posterior comparison of the
forecast variable; for ``time_horizons`` also the fitted trend with bands over the data on a
log2 axis, extrapolated to the threshold horizon. Every figure is a
:class:`matplotlib.figure.Figure` of its own: pyplot and the process's backend are left alone.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from .._arviz import az
from .._files import write_atomic
from ._common import OBS, Prepared
from ._time_horizons import trend_log2

_PRIOR_COLOR, _POSTERIOR_COLOR = "tab:gray", "tab:blue"


#: Units of the variables the plots show (one place, every model's names).
UNITS = {
    "doubling_time_days": "days",
    "threshold_date": "decimal year",
    "log2_horizon_ref": "log2 minutes",
    "doublings_per_year": "doublings a year",
    "intercept": "log2 minutes",
    "curvature": "doublings a year, per year",
    "sigma_extra": "log2 minutes",
    "r_new": "r (doublings per doubling of input)",
    "r": "r (doublings per doubling of input)",
    "r_software": "r (doublings per doubling of input)",
    "r_domain": "r",
    "mu": "mean of log r",
    "tau": "sd of log r",
    "scatter": "sd of log growth",
    "g_software": "doublings a year",
    "g_labour": "doublings a year",
    "g_compute": "doublings a year",
    "g_inputs": "doublings a year",
    "software_doubling_time_days": "days",
    "log_g_software": "log doublings a year",
    "log_g_labour": "log doublings a year",
    "log_g_compute": "log doublings a year",
}
#: A positive variable whose draws span more than this ratio (5% to 95%) gets a log axis.
LOG_AXIS_SPAN = 20.0


def write_plots(
    idata: az.InferenceData,
    prepared: Prepared,
    model_name: str,
    params: list[str],
    quantities: list[str],
    run_dir: Path,
    forecast_variable: str | None = None,
) -> dict[str, str]:
    """Write the PNGs into ``run_dir``; returns {title: file name} in display order."""
    shown = [q for q in dict.fromkeys(quantities) if _scalar(idata, q)]
    plots = {
        "Prior (grey) and posterior (blue) of each forecast-relevant quantity": _prior_posterior(
            idata, shown, run_dir / "prior_posterior.png"
        ),
        "Posterior 90% intervals per chain (ArviZ forest plot)": _forest(
            idata, shown, run_dir / "forest.png"
        ),
        "Observations (with reported 95% intervals) vs posterior predictive": _predictive(
            idata, prepared, run_dir / "predictive.png"
        ),
        "Rank plots of the sampled parameters (chains should look alike)": _rank_plot(
            idata, params, run_dir / "rank.png"
        ),
        "Energy: marginal and transition energy (ArviZ; BFMI in the diagnostics)": _energy(
            idata, run_dir / "energy.png"
        ),
    }
    variable = forecast_variable if forecast_variable in shown else None
    if variable is not None:
        plots[f"Prior and posterior of {variable}, the forecast variable (ArviZ)"] = (
            _dist_comparison(idata, variable, run_dir / "dist_comparison.png")
        )
    if model_name == "time_horizons":
        plots["Fitted time-horizon trend (median, 50% and 90% bands)"] = _trend(
            idata, prepared, run_dir / "trend.png"
        )
    return plots


def _scalar(idata: az.InferenceData, name: str) -> bool:
    """A scalar variable present in both the prior and the posterior."""
    if name not in idata.posterior or name not in idata.prior:
        return False
    return not [d for d in idata.posterior[name].dims if d not in ("chain", "draw")]


def _rank_plot(idata: az.InferenceData, params: list[str], path: Path) -> str:
    """ArviZ rank-bar trace plot of the sampled parameters (one row each), with a legend of
    the chains."""
    fig = _figure((12, len(params) * 2 + 0.6))
    axes = fig.subplots(len(params), 2, squeeze=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        az.plot_trace(idata, var_names=params, kind="rank_bars", compact=True, axes=axes)
    chains = idata.posterior.sizes["chain"]
    handles = [Line2D([], [], color=f"C{i}", lw=2) for i in range(chains)]
    fig.legend(handles, [f"chain {i} (rank bars)" for i in range(chains)], loc="upper center",
               ncol=chains, frameon=False)  # fmt: skip
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_size_inches()[1]))
    return _save(fig, path)


def _flat(values: np.ndarray) -> np.ndarray:
    """Draws of one scalar quantity as a flat array of its finite values."""
    values = np.asarray(values, dtype=float).ravel()
    return values[np.isfinite(values)]


def _log_axis(post: np.ndarray, prior: np.ndarray) -> bool:
    """Positive draws spread over more than LOG_AXIS_SPAN (prior or posterior, 5-95%)."""
    both = np.concatenate([post, prior])
    if both.size == 0 or np.min(both) <= 0:
        return False
    spans = [np.quantile(x, 0.95) / np.quantile(x, 0.05) for x in (post, prior) if x.size]
    return max(spans) > LOG_AXIS_SPAN


def _prior_posterior(idata: az.InferenceData, names: list[str], path: Path) -> str:
    """One panel per quantity: prior and posterior densities, the x axis in the quantity's
    unit, on a log scale when the draws are positive and heavy-tailed; the range covers the
    posterior's central 99.8% and the prior's central 90%, so a wide prior does not flatten
    the posterior."""
    ncols = min(2, max(len(names), 1))
    nrows = max(-(-len(names) // ncols), 1)
    fig = _figure((6.0 * ncols, 3.2 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax, name in zip(axes.ravel(), names, strict=False):
        post, prior = _flat(idata.posterior[name].values), _flat(idata.prior[name].values)
        log = _log_axis(post, prior)
        lo = min(np.quantile(post, 0.001), np.quantile(prior, 0.05))
        hi = max(np.quantile(post, 0.999), np.quantile(prior, 0.95))
        bins = np.geomspace(lo, hi, 60) if log else np.linspace(lo, hi, 60)
        for draws, color, alpha, label in (
            (prior, _PRIOR_COLOR, 0.5, "prior"),
            (post, _POSTERIOR_COLOR, 0.6, "posterior"),
        ):
            # On a log axis the density is per log10 unit, so equal areas are equal mass.
            width = np.log10(bins[1] / bins[0]) if log else None
            weights = np.full(draws.size, 1.0 / (draws.size * width)) if log else None
            ax.hist(draws, bins=bins, density=not log, weights=weights, color=color,
                    alpha=alpha, label=label)  # fmt: skip
        if log:
            ax.set_xscale("log")
        median = float(np.median(post))
        ax.axvline(median, color="navy", lw=1, ls="--", label=f"posterior median {median:.3g}")
        ax.set_title(name, fontsize=10, loc="left")
        unit = UNITS.get(name, "")
        ax.set_xlabel(unit + (" (log scale)" if log else ""))
        ax.set_ylabel("density per log10 unit" if log else "density")
        ax.legend(fontsize=7, loc="upper right", frameon=False)
        ax.grid(alpha=0.25)
    for ax in axes.ravel()[len(names) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return _save(fig, path)


@dataclass(frozen=True)
class ScaleGroup:
    """Quantities that share one forest panel: one unit, one axis.

    ``date``: decimal years, ticks written as dates; ``log``: positive and spread over more
    than LOG_AXIS_SPAN (5% to 95% of the posterior, pooled), so the axis is logarithmic.
    """

    unit: str
    names: tuple[str, ...]
    log: bool = False
    date: bool = False


#: Units read as calendar dates (decimal years).
DATE_UNITS = ("decimal year",)
#: Quantities that share a panel though their units differ (same scale, same magnitude).
SHARED_SCALE = {"mu": "log r (mean and sd)", "tau": "log r (mean and sd)"}


def scale_groups(idata: az.InferenceData, names: list[str]) -> list[ScaleGroup]:
    """``names`` grouped by scale, in the order of their first quantity: a unit each (UNITS,
    or SHARED_SCALE), so a date near 2030 does not squash a rate near 1 on one axis."""
    by_unit: dict[str, list[str]] = {}
    for name in names:
        by_unit.setdefault(SHARED_SCALE.get(name, UNITS.get(name, name)), []).append(name)
    groups = []
    for unit, members in by_unit.items():
        draws = [_flat(idata.posterior[n].values) for n in members]
        draws = [d for d in draws if d.size]
        date = unit in DATE_UNITS
        log = not date and bool(draws) and all(np.min(d) > 0 for d in draws)
        if log:
            lo = min(np.quantile(d, 0.05) for d in draws)
            log = bool(max(np.quantile(d, 0.95) for d in draws) / lo > LOG_AXIS_SPAN)
        groups.append(ScaleGroup(unit, tuple(members), log, date))
    return groups


def _decimal_year_label(value: float, _position: object = None) -> str:
    """A decimal year as a date to the month: 2027.5 -> 2027-07."""
    if not np.isfinite(value):
        return ""
    year = int(np.floor(value))
    month = min(int((value - year) * 12) + 1, 12)
    return f"{year}-{month:02d}"


def forest_figure(idata: az.InferenceData, names: list[str]) -> Figure:
    """ArviZ forest plots of the quantities, each chain apart (90% HDI, 50% thick), one panel
    per :func:`scale_groups` group: dates as dates, heavy-tailed positives on a log axis."""
    groups = scale_groups(idata, names)
    chains = idata.posterior.sizes.get("chain", 1)
    heights = [0.25 * chains * len(g.names) + 0.9 for g in groups] or [1.0]
    fig = _figure((8, sum(heights) + 0.4))
    axes = fig.subplots(max(len(groups), 1), 1, squeeze=False,
                        gridspec_kw={"height_ratios": heights})[:, 0]  # fmt: skip
    for ax, group in zip(axes, groups, strict=False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            az.plot_forest(idata, var_names=list(group.names), combined=False, hdi_prob=0.9,
                           ax=ax, textsize=9)  # fmt: skip
        if group.log:
            ax.set_xscale("log")
        if group.date:
            ax.xaxis.set_major_formatter(FuncFormatter(_decimal_year_label))
        scale = " (log scale)" if group.log else " (year-month)" if group.date else ""
        ax.set_title("")  # ArviZ's "90% HDI" on each panel: the figure's title says it once
        ax.set_title(f"{group.unit}{scale}", fontsize=9, loc="left")
    fig.suptitle("90% HDI per chain (thick: 50%), one panel per scale", fontsize=9)
    fig.tight_layout()
    return fig


def _forest(idata: az.InferenceData, names: list[str], path: Path) -> str:
    """forest.png: :func:`forest_figure`."""
    return _save(forest_figure(idata, names), path)


def _energy(idata: az.InferenceData, path: Path) -> str:
    """ArviZ energy plot: the marginal energy and the energy transition distributions."""
    fig = _figure((7, 4))
    ax = fig.subplots()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        az.plot_energy(idata, ax=ax, textsize=9)
    ax.set_xlabel("energy, centred")
    fig.tight_layout()
    return _save(fig, path)


def _dist_comparison(idata: az.InferenceData, name: str, path: Path) -> str:
    """ArviZ's prior/posterior comparison of the forecast variable (of its log10 when it is
    positive and heavy-tailed, so the prior's tail does not squash the posterior)."""
    post, prior = idata.posterior[[name]], idata.prior[[name]]
    label, unit = name, UNITS.get(name, "")
    if _log_axis(_flat(post[name].values), _flat(prior[name].values)):
        label, unit = f"log10_{name}", f"log10 of {unit or name}"
        post, prior = np.log10(post).rename({name: label}), np.log10(prior).rename({name: label})
    data = az.InferenceData(posterior=post, prior=prior)
    fig = _figure((11, 3.4))
    axes = fig.subplots(1, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        az.plot_dist_comparison(data, var_names=[label], ax=np.asarray([axes]), textsize=9)
    for ax in axes:
        ax.set_xlabel(unit)
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
    # Below the axes: the legend never covers an observation.
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3,
              frameon=False)  # fmt: skip
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
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    fig.clear()
    write_atomic(path, buffer.getvalue())
    return path.name
