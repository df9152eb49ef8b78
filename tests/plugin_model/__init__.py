"""A model added from outside the package (docs/MODELS.md's worked example): software
progress whose rate grows exponentially in time until a ceiling.

It is a plug-in: this folder and its config (``conf/scenario/exponential_ceiling.yaml``) are
all there is. ``FORECASTER_MODELS=tests.plugin_model`` makes the command line, the Python API,
sweeps, resume, merge, reports and the explorer run it.
"""

from pathlib import Path

from forecaster.models import register, register_conf

from ._model import ExponentialCeiling

register(ExponentialCeiling)
register_conf(Path(__file__).parent / "conf")

__all__ = ["ExponentialCeiling"]
