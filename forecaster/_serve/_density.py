"""A prior's density for the explorer's preview (``GET /api/density``), computed from the very
prior the forecast draws: the :class:`~forecaster._priors.Prior` of the planned state, its
quantile function (:meth:`Prior.icdf`, the engine's) for the grid's ends and its
distribution's log density for the values.

- A drawn kind (uniform, log_uniform, normal, log_normal, beta, truncated_normal): the exact
  density on :data:`POINTS` points over its support where that is a closed interval, else
  between its :data:`TAIL` and 1 - :data:`TAIL` quantiles (``coverage`` says how much of
  the probability the grid spans); a point mass mixed in (``p_mass``) scales the density by
  1 - p_mass and is given as ``point_mass``.
- A fixed value (or a parameter at its default): ``point_mass`` alone.
- A posterior file: a Gaussian kernel density estimate of its draws (the distribution's own
  ``log_prob``), between the draws' quantiles.
- A formula (``derived``): a histogram of :data:`FORMULA_DRAWS` draws of the stage's priors,
  drawn as the engine draws them (same seed, copula and formulas).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._errors import ConfigError
from .._priors import KINDS, Prior, PriorSet

#: Points of the grid, the tail left out at each end of an unbounded prior, the draws of a
#: formula's histogram and its bins.
POINTS, TAIL, FORMULA_DRAWS, BINS = 200, 0.005, 20_000, 60
#: A positive grid spanning more than this ratio is spaced geometrically (drawn on a log axis).
LOG_RATIO = 20.0


def _stage(plan: Any, path: str) -> tuple[PriorSet | None, int]:
    """The prior set of a path's stage and its random stream (as the engine draws it)."""
    if path.startswith("timelines."):
        return (plan.timelines.priors if plan.timelines is not None else None), 1
    return plan.priors, 0


def density(plan: Any, path: str) -> dict[str, Any]:
    """The preview of the prior at ``path`` (``scenario.params.f``) of a planned state."""
    prior_set, stream = _stage(plan, path)
    name = path.rsplit(".", 1)[1]
    prior = next((p for p in prior_set.priors if p.name == name), None) if prior_set else None
    if prior is None or (".latent." in path) != (name in prior_set.latent):  # type: ignore[union-attr]
        defaults = plan.model.defaulted_parameters() if path.startswith("scenario.params.") else {}
        if name in defaults and name not in plan.model.set_by_model():
            return _point(path, name, repr(defaults[name].default), float(defaults[name].default))
        paths = sorted(_paths(plan))
        raise ConfigError("path", path, f"a prior of this setting: {paths}")
    assert prior_set is not None
    text = prior_set.describe()[name]
    if prior.fixed:
        return _point(path, name, text, float(prior.args["value"]))
    if prior.derived:
        return _formula(plan, prior_set, stream, prior, path, text)
    return _drawn(prior, path, text)


def _paths(plan: Any) -> list[str]:
    out = []
    for stage, prior_set in (
        ("scenario", plan.priors),
        ("timelines", _stage(plan, "timelines.")[0]),
    ):
        if prior_set is not None:
            for p in prior_set.priors:
                group = "latent" if p.name in prior_set.latent else "params"
                out.append(f"{stage}.{group}.{p.name}")
    return out


def _answer(path: str, name: str, text: str, method: str, **fields: Any) -> dict[str, Any]:
    return {
        "path": path,
        "name": name,
        "prior": text,
        "method": method,  # exact | kde | histogram | point | none
        "x": [],
        "density": [],
        "coverage": 0.0,
        "log_x": False,
        "point_mass": None,
        "message": None,
        **fields,
    }


def _point(path: str, name: str, text: str, value: float) -> dict[str, Any]:
    return _answer(path, name, text, "point", point_mass={"at": value, "p": 1.0})


def _grid(low: float, high: float) -> tuple[np.ndarray, bool]:
    """:data:`POINTS` points from ``low`` to ``high``, geometric for a wide positive range."""
    log_x = low > 0 and high / low > LOG_RATIO
    if log_x:
        return np.geomspace(low, high, POINTS), True
    return np.linspace(low, high, POINTS), False


def _drawn(prior: Prior, path: str, text: str) -> dict[str, Any]:
    """A kind drawn through its quantile function: its density on a grid."""
    import jax.numpy as jnp

    from .._settings import precision_scope

    kind = KINDS[prior.kind]
    low, high = kind.support(prior.args)  # the drawn part's (a posterior's: the real line)
    with precision_scope("float64") as dtype:
        bounded = math.isfinite(low) and math.isfinite(high) and not kind.open_support
        if bounded:
            coverage = 1.0
        else:
            ends = np.asarray(prior.icdf(jnp.asarray([TAIL, 1 - TAIL], dtype)), float)
            low, high = float(ends[0]), float(ends[1])
            coverage = 1 - 2 * TAIL
        if not high > low:  # a posterior whose draws are (nearly) one value
            return _point(path, prior.name, text, low)
        x, log_x = _grid(low, high)
        # The ends nudged inside by 1e-4 of a step: a density at a closed support's end is
        # its limit from within (an end may round out of a support whose bounds a
        # distribution holds in float32, as LogUniform's logs).
        x[0], x[-1] = x[0] + 1e-4 * (x[1] - x[0]), x[-1] - 1e-4 * (x[-1] - x[-2])
        if prior.kind == "posterior":
            log_density = np.asarray(prior.distribution.log_prob(x), float)
        else:
            log_density = np.asarray(prior.distribution.log_prob(jnp.asarray(x, dtype)), float)
    values = np.where(np.isfinite(log_density), np.exp(log_density), 0.0) * (1 - prior.p_mass)
    mass = {"at": prior.mass_at, "p": prior.p_mass} if prior.p_mass > 0 else None
    return _answer(
        path,
        prior.name,
        text,
        "kde" if prior.kind == "posterior" else "exact",
        x=x.tolist(),
        density=values.tolist(),
        coverage=coverage * (1 - prior.p_mass),
        log_x=log_x,
        point_mass=mass,
    )


def _formula(
    plan: Any, prior_set: PriorSet, stream: int, prior: Prior, path: str, text: str
) -> dict[str, Any]:
    """A formula's values over :data:`FORMULA_DRAWS` draws of its stage: a histogram."""
    import jax.numpy as jnp

    from .._priors import transform, uniforms_at
    from .._settings import precision_scope

    with precision_scope("float64") as dtype:
        index = jnp.arange(FORMULA_DRAWS, dtype=jnp.uint32)
        u = uniforms_at(prior_set, plan.seed, jnp.zeros_like(index), index, dtype,
                        stream=stream, extra=1 if stream else 0)  # fmt: skip
        draws = np.asarray(transform(prior_set, u, dtype)[prior.name], float)
    finite = draws[np.isfinite(draws)]
    if not finite.size:
        return _answer(path, prior.name, text, "none", message="no draw of the formula is finite")
    low, high = np.quantile(finite, [TAIL, 1 - TAIL])
    if not high > low:
        return _point(path, prior.name, text, float(low))
    log_x = low > 0 and high / low > LOG_RATIO
    edges = np.geomspace(low, high, BINS + 1) if log_x else np.linspace(low, high, BINS + 1)
    counts, _ = np.histogram(finite, edges)
    values = counts / (draws.size * np.diff(edges))  # of all draws: a non-finite one is left out
    centres = np.sqrt(edges[:-1] * edges[1:]) if log_x else (edges[:-1] + edges[1:]) / 2
    return _answer(
        path,
        prior.name,
        text,
        "histogram",
        x=centres.tolist(),
        density=values.tolist(),
        coverage=float(counts.sum() / draws.size),
        log_x=bool(log_x),
        message=f"a histogram of {FORMULA_DRAWS:,} draws of the formula (seed {plan.seed})",
    )
