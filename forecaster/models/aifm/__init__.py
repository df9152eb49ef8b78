"""The AI Futures Model (AI Futures Project, Dec 2025): see :mod:`._model` and :mod:`._dynamics`."""

from ._model import AIFuturesModel

__all__ = ["AIFuturesModel"]
