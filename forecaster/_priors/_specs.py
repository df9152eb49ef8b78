"""Host-side prior specifications: YAML or compact strings checked into :class:`Prior` values.

Specification forms (YAML), for a parameter of ``forecaster.PARAMETERS`` or the derived
``ceiling_years`` (distance to limits in years of progress; D = ceiling_years (1/Ts)/s)::

    8.0                                          # fixed
    {dist: fixed, value: 8.0}
    {dist: uniform, low: 6, high: 16}
    {dist: log_uniform, low: 2, high: 32}
    {dist: normal, loc: 0, scale: 1}
    {dist: log_normal, median: 1.2, sigma: 0.5}
    {dist: log_normal, low: 0.5, high: 3, coverage: 0.8}   # central 80% interval
    {dist: beta, a: 2, b: 5}
    {dist: truncated_normal, loc: 0.3, scale: 0.1, low: 0.05, high: 1}
    {dist: posterior, path: outputs/calibrate/returns/.../posterior.nc, variable: r_new}
    {dist: log_normal, low: 1.5, high: 10, coverage: 0.8, p_mass: 0.15}  # 15% exactly 0
    {dist: derived, expr: "stock * ((stock / 10) ** 2 - 1)"}   # a formula over others
    "log_uniform(low=2, high=32)"                # the compact form of any of them

``p_mass`` (with ``mass_at``, default 0) mixes any drawn kind with a point mass, decided by a
uniform of its own; ``derived`` computes a parameter from other parameters of the same set
(see :mod:`._expressions`: a formula is parsed into a typed tree, never run as code).
Parameters that only feed formulas are *latent*: any name, declared in their own mapping.

The kinds and their arguments are one table, :data:`~forecaster._priors._kinds.KINDS`.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import jax
import numpy as np

from .. import _validate as check
from .._errors import ConfigError
from .._table import ParameterSpec
from ._expressions import Expr, evaluation_order, render
from ._expressions import names as formula_names
from ._kinds import FORECAST_KINDS, KINDS, MASS_ARGS

DISTRIBUTIONS = FORECAST_KINDS  # what a forecast prior may be: name -> arguments


@dataclasses.dataclass(frozen=True)
class Prior:
    """One parameter's prior: the spec as given and the distribution it maps to."""

    name: str
    kind: str
    args: Mapping[str, Any]
    distribution: Any  # a numpyro Distribution, or PosteriorSamples

    @property
    def fixed(self) -> bool:
        return self.kind == "fixed"

    @property
    def derived(self) -> bool:
        """A formula over other parameters (``distribution`` is its :data:`Expr`)."""
        return self.kind == "derived"

    @property
    def drawn(self) -> bool:
        """Drawn from a uniform of the copula (neither fixed nor derived)."""
        return not (self.fixed or self.derived)

    @property
    def p_mass(self) -> float:
        """The probability of the point mass mixed in (0: none)."""
        return float(self.args.get("p_mass", 0.0))

    @property
    def mass_at(self) -> float:
        return float(self.args.get("mass_at", 0.0))

    def icdf(self, u: jax.Array) -> jax.Array:
        """Quantile function: maps a uniform draw to the parameter value."""
        from ._sampling import icdf

        return icdf(self, u)

    def support(self) -> tuple[float, float]:
        if self.kind == "posterior":
            return self.distribution.support
        low, high = KINDS[self.kind].support(self.args)
        if self.p_mass > 0:
            return min(low, self.mass_at), max(high, self.mass_at)
        return low, high

    def scipy(self) -> Any:
        """The same distribution in scipy.stats (for tests and reports); None for posteriors,
        formulas and mixtures with a point mass."""
        make = KINDS[self.kind].scipy
        return None if make is None or self.p_mass > 0 else make(self.args)


_COMPACT = re.compile(r"^\s*(\w+)\s*\((.*)\)\s*$")


def parse_compact(text: str, field: str) -> dict[str, Any]:
    """``"log_uniform(low=2, high=32)"`` -> ``{dist: log_uniform, low: 2, high: 32}``.

    The compact form is what summaries print, and it replaces a preset's prior from the
    command line in one override (a mapping override would merge into the old one).
    """
    match = _COMPACT.match(text)
    if not match:
        raise ConfigError(field, text, "a number, a mapping, or 'dist(key=value, ...)'")
    spec: dict[str, Any] = {"dist": match.group(1)}
    for item in filter(None, (part.strip() for part in match.group(2).split(","))):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep:
            raise ConfigError(
                field, text, "arguments written key=value, e.g. uniform(low=1, high=2)"
            )
        if key in spec:
            raise ConfigError(field, text, f"each argument once ({key!r} is given twice)")
        try:
            spec[key] = float(value)
        except ValueError:
            if "=" in value:
                raise ConfigError(
                    field, text, f"arguments separated by commas (one is missing in {item!r})"
                ) from None
            spec[key] = value.strip()
    return spec


def spec_mapping(spec: Any, field: str) -> dict[str, Any]:
    """A prior spec as a mapping: a number is ``fixed``, a string the compact form."""
    if check.is_number(spec):
        spec = {"dist": "fixed", "value": spec}
    if isinstance(spec, str):
        spec = parse_compact(spec, field)
    if not isinstance(spec, Mapping):
        raise ConfigError(field, spec, "a number or a mapping with 'dist' (a prior spec)")
    return dict(spec)


def build_distribution(
    spec: Mapping[str, Any],
    field: str,
    allowed: Mapping[str, tuple[str, ...]],
    point_mass: bool = False,
) -> tuple[str, dict[str, Any], Any]:
    """Check a spec mapping against the kinds ``allowed``; (kind, arguments, distribution).
    ``point_mass``: the kind's ``p_mass``/``mass_at`` are allowed (forecasts only: a
    calibration needs a density)."""
    args = dict(spec)
    kind = args.pop("dist", None)
    if kind not in allowed:
        raise ConfigError(f"{field}.dist", kind, f"one of {list(allowed)}")
    needed = KINDS[kind].needed(args)
    missing = [k for k in needed if k not in args]
    optional = tuple(k for k in KINDS[kind].optional_args if point_mass or k not in MASS_ARGS)
    extra = [k for k in args if k not in needed and k not in optional]
    if missing:
        raise ConfigError(f"{field}.{missing[0]}", None, f"required for dist={kind}: {needed}")
    if extra:
        takes = (*needed, *optional)
        raise ConfigError(f"{field}.{extra[0]}", args[extra[0]], f"dist={kind} takes {takes}")
    if "p_mass" in args:
        check.number(
            f"{field}.p_mass",
            args["p_mass"],
            0.0,
            1.0,
            low_open=False,
            allowed="a probability in [0, 1)",
        )
    if "mass_at" in args:
        check.finite(f"{field}.mass_at", args["mass_at"])
    if "mass_at" in args and "p_mass" not in args:
        raise ConfigError(f"{field}.p_mass", None, "required with mass_at (its probability)")
    return kind, args, KINDS[kind].build(args, field)


def _distribution(kind: str, args: Mapping[str, Any], field: str) -> Any:
    """The checked distribution of one kind with its arguments (no range check)."""
    return KINDS[kind].build(args, field)


def parse_prior(
    name: str,
    spec: Any,
    field: str | None = None,
    table: Mapping[str, ParameterSpec] | None = None,
) -> Prior:
    """Map one YAML prior specification to a :class:`Prior`, checking every value.

    Raises:
        ConfigError: naming the field, the value and what is allowed.
    """
    field = field or f"scenario.params.{name}"
    if table is None:
        raise TypeError("parse_prior needs the parameter table of the model the prior is for")
    if name not in table:
        raise ConfigError(field, name, f"a parameter name, one of {list(table)}")
    kind, args, distribution = build_distribution(
        spec_mapping(spec, field), field, DISTRIBUTIONS, point_mass=True
    )
    prior = Prior(name, kind, args, distribution)
    if not prior.derived:  # a formula's values are known per draw only (checked there)
        _check_support(prior, field, table[name])
    return prior


def _check_support(prior: Prior, field: str, spec: ParameterSpec) -> None:
    """The prior's values lie in the parameter's range (an open support may touch an open
    bound: its ends are never drawn, so log_normal on r0's (0, inf) is fine)."""
    low, high = prior.support()
    is_open = KINDS[prior.kind].open_support
    low_ok = spec.contains(low) or (is_open and low >= spec.low)
    high_ok = spec.contains(high) or (is_open and high <= spec.high)
    if not (low_ok and high_ok):
        if prior.fixed:
            raise ConfigError(field, low, spec.describe())
        raise ConfigError(
            field,
            f"{prior.kind} with support [{low:g}, {high:g}]",
            f"a prior inside {prior.name}'s range, {spec.describe()}"
            + (" (use truncated_normal or log_normal)" if prior.kind == "normal" else ""),
        )


@dataclasses.dataclass(frozen=True)
class Resample:
    """Rejection of draws the model does not accept, made vectorised: each draw tries
    ``candidates`` draws of its priors and keeps the first the model accepts
    (:meth:`~forecaster.models.Model.accepts`); the first ``keep`` drawn priors are drawn
    once and the others redrawn given them (the copula's conditional: they come first in its
    order). A draw with no accepted candidate is counted non-finite."""

    candidates: int
    keep: int


#: Most candidates a draw may try (each is drawn and checked on the device).
MAX_CANDIDATES = 256


@dataclasses.dataclass(frozen=True)
class PriorSet:
    """All priors of a scenario, the order of the uncertain ones and their copula."""

    priors: tuple[Prior, ...]
    cholesky: np.ndarray | None  # of the Gaussian copula's correlation matrix
    formulas: tuple[str, ...] = ()  # derived names, in an order fit to evaluate them
    latent: tuple[str, ...] = ()  # names that only feed formulas (not model parameters)
    #: The values device code reads instead of the specs' own (a kernel's argument: see
    #: :meth:`bind`); None: the specs' values, as constants.
    bound: Any = dataclasses.field(default=None, compare=False, repr=False)
    resample: Resample | None = None

    def resampled(self, spec: Any, field: str) -> PriorSet:
        """The set with ``spec`` (``{candidates: K, keep: [names]}``) as its
        :class:`Resample`; ``keep`` must name the first drawn priors, in order."""
        if not isinstance(spec, Mapping) or set(spec) - {"candidates", "keep"}:
            raise ConfigError(field, spec, "a mapping {candidates: K, keep: [parameters]}")
        candidates = check.integer(f"{field}.candidates", spec.get("candidates"), 2,
                                   MAX_CANDIDATES)  # fmt: skip
        keep = spec.get("keep") or []
        drawn = [p.name for p in self.uncertain]
        if (
            not isinstance(keep, Sequence)
            or isinstance(keep, str)
            or list(keep) != drawn[: len(keep)]
        ):
            allowed = f"the first drawn parameters, in order: a start of {drawn}"
            raise ConfigError(f"{field}.keep", keep, allowed)
        return dataclasses.replace(self, resample=Resample(candidates, len(keep)))

    def bind(self, inputs: Any) -> PriorSet:
        """The same priors with their values read from ``inputs`` (a pytree shaped like
        :func:`~forecaster._priors.prior_inputs` of this set, traced inside a compiled kernel):
        the kernel then compiles once for the set's structure (:meth:`structure`), whatever the
        values."""
        return dataclasses.replace(self, bound=inputs)

    def structure(self) -> dict[str, Any]:
        """What a kernel compiled for this set depends on besides the values of
        :func:`~forecaster._priors.prior_inputs`: each parameter's kind and the number of its
        values' entries, point masses, formulas, posterior files (their draws are constants of
        the kernel) and whether the draws are correlated."""
        from ._sampling import QUANTILES

        described = self.describe()
        priors = []  # in the set's order: it assigns the copula's columns
        for p in self.priors:
            if p.kind in QUANTILES:
                size = len(p.args["values"]) if "values" in p.args else None  # a table's
                priors.append([p.name, p.kind, size, p.p_mass > 0])
            else:  # formulas and posterior files: the spec itself
                priors.append([p.name, described[p.name]])
        return {
            "priors": priors,
            "formulas": list(self.formulas),
            "latent": list(self.latent),
            "correlated": self.cholesky is not None,
            "resample": None if self.resample is None else dataclasses.asdict(self.resample),
        }

    @property
    def uncertain(self) -> tuple[Prior, ...]:
        """The drawn priors, one copula uniform each (formulas are not drawn)."""
        return tuple(p for p in self.priors if p.drawn)

    @property
    def masses(self) -> tuple[Prior, ...]:
        """The drawn priors mixed with a point mass, one independent uniform each."""
        return tuple(p for p in self.uncertain if p.p_mass > 0)

    @property
    def columns(self) -> int:
        """Uniforms per draw: one per drawn prior, then one coin per point mass."""
        return len(self.uncertain) + len(self.masses)

    def prior(self, name: str) -> Prior:
        return next(p for p in self.priors if p.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.priors)

    def describe(self) -> dict[str, str]:
        """A readable line per parameter, for summaries and reports (the compact form)."""
        out = {}
        for p in self.priors:
            if p.derived:
                out[p.name] = f"derived(expr={render(p.distribution)})"
                continue
            args = ", ".join(f"{k}={v}" for k, v in p.args.items())
            out[p.name] = f"{p.kind}({args})"
        return out


#: What a latent parameter may be: any real number (the formulas that read it decide).
LATENT = ParameterSpec(0.0, -math.inf, math.inf, False, False, "-", "latent (feeds formulas)")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def build_prior_set(
    specs: Mapping[str, Any],
    correlations: Sequence[Mapping[str, Any]] = (),
    field: str = "scenario",
    table: Mapping[str, ParameterSpec] | None = None,
    latent: Mapping[str, Any] | None = None,
) -> PriorSet:
    """Parse all parameter specs and the optional rank correlations.

    ``correlations`` is a list of ``{params: [a, b], rank: rho_s}`` (Spearman's rho between
    two uncertain parameters). The copula's Gaussian correlation is 2 sin(pi rho_s / 6).
    ``latent`` holds priors under names of their own, drawn (and correlated) like the others,
    which only formulas read.
    """
    if not isinstance(latent or {}, Mapping):
        raise ConfigError(f"{field}.latent", latent, "a mapping of name -> prior")
    latent = dict(latent or {})
    if table is None:
        raise TypeError("build_prior_set needs the parameter table of the model it is for")
    table = dict(table)
    for name in latent:
        if not isinstance(name, str) or not _NAME.match(name) or name in table:
            raise ConfigError(
                f"{field}.latent", name, "a new name (letters, digits, _), not a parameter's"
            )
        table[name] = LATENT
    if latent:
        specs = {**specs, **latent}
    order = list(table)

    def where(name: str) -> str:
        return f"{field}.latent.{name}" if name in latent else f"{field}.params.{name}"

    priors = tuple(
        parse_prior(name, specs[name], where(name), table)
        for name in sorted(specs, key=lambda n: order.index(n) if n in order else -1)
    )
    uncertain = [p.name for p in priors if p.drawn]
    formulas: dict[str, Expr] = {p.name: p.distribution for p in priors if p.derived}
    known = frozenset(p.name for p in priors if not p.derived)
    ordered = evaluation_order(formulas, known, f"{field}.params")
    unused = sorted(set(latent) - set().union(*(formula_names(e) for e in formulas.values())))
    if unused:
        raise ConfigError(f"{field}.latent.{unused[0]}", unused[0], "a name a formula reads")
    _check_joint_posteriors(priors, correlations, field)
    cholesky = _copula_cholesky(uncertain, correlations, f"{field}.correlations")
    floored = [p.name for p in priors if p.drawn and "above" in p.args]
    if cholesky is not None and floored and floored != uncertain[:1]:
        raise ConfigError(where(floored[-1]) + ".above", floored[-1],
                          f"in a copula only the first drawn parameter ({uncertain[0]}) may be "
                          "drawn above a value")  # fmt: skip
    return PriorSet(priors, cholesky, tuple(ordered), tuple(latent))


def _check_joint_posteriors(
    priors: Sequence[Prior], correlations: Sequence[Mapping[str, Any]], field: str
) -> None:
    """Variables drawn jointly from one posterior file have one draw per row (equal counts);
    their dependence is the file's, so a rank correlation may not be set on them too."""
    from ._sampling import joint_posterior

    firsts: dict[str, Prior] = {}
    joint = set()
    for prior in priors:
        if prior.fixed or not joint_posterior(prior):
            continue
        joint.add(prior.name)
        first = firsts.setdefault(prior.distribution.path, prior)
        if first is not prior:
            _follow_rows(first, prior, field)
    for i, entry in enumerate(correlations):
        names = entry.get("params", []) if isinstance(entry, Mapping) else []
        for name in names:
            if name in joint:
                raise ConfigError(
                    f"{field}.correlations[{i}].params",
                    name,
                    "parameters not drawn jointly from a posterior file (its dependence is the "
                    "file's; with resample: marginal a rank correlation may be set)",
                )


def link_joint_posteriors(first: PriorSet, second: PriorSet, field: str) -> None:
    """Variables of ``second`` (the timelines stage) drawn jointly from a file ``first`` (the
    takeoff stage) draws from too take ``first``'s rows: same draw counts, the rows ordered by
    ``first``'s first variable of that file (see :func:`~._sampling.transform`'s pickers)."""
    from ._sampling import joint_posterior

    leaders: dict[str, Prior] = {}
    for prior in first.uncertain:
        if joint_posterior(prior):
            leaders.setdefault(prior.distribution.path, prior)
    for prior in second.uncertain:
        leader = leaders.get(prior.distribution.path) if joint_posterior(prior) else None
        if leader is not None:
            _follow_rows(leader, prior, field)


def _follow_rows(leader: Prior, prior: Prior, field: str) -> None:
    """``prior`` (a variable of ``leader``'s file) takes its draws in the rows ``leader``
    picks: the rows ordered by ``leader``'s values; the file's draw counts must agree."""
    if leader.distribution.rows.size != prior.distribution.rows.size:
        raise ConfigError(
            f"{field}.params.{prior.name}",
            prior.distribution.path,
            f"as many draws as {leader.name} from the same file "
            f"({leader.distribution.rows.size}) to be drawn jointly, or resample: marginal",
        )
    order = np.argsort(leader.distribution.rows, kind="stable")
    prior.distribution.joint_rows = prior.distribution.rows[order]


def _copula_cholesky(
    uncertain: list[str], correlations: Sequence[Mapping[str, Any]], field: str
) -> np.ndarray | None:
    if not correlations:
        return None
    k = len(uncertain)
    corr = np.eye(k)
    for i, entry in enumerate(correlations):
        item = f"{field}[{i}]"
        if not isinstance(entry, Mapping) or set(entry) != {"params", "rank"}:
            raise ConfigError(item, entry, "a mapping {params: [a, b], rank: r}")
        pair = list(entry["params"])
        if len(pair) != 2 or pair[0] == pair[1]:
            raise ConfigError(f"{item}.params", pair, "two different parameter names")
        for name in pair:
            if name not in uncertain:
                raise ConfigError(f"{item}.params", name, f"an uncertain parameter: {uncertain}")
        rank = check.number(
            f"{item}.rank", entry["rank"], -1.0, 1.0, allowed="a rank correlation in (-1, 1)"
        )
        a, b = uncertain.index(pair[0]), uncertain.index(pair[1])
        corr[a, b] = corr[b, a] = 2 * math.sin(math.pi * rank / 6)
    eigenvalues = np.linalg.eigvalsh(corr)
    if eigenvalues.min() <= 1e-10:
        raise ConfigError(
            field, correlations, "rank correlations forming a positive definite matrix"
        )
    return np.linalg.cholesky(corr)
