"""A run directory's own files: its saved forecast config (data, never code) and its lock.

``config.yaml`` is the composed, validated forecast configuration of the run, written by the
forecast job before any result. ``resume=`` and ``merge`` rebuild the run from it and from
nothing else: it is parsed as plain YAML (no tags, no interpolation), checked against the
schema (unknown keys and wrong types refused) and then validated like any config. Hydra's
``.hydra/`` files (override list, callbacks) are never replayed.

``.lock`` serialises processes: a second forecast into a directory another process is
writing gets one line naming the directory and that process.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from ._config import ForecastConfig
from ._errors import ConfigError
from ._files import FILE_MODE, parse_yaml, read_text, refuse_linked_directory, write_atomic

__all__ = ["FILE_MODE", "write_atomic"]  # where earlier code imported them from

SAVED_CONFIG = "config.yaml"
LEGACY_CONFIG = Path(".hydra") / "config.yaml"  # runs made before config.yaml existed
LOCK = ".lock"
CONFIG_LIMIT = 1 << 20  # a saved config is a few KiB; more is not one forecaster wrote


def save_config(cfg: Any, run_dir: Path) -> None:
    """Write the run's forecast config (resolved, plain YAML) atomically into ``run_dir``."""
    container = OmegaConf.to_container(cfg, resolve=True) if isinstance(cfg, DictConfig) else cfg
    text = yaml.safe_dump(container, sort_keys=False)
    write_atomic(run_dir / SAVED_CONFIG, text)


def load_saved_config(run_dir: Path, field: str = "resume") -> DictConfig:
    """The forecast config saved in ``run_dir``, checked against the schema.

    Raises:
        ConfigError: no saved config, unreadable YAML, an interpolation, an unknown key or a
            value of the wrong type; the message names the file.
    """
    file = next(
        (run_dir / f for f in (SAVED_CONFIG, LEGACY_CONFIG) if os.path.lexists(run_dir / f)), None
    )
    if file is None:
        raise ConfigError(field, str(run_dir), f"a forecast run directory (with {SAVED_CONFIG})")
    what = "a forecast config"
    try:
        text = read_text(file, field, what, limit=CONFIG_LIMIT)
    except OSError as err:
        raise ConfigError(field, str(file), f"a readable YAML forecast config ({err})") from None
    data = parse_yaml(text, field, file, what)
    if not isinstance(data, Mapping):
        raise ConfigError(field, str(file), "a YAML mapping of forecast settings")
    _refuse_interpolations(data, str(file), field)
    schema = OmegaConf.structured(ForecastConfig)
    try:
        return OmegaConf.merge(schema, data)
    except OmegaConfBaseException as err:
        raise ConfigError(field, str(file), f"a forecast config ({first_line(err)})") from None


# What ``resume=`` takes besides the directory: plain ``key=value`` forecast settings only.
_NOT_WITH_RESUME = ("hydra.", "hydra/", "+", "~", "-")


def resumed_config(run_dir: Path, settings: Sequence[str]) -> DictConfig:
    """The saved config of ``run_dir`` with ``key=value`` ``settings`` merged in as data,
    ``resume`` set to the directory. Hydra syntax (``hydra.*``, ``+``, ``~``, flags) and
    interpolations (``${...}``) are refused.
    """
    for arg in settings:
        key, _, value = arg.partition("=")
        if arg.startswith(_NOT_WITH_RESUME) or not value:
            raise ConfigError(
                key, value, "a key=value forecast setting (resume= takes no hydra.*, +, ~ or -)"
            )
        if "${" in value:  # the saved config holds plain values: so do its settings
            raise ConfigError(key, value, "a plain value, not an interpolation, with resume=")
    cfg = load_saved_config(run_dir)
    try:
        cfg = OmegaConf.merge(cfg, OmegaConf.from_dotlist(list(settings)))
    except OmegaConfBaseException as err:
        raise ConfigError(
            "resume", list(settings), f"forecast settings ({first_line(err)})"
        ) from None
    cfg.resume = str(run_dir)
    return cfg


def _refuse_interpolations(node: Any, file: str, field: str, path: str = "") -> None:
    if isinstance(node, Mapping):
        for key, value in node.items():
            _refuse_interpolations(value, file, field, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _refuse_interpolations(value, file, field, f"{path}[{i}]")
    elif isinstance(node, str) and "${" in node:
        raise ConfigError(field, file, f"plain values, not an interpolation (at {path})")


def first_line(err: BaseException) -> str:
    """The first line of an error's message, with the key OmegaConf names, if any."""
    text = str(err).strip().splitlines()
    line = text[0] if text else type(err).__name__
    key = getattr(err, "full_key", None)
    return f"at {key}: {line}" if key else line


@contextlib.contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir``'s lock for the block; refuse at once if another process holds it.

    An advisory ``flock``: the kernel releases it when the process ends, however it ends
    (a stale ``.lock`` file from a killed run never blocks the next one).
    """
    refuse_linked_directory(run_dir, "run directory")
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / LOCK
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as err:
        if err.errno != errno.ELOOP:
            raise
        raise ConfigError(
            "run directory", str(run_dir), f"a directory whose {LOCK} is not a symbolic link"
        ) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ConfigError(
                "run directory", str(run_dir), f"a directory whose {LOCK} is a regular file"
            )
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise ConfigError(
                "run directory",
                str(run_dir),
                f"a directory no other forecaster process is writing (process {holder} is)",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock
