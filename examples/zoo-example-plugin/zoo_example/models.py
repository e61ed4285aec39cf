"""The example model: a plain Keras functional builder, Keras imported inside the function."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoo_example.data import BlobsSpec

if TYPE_CHECKING:
    import keras


def mlp(spec: BlobsSpec, *, hidden: int = 16, dropout: float = 0.1) -> keras.Model:
    """Features -> FeatureScale -> Dense(hidden, relu) -> Dropout -> Dense(n_classes, softmax).

    Args:
        hidden: Units of the hidden layer.
        dropout: Dropout rate after the hidden layer.
    """
    if hidden < 1:
        raise ValueError(f"hidden must be at least 1. Received: hidden={hidden}")
    from keras import Input, Model, layers

    from zoo_example.layers import FeatureScale  # a registered custom layer (see layers.py)

    features = Input(shape=(spec.n_features,), name="features")
    x = FeatureScale(name="feature_scale")(features)
    x = layers.Dense(hidden, activation="relu", name="hidden")(x)
    x = layers.Dropout(dropout, name="dropout")(x)
    probabilities = layers.Dense(spec.n_classes, activation="softmax", name="classes")(x)
    return Model(features, probabilities, name="example_mlp")
