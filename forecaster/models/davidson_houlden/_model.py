"""Davidson & Houlden (2025) as a :class:`~forecaster.models.Model`: the general law with
their one-doubling stepper and their model options (their web tool's switches)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, ClassVar

from ... import _validate as check
from ..._errors import ConfigError
from ..._priors import PriorSet
from .._interface import ReportSection
from .._paths import Path
from ..general_law._law import Params
from ..general_law._model import GeneralLaw, GeneralLawConfig
from ._stepper import (
    DOUBLINGS_MODES,
    DoublingsOptions,
    doublings_path,
    returns_after,
    speedup_factor_at,
)

_DEFAULT = DoublingsOptions()
INTEGRATORS = ("doublings", "rk4")
#: What their one-doubling stepper assumes: full automation, fixed compute.
DOUBLINGS_REQUIRES: dict[str, float] = {"phi0": 1.0, "phi_inf": 1.0, "gC": 0.0}


@dataclasses.dataclass
class DavidsonHouldenConfig(GeneralLawConfig):
    """A scenario of Davidson & Houlden's model (``model: davidson_houlden``)."""

    model: str = "davidson_houlden"
    integrator: str = "doublings"  # their stepper; rk4: the general law's smooth integration
    retraining_cost: bool = _DEFAULT.retraining_cost
    gradual_boost: bool = _DEFAULT.gradual_boost
    dh_mode: str = _DEFAULT.mode
    stop_after_years: float = _DEFAULT.stop_after_years


@dataclasses.dataclass(frozen=True)
class DavidsonHoulden(GeneralLaw):
    """Davidson & Houlden's software intelligence explosion: one doubling a step with their
    update rule (``integrator="doublings"``), or the general law's RK4 on their parameters
    (``"rk4"``, no options but ``constant_r``).

    Attributes (besides :class:`~forecaster.models.general_law.GeneralLaw`'s):
        integrator: ``"doublings"`` or ``"rk4"``.
        doublings: their model options (:class:`DoublingsOptions`).
    """

    name: ClassVar[str] = "davidson_houlden"
    title: ClassVar[str] = "Davidson & Houlden (2025)"
    description: ClassVar[str] = (
        "Davidson & Houlden's 'How quick and big would a software intelligence explosion be?': "
        "full automation and fixed compute; each doubling of software takes the previous one's "
        "time times 2^(p (1/r - 1)), with r falling to 0 at the effective limits."
    )
    config: ClassVar[type] = DavidsonHouldenConfig
    switches: ClassVar[tuple[str, ...]] = ("constant_r", "retraining_cost", "gradual_boost")

    integrator: str = "doublings"
    doublings: DoublingsOptions = DoublingsOptions()

    @property
    def smooth(self) -> bool:
        return self.integrator != "doublings"

    @classmethod
    def _fields(cls, s: Mapping[str, Any], priors: PriorSet) -> dict[str, Any]:
        integrator = check.choice("scenario.integrator", s["integrator"], INTEGRATORS)
        options = DoublingsOptions(
            retraining_cost=check.boolean("scenario.retraining_cost", s["retraining_cost"]),
            gradual_boost=check.boolean("scenario.gradual_boost", s["gradual_boost"]),
            mode=check.choice("scenario.dh_mode", s["dh_mode"], DOUBLINGS_MODES),
            stop_after_years=check.number(
                "scenario.stop_after_years", s["stop_after_years"], 0.0, high_open=False
            ),
        )
        check_options(integrator, options, "scenario.")
        if integrator == "doublings":
            check_priors(priors)
        return {**super()._fields(s, priors), "integrator": integrator, "doublings": options}

    def solve(self, params: Params) -> Path:
        if self.integrator == "rk4":
            return super().solve(params)
        return doublings_path(
            params,
            self.returns,
            int(self.max_doublings),
            self.horizon_years,
            self.stop_doubling_years,
            self.doublings,
        )

    @classmethod
    def report_sections(cls, summary: Mapping[str, Any]) -> tuple[ReportSection, ...]:
        """Which of their options the run used (their web tool's switches)."""
        settings = summary.get("settings") or {}
        stepper = settings.get("integrator") == "doublings"

        def on(value: Any) -> str:
            return "on" if value is True else "off" if value is False else "-"

        rows = [
            ("integrator", str(settings.get("integrator", "-")), "their one-doubling stepper"
             if stepper else "the general law's RK4 on their parameters"),
            ("constant r", on(settings.get("returns") == "constant_to_ceiling"),
             "r stays r0 up to the ceiling"),
            ("retraining cost", on(settings.get("retraining_cost")),
             "part of each software gain goes to retraining"),
            ("gradual boost", on(settings.get("gradual_boost")),
             "the speed-up rises to f over the first years"),
            ("mode", str(settings.get("mode", "-")),
             "their Monte Carlo code or their single-simulation code"),
        ]  # fmt: skip
        return (
            ReportSection(
                "Davidson & Houlden's options",
                ("The switches of their model (docs/MODEL.md 4.3) as this run set them.",),
                ("option", "setting", "meaning"),
                tuple(rows),
            ),
        )

    def own_stop_reason(self, params: Params, path: Path, last: int) -> tuple[str, str] | None:
        """Their stepper's ``stop_after_years`` too (their single simulation's end)."""
        stop = self.doublings.stop_after_years
        if self.integrator == "doublings" and float(path.t[last]) >= stop:
            return "stop_after_years", f"stop_after_years = {stop:g} (their simulation's end)"
        return super().own_stop_reason(params, path, last)

    def returns_and_speedup(self, params: Params, path: Path) -> tuple[Any, Any]:
        if self.integrator == "rk4":
            return super().returns_and_speedup(params, path)
        r = returns_after(path.x, params, self.returns)
        return r, speedup_factor_at(path.t, params, self.doublings)


def check_options(integrator: str, options: DoublingsOptions, prefix: str = "") -> None:
    """Their options belong to their stepper."""
    if integrator == "doublings":
        return
    for item in dataclasses.fields(DoublingsOptions):
        value, default = getattr(options, item.name), getattr(_DEFAULT, item.name)
        if value != default:
            key = "dh_mode" if item.name == "mode" else item.name
            raise ConfigError(
                f"{prefix}{key}",
                value,
                f"its default ({default}) with integrator={integrator}: Davidson & "
                "Houlden's options belong to integrator=doublings",
            )


def check_values(values: Mapping[str, float]) -> None:
    """One parameter set for their stepper (the notebook API)."""
    for name, needed in DOUBLINGS_REQUIRES.items():
        if values[name] != needed:
            raise ConfigError(
                name,
                values[name],
                f"{needed:g} with integrator='doublings' (Davidson & Houlden's rule assumes "
                "full automation and fixed compute); use integrator='rk4'",
            )


def check_priors(priors: PriorSet) -> None:
    """Their rule assumes full automation and fixed compute."""
    for prior in priors.priors:
        if prior.name in DOUBLINGS_REQUIRES:
            ok = prior.fixed and float(prior.args["value"]) == DOUBLINGS_REQUIRES[prior.name]
            if not ok:
                raise ConfigError(
                    f"scenario.params.{prior.name}",
                    dict(prior.args) | {"dist": prior.kind},
                    f"fixed at {DOUBLINGS_REQUIRES[prior.name]:g} with "
                    "scenario.integrator=doublings (or use integrator=rk4)",
                )
