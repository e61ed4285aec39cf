"""The checks every built-in plugin passes, for any plugin's own test suite (as scikit-learn's
``parametrize_with_checks`` does for estimators)::

    # tests/test_my_plugin.py
    from zoo.testing import parametrize_plugin_checks

    @parametrize_plugin_checks("my-plugin")      # the plugin's name, as `zoo plugins` lists it
    def test_zoo_contract(check):
        check()

One test per check: every model builds from its spec's ``example()`` with its ``tiny`` parameters,
predicts, saves and loads back in safe mode with the same predictions; its spec survives the JSON
round trip of ``spec.json``; ``example_raw_inputs`` go through ``encode_inputs``, the model and
``decode_outputs`` into one JSON-ready prediction each (as ``zoo predict`` prints them); a size set
to -1 (a number, or an item of a list) is refused with Keras's ``ValueError("... Received: x=-1")``;
every target imports without TensorFlow, Keras or gensim; every recipe resolves; every parameter is
documented. ``parametrize_plugin_checks()`` with no name checks every loaded plugin.

A check known to fail is marked, not skipped with the rest: ``expected_failed_checks={"my-model:
bad-argument": "why"}`` makes it a strict ``xfail`` (it fails the suite the day it passes). Needs pytest.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any

from zoo.catalog.params import injected_annotation, recipe_parameters
from zoo.catalog.registry import Entry, Registry, load_plugins
from zoo.catalog.specs import DatasetSpec
from zoo.errors import ZooError

HEAVY_MODULES = ("tensorflow", "keras", "gensim", "torch", "jax")


def _tiny_model(entry: Entry) -> tuple[Any, DatasetSpec]:
    builder = entry.load()
    spec_type = injected_annotation(builder, 0)
    if not (isinstance(spec_type, type) and issubclass(spec_type, DatasetSpec)):
        raise AssertionError(f"{entry.name}: annotate the builder's first parameter with its DatasetSpec subclass")
    spec = spec_type.example()
    return builder(spec, **entry.tiny), spec


def check_model_round_trip(entry: Entry) -> None:
    """Build with ``tiny``, predict a batch, save, load in safe mode, predict the same."""
    import keras
    import numpy as np

    model, spec = _tiny_model(entry)
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


def check_spec_and_predictions(entry: Entry) -> None:
    """The spec comes back equal from ``spec.json``'s JSON; raw inputs predict through the spec."""
    model, spec = _tiny_model(entry)
    saved = DatasetSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    # compared as data: a plugin file loaded twice (two registries) defines its spec class twice
    assert saved.to_dict() == spec.to_dict(), f"{type(spec).__name__}: to_dict/from_dict lose something"
    raw = spec.example_raw_inputs(3)
    decoded = spec.decode_outputs(model.predict(spec.encode_inputs(raw), verbose=0))
    assert len(decoded) == 3, f"{type(spec).__name__}.decode_outputs gave {len(decoded)} items for 3 inputs"
    try:
        json.dumps(decoded)
    except TypeError as exc:
        message = f"{type(spec).__name__}.decode_outputs: not JSON ({exc}); `zoo predict` prints JSON"
        raise AssertionError(message) from None


def check_bad_argument_is_refused(entry: Entry) -> None:
    """The first size or scale in ``tiny`` set to -1, and the first list of sizes with an item set
    to -1, are each refused with ``ValueError("... Received: x=...")``, as Keras's builders do."""
    import re

    builder = entry.load()
    spec = injected_annotation(builder, 0).example()

    def number(value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    bad: dict[str, Any] = {}
    scalar = next((k for k, v in entry.tiny.items() if number(v)), None)
    if scalar is not None:
        bad[scalar] = -1
    listed = next(
        (k for k, v in entry.tiny.items() if isinstance(v, (list, tuple)) and v and all(map(number, v))), None
    )
    if listed is not None:
        bad[listed] = [*entry.tiny[listed][:-1], -1]
    assert bad, f"{entry.name}: give `tiny` a size or scale parameter, for this check to make invalid"
    for name, value in bad.items():
        try:
            builder(spec, **{**entry.tiny, name: value})
        except ValueError as exc:
            assert re.search(rf"{name}.*Received: .*{name}=", str(exc)), f"{entry.name}: {exc}"
            continue
        raise AssertionError(f"{entry.name} accepted {name}={value}; check arguments first, as Keras's builders do")


def check_parameters_documented(entry: Entry) -> None:
    undocumented = [p.name for p in recipe_parameters(entry.load()).values() if not p.description]
    assert not undocumented, f"{entry.kind} {entry.name}: document {undocumented} in the docstring's Args: section"


def check_recipe_resolves(entry: Entry, registry: Registry) -> None:
    from zoo.recipes.resolve import resolve

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


def _refuse_ambiguous(plugin: str, registry: Registry) -> None:
    """Two installed plugins of one name: the second loads as ``DIST.NAME``, so the bare name would
    check the other one."""
    renamed = [name for name in registry.plugins if name.endswith(f".{plugin}")]
    if renamed:
        raise ZooError(
            f"two installed plugins are named {plugin!r}: {registry.plugins[plugin].distribution}'s and "
            f"{', '.join(renamed)}; rename yours (its entry point in the 'zoo' group), or check it as {renamed[0]!r}"
        )


def plugin_checks(plugin: str, plugin_files: tuple[str, ...] = ()) -> list[tuple[str, Callable[[], None]]]:
    """``(test id, check)`` for everything ``plugin`` registered."""
    registry = load_plugins(plugin_files)
    if plugin not in registry.plugins:
        raise ZooError(f"no plugin {plugin!r} is loaded (plugins: {', '.join(sorted(registry.plugins))})")
    if registry.plugins[plugin].error:
        raise ZooError(f"plugin {plugin!r} failed to load: {registry.plugins[plugin].error}")
    _refuse_ambiguous(plugin, registry)
    checks: list[tuple[str, Callable[[], None]]] = [
        (f"{plugin}:imports-light", partial(check_targets_import_light, plugin, plugin_files))
    ]
    for entry in registry.entries():
        if entry.plugin != plugin:
            continue
        if entry.kind == "model":
            checks.append((f"{entry.name}:round-trip", partial(check_model_round_trip, entry)))
            checks.append((f"{entry.name}:spec-and-predictions", partial(check_spec_and_predictions, entry)))
            checks.append((f"{entry.name}:bad-argument", partial(check_bad_argument_is_refused, entry)))
        if entry.kind == "recipe":
            checks.append((f"{entry.name}:resolves", partial(check_recipe_resolves, entry, registry)))
        else:
            checks.append((f"{entry.name}:documented", partial(check_parameters_documented, entry)))
    return checks


def parametrize_plugin_checks(
    plugin: str | None = None,
    plugin_files: tuple[str, ...] = (),
    expected_failed_checks: Mapping[str, str] | None = None,
) -> Any:
    """``pytest.mark.parametrize("check", ...)`` over :func:`plugin_checks`, one test per check, for
    ``plugin`` or (``None``) every plugin that loaded. ``expected_failed_checks`` maps a check's id
    to the reason it fails: a strict ``xfail``."""
    import pytest

    registry = load_plugins(plugin_files)
    plugins = [plugin] if plugin is not None else [p.name for p in registry.plugins.values() if not p.error]
    checks = [c for name in plugins for c in plugin_checks(name, plugin_files)]
    expected = dict(expected_failed_checks or {})
    unknown = sorted(set(expected) - {i for i, _ in checks})
    if unknown:
        raise ZooError(f"expected_failed_checks names no check: {', '.join(unknown)}")
    params = [
        pytest.param(check, id=i, marks=pytest.mark.xfail(strict=True, reason=expected[i]) if i in expected else ())
        for i, check in checks
    ]
    return pytest.mark.parametrize("check", params)
