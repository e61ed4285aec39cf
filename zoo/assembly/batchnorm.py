"""Output-preserving BatchNormalization insertion (fast.ai's 2016 lesson 5, VGG16BN).

A network trained without batch normalization gets a ``BatchNormalization`` layer after each named
layer, set so that at inference it is the identity: its moving mean and variance are those of the
layer's activations on calibration batches, and its scale and offset undo them
(``gamma = sqrt(variance + epsilon)``, ``beta = mean``). The new model computes what the old one
did; training then goes on with batch normalization active, typically at a higher learning rate
and with less dropout. In a recipe: ``build.insert_batchnorm: [fc1, fc2]`` (with
``build.initial_weights`` naming the trained run).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from zoo.errors import RecipeError

if TYPE_CHECKING:
    import keras


def activation_moments(
    model: keras.Model, layers: Sequence[str], batches: Iterable[Any]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per-channel (last axis) mean and variance of each layer's output over ``batches`` of model
    inputs, in inference mode, accumulated in float64."""
    import keras

    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs  # called as the model is
    probe = keras.Model(inputs, [model.get_layer(name).output for name in layers])
    sums: list[np.ndarray] = []
    squares: list[np.ndarray] = []
    count = 0
    for batch in batches:
        outputs = probe(batch, training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        flat = [np.asarray(o, dtype="float64").reshape(-1, o.shape[-1]) for o in outputs]
        if not sums:
            sums = [f.sum(axis=0) for f in flat]
            squares = [(f**2).sum(axis=0) for f in flat]
        else:
            for i, f in enumerate(flat):
                sums[i] += f.sum(axis=0)
                squares[i] += (f**2).sum(axis=0)
        count += flat[0].shape[0]
    if not count:
        raise RecipeError("build.insert_batchnorm: no calibration batches; the training split is empty")
    means = [s / count for s in sums]
    return [(mean, np.maximum(sq / count - mean**2, 0.0)) for mean, sq in zip(means, squares)]


def insert_batchnorm(
    model: keras.Model, after: Sequence[str], calibration: Iterable[Any], epsilon: float = 1e-3
) -> keras.Model:
    """A copy of ``model`` (functional, or a built ``Sequential``, which comes back functional) with
    ``BatchNormalization`` named ``{layer}_bn`` after each layer of ``after``, calibrated on
    ``calibration`` (batches of model inputs) to leave every output unchanged at inference.
    ``model`` is left as it was."""
    import keras

    if isinstance(model, keras.Sequential):  # Keras clones only functional graphs with a call_function
        model = keras.Model(model.inputs, model.outputs, name=model.name)

    names = {layer.name for layer in model.layers}
    unknown = [name for name in after if name not in names]
    if unknown:
        raise RecipeError(
            f"build.insert_batchnorm: no layer named {', '.join(map(repr, unknown))}; "
            f"layers: {', '.join(sorted(names))}"
        )
    taken = [f"{name}_bn" for name in after if f"{name}_bn" in names]
    if taken:
        raise RecipeError(f"build.insert_batchnorm: the model already has {', '.join(taken)}")
    moments = dict(zip(after, activation_moments(model, after, calibration)))

    def call(layer: Any, *args: Any, **kwargs: Any) -> Any:
        output = layer(*args, **kwargs)
        if layer.name in moments:
            output = keras.layers.BatchNormalization(epsilon=epsilon, name=f"{layer.name}_bn")(output)
        return output

    new = keras.models.clone_model(model, call_function=call)
    for layer in model.layers:
        if layer.weights:
            new.get_layer(layer.name).set_weights(layer.get_weights())
    for name, (mean, variance) in moments.items():
        bn = new.get_layer(f"{name}_bn")
        # gamma, beta, moving mean, moving variance: (x - mean) / sqrt(var + eps) * gamma + beta == x
        bn.set_weights([np.sqrt(variance + epsilon), mean, mean, variance])
    return new
