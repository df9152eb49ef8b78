"""Kernel settings from a user's options, their checks, and the run's floating-point precision.

Shared by the notebook API and the forecast config: both build a :class:`KernelSettings`
and check it here, so a range is stated once. Precision is scoped, never process-wide:
:func:`precision_scope` turns JAX's 64-bit mode on only inside a ``with`` block (the API
and the engine enter it around their work), so importing or calling forecaster leaves
``jax_enable_x64`` as the user set it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator, Mapping
from typing import Any, Literal, get_args

import jax
import jax.numpy as jnp

from . import _validate as check
from ._errors import ConfigError
from ._integrate import DOUBLINGS_MODES, DoublingsOptions
from ._kernel import INTEGRATORS, KernelSettings
from ._model import CEILING_RETURNS, RETURNS

Precision = Literal["float32", "float64"]
PRECISIONS: tuple[Precision, ...] = get_args(Precision)

_DEFAULTS = KernelSettings()


def check_precision(precision: Any) -> Precision:
    if precision not in PRECISIONS:
        raise ConfigError("precision", precision, f"one of {PRECISIONS}")
    return precision


def dtype_for(precision: Precision) -> Any:
    """The JAX dtype of ``precision`` (use it inside :func:`precision_scope`)."""
    return jnp.float64 if check_precision(precision) == "float64" else jnp.float32


@contextlib.contextmanager
def precision_scope(precision: Precision) -> Iterator[Any]:
    """Run the block with JAX's 64-bit mode as ``precision`` needs; yields the dtype.

    float32 leaves the mode as it is; float64 turns it on for the block only (JAX's own
    context manager, thread-local), then restores the user's setting.
    """
    dtype = dtype_for(precision)
    if precision == "float32":
        yield dtype
        return
    with _enable_x64():
        yield dtype


def _enable_x64() -> Any:
    scoped = getattr(jax, "enable_x64", None)  # jax >= 0.8: a config state, callable
    if scoped is None:
        from jax.experimental import enable_x64 as scoped  # jax 0.7
    return scoped(True)


def check_settings(settings: KernelSettings, values: Mapping[str, float] | None = None) -> None:
    """Check static settings (and, for the doublings stepper, that the model allows it)."""
    if settings.integrator not in INTEGRATORS:
        raise ConfigError("integrator", settings.integrator, f"one of {INTEGRATORS}")
    if settings.integrator == "ladder" and settings.ladder is None:
        raise ConfigError(
            "integrator",
            "ladder",
            "rk4 or doublings here: a ladder needs its milestones (scenario.milestones in a "
            "scenario preset, e.g. scenario=ai2027_takeoff)",
        )
    if settings.returns not in RETURNS:
        raise ConfigError("returns", settings.returns, f"one of {RETURNS}")
    if not isinstance(settings.steps, int) or not 4 <= settings.steps <= 100_000:
        raise ConfigError("steps", settings.steps, "an integer in [4, 100000]")
    if not 0 < settings.max_doublings <= 100_000:
        raise ConfigError("max_doublings", settings.max_doublings, "a number in (0, 100000]")
    if not 0 < settings.horizon_years <= 1e4:
        raise ConfigError("horizon_years", settings.horizon_years, "a number in (0, 10000]")
    for w in settings.windows_years:
        if not 0 < w <= settings.horizon_years:
            raise ConfigError("windows", w, "window lengths in (0, horizon]")
    for level in settings.progress_levels_years:
        if not level > 0:
            raise ConfigError("progress_years", level, "positive progress levels")
    if not settings.stop_doubling_years > 0:
        raise ConfigError("stop_doubling_years", settings.stop_doubling_years, "a number > 0")
    _check_doublings_options(settings)
    if values is not None and settings.integrator == "doublings":
        for name, needed in DOUBLINGS_REQUIRES.items():
            if values[name] != needed:
                raise ConfigError(
                    name,
                    values[name],
                    f"{needed:g} with integrator='doublings' (Davidson & Houlden's rule assumes "
                    "full automation and fixed compute); use integrator='rk4'",
                )


def _check_doublings_options(settings: KernelSettings) -> None:
    """Davidson & Houlden's options belong to their stepper."""
    options, defaults = settings.doublings, DoublingsOptions()
    if settings.integrator != "doublings":
        for item in dataclasses.fields(DoublingsOptions):
            value, default = getattr(options, item.name), getattr(defaults, item.name)
            if value != default:
                key = "dh_mode" if item.name == "mode" else item.name
                raise ConfigError(
                    key,
                    value,
                    f"its default ({default}) with integrator={settings.integrator}: Davidson & "
                    "Houlden's options belong to integrator=doublings",
                )


def returns_with(returns: str, constant_r: Any, field: str = "constant_r") -> str:
    """The returns schedule with Davidson & Houlden's "constant r" switch applied: r stays r0
    and the ceiling is kept (``linear_to_ceiling`` -> ``constant_to_ceiling``)."""
    if not check.boolean(field, constant_r):
        return returns
    if returns != "linear_to_ceiling":
        raise ConfigError(
            field, True, "false unless returns=linear_to_ceiling (constant r keeps its ceiling)"
        )
    return "constant_to_ceiling"


#: What Davidson & Houlden's one-doubling stepper assumes: full automation, fixed compute.
DOUBLINGS_REQUIRES: dict[str, float] = {"phi0": 1.0, "phi_inf": 1.0, "gC": 0.0}

#: The notebook API's options and their defaults (those of :class:`KernelSettings`).
API_OPTIONS: dict[str, Any] = {
    "horizon_years": _DEFAULTS.horizon_years,
    "max_doublings": None,  # the ceiling D with a ceiling schedule, else KernelSettings'
    "steps": _DEFAULTS.steps,
    "integrator": _DEFAULTS.integrator,
    "returns": _DEFAULTS.returns,
    "windows_months": tuple(12.0 * w for w in _DEFAULTS.windows_years),
    "progress_years": _DEFAULTS.progress_levels_years,
    "stop_doubling_years": _DEFAULTS.stop_doubling_years,
    "constant_r": False,  # Davidson & Houlden's "constant r" (see returns_with)
    # Their other model options (integrator="doublings"; see DoublingsOptions)
    "retraining_cost": _DEFAULTS.doublings.retraining_cost,
    "gradual_boost": _DEFAULTS.doublings.gradual_boost,
    "dh_mode": _DEFAULTS.doublings.mode,
    "stop_after_years": _DEFAULTS.doublings.stop_after_years,
}


def api_settings(options: Mapping[str, Any], values: Mapping[str, float]) -> KernelSettings:
    """KernelSettings from the notebook API's keyword options (unknown ones refused)."""
    for name in options:
        if name not in API_OPTIONS:
            raise ConfigError(name, options[name], f"an option, one of {list(API_OPTIONS)}")
    merged = {**API_OPTIONS, **options}
    merged["returns"] = returns_with(merged["returns"], merged["constant_r"])
    if merged["max_doublings"] is None:
        ceiling = values["ceiling_doublings"]
        linear = merged["returns"] in CEILING_RETURNS
        if linear and merged["integrator"] == "doublings":
            ceiling = math.ceil(ceiling - 1e-9)  # the stepper makes up to ceil(D) doublings
        merged["max_doublings"] = ceiling if linear else _DEFAULTS.max_doublings
    return dataclasses.replace(
        _DEFAULTS,
        integrator=merged["integrator"],
        returns=merged["returns"],
        steps=merged["steps"],
        max_doublings=float(merged["max_doublings"]),
        horizon_years=float(merged["horizon_years"]),
        windows_years=tuple(float(m) / 12.0 for m in merged["windows_months"]),
        progress_levels_years=tuple(float(y) for y in merged["progress_years"]),
        stop_doubling_years=float(merged["stop_doubling_years"]),
        doublings=dataclasses.replace(
            _DEFAULTS.doublings,
            retraining_cost=check.boolean("retraining_cost", merged["retraining_cost"]),
            gradual_boost=check.boolean("gradual_boost", merged["gradual_boost"]),
            mode=check.choice("dh_mode", merged["dh_mode"], DOUBLINGS_MODES),
            stop_after_years=check.number(
                "stop_after_years", merged["stop_after_years"], 0.0, high_open=False
            ),
        ),
    )
