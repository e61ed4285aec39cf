"""Every registered model builder, the day it is registered: a tiny build, the output batch, and a
round trip through save and ``safe_mode`` load that predicts the same."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import zoo
from zoo.params import injected_annotation
from zoo.specs import DatasetSpec

pytestmark = pytest.mark.backends  # also run on JAX in CI (.ci/run)

MODELS = zoo.load_plugins().entries("model")


@pytest.mark.parametrize("entry", MODELS, ids=[e.qualified_name for e in MODELS])
def test_builder_builds_saves_and_loads_safely(entry, tmp_path):
    import keras

    builder = entry.load()
    spec_type = injected_annotation(builder, 0)
    assert inspect.isclass(spec_type) and issubclass(spec_type, DatasetSpec), (
        f"{entry.name}: annotate the first parameter with its DatasetSpec subclass")
    spec = spec_type.example()
    model = builder(spec, **entry.tiny)
    assert isinstance(model, keras.Model)
    assert not model.compiled, "builders return uncompiled models"
    inputs = spec.example_inputs(4)
    outputs = np.asarray(model.predict(inputs, verbose=0))
    assert outputs.shape[0] == 4 and np.isfinite(outputs).all()

    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded.predict(inputs, verbose=0)), outputs, rtol=1e-5, atol=1e-6)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]


@pytest.mark.parametrize("entry", MODELS, ids=[e.qualified_name for e in MODELS])
def test_builder_rejects_bad_arguments_before_building(entry):
    builder = entry.load()
    spec = injected_annotation(builder, 0).example()
    first = next((name for name, value in entry.tiny.items()
                  if isinstance(value, (int, float)) and not isinstance(value, bool)), None)
    assert first is not None, f"{entry.name}: give `tiny` a size or scale parameter, for this test to make invalid"
    with pytest.raises(ValueError, match=rf"{first}.*Received: .*{first}=-1"):
        builder(spec, **{**entry.tiny, first: -1})
