"""The registry: a preset's ``model:`` name -> its :class:`~._interface.Model` class.

The built-in models register here; a plug-in registers its own with :func:`register` (import
its module before composing a forecast). Hydra learns each model's config as the schema
``scenario_schema/<name>`` that its presets extend.
"""

from __future__ import annotations

from typing import Any

from .._errors import ConfigError
from ._interface import Model

_MODELS: dict[str, type[Model]] = {}


def register(cls: type[Model]) -> type[Model]:
    """Register a model class under its ``name`` (usable as a class decorator). Registering
    the same class again is a no-op; another class under a taken name is refused."""
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"a model needs a class attribute name, an identifier: {cls!r}")
    known = _MODELS.get(name)
    if known is not None and known is not cls:
        raise ValueError(f"model name {name!r} is taken by {known.__module__}.{known.__name__}")
    _MODELS[name] = cls
    return cls


def get_model(name: object, field: str = "scenario.model") -> type[Model]:
    """The class registered under ``name``.

    Raises:
        ConfigError: an unknown name, with the registered ones.
    """
    if isinstance(name, str) and name not in _MODELS:
        from ._plugins import load_plugins

        load_plugins()  # a plug-in's model, named in a saved run's config, say
    if not isinstance(name, str) or name not in _MODELS:
        raise ConfigError(field, name, f"a registered model, one of {sorted(_MODELS)}")
    return _MODELS[name]


def registered() -> dict[str, type[Model]]:
    """Every registered model by name."""
    return dict(_MODELS)


def register_schemas() -> None:
    """Store each model's config in Hydra's ConfigStore as ``scenario_schema/<name>``
    (idempotent): a preset's defaults list names it, so its keys are typed and defaulted."""
    from hydra.core.config_store import ConfigStore

    for name, cls in _MODELS.items():
        store_once(ConfigStore.instance(), name, cls.config, group="scenario_schema")


#: What :func:`store_once` stored: (group, name) -> the node.
_STORED: dict[tuple[str | None, str], Any] = {}


def store_once(store: Any, name: str, node: Any, group: str | None = None) -> None:
    """``store.store(name=..., node=..., group=...)`` unless this node is stored there already:
    storing converts the dataclass to a config (about 8 ms each), which every composition
    (each job of the explorer) would otherwise repeat."""
    stored = store.repo.get(group, {}) if group else store.repo
    if _STORED.get((group, name)) is node and f"{name}.yaml" in stored:
        return
    store.store(name=name, node=node, group=group)
    _STORED[(group, name)] = node
