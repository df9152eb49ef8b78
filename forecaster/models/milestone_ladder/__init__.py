"""A milestone ladder: AI 2027's takeoff (SC, SAR, SIAR, ASI) and a user's own."""

from ._ladder import Ladder
from ._model import LadderParams, MilestoneLadder, MilestoneLadderConfig

__all__ = ["Ladder", "LadderParams", "MilestoneLadder", "MilestoneLadderConfig"]
