"""The lesson's collaborative-filtering models, in the Keras functional API.

Keras is imported inside each builder so that registering, listing and validating stay free of
TensorFlow; the layers are the same as at module level.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoo_plugins.cf.data import RatingsSpec

if TYPE_CHECKING:
    import keras


def _inputs_and_factors(spec: RatingsSpec, n_factors: int, l2: float) -> tuple[keras.KerasTensor, ...]:
    """The ``user`` and ``item`` index inputs and their L2-regularised factor embeddings."""
    from keras import Input, layers, regularizers

    user = Input(shape=(), dtype="int32", name="user")  # (batch,)
    item = Input(shape=(), dtype="int32", name="item")
    user_vec = layers.Embedding(
        spec.n_users, n_factors, embeddings_regularizer=regularizers.L2(l2), name="user_embedding"
    )(user)  # (batch, n_factors)
    item_vec = layers.Embedding(
        spec.n_items, n_factors, embeddings_regularizer=regularizers.L2(l2), name="item_embedding"
    )(item)
    return user, item, user_vec, item_vec


def cf_bias(spec: RatingsSpec, *, n_factors: int = 50, l2: float = 1e-4, squash: bool = False) -> keras.Model:
    """Rating = user . item + user bias + item bias (the lesson's dot-product model).

    Args:
        n_factors: Size of the user and item embeddings.
        l2: L2 penalty on the user and item factors (not on the biases).
        squash: Squash the output into the rating range with a sigmoid scaled to
            [rating_min - 0.5, rating_max + 0.5]; off reproduces the lesson exactly.
    """
    if n_factors < 1:
        raise ValueError(f"n_factors must be at least 1. Received: n_factors={n_factors}")
    if l2 < 0:
        raise ValueError(f"l2 must be non-negative. Received: l2={l2}")
    from keras import Model, layers

    user, item, user_vec, item_vec = _inputs_and_factors(spec, n_factors, l2)
    dot = layers.Dot(axes=1, name="dot")([user_vec, item_vec])  # (batch, 1)
    user_bias = layers.Embedding(spec.n_users, 1, name="user_bias")(user)  # (batch, 1)
    item_bias = layers.Embedding(spec.n_items, 1, name="item_bias")(item)
    rating = layers.Add(name="rating")([dot, user_bias, item_bias])
    if squash:
        low, high = spec.rating_min - 0.5, spec.rating_max + 0.5
        rating = layers.Activation("sigmoid", name="squash")(rating)
        rating = layers.Rescaling(high - low, offset=low, name="rating_range")(rating)
    return Model({"user": user, "item": item}, rating, name="cf_bias")


def cf_nn(
    spec: RatingsSpec,
    *,
    n_factors: int = 50,
    l2: float = 1e-4,
    hidden: int = 70,
    input_dropout: float = 0.3,
    hidden_dropout: float = 0.75,
) -> keras.Model:
    """Rating = Dense(Dropout(Dense(relu)(Dropout([user, item])))) (the lesson's neural net).

    Args:
        n_factors: Size of the user and item embeddings.
        l2: L2 penalty on the user and item factors.
        hidden: Units of the hidden dense layer.
        input_dropout: Dropout on the concatenated embeddings.
        hidden_dropout: Dropout after the hidden layer.
    """
    for name, rate in (("input_dropout", input_dropout), ("hidden_dropout", hidden_dropout)):
        if not 0 <= rate < 1:
            raise ValueError(f"{name} must be in [0, 1). Received: {name}={rate}")
    if n_factors < 1 or hidden < 1:
        raise ValueError(f"n_factors and hidden must be at least 1. Received: n_factors={n_factors}, hidden={hidden}")
    from keras import Model, layers

    user, item, user_vec, item_vec = _inputs_and_factors(spec, n_factors, l2)
    x = layers.Concatenate(name="concat")([user_vec, item_vec])  # (batch, 2 * n_factors)
    x = layers.Dropout(input_dropout, name="input_dropout")(x)
    x = layers.Dense(hidden, activation="relu", name="hidden")(x)
    x = layers.Dropout(hidden_dropout, name="hidden_dropout")(x)
    rating = layers.Dense(1, name="rating")(x)
    return Model({"user": user, "item": item}, rating, name="cf_nn")
