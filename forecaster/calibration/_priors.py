"""Priors of the calibration models, built from config entries.

A prior is written in YAML as ``{dist: <name>, <param>: <number>, ...}``, for example
``{dist: lognormal, loc: 0.7, scale: 1.0}``. Keeping the vocabulary small and explicit lets a
typo be reported with the allowed names instead of failing inside NumPyro.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpyro.distributions as dist

from .._errors import ConfigError

#: name -> (NumPyro constructor, its parameters in order, support is positive)
DISTRIBUTIONS: dict[str, tuple[type[dist.Distribution], tuple[str, ...], bool]] = {
    "normal": (dist.Normal, ("loc", "scale"), False),
    "studentt": (dist.StudentT, ("df", "loc", "scale"), False),
    "lognormal": (dist.LogNormal, ("loc", "scale"), True),
    "halfnormal": (dist.HalfNormal, ("scale",), True),
    "halfcauchy": (dist.HalfCauchy, ("scale",), True),
    "exponential": (dist.Exponential, ("rate",), True),
    "uniform": (dist.Uniform, ("low", "high"), False),
}
_POSITIVE_PARAMS = ("scale", "df", "rate")


def make_prior(spec: Mapping[str, Any], field: str, positive: bool = False) -> dist.Distribution:
    """The NumPyro distribution described by ``spec`` (a config mapping).

    ``field`` is the config path used in error messages (``model.priors.tau``). With
    ``positive`` the distribution must have positive support (a scale or a rate), so a
    ``normal`` prior on a standard deviation is refused rather than sampled into NaNs.
    """
    if not isinstance(spec, Mapping) or "dist" not in spec:
        raise ConfigError(
            field,
            spec,
            f"a mapping {{dist: <name>, <parameters>...}} with dist one of {sorted(DISTRIBUTIONS)}",
        )
    name = str(spec["dist"]).lower()
    if name not in DISTRIBUTIONS:
        raise ConfigError(f"{field}.dist", spec["dist"], f"one of {sorted(DISTRIBUTIONS)}")
    constructor, params, positive_support = DISTRIBUTIONS[name]
    extra = sorted(set(spec) - {"dist", *params})
    if extra:
        raise ConfigError(
            f"{field}", dict(spec), f"{name} takes the parameters {list(params)} (unknown: {extra})"
        )
    values = {}
    for param in params:
        value = spec.get(param)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{field}.{param}", value, f"a number ({name} needs {list(params)})")
        if param in _POSITIVE_PARAMS and value <= 0:
            raise ConfigError(f"{field}.{param}", value, "a positive number")
        values[param] = float(value)
    if name == "uniform":
        if values["low"] >= values["high"]:
            raise ConfigError(f"{field}.high", values["high"], f"a number > low={values['low']}")
        positive_support = values["low"] >= 0
    if positive and not positive_support:
        allowed = sorted(n for n, (_, _, pos) in DISTRIBUTIONS.items() if pos)
        raise ConfigError(
            f"{field}.dist",
            name,
            f"a distribution on positive values: one of {allowed} or uniform with low >= 0",
        )
    return constructor(*values.values())


def make_priors(
    specs: Mapping[str, Any], field: str, names: Mapping[str, bool]
) -> dict[str, dist.Distribution]:
    """The priors ``names`` (name -> must be positive) built from the mapping ``specs``.

    A missing or unknown entry is a :class:`ConfigError` that lists the expected names.
    """
    if not isinstance(specs, Mapping):
        raise ConfigError(field, specs, f"a mapping with the priors {list(names)}")
    missing = [n for n in names if n not in specs]
    unknown = [n for n in specs if n not in names]
    if missing or unknown:
        raise ConfigError(
            field,
            sorted(specs),
            f"exactly the priors {list(names)} (missing: {missing}, unknown: {unknown})",
        )
    return {n: make_prior(specs[n], f"{field}.{n}", positive=pos) for n, pos in names.items()}
