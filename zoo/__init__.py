"""keras-zoo: a plugin-based model zoo for Keras 3.

``import zoo`` is cheap (no TensorFlow); so is registering plugins. The Python API mirrors the CLI::

    import zoo
    model = zoo.build("movielens-cf-bias", model={"n_factors": 32})   # compiled for the first stage
    run = zoo.train("movielens-cf-bias", out="runs/cf")                  # a trained, saved run
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from zoo import _moved
from zoo._version import __version__
from zoo.catalog.hookspecs import hookimpl
from zoo.errors import (
    AmbiguousNameError,
    PluginError,
    RecipeError,
    RunError,
    UnknownNameError,
    ZooError,
)

if TYPE_CHECKING:
    import keras

    from zoo.assembly.compose import Built
    from zoo.catalog.registry import Registry
    from zoo.recipes.plan import Plan
    from zoo.runs.run import Run
    from zoo.runs.saved import SavedRun

_moved.install()  # the plugin API's import paths before zoo.plugin, with a deprecation warning

__all__ = [
    "AmbiguousNameError",
    "PluginError",
    "RecipeError",
    "RunError",
    "UnknownNameError",
    "ZooError",
    "__version__",
    "build",
    "hookimpl",
    "load_plugins",
    "load_run",
    "resolve",
    "train",
]


def load_plugins(plugin_files: tuple[str, ...] = (), strict: bool = False) -> Registry:
    """The registry of every plugin (built-in, installed, local files); loaded once."""
    from zoo.catalog.registry import load_plugins as _load

    return _load(plugin_files, strict)


def resolve(
    name: str | None = None, *, config_files: tuple[str, ...] = (), overrides: tuple[str, ...] = (), **sections: Any
) -> Plan:
    """Resolve and validate a recipe; ``sections`` override it (``model={"filters": 128}``)."""
    from zoo.recipes.resolve import resolve as _resolve

    return _resolve(
        name, load_plugins(), config_files=config_files, overrides=overrides, python_overrides=sections or None
    )


def build(name: str | None = None, *, config_files: tuple[str, ...] = (), **sections: Any) -> keras.Model:
    """Build the recipe's model on its dataset and compile it for the recipe's first stage (optimizer,
    loss, metrics, frozen layers), without training or saving it. The builders themselves return
    uncompiled models; ``zoo.build`` is the recipe's model ready to ``fit``."""
    from zoo.fit.stages import prepare

    built: Built = prepare(resolve(name, config_files=config_files, **sections))
    return built.model


def train(
    name: str | None = None,
    *,
    config_files: tuple[str, ...] = (),
    out: str | None = None,
    force: bool = False,
    verbose: int | str = "auto",
    **sections: Any,
) -> Run | None:
    """Train the recipe and save a run directory (``verbose`` as in ``keras.Model.fit``). On a
    multi-worker job's worker that is not the chief, train in step and return ``None``: the chief
    writes the run (docs/guide.md)."""
    from zoo.fit.training import train_plan

    return train_plan(resolve(name, config_files=config_files, **sections), out=out, force=force, verbose=verbose)


def load_run(path: str | os.PathLike[str], registry: Registry | None = None) -> SavedRun:
    """Load a saved run (plan, spec, model in safe mode) with ``registry`` (default: every installed plugin)."""
    from zoo.runs.saved import load_run as _load_run

    return _load_run(path, registry if registry is not None else load_plugins())
