"""The calibrated posteriors the explorer offers: the calibration runs found in the server's
calibrations directory (``forecaster serve --calibrations DIR``, default
``outputs/calibrate``), each ``<model>/<timestamp>/`` with ``calibration.json`` and
``posterior.nc`` as ``forecaster calibrate`` writes them.

A page never names a path: it names a run by its id (its path relative to the directory,
``returns/2026-12-06_10-00-00``) from :meth:`Catalogue.scan`'s list, and the server turns
``posterior:<id>`` into the CLI's ``posterior(path=<abs path>, variable=<var>)``
(:func:`~._state.parse_state`, which takes the catalogue's :meth:`~Catalogue.priors`).

Every run is read with the project's checked readers (:mod:`forecaster._files`): a run
directory must resolve inside the calibrations directory (a symbolic link out of it is
refused), ``calibration.json`` and ``posterior.nc`` must be regular files and not links,
the JSON within its limits. A run that fails a check is skipped with its one-line reason,
never an error of the listing; where the override's text could not carry the file's path
(a comma, a quote, a parenthesis), the run is skipped too, with that reason.
"""

from __future__ import annotations

import dataclasses
import os
import re
import threading
from pathlib import Path
from typing import Any

from .. import _validate as check
from .._errors import ConfigError
from .._files import open_regular, parse_json, read_text
from .._priors._posterior import POSTERIOR_LIMIT
from ..calibration._report import FORECAST_USE

#: The default calibrations directory, relative to the server's working directory.
DEFAULT_DIRECTORY = "outputs/calibrate"
#: The most bytes of a calibration.json read (a real one is a few tens of KiB).
JSON_LIMIT = 8 << 20
#: Characters a posterior's path may not hold: they would end the compact form's argument
#: (``,``, ``=``, ``(``, ``)``), its Hydra quotes, or be expanded by a shell in the printed
#: command (``$``, backquote, backslash, ``"``).
_UNSAFE = re.compile(r"[,=()'\"\\$`\x00-\x1f\x7f]")
_FIELD = "calibrations"


@dataclasses.dataclass(frozen=True)
class CalibratedPosterior:
    """One calibration run a page may use: its id, what its posterior replaces, its status."""

    id: str
    model: str
    variable: str
    setting: str
    presets: tuple[str, ...]
    converged: bool
    quantiles: dict[str, float | None]
    description: str
    path: Path  # the absolute path of posterior.nc: the server's, never a page's

    @property
    def prior(self) -> str:
        """The CLI's prior that draws from this posterior."""
        return f"posterior(path={self.path}, variable={self.variable})"

    def view(self) -> dict[str, Any]:
        """What the page lists (no path: the page names the run by its id)."""
        return {
            "id": self.id,
            "model": self.model,
            "description": self.description,
            "forecast_variable": self.variable,
            "setting": self.setting,
            "presets": list(self.presets),
            "converged": self.converged,
            "quantiles": self.quantiles,
        }


def _number(value: Any) -> float | None:
    return float(value) if check.is_number(value) else None


def read_run(root: Path, run_id: str) -> CalibratedPosterior:
    """The calibration run ``root/run_id``, checked; ConfigError with the reason."""
    directory = root / run_id
    real = Path(os.path.realpath(directory))
    if not real.is_relative_to(root) or real == root:
        raise ConfigError(_FIELD, run_id, "a run directory inside the calibrations directory "
                          f"(it leads to {real})")  # fmt: skip
    if not real.is_dir():
        raise ConfigError(_FIELD, run_id, "a run directory")
    file = real / "calibration.json"
    try:
        text = read_text(file, _FIELD, "a calibration.json", limit=JSON_LIMIT)
    except OSError as err:
        raise ConfigError(
            _FIELD, str(file), f"a readable calibration.json ({err.strerror})"
        ) from None
    info = parse_json(text, _FIELD, file, "calibration.json")
    if not isinstance(info, dict):
        raise ConfigError(_FIELD, str(file), "a calibration.json (a JSON object)")
    for key, kind in (("model", str), ("forecast_variable", str), ("converged", bool)):
        if not isinstance(info.get(key), kind):
            raise ConfigError(
                _FIELD, str(file), f"a calibration.json with {key!r} ({kind.__name__})"
            )
    variable = info["forecast_variable"]
    if variable not in FORECAST_USE:
        raise ConfigError(_FIELD, variable, f"a forecast variable, one of {list(FORECAST_USE)}")
    posterior = real / "posterior.nc"
    try:
        open_regular(posterior, _FIELD, "a posterior.nc", limit=POSTERIOR_LIMIT).close()
    except OSError as err:
        raise ConfigError(
            _FIELD, str(posterior), f"a readable posterior.nc ({err.strerror})"
        ) from None
    if _UNSAFE.search(str(posterior)):
        raise ConfigError(_FIELD, str(posterior), "a path without , = ( ) quotes $ ` \\ or "
                          "control characters (the override could not carry it)")  # fmt: skip
    quantiles = (info.get("quantiles") or {}).get(variable)
    use = FORECAST_USE[variable]
    return CalibratedPosterior(
        id=run_id,
        model=info["model"],
        variable=variable,
        setting=use.setting,
        presets=use.presets,
        converged=info["converged"],
        quantiles={k: _number(v) for k, v in quantiles.items()}
        if isinstance(quantiles, dict)
        else {},
        description=str(info.get("description", "")),
        path=posterior,
    )


def _stamp(file: Path) -> tuple[int, ...]:
    """What says a file changed: its inode, kind, size and modification time (not
    following a link; a missing file is all zeros, read and refused when it comes)."""
    try:
        info = os.lstat(file)
    except FileNotFoundError:
        return (0, 0, 0, 0)
    return (info.st_ino, info.st_mode, info.st_size, info.st_mtime_ns)


def _children(directory: Path) -> list[str]:
    try:
        return sorted(e.name for e in os.scandir(directory) if not e.name.startswith("."))
    except OSError:
        return []


class Catalogue:
    """The calibration runs of one directory, scanned on each request (a run written while
    the server runs is listed next time); a run whose calibration.json has not changed
    (same inode, size and modification time) is not read again."""

    def __init__(self, directory: str | os.PathLike[str] = DEFAULT_DIRECTORY):
        self.directory = Path(directory).expanduser()
        self._read: dict[str, tuple[Any, CalibratedPosterior | ConfigError]] = {}
        self._lock = threading.Lock()

    def scan(self) -> tuple[dict[str, CalibratedPosterior], list[dict[str, str]]]:
        """(the usable runs by id, the skipped ones as ``{id, message}``)."""
        root = Path(os.path.realpath(self.directory))
        found: dict[str, CalibratedPosterior] = {}
        skipped: list[dict[str, str]] = []
        if not root.is_dir():
            return found, skipped
        seen = set()
        with self._lock:
            for model in _children(root):
                if not (root / model).is_dir():
                    continue
                for stamp in _children(root / model):
                    run_id = f"{model}/{stamp}"
                    if not os.path.lexists(root / model / stamp / "calibration.json"):
                        continue  # not a calibration run (or a link out: refused below)
                    seen.add(run_id)
                    outcome = self._outcome(root, model, stamp)
                    if isinstance(outcome, ConfigError):
                        skipped.append({"id": run_id, "message": str(outcome)})
                    else:
                        found[run_id] = outcome
            for gone in set(self._read) - seen:
                del self._read[gone]
        return found, skipped

    def _outcome(self, root: Path, model: str, stamp: str) -> CalibratedPosterior | ConfigError:
        run_id = f"{model}/{stamp}"
        try:
            check.path_segment(_FIELD, model)
            check.path_segment(_FIELD, stamp)
            key = (
                str(root),
                os.path.realpath(root / run_id),
                *(_stamp(root / run_id / name) for name in ("calibration.json", "posterior.nc")),
            )
        except ConfigError as err:
            return err
        except OSError as err:
            return ConfigError(_FIELD, run_id, f"a readable run directory ({err.strerror})")
        cached = self._read.get(run_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        try:
            outcome: CalibratedPosterior | ConfigError = read_run(root, run_id)
        except ConfigError as err:
            outcome = err
        self._read[run_id] = (key, outcome)
        return outcome

    def priors(self) -> dict[str, str]:
        """Each usable run's id -> the CLI's prior that draws from it (for parse_state)."""
        return {run_id: entry.prior for run_id, entry in self.scan()[0].items()}

    def listing(self) -> dict[str, Any]:
        """What ``GET /api/posteriors`` answers."""
        found, skipped = self.scan()
        return {
            "directory": str(self.directory),
            "posteriors": [entry.view() for entry in found.values()],
            "skipped": skipped,
        }
