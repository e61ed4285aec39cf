"""``char-lstm``: characters -> embedding -> stacked LSTM -> the next character, at every position of
the window (or only after it, as the spec's targets say)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from zoo_plugins.charlm.data import CharSpec

if TYPE_CHECKING:
    import keras


def char_lstm(
    spec: CharSpec, *, embedding_dim: int = 24, units: int = 256, layers: int = 2, dropout: float = 0.1
) -> keras.Model:
    """Embedding -> ``layers`` LSTMs of ``units`` -> Dense softmax over the characters.

    The LSTMs keep Keras's defaults (tanh, sigmoid, no recurrent dropout, not unrolled), which is
    what lets Keras run them on the fused cuDNN kernel on a GPU; dropout sits between layers.
    The input length is not fixed, so a saved model also reads one character at a time
    (``zoo generate``).

    Args:
        embedding_dim: Size of each character's vector.
        units: Units of each LSTM.
        layers: How many LSTMs, stacked.
        dropout: Dropout rate after the embedding and after each LSTM.
    """
    for name, value in (("embedding_dim", embedding_dim), ("units", units), ("layers", layers)):
        if value < 1:
            raise ValueError(f"{name} must be at least 1. Received: {name}={value}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1). Received: dropout={dropout}")
    from keras import Input, Model
    from keras import layers as kl

    every = spec.targets == "every"
    chars = Input(shape=(None,), dtype="int32", name="chars")
    x = kl.Embedding(len(spec.chars), embedding_dim, name="embedding")(chars)
    x = kl.Dropout(dropout, name="embedding_dropout")(x)
    for i in range(1, layers + 1):
        x = kl.LSTM(units, return_sequences=every or i < layers, name=f"lstm_{i}")(x)
        x = kl.Dropout(dropout, name=f"dropout_{i}")(x)
    probabilities = kl.Dense(len(spec.chars), activation="softmax", name="next_char")(x)
    return Model(chars, probabilities, name="char_lstm")
