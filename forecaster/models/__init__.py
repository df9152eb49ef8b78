"""Takeoff models: one folder each, behind one interface (:class:`Model`).

- :class:`Model`: what a model declares (parameter table, scenario config, outcomes,
  headline) and computes (``prepare``, ``solve``, ``summarise``, pure over pytrees).
- :func:`register`, :func:`get_model`, :func:`registered`: the registry of ``model:`` names;
  :func:`register_conf` and :func:`load_plugins`: models from outside the package
  (``FORECASTER_MODELS``, or the ``forecaster.models`` entry-point group).
- The built-in models: :class:`GeneralLaw` (``general_law``), :class:`DavidsonHoulden`
  (``davidson_houlden``), :class:`MilestoneLadder` (``milestone_ladder``),
  :class:`AIFuturesModel` (``aifm``), :class:`EpochFTM` (``epoch_ftm``); the start-date
  stage lives in :mod:`forecaster.models.timelines`.
- :class:`ProgressModel`: the base of models whose draws are paths on the doubling clock.
- :func:`rk4_step`: the fixed-step RK4 over pytrees every integrating model uses.

docs/MODELS.md shows how to add a model, with a worked example.
"""

from .._table import ParameterSpec, ParameterTable
from ._interface import (
    Common,
    Declared,
    Flag,
    Headline,
    Histogram,
    MilestoneSet,
    Model,
    Outcomes,
    PathPanel,
    ProgressGrid,
    Quantity,
    ReportSection,
    RunSettings,
)
from ._paths import Path
from ._plugins import conf_dirs, load_plugins, register_conf
from ._progress import ProgressModel
from ._registry import get_model, register, register_schemas, registered
from ._rk4 import rk4_step
from .aifm import AIFuturesModel
from .davidson_houlden import DavidsonHoulden
from .epoch_ftm import EpochFTM
from .general_law import GeneralLaw, ScenarioBase
from .milestone_ladder import MilestoneLadder

for _cls in (GeneralLaw, DavidsonHoulden, MilestoneLadder, AIFuturesModel, EpochFTM):
    register(_cls)

#: The model of the notebook API (``simulate``, ``outcomes``, ``prior``) unless one is named.
DEFAULT_MODEL = GeneralLaw.name

__all__ = [
    "AIFuturesModel",
    "Common",
    "DEFAULT_MODEL",
    "DavidsonHoulden",
    "EpochFTM",
    "Declared",
    "Flag",
    "GeneralLaw",
    "Headline",
    "Histogram",
    "MilestoneLadder",
    "MilestoneSet",
    "Model",
    "Outcomes",
    "ParameterSpec",
    "ParameterTable",
    "Path",
    "ProgressGrid",
    "ProgressModel",
    "Quantity",
    "PathPanel",
    "ReportSection",
    "RunSettings",
    "ScenarioBase",
    "conf_dirs",
    "get_model",
    "load_plugins",
    "register_conf",
    "register",
    "register_schemas",
    "registered",
    "rk4_step",
]
