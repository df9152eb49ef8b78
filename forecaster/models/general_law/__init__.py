"""The general software-intelligence-explosion law (MODEL.md sections 2-3) on RK4."""

from ._law import CEILING_RETURNS, RETURNS, Params, growth_rate
from ._model import GeneralLaw, GeneralLawConfig, ScenarioBase
from ._parameters import PARAMETERS, TABLE

__all__ = [
    "CEILING_RETURNS",
    "PARAMETERS",
    "RETURNS",
    "TABLE",
    "GeneralLaw",
    "GeneralLawConfig",
    "Params",
    "ScenarioBase",
    "growth_rate",
]
