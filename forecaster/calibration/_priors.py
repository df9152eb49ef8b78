"""Priors of the calibration models, built from config entries.

They use the forecast's prior vocabulary (:data:`forecaster._priors.KINDS`): the same names
and arguments, written as a mapping (``{dist: log_normal, median: 2, sigma: 1}``) or in the
compact form (``"log_normal(median=2, sigma=1)"``). A calibration may use every kind with a
log density, including the scale priors ``half_normal``, ``half_cauchy`` and ``exponential``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpyro.distributions as dist

from .._errors import ConfigError
from .._priors import CALIBRATION_KINDS, KINDS, build_distribution, spec_mapping

#: Kinds whose support is (0, inf) whatever their arguments (for scales and rates).
POSITIVE_KINDS: tuple[str, ...] = tuple(n for n in CALIBRATION_KINDS if KINDS[n].positive)


def make_prior(spec: Any, field: str, positive: bool = False) -> dist.Distribution:
    """The NumPyro distribution described by ``spec`` (a config mapping or compact string).

    ``field`` is the config path used in error messages (``model.priors.tau``). With
    ``positive`` the distribution must have positive support (a scale or a rate), so a
    ``normal`` prior on a standard deviation is refused rather than sampled into NaNs.
    """
    mapping = spec_mapping(spec, field)
    if "dist" not in mapping:
        raise ConfigError(
            field,
            spec,
            f"a mapping {{dist: <name>, <arguments>...}}, dist one of {list(CALIBRATION_KINDS)}",
        )
    kind, args, distribution = build_distribution(mapping, field, CALIBRATION_KINDS)
    if positive and not (KINDS[kind].positive or KINDS[kind].support(args)[0] >= 0):
        raise ConfigError(
            f"{field}.dist",
            kind,
            f"a distribution on positive values: one of {list(POSITIVE_KINDS)} "
            "or uniform with low >= 0",
        )
    return distribution


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
