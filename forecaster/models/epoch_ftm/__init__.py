"""Epoch's Full Takeoff Model (Davidson 2023): see :mod:`._model`, :mod:`._dynamics`."""
