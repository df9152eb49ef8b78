"""Files forecaster writes and reads back: the one place for the rules (docs/RELIABILITY.md).

Writing. Every file a command writes into a run, merge, calibration or report directory goes
through :func:`write_atomic` (or :func:`write_atomic_via_path` for a library that writes
only to a path, as netCDF does): a private temporary file beside the target, created with
``O_CREAT | O_EXCL | O_NOFOLLOW`` (a name someone placed there, a link or a FIFO, is never
opened), fsync, then ``os.replace`` onto the target. A symbolic link placed where an output
goes is replaced by the file, never written through; a crash leaves the old file.

Reading. A file read back is opened by :func:`open_regular`: ``O_NONBLOCK`` (a FIFO never
blocks the process), ``O_NOFOLLOW`` for a file inside a directory forecaster writes (a link
there is refused), and ``fstat`` must say a regular file (a FIFO, a device, a socket or a
directory is refused), within a size limit. JSON and YAML are parsed with nesting limits
(:func:`parse_json`, :func:`parse_yaml`: YAML also with an alias limit and a limit on the
nodes it expands to, checked before anything walks the data). Every refusal is a
:class:`ConfigError`: one line naming the file.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

import yaml

from ._errors import ConfigError

FILE_MODE = 0o644  # temporary files are made 0600; results are as readable as any output
MiB = 1 << 20
#: The most bytes read from a text file (a config, a summary, a data table): far more than
#: forecaster writes, and little enough to hold in memory.
TEXT_LIMIT = 64 * MiB
#: YAML limits: nesting depth, aliases, and nodes after expanding every alias.
YAML_DEPTH, YAML_ALIASES, YAML_NODES = 64, 256, 100_000

_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def _private_temp(path: Path) -> tuple[int, Path]:
    """A new, private temporary file beside ``path``: (descriptor, its path)."""
    for _ in range(100):
        tmp = path.parent / f".{path.name}.{secrets.token_hex(8)}.tmp"
        try:
            fd = os.open(tmp, _TEMP_FLAGS, 0o600)
        except FileExistsError:
            continue
        os.fchmod(fd, FILE_MODE)
        return fd, tmp
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(path.parent))


def write_atomic(path: Path, content: str | bytes | Callable[[BinaryIO], None]) -> None:
    """Replace ``path`` by ``content`` in one step: a private temporary file beside it, fsync,
    rename. A crash leaves the old file; two writers never share a temporary file; a link
    at ``path`` is replaced, never followed.

    ``content`` is text (UTF-8), bytes, or a function that writes into the open file.
    """
    path = Path(path)
    fd, tmp = _private_temp(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            if callable(content):
                content(fh)
            else:
                fh.write(content.encode() if isinstance(content, str) else content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomic_via_path(path: Path, write: Callable[[Path], None]) -> None:
    """:func:`write_atomic` for a writer that takes a path only (``write(tmp)``): it writes
    the private temporary file forecaster made, which is then synced and renamed onto
    ``path``."""
    path = Path(path)
    fd, tmp = _private_temp(path)
    os.close(fd)
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def refuse_linked_directory(path: Path, field: str) -> None:
    """A directory a command writes into must not itself be a symbolic link (one placed in a
    directory someone sent would send the outputs elsewhere): refused, its target named."""
    if os.path.islink(path):
        raise ConfigError(
            field,
            str(path),
            f"a directory, not a symbolic link (name its target: {os.path.realpath(path)})",
        )


def _kind(mode: int) -> str:
    for check, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
    ):
        if check(mode):
            return name
    return "not a regular file"


def open_regular(
    path: Path, field: str, what: str, *, follow: bool = False, limit: int | None = None
) -> BinaryIO:
    """``path`` opened for reading if it is a regular file (of at most ``limit`` bytes).

    ``follow=False`` (files inside a run directory) refuses a symbolic link; ``True`` (a
    path the user named) follows it. Never blocks: a FIFO or a device is refused.

    Raises:
        ConfigError: a link (``follow=False``), not a regular file, or too large.
        OSError: the file cannot be opened (missing, permissions).
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        if err.errno == errno.ELOOP and not follow:
            raise ConfigError(field, str(path), f"{what}, not a symbolic link") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(
                field, str(path), f"{what} that is a regular file (it is {_kind(info.st_mode)})"
            )
        if limit is not None and info.st_size > limit:
            raise ConfigError(
                field, str(path), f"{what} of at most {limit // MiB} MiB ({info.st_size} bytes)"
            )
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_regular(
    path: Path, field: str, what: str, *, follow: bool = False, limit: int = TEXT_LIMIT
) -> bytes:
    """The bytes of the regular file ``path`` (see :func:`open_regular`), at most ``limit``."""
    with open_regular(path, field, what, follow=follow, limit=limit) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:  # it grew while being read
        raise ConfigError(field, str(path), f"{what} of at most {limit // MiB} MiB")
    return data


def read_text(
    path: Path, field: str, what: str, *, follow: bool = False, limit: int = TEXT_LIMIT
) -> str:
    """:func:`read_regular` decoded as UTF-8 (a file that is not text is refused)."""
    data = read_regular(path, field, what, follow=follow, limit=limit)
    try:
        return data.decode()
    except UnicodeDecodeError as err:
        raise ConfigError(field, str(path), f"{what} in UTF-8 text ({err.reason})") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(text: str | bytes, field: str, path: Path | str, what: str) -> Any:
    """JSON from ``text``: NaN and Infinity refused, deep nesting refused (one line)."""
    try:
        return json.loads(text, parse_constant=_no_constant)
    except RecursionError:
        raise ConfigError(field, str(path), f"{what} (it is nested too deeply)") from None
    except ValueError as err:
        raise ConfigError(field, str(path), f"a readable {what} ({err})") from None


class _YamlLimit(Exception):
    pass


class _LimitedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, counting nesting depth and aliases while it composes."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > YAML_ALIASES:
                raise _YamlLimit(f"more than {YAML_ALIASES} aliases")
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > YAML_DEPTH:
            raise _YamlLimit(f"nested more than {YAML_DEPTH} deep")
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _check_expansion(root: yaml.Node) -> None:
    """The nodes and depth ``root`` expands to with every alias followed (an alias bomb, or
    a recursive alias, refused); iterative, computed once per distinct node."""
    done: dict[int, tuple[int, int]] = {}  # id -> (nodes, depth) once expanded
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        key = id(node)
        children = _children(node)
        if expanded:
            open_.discard(key)
            nodes = 1 + sum(done[id(c)][0] for c in children)
            depth = 1 + max((done[id(c)][1] for c in children), default=0)
            if nodes > YAML_NODES:
                raise _YamlLimit(f"expanding to more than {YAML_NODES} nodes (an alias bomb)")
            if depth > YAML_DEPTH:
                raise _YamlLimit(f"nested more than {YAML_DEPTH} deep through aliases")
            done[key] = (nodes, depth)
            continue
        if key in done:
            continue
        if key in open_:
            raise _YamlLimit("a recursive alias")
        open_.add(key)
        stack.append((node, True))
        for child in children:
            if id(child) in open_:
                raise _YamlLimit("a recursive alias")
            if id(child) not in done:
                stack.append((child, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def parse_yaml(text: str, field: str, path: Path | str, what: str) -> Any:
    """Plain YAML (no tags constructed) from ``text``, after its depth, aliases and expanded
    size are checked: nothing walks an alias bomb or a structure nested too deeply."""
    loader = _LimitedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    except _YamlLimit as err:
        raise ConfigError(field, str(path), f"{what} within YAML's limits ({err})") from None
    except RecursionError:
        raise ConfigError(field, str(path), f"{what} (it is nested too deeply)") from None
    except yaml.YAMLError as err:
        line = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise ConfigError(field, str(path), f"a readable YAML {what} ({line})") from None
    finally:
        loader.dispose()
