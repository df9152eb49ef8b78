"""forecaster: a GPU-accelerated Monte Carlo forecaster of AI takeoff.

Public API:

- :func:`forecast`, :func:`load`, :func:`sweep`: whole forecasts from Python (the command
  line's engine and numbers), as :class:`Forecast` objects and tables.
- :func:`compare`: several forecasts (run directories or presets) side by side on the
  outcomes every model shares, as DataFrames (``forecaster compare``).
- :func:`prior`, :func:`scenario_priors`: priors as NumPyro distributions.
- :func:`simulate` and :func:`outcomes`: one parameter set, for notebooks.
- :mod:`forecaster.models`: every takeoff model behind one interface (:class:`Model`), and
  :func:`register` for a model of one's own (docs/MODELS.md).
- :class:`Params`: the general law's parameters; :func:`batched_outcomes`: the jit-compiled,
  vmapped kernel the engine calls chunk by chunk, for any model.
- :func:`balanced_growth_speedup`: Davidson & Houlden's Speed-Up Calculator (no explosion:
  how much faster software grows on its balanced path after full automation), a
  :class:`SpeedUp`.
- :class:`DoublingsOptions`: their model options for the ``doublings`` stepper.
- :data:`PARAMETERS`: names, defaults, units and allowed ranges of the model parameters.
- :func:`configure_cpu_scheduler`: an opt-in XLA:CPU setting (1.2-2.4x faster forecasts on
  a CPU); call it before JAX starts. The command line and the benchmarks call it.
- :func:`configure_cpu_devices`: opt-in, one XLA:CPU device per core, so a forecast uses
  every core (the engine shards over devices); before JAX starts, as the command line does.

Importing forecaster changes nothing in the process: no environment variable, no JAX
config flag, no matplotlib backend. float64 runs switch JAX's 64-bit mode on for their own
duration only.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names below are imported on first use (:func:`__getattr__`)
    from . import models
    from ._api import outcomes, simulate
    from ._compare_command import compare
    from ._errors import ConfigError
    from ._forecasts import Forecast, forecast, load, prior, scenario_priors, sweep
    from ._kernel import batched_outcomes, draw_outcomes
    from ._version import __version__
    from ._xla import configure_cpu_devices, configure_cpu_scheduler
    from .models import Model, register
    from .models.davidson_houlden import DoublingsOptions, SpeedUp, balanced_growth_speedup
    from .models.general_law import PARAMETERS, Params, growth_rate

# Where each public name lives. Importing forecaster imports none of them (JAX takes seconds
# to import): the command line starts at once and answers Ctrl-C in one line from the start.
_LAZY = {
    "models": ".models",
    "outcomes": "._api",
    "simulate": "._api",
    "ConfigError": "._errors",
    "compare": "._compare_command",
    "Forecast": "._forecasts",
    "forecast": "._forecasts",
    "load": "._forecasts",
    "prior": "._forecasts",
    "scenario_priors": "._forecasts",
    "sweep": "._forecasts",
    "batched_outcomes": "._kernel",
    "draw_outcomes": "._kernel",
    "configure_cpu_devices": "._xla",
    "configure_cpu_scheduler": "._xla",
    "Model": ".models",
    "register": ".models",
    "DoublingsOptions": ".models.davidson_houlden",
    "SpeedUp": ".models.davidson_houlden",
    "balanced_growth_speedup": ".models.davidson_houlden",
    "PARAMETERS": ".models.general_law",
    "Params": ".models.general_law",
    "growth_rate": ".models.general_law",
    "__version__": "._version",
}


def __getattr__(name: str) -> Any:
    """A public name, imported from its module on first use (PEP 562)."""
    if name not in _LAZY:
        raise AttributeError(f"module 'forecaster' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name], __name__)
    value = module if _LAZY[name] == f".{name}" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "PARAMETERS",
    "ConfigError",
    "Forecast",
    "DoublingsOptions",
    "Model",
    "Params",
    "SpeedUp",
    "balanced_growth_speedup",
    "batched_outcomes",
    "compare",
    "configure_cpu_devices",
    "configure_cpu_scheduler",
    "draw_outcomes",
    "forecast",
    "load",
    "models",
    "register",
    "prior",
    "scenario_priors",
    "sweep",
    "growth_rate",
    "outcomes",
    "simulate",
    "__version__",
]
