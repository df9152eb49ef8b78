"""Models from outside the package: plug-ins found by name, opt-in.

A plug-in is an importable module that registers its model classes with
:func:`~forecaster.models.register` when imported, and may register a Hydra config
directory holding its presets (``<dir>/scenario/<preset>.yaml``) with :func:`register_conf`.
forecaster imports the modules named in the environment variable ``FORECASTER_MODELS``
(comma-separated) and those an installed package declares under the entry-point group
``forecaster.models``: code the user chose to install or name, never anything a
configuration or run directory says.
"""

from __future__ import annotations

import importlib
import os
from importlib.metadata import entry_points
from pathlib import Path

from .._errors import ConfigError

ENV = "FORECASTER_MODELS"
GROUP = "forecaster.models"
_CONF_DIRS: list[Path] = []
_LOADED: set[str] = set()


def register_conf(path: str | Path) -> None:
    """Add a plug-in's Hydra config directory (its ``scenario/`` presets) to the search path."""
    path = Path(path).resolve()
    if not path.is_dir():
        raise ValueError(f"a plug-in's config directory must exist: {path}")
    if path not in _CONF_DIRS:
        _CONF_DIRS.append(path)


def conf_dirs() -> tuple[Path, ...]:
    """The config directories plug-ins registered, in order."""
    return tuple(_CONF_DIRS)


def load_plugins() -> None:
    """Import every plug-in module (``FORECASTER_MODELS``, then entry points), once each.

    Raises:
        ConfigError: a module named in ``FORECASTER_MODELS`` that cannot be imported.
    """
    names = [n.strip() for n in os.environ.get(ENV, "").split(",") if n.strip()]
    for name in names:
        if name in _LOADED:
            continue
        try:
            importlib.import_module(name)
        except ImportError as err:
            raise ConfigError(ENV, name, f"an importable module ({err})") from None
        _LOADED.add(name)
    for point in entry_points(group=GROUP):
        if point.value not in _LOADED:
            point.load()
            _LOADED.add(point.value)


def searchpath_override() -> list[str]:
    """``hydra.searchpath`` holding the plug-ins' config directories (none: no override)."""
    if not _CONF_DIRS:
        return []
    paths = ",".join(f"file://{p}" for p in _CONF_DIRS)
    return [f"hydra.searchpath=[{paths}]"]
