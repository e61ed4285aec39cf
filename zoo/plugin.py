"""The one module a plugin imports: everything here is public and kept stable; everything else in
``zoo`` is the core's own and may change (``tests/test_architecture.py`` holds the built-in plugins
to this, and docs/plugins.md documents each name)::

    from zoo import hookimpl                                   # marks a hook implementation
    from zoo.plugin import Dataset, DatasetSpec, Split, ZooError, data_home, sha256_of

Importing it is cheap: no Keras, no TensorFlow (``zoo list`` imports every plugin's module).
"""

from __future__ import annotations

from zoo.assembly.compose import load_dataset
from zoo.backend import require_tensorflow
from zoo.catalog.hookspecs import hookimpl
from zoo.catalog.params import variants_builder
from zoo.catalog.registry import Registry
from zoo.catalog.specs import (
    TASKS,
    Dataset,
    DatasetSpec,
    EmbeddingMatrix,
    Split,
    Vectors,
    cache_home,
    data_home,
    decode_class,
    find_data,
    sha256_of,
)
from zoo.console import captured_native_stderr, note, progress
from zoo.errors import PluginError, RecipeError, RunError, UnknownNameError, ZooError, brief
from zoo.recipes.resolve import component
from zoo.recipes.yamlfile import load_yaml
from zoo.runs.files import atomic_path, write_atomic
from zoo.runs.saved import SavedRun, load_run
from zoo.surfaces.cli import pass_registry

__all__ = [
    "TASKS",
    "Dataset",
    "DatasetSpec",
    "EmbeddingMatrix",
    "PluginError",
    "RecipeError",
    "Registry",
    "RunError",
    "SavedRun",
    "Split",
    "UnknownNameError",
    "Vectors",
    "ZooError",
    "atomic_path",
    "brief",
    "cache_home",
    "captured_native_stderr",
    "component",
    "data_home",
    "decode_class",
    "find_data",
    "hookimpl",
    "load_dataset",
    "load_run",
    "load_yaml",
    "note",
    "pass_registry",
    "progress",
    "require_tensorflow",
    "sha256_of",
    "variants_builder",
    "write_atomic",
]
