"""forecaster: a GPU-accelerated Monte Carlo forecaster of AI takeoff.

Public API:

- :func:`simulate` and :func:`outcomes`: one parameter set, for notebooks.
- :class:`Params`, :class:`KernelSettings`, :func:`batched_outcomes`: the jit-compiled,
  vmapped kernel the engine calls chunk by chunk.
- :func:`balanced_growth_speedup`: Davidson & Houlden's Speed-Up Calculator (no explosion:
  how much faster software grows on its balanced path after full automation), a
  :class:`SpeedUp`.
- :class:`DoublingsOptions`: their model options for the ``doublings`` stepper.
- :data:`PARAMETERS`: names, defaults, units and allowed ranges of the model parameters.
- :func:`configure_cpu_scheduler`: an opt-in XLA:CPU setting (1.2-2.4x faster forecasts on
  a CPU); call it before JAX starts. The command line and the benchmarks call it.

Importing forecaster changes nothing in the process: no environment variable, no JAX
config flag, no matplotlib backend. float64 runs switch JAX's 64-bit mode on for their own
duration only.
"""

from importlib.metadata import PackageNotFoundError, version

from ._api import outcomes, simulate
from ._errors import ConfigError
from ._integrate import DoublingsOptions
from ._kernel import OUTCOME_NAMES, KernelSettings, batched_outcomes, draw_outcomes, trajectory
from ._model import Params, growth_rate
from ._parameters import PARAMETERS
from ._speedup import SpeedUp, balanced_growth_speedup
from ._xla import configure_cpu_scheduler

try:
    __version__ = version("forecaster")
except PackageNotFoundError:  # running from a checkout without installing
    __version__ = "0.0.0+local"

__all__ = [
    "OUTCOME_NAMES",
    "PARAMETERS",
    "ConfigError",
    "DoublingsOptions",
    "KernelSettings",
    "Params",
    "SpeedUp",
    "balanced_growth_speedup",
    "batched_outcomes",
    "configure_cpu_scheduler",
    "draw_outcomes",
    "growth_rate",
    "outcomes",
    "simulate",
    "trajectory",
    "__version__",
]
