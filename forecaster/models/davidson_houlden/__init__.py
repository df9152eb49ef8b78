"""Davidson & Houlden (2025): their one-doubling stepper with every option of their model,
and their Speed-Up Calculator (the balanced-growth speed-up without an explosion)."""

from ._model import DavidsonHoulden, DavidsonHouldenConfig
from ._speedup import SpeedUp, balanced_growth_speedup
from ._stepper import DoublingsOptions

__all__ = [
    "DavidsonHoulden",
    "DavidsonHouldenConfig",
    "DoublingsOptions",
    "SpeedUp",
    "balanced_growth_speedup",
]
