"""The import paths of the plugin API before the core was grouped into sub-packages (``zoo.specs``,
``zoo.runs.load_run``, ...), kept working for one deprecation period: each is the module or name
it became, with a ``DeprecationWarning`` that names ``zoo.plugin``, the one module plugins import now."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import warnings
from types import ModuleType
from typing import Any

#: Old module -> the module it became.
MODULES = {
    "zoo.specs": "zoo.catalog.specs",
    "zoo.params": "zoo.catalog.params",
    "zoo.registry": "zoo.catalog.registry",
    "zoo.hookspecs": "zoo.catalog.hookspecs",
    "zoo.yamlfile": "zoo.recipes.yamlfile",
    "zoo.plan": "zoo.recipes.plan",
    "zoo.compose": "zoo.assembly.compose",
    "zoo.cli": "zoo.surfaces.cli",
}

#: Names of the old ``zoo.runs`` and ``zoo.recipes`` modules, which are packages now.
NAMES = {
    "zoo.runs": {
        "atomic_path": "zoo.runs.files",
        "write_atomic": "zoo.runs.files",
        "Run": "zoo.runs.run",
        "SavedRun": "zoo.runs.saved",
        "load_run": "zoo.runs.saved",
    },
    "zoo.recipes": {"component": "zoo.recipes.resolve", "resolve": "zoo.recipes.resolve"},
}


def _warn(old: str, new: str, stacklevel: int) -> None:
    message = f"{old} is deprecated: import it from zoo.plugin (it lives in {new})"
    warnings.warn(message, DeprecationWarning, stacklevel=stacklevel + 1)


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        return importlib.util.spec_from_loader(fullname, self) if fullname in MODULES else None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        _warn(spec.name, MODULES[spec.name], 2)
        return importlib.import_module(MODULES[spec.name])

    def exec_module(self, module: ModuleType) -> None:
        pass  # the module it became is already executed


def install() -> None:
    if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
        sys.meta_path.append(_Alias())


def moved_name(package: str, name: str) -> Any:
    """A package's ``__getattr__`` for the names its module of the same name had."""
    module = NAMES[package].get(name)
    if module is None:
        raise AttributeError(f"module {package!r} has no attribute {name!r}")
    _warn(f"{package}.{name}", module, 3)
    return getattr(importlib.import_module(module), name)
