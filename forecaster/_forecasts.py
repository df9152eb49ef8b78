"""Forecasts from Python: ``forecaster.forecast``, ``load``, ``sweep``, ``prior`` and
``scenario_priors``.

The same composition, validation and engine as ``forecaster forecast``: for the same
settings the numbers are bit-identical to the command line's. A forecast runs in memory (its
checkpoints in a temporary directory) unless ``run_dir`` is given, where it writes exactly
the files the command line writes.
"""

from __future__ import annotations

import dataclasses
import html
import itertools
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import OmegaConf

from ._config import compose_forecast, plan_forecast
from ._engine import ForecastResult, run_forecast
from ._errors import ConfigError
from ._outputs import build_summary, sample_frame
from .models import DEFAULT_MODEL, get_model

_PROBABILITY_COLUMNS = ["years", "window_months", "p", "se", "ci_low", "ci_high", "count", "n"]
_QUANTILE_KEYS = ["q05", "q10", "q25", "q50", "q75", "q90", "q95"]
_MILESTONE_COLUMNS = ["milestone", "phase", *_QUANTILE_KEYS]
_CALENDAR_COLUMNS = ["year", "p_automation", "p_explosion"]
#: The headline cell when the model declares none (the report's plain-words headline).
_HEADLINE_CELL = (3.0, 12.0)


@dataclasses.dataclass(repr=False)
class Forecast:
    """A finished forecast: its summary (the content of summary.json) as tables.

    ``repr(f)`` is a few lines (scenario, model, draws, seed, the headline probabilities,
    the run directory); in a notebook the object shows the probability table
    (``_repr_html_``). Every table is a pandas DataFrame; a table the run has none of
    (``milestones`` without a milestone ladder, ``calendar`` without a timelines stage) is
    an empty DataFrame with its columns.

    Attributes:
        summary: every number of the run, as summary.json holds it.
        draws: the capped per-draw sample (draws.parquet), or None.
        config: the validated config the run was made with (plain data).
        run_dir: where its files are, or None for a forecast held in memory.
    """

    summary: dict[str, Any]
    draws: pd.DataFrame | None
    config: dict[str, Any]
    run_dir: Path | None = None
    _result: ForecastResult | None = dataclasses.field(default=None, repr=False)

    @property
    def probabilities(self) -> pd.DataFrame:
        """P(>= Y years within w) on the grid: years, window_months, p, se, Wilson interval,
        count, n."""
        return pd.DataFrame(self.summary["probabilities"]).reindex(columns=_PROBABILITY_COLUMNS)

    @property
    def quantiles(self) -> pd.DataFrame:
        return pd.DataFrame(self.summary.get("quantiles", []))

    @property
    def sensitivity(self) -> pd.DataFrame:
        return pd.DataFrame(self.summary.get("sensitivity", []))

    @property
    def fan(self) -> pd.DataFrame:
        return pd.DataFrame(self.summary.get("fan", []))

    @property
    def curve(self) -> pd.DataFrame:
        """P(>= Y years within w) on the fine grid of Y (curve.csv)."""
        return pd.DataFrame(self.summary.get("curve", []))

    @property
    def calendar(self) -> pd.DataFrame:
        """The calendar of a run with a timelines stage (``timelines=...``), one row per
        calendar year: ``year``, ``p_automation`` (P(full automation of AI R&D has started
        by the start of the year)), ``p_explosion`` (P(the explosion event is complete by
        then)). An empty DataFrame with these columns for a run without a timelines stage
        (as :attr:`milestones` is for a run without milestones); the rest of the calendar
        (monthly values, the automation year's quantiles, the dates each progress level is
        reached) is in ``summary["calendar"]``."""
        calendar = self.summary.get("calendar") or {}
        automation = calendar.get("p_automation_by_year") or {}
        explosion = calendar.get("p_explosion_by_year") or {}
        rows = [
            {"year": float(y), "p_automation": automation[y], "p_explosion": explosion.get(y)}
            for y in sorted(automation, key=float)
        ]
        return pd.DataFrame(rows, columns=_CALENDAR_COLUMNS)

    @property
    def milestones(self) -> pd.DataFrame:
        """A ladder's milestones, one row each: ``milestone``, ``phase``, the quantiles of
        the years after the start (``q05`` ... ``q95``), ``p_within_<Y>`` (exact) and, when
        dated, ``date_q10`` / ``date_q50`` / ``date_q90``. An empty DataFrame with the
        columns ``milestone``, ``phase``, ``q05`` ... ``q95`` for a model without milestones
        (as :attr:`calendar` is for a run without a timelines stage)."""
        rows = []
        for name, entry in (self.summary.get("milestones") or {}).items():
            row = {"milestone": name, "phase": entry["phase"], **entry["years_after_start"]}
            row |= {f"p_within_{y}": p for y, p in entry["p_within_years"].items()}
            if "date" in entry:
                row |= {f"date_{key}": entry["date"][key] for key in ("q10", "q50", "q90")}
            rows.append(row)
        return pd.DataFrame(rows) if rows else pd.DataFrame(columns=_MILESTONE_COLUMNS)

    def probability(self, years: float, window_months: float) -> float | None:
        """P(>= ``years`` years of progress within ``window_months``), from the grid."""
        rows = self.probabilities
        hit = rows[(rows.years == years) & (rows.window_months == window_months)]
        if hit.empty:
            raise ConfigError(
                "years, window_months", (years, window_months), "a cell of the run's grid"
            )
        return hit.p.iloc[0]

    def headline_rows(self) -> list[dict[str, Any]]:
        """The headline cell of the grid (the model's, else P(>= 3 years within 12
        months), else the nearest the grid has) and the same Y in the shortest window: the
        rows of :attr:`probabilities` (as dicts) that ``repr`` and the notebook view lead
        with; empty when the grid is."""
        rows = [r for r in self.summary.get("probabilities") or [] if r.get("p") is not None]
        if not rows:
            return []
        head = self.summary.get("headline") or {}
        years, window = _HEADLINE_CELL
        if head.get("years") and head.get("window_months"):
            years, window = float(head["years"]), float(head["window_months"])
        windows = sorted({r["window_months"] for r in rows})
        window = window if window in windows else windows[-1]
        y = min({r["years"] for r in rows}, key=lambda v: (abs(v - years), v))
        cells = {(r["years"], r["window_months"]): r for r in rows}
        out = [cells[(y, window)]]
        if windows[0] != window and (y, windows[0]) in cells:
            out.append(cells[(y, windows[0])])
        return out

    def __repr__(self) -> str:
        s = self.summary
        model = (s.get("model") or {}).get("name", "?")
        lines = [
            f"<Forecast scenario={s.get('scenario')!r} model={model} "
            f"n_draws={s.get('n_draws', 0):,} seed={s.get('seed')}"
        ]
        lines += [f" {_event(r)} = {_p_text(r)}" for r in self.headline_rows()]
        last = _last_milestone(s)
        if last is not None:
            lines.append(f" {last[0]}: median {last[1]} after the start")
        where = "None (in memory)" if self.run_dir is None else repr(str(self.run_dir))
        lines.append(f" run_dir={where}>")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        """The notebook view: what the run is, and its probability table with 95% Wilson
        intervals (the headline cell in bold). Every string from the config is escaped."""
        s, e = self.summary, _escape
        model = (s.get("model") or {}).get("name", "?")
        scenario_cfg = self.config.get("scenario") if isinstance(self.config, dict) else None
        description = (scenario_cfg or {}).get("description") if scenario_cfg else None
        where = "held in memory" if self.run_dir is None else f"<code>{e(self.run_dir)}</code>"
        parts = [
            '<div class="forecaster-forecast">',
            f"<p><b>Forecast</b> of scenario <code>{e(s.get('scenario'))}</code> "
            f"(model <code>{e(model)}</code>)"
            + (f": {e(description)}" if description else "")
            + f"<br>{s.get('n_draws', 0):,} draws, seed {e(s.get('seed'))}; {where}</p>",
            _probability_html(s.get("probabilities") or [], self.headline_rows()),
        ]
        if s.get("milestones"):
            parts.append(_milestone_html(s))
        parts.append("</div>")
        return "\n".join(parts)

    def to_xarray(self) -> Any:
        """The probability grid as an xarray Dataset over (window_months, years): p, se,
        ci_low, ci_high, count."""
        frame = self.probabilities.set_index(["window_months", "years"])
        return frame[["p", "se", "ci_low", "ci_high", "count"]].to_xarray()

    def report(self, path: str | Path | None = None) -> Path:
        """Write report.html and report.md (into the run directory, or ``path`` for a
        forecast held in memory, with the run's files); returns report.html's path."""
        from ._outputs import write_outputs
        from ._rundir import run_lock, save_config
        from .report import write_report

        target = Path(path) if path is not None else self.run_dir
        if target is None:
            raise ConfigError("path", None, "a directory for the report of an in-memory forecast")
        if not (target / "summary.json").is_file():
            if self._result is None:
                raise ConfigError("path", str(target), "the run directory of this forecast")
            target.mkdir(parents=True, exist_ok=True)
            with run_lock(target):
                save_config(self.config, target)
                write_outputs(self._result, target)
        return write_report(target)


def _escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _event(row: Mapping[str, Any]) -> str:
    return f"P(>= {row['years']:g} years within {row['window_months']:g} months)"


def _p_text(row: Mapping[str, Any]) -> str:
    if row.get("p") is None:
        return "n/a"
    low, high = row.get("ci_low"), row.get("ci_high")
    interval = f" [{low:.3f}, {high:.3f}]" if low is not None and high is not None else ""
    return f"{row['p']:.3f}{interval}"


def _years(value: float | None) -> str:
    if value is None:
        return "not reached"
    return f"{value * 12:.3g} months" if value < 1 else f"{value:.3g} years"


def _milestone_years(value: float | None, summary: Mapping[str, Any]) -> str:
    """A time to a milestone; at a ladder's phase cap ``not within the cap (N years)``."""
    from .report._format import cap_note, phase_cap

    return cap_note(value, phase_cap(summary)) or _years(value)


def _last_milestone(summary: Mapping[str, Any]) -> tuple[str, str] | None:
    milestones = summary.get("milestones") or {}
    if not milestones:
        return None
    name, entry = list(milestones.items())[-1]
    return name, _milestone_years((entry.get("years_after_start") or {}).get("q50"), summary)


def _probability_html(rows: Sequence[Mapping[str, Any]], head: Sequence[Mapping]) -> str:
    """P(>= Y years within w) as an HTML table: Y down, w across."""
    if not rows:
        return "<p>No probability grid.</p>"
    years = sorted({r["years"] for r in rows})
    windows = sorted({r["window_months"] for r in rows})
    cells = {(r["years"], r["window_months"]): r for r in rows}
    lead = {(r["years"], r["window_months"]) for r in head[:1]}
    out = [
        "<table>",
        "<caption>P(&ge; Y years of AI progress within w), 95% Wilson interval</caption>",
        "<thead><tr><th>Y years</th>"
        + "".join(f"<th>w = {w:g} months</th>" for w in windows)
        + "</tr></thead>",
        "<tbody>",
    ]
    for y in years:
        row = f"<tr><th>{y:g}</th>"
        for w in windows:
            text = _escape(_p_text(cells[(y, w)])) if (y, w) in cells else "&mdash;"
            row += f"<td><b>{text}</b></td>" if (y, w) in lead else f"<td>{text}</td>"
        out.append(row + "</tr>")
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


def _milestone_html(summary: Mapping[str, Any]) -> str:
    """A ladder's milestones: years after the start (10%, median, 90%), median date."""
    milestones = summary["milestones"]
    dated = all("date" in m for m in milestones.values())
    header = ["milestone", "10%", "median", "90%", *(["median date"] if dated else [])]
    out = [
        "<table>",
        "<caption>Milestones: time after the start</caption>",
        "<thead><tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr></thead>",
        "<tbody>",
    ]
    for name, entry in milestones.items():
        q = entry.get("years_after_start") or {}
        cells = [_milestone_years(q.get(k), summary) for k in ("q10", "q50", "q90")]
        if dated:
            date = (entry.get("date") or {}).get("q50")
            cells.append("not reached" if date is None else f"{date:.2f}")
        out.append(
            f"<tr><th>{_escape(name)}</th>"
            + "".join(f"<td>{_escape(c)}</td>" for c in cells)
            + "</tr>"
        )
    out += ["</tbody>", "</table>"]
    return "\n".join(out)


def _overrides(scenario: str | None, n_draws: int | None, seed: int | None, more: Sequence[str]):
    items = [] if scenario is None else [f"scenario={scenario}"]
    items += [] if n_draws is None else [f"n_draws={n_draws}"]
    items += [] if seed is None else [f"seed={seed}"]
    return [*items, *more]


def forecast(
    scenario: str | None = None,
    n_draws: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    run_dir: str | Path | None = None,
    progress: bool = True,
) -> Forecast:
    """Run a forecast: ``forecaster forecast scenario=... n_draws=... seed=... <overrides>``.

    Args:
        scenario: a preset (default: the config's, ``decaying``).
        n_draws, seed: as on the command line (default: the config's).
        overrides: further Hydra overrides, e.g. ``["scenario.params.p.high=0.4"]``.
        run_dir: write the run's files there (and lock it), as the command line does; None
            keeps the forecast in memory.
        progress: show a progress bar.

    Raises:
        ConfigError: a value that is not allowed, naming it.
    """
    cfg = compose_forecast(
        [*_overrides(scenario, n_draws, seed, overrides), f"output.progress_bar={progress}"]
    )
    plan = plan_forecast(cfg)
    config = OmegaConf.to_container(cfg, resolve=True)
    if run_dir is not None:
        from ._forecast import run_into

        run_dir = Path(run_dir)
        summary, result = run_into(cfg, plan, run_dir, "run_dir")
        return Forecast(summary, sample_frame(result), config, run_dir, result)
    with tempfile.TemporaryDirectory(prefix="forecaster-") as tmp:
        result = run_forecast(plan, Path(tmp), progress_bar=progress)
    return Forecast(build_summary(result), sample_frame(result), config, None, result)


def load(run_dir: str | Path) -> Forecast:
    """A finished run read back from its directory (summary.json checked, draws.parquet and
    config.yaml if present).

    Raises:
        ConfigError: not a finished run directory, or a malformed summary.json.
    """
    from ._rundir import load_saved_config
    from .report._load import load_run

    path = Path(run_dir).expanduser()
    run = load_run(path)
    draws = path / "draws.parquet"
    try:
        config = OmegaConf.to_container(load_saved_config(path, field="run_dir"))
    except ConfigError:
        config = {}
    frame = pd.read_parquet(draws) if draws.is_file() else None
    return Forecast(run.summary, frame, config, path)


def sweep(
    grid: Mapping[str, Sequence[Any]],
    scenario: str | None = None,
    n_draws: int | None = None,
    seed: int | None = None,
    overrides: Sequence[str] = (),
    progress: bool = False,
) -> pd.DataFrame:
    """Every combination of ``grid`` (key -> values, Hydra override keys) as one forecast
    each, in this process; one long table: a row per job and grid cell with the job's label
    (its overrides), each swept key's value, and years, window_months, p, se, Wilson
    interval, count, n."""
    keys = list(grid)
    rows = []
    for values in itertools.product(*(grid[k] for k in keys)):
        swept = [f"{k}={v}" for k, v in zip(keys, values, strict=True)]
        result = forecast(scenario, n_draws, seed, [*overrides, *swept], progress=progress)
        table = result.probabilities
        table.insert(0, "job", " ".join(swept))
        for k, v in zip(reversed(keys), reversed(values), strict=True):
            table.insert(1, k, v)
        rows.append(table)
    return pd.concat(rows, ignore_index=True)


def prior(spec: Any, parameter: str | None = None, model: str = DEFAULT_MODEL) -> Any:
    """A prior spec (a number, a mapping or the compact form ``"log_uniform(low=2, high=32)"``)
    as a NumPyro distribution; a posterior-file prior as a distribution with ``sample`` and
    ``log_prob``. With ``parameter``, the spec is checked against that parameter's range in
    ``model``'s parameter table (a registered model's name).

    Raises:
        ConfigError: a spec that is not allowed, naming the field.
    """
    from ._priors._specs import DISTRIBUTIONS, build_distribution, parse_prior, spec_mapping

    if parameter is not None:
        table = get_model(model, "model")().parameters()
        return parse_prior(parameter, spec, parameter, table).distribution
    _, _, distribution = build_distribution(spec_mapping(spec, "prior"), "prior", DISTRIBUTIONS)
    return distribution


def scenario_priors(scenario: str | None = None, overrides: Sequence[str] = ()) -> dict:
    """A scenario's priors as the forecast reads them: parameter -> distribution."""
    plan = plan_forecast(compose_forecast(_overrides(scenario, None, None, overrides)))
    return {p.name: p.distribution for p in plan.priors.priors}
