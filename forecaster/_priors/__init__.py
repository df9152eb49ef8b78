"""Priors over the model parameters: host-side specs (:mod:`._specs`, one vocabulary in
:mod:`._kinds`) and device-side sampling (:mod:`._sampling`)."""

from ._kinds import CALIBRATION_KINDS, FORECAST_KINDS, KINDS, Kind
from ._posterior import PosteriorSamples
from ._sampling import (
    draw_uniforms,
    effective_uniforms,
    icdf,
    mix,
    prior_inputs,
    raw_uniforms,
    resampled,
    row_pickers,
    transform,
    uniforms_at,
)
from ._specs import (
    DISTRIBUTIONS,
    Prior,
    PriorSet,
    _distribution,
    build_distribution,
    build_prior_set,
    link_joint_posteriors,
    parse_compact,
    parse_prior,
    spec_mapping,
)

__all__ = [
    "CALIBRATION_KINDS",
    "DISTRIBUTIONS",
    "FORECAST_KINDS",
    "KINDS",
    "Kind",
    "PosteriorSamples",
    "Prior",
    "PriorSet",
    "_distribution",
    "build_distribution",
    "build_prior_set",
    "draw_uniforms",
    "icdf",
    "effective_uniforms",
    "mix",
    "raw_uniforms",
    "resampled",
    "link_joint_posteriors",
    "parse_compact",
    "parse_prior",
    "prior_inputs",
    "row_pickers",
    "spec_mapping",
    "transform",
    "uniforms_at",
]
