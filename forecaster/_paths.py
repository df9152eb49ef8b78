"""Where the embedded configuration and data live, installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _first_existing(*candidates: Path) -> Path:
    for path in candidates:
        if path.is_dir():
            return path
    raise FileNotFoundError(f"none of {[str(c) for c in candidates]} exists")


def conf_dir() -> Path:
    """The Hydra config directory: ``forecaster/conf`` in a wheel, ``conf/`` in a checkout."""
    return _first_existing(_PACKAGE / "conf", _PACKAGE.parent / "conf")


def data_dir() -> Path:
    """The shipped observations: ``forecaster/data`` in a wheel, ``data/`` in a checkout."""
    return _first_existing(_PACKAGE / "data", _PACKAGE.parent / "data")
