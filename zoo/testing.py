"""The checks every built-in plugin passes, for any plugin's own test suite (as scikit-learn's
``parametrize_with_checks`` does for estimators)::

    # tests/test_my_plugin.py
    from zoo.testing import parametrize_plugin_checks

    @parametrize_plugin_checks("my-plugin")      # the plugin's name, as `zoo plugins` lists it
    def test_zoo_contract(check):
        check()

One test per check: every model builds from its spec's ``example()`` with its ``tiny`` parameters,
predicts, saves and loads back in safe mode with the same predictions; every target imports without
TensorFlow, Keras or gensim; every recipe resolves; every parameter is documented. Needs pytest.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from .errors import ZooError
from .params import injected_annotation, recipe_parameters
from .registry import Entry, Registry, load_plugins
from .specs import DatasetSpec

HEAVY_MODULES = ("tensorflow", "keras", "gensim", "torch", "jax")


def check_model_round_trip(entry: Entry) -> None:
    """Build with ``tiny``, predict a batch, save, load in safe mode, predict the same."""
    import keras
    import numpy as np

    builder = entry.load()
    spec_type = injected_annotation(builder, 0)
    if not (isinstance(spec_type, type) and issubclass(spec_type, DatasetSpec)):
        raise AssertionError(f"{entry.name}: annotate the builder's first parameter with its DatasetSpec subclass")
    spec = spec_type.example()
    model = builder(spec, **entry.tiny)
    assert isinstance(model, keras.Model), f"{entry.name} returned {type(model).__name__}, not keras.Model"
    assert not model.compiled, f"{entry.name}: builders return uncompiled models"
    inputs = spec.example_inputs(4)
    outputs = np.asarray(model.predict(inputs, verbose=0))
    assert outputs.shape[0] == 4 and np.isfinite(outputs).all(), f"{entry.name}: outputs {outputs.shape}"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.keras"
        model.save(path)
        loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded.predict(inputs, verbose=0)), outputs, rtol=1e-5, atol=1e-6)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]


def check_bad_argument_is_refused(entry: Entry) -> None:
    """A size or scale in ``tiny`` set to -1 is refused with ``ValueError("... Received: x=-1")``."""
    import re

    builder = entry.load()
    spec = injected_annotation(builder, 0).example()
    first = next(
        (name for name, value in entry.tiny.items() if isinstance(value, (int, float)) and not isinstance(value, bool)),
        None,
    )
    assert first is not None, f"{entry.name}: give `tiny` a size or scale parameter, for this check to make invalid"
    try:
        builder(spec, **{**entry.tiny, first: -1})
    except ValueError as exc:
        assert re.search(rf"{first}.*Received: .*{first}=-1", str(exc)), f"{entry.name}: {exc}"
        return
    raise AssertionError(f"{entry.name} accepted {first}=-1; check arguments first, as Keras's builders do")


def check_parameters_documented(entry: Entry) -> None:
    undocumented = [p.name for p in recipe_parameters(entry.load()).values() if not p.description]
    assert not undocumented, f"{entry.kind} {entry.name}: document {undocumented} in the docstring's Args: section"


def check_recipe_resolves(entry: Entry, registry: Registry) -> None:
    from .recipes import resolve

    try:
        resolve(entry.qualified_name, registry)
    except ZooError as exc:
        raise AssertionError(f"recipe {entry.name}: {exc}") from None


def check_targets_import_light(plugin: str, plugin_files: tuple[str, ...] = ()) -> None:
    """In a fresh process: every target of ``plugin`` imports without a deep-learning framework."""
    code = (
        "import sys\n"
        "import zoo\n"
        f"registry = zoo.load_plugins({plugin_files!r})\n"
        f"for entry in registry.entries():\n"
        f"    if entry.plugin == {plugin!r}:\n"
        "        entry.load()\n"
        f"print('HEAVY', sorted(m for m in {HEAVY_MODULES!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    heavy = done.stdout.splitlines()[-1]
    assert heavy == "HEAVY []", (
        f"plugin {plugin!r}: importing its targets imported {heavy[6:]}; import them inside functions"
    )


def plugin_checks(plugin: str, plugin_files: tuple[str, ...] = ()) -> list[tuple[str, Callable[[], None]]]:
    """``(test id, check)`` for everything ``plugin`` registered."""
    registry = load_plugins(plugin_files)
    if plugin not in registry.plugins:
        raise ZooError(f"no plugin {plugin!r} is loaded (plugins: {', '.join(sorted(registry.plugins))})")
    if registry.plugins[plugin].error:
        raise ZooError(f"plugin {plugin!r} failed to load: {registry.plugins[plugin].error}")
    checks: list[tuple[str, Callable[[], None]]] = [
        (f"{plugin}:imports-light", partial(check_targets_import_light, plugin, plugin_files))
    ]
    for entry in registry.entries():
        if entry.plugin != plugin:
            continue
        if entry.kind == "model":
            checks.append((f"{entry.name}:round-trip", partial(check_model_round_trip, entry)))
            checks.append((f"{entry.name}:bad-argument", partial(check_bad_argument_is_refused, entry)))
        if entry.kind == "recipe":
            checks.append((f"{entry.name}:resolves", partial(check_recipe_resolves, entry, registry)))
        else:
            checks.append((f"{entry.name}:documented", partial(check_parameters_documented, entry)))
    return checks


def parametrize_plugin_checks(plugin: str, plugin_files: tuple[str, ...] = ()) -> Any:
    """``pytest.mark.parametrize("check", ...)`` over :func:`plugin_checks`, one test per check."""
    import pytest

    checks = plugin_checks(plugin, plugin_files)
    return pytest.mark.parametrize("check", [c for _, c in checks], ids=[i for i, _ in checks])
