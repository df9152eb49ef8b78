"""Epoch's Full Takeoff Model (Davidson 2023): see :mod:`._model` and :mod:`._dynamics`."""

from ._model import EpochFTM

__all__ = ["EpochFTM"]
