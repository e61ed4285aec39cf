"""The lesson's three sentiment classifiers, and a naive-Bayes logistic regression over n-grams,
in the Keras functional API.

Each starts from an ``embedding`` layer: random, or the provider's matrix (its width then sets the
embedding size). Freezing and unfreezing it between stages is the recipe's business (``freeze:
[embedding]``); ``trainable_embedding`` only sets where it starts. Keras is imported inside the
builders so that listing and validating recipes stays free of TensorFlow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from zoo.specs import EmbeddingMatrix
from zoo_plugins.text.data import TextSpec

if TYPE_CHECKING:
    import keras


def _check_rates(**rates: float) -> None:
    for name, rate in rates.items():
        if not 0 <= rate < 1:
            raise ValueError(f"{name} must be in [0, 1). Received: {name}={rate}")


def _embedding(spec: TextSpec, embedding: EmbeddingMatrix | None, size: int, trainable: bool) -> keras.layers.Layer:
    from keras import layers

    if embedding is None:
        if size < 1:
            raise ValueError(f"embedding_dim must be at least 1. Received: embedding_dim={size}")
        return layers.Embedding(spec.vocab_size, size, trainable=trainable, name="embedding")
    if embedding.input_dim != spec.vocab_size:
        raise ValueError(
            f"the embedding matrix has {embedding.input_dim} rows but the dataset has "
            f"{spec.vocab_size} word ids. Received: embedding.input_dim={embedding.input_dim}"
        )
    return layers.Embedding(spec.vocab_size, embedding.output_dim, trainable=trainable, name="embedding")


def _word_dropout(x: keras.KerasTensor, rate: float, maxlen: int) -> keras.KerasTensor:
    """Drops whole words (every unit of a word's vector together), as Keras 1's ``Embedding(dropout=)``
    did in the lesson; 0 adds no layer."""
    from keras import layers

    return layers.Dropout(rate, noise_shape=(None, maxlen, 1), name="word_dropout")(x) if rate else x


def _finish(
    inputs: keras.KerasTensor, x: keras.KerasTensor, spec: TextSpec, embedding: EmbeddingMatrix | None, name: str
) -> keras.Model:
    """The output layer for the spec's classes, and the provider's vectors loaded into ``embedding``."""
    from keras import Model, layers

    if spec.task == "binary":
        outputs = layers.Dense(1, activation="sigmoid", name="output")(x)
    else:
        outputs = layers.Dense(len(spec.classes), activation="softmax", name="output")(x)
    model = Model(inputs, outputs, name=name)
    if embedding is not None:  # set after building: a Constant initializer would copy the matrix into the config
        model.get_layer("embedding").set_weights([embedding.weights])
    return model


def text_dense(
    spec: TextSpec,
    embedding: EmbeddingMatrix | None = None,
    *,
    embedding_dim: int = 32,
    hidden: int = 100,
    embedding_dropout: float = 0.0,
    dropout: float = 0.7,
    trainable_embedding: bool = True,
    word_dropout: float = 0.0,
) -> keras.Model:
    """Embedding -> Flatten -> Dense(relu) -> Dropout -> output (the lesson's single hidden layer).

    Args:
        embedding_dim: Width of a random embedding (a provider's matrix sets its own).
        hidden: Units of the hidden layer.
        embedding_dropout: Dropout on the embedded words (0, the lesson's model, adds no layer).
        dropout: Dropout after the hidden layer.
        trainable_embedding: Whether the embedding starts trainable.
        word_dropout: Fraction of words dropped whole, before ``embedding_dropout``.
    """
    _check_rates(embedding_dropout=embedding_dropout, dropout=dropout, word_dropout=word_dropout)
    if hidden < 1:
        raise ValueError(f"hidden must be at least 1. Received: hidden={hidden}")
    from keras import Input, layers

    words = Input(shape=(spec.maxlen,), dtype="int32", name="words")
    x = _embedding(spec, embedding, embedding_dim, trainable_embedding)(words)  # (batch, maxlen, dim)
    x = _word_dropout(x, word_dropout, spec.maxlen)
    if embedding_dropout:
        x = layers.Dropout(embedding_dropout, name="embedding_dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(hidden, activation="relu", name="hidden")(x)
    x = layers.Dropout(dropout, name="hidden_dropout")(x)
    return _finish(words, x, spec, embedding, "text_dense")


def text_cnn(
    spec: TextSpec,
    embedding: EmbeddingMatrix | None = None,
    *,
    embedding_dim: int = 32,
    filters: int = 64,
    kernel_size: int = 5,
    hidden: int = 100,
    embedding_dropout: float = 0.2,
    conv_dropout: float = 0.2,
    dropout: float = 0.7,
    trainable_embedding: bool = True,
    word_dropout: float = 0.0,
) -> keras.Model:
    """Embedding -> Dropout -> Conv1D -> Dropout -> MaxPooling1D -> Flatten -> Dense -> Dropout -> output.

    Args:
        embedding_dim: Width of a random embedding (a provider's matrix sets its own).
        filters: Convolution filters.
        kernel_size: Convolution width in words.
        hidden: Units of the dense layer.
        embedding_dropout: Dropout on the embedded words.
        conv_dropout: Dropout after the convolution.
        dropout: Dropout after the dense layer.
        trainable_embedding: Whether the embedding starts trainable.
        word_dropout: Fraction of words dropped whole, before ``embedding_dropout``.
    """
    _check_rates(
        embedding_dropout=embedding_dropout, conv_dropout=conv_dropout, dropout=dropout, word_dropout=word_dropout
    )
    if filters < 1 or kernel_size < 1 or hidden < 1:
        raise ValueError(
            f"filters, kernel_size and hidden must be at least 1. Received: filters={filters}, "
            f"kernel_size={kernel_size}, hidden={hidden}"
        )
    from keras import Input, layers

    words = Input(shape=(spec.maxlen,), dtype="int32", name="words")
    x = _embedding(spec, embedding, embedding_dim, trainable_embedding)(words)
    x = _word_dropout(x, word_dropout, spec.maxlen)
    x = layers.Dropout(embedding_dropout, name="embedding_dropout")(x)
    x = layers.Conv1D(filters, kernel_size, padding="same", activation="relu", name=f"conv_k{kernel_size}")(x)
    x = layers.Dropout(conv_dropout, name="conv_dropout")(x)
    x = layers.MaxPooling1D(name="pool")(x)  # (batch, maxlen // 2, filters)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(hidden, activation="relu", name="hidden")(x)
    x = layers.Dropout(dropout, name="hidden_dropout")(x)
    return _finish(words, x, spec, embedding, "text_cnn")


def multi_conv(maxlen: int, width: int, kernel_sizes: Sequence[int], filters: int) -> keras.Model:
    """The lesson's "graph": parallel Conv1D -> MaxPooling1D -> Flatten branches, concatenated."""
    from keras import Input, Model, layers

    embedded = Input(shape=(maxlen, width), name="embedded")
    branches = []
    for k in kernel_sizes:
        x = layers.Conv1D(filters, k, padding="same", activation="relu", name=f"conv_k{k}")(embedded)
        x = layers.MaxPooling1D(name=f"pool_k{k}")(x)
        branches.append(layers.Flatten(name=f"flatten_k{k}")(x))
    joined = layers.Concatenate(name="concat")(branches) if len(branches) > 1 else branches[0]
    return Model(embedded, joined, name="multi_conv")


def text_multi_cnn(
    spec: TextSpec,
    embedding: EmbeddingMatrix | None = None,
    *,
    embedding_dim: int = 50,
    kernel_sizes: tuple[int, ...] = (3, 4, 5),
    filters: int = 64,
    hidden: int = 100,
    embedding_dropout: float = 0.2,
    conv_dropout: float = 0.5,
    dropout: float = 0.7,
    trainable_embedding: bool = True,
    word_dropout: float = 0.0,
) -> keras.Model:
    """Embedding -> Dropout -> multi_conv (a nested model of parallel convolutions) -> Dropout ->
    Dense -> Dropout -> output (the lesson's multi-size CNN).

    Args:
        embedding_dim: Width of a random embedding (a provider's matrix sets its own).
        kernel_sizes: Widths of the parallel convolutions, one branch each.
        filters: Filters per branch.
        hidden: Units of the dense layer.
        embedding_dropout: Dropout on the embedded words.
        conv_dropout: Dropout on the concatenated branches.
        dropout: Dropout after the dense layer.
        trainable_embedding: Whether the embedding starts trainable.
        word_dropout: Fraction of words dropped whole, before ``embedding_dropout``.
    """
    _check_rates(
        embedding_dropout=embedding_dropout, conv_dropout=conv_dropout, dropout=dropout, word_dropout=word_dropout
    )
    if not kernel_sizes or min(kernel_sizes) < 1:
        raise ValueError(f"kernel_sizes must be positive widths. Received: kernel_sizes={kernel_sizes}")
    if filters < 1 or hidden < 1:
        raise ValueError(f"filters and hidden must be at least 1. Received: filters={filters}, hidden={hidden}")
    from keras import Input, layers

    words = Input(shape=(spec.maxlen,), dtype="int32", name="words")
    embed = _embedding(spec, embedding, embedding_dim, trainable_embedding)
    x = _word_dropout(embed(words), word_dropout, spec.maxlen)
    x = layers.Dropout(embedding_dropout, name="embedding_dropout")(x)
    width = embedding.output_dim if embedding is not None else embedding_dim
    x = multi_conv(spec.maxlen, width, kernel_sizes, filters)(x)  # (batch, len(kernel_sizes) * ...)
    x = layers.Dropout(conv_dropout, name="conv_dropout")(x)
    x = layers.Dense(hidden, activation="relu", name="hidden")(x)
    x = layers.Dropout(dropout, name="hidden_dropout")(x)
    return _finish(words, x, spec, embedding, "text_multi_cnn")


def text_nb_logistic(
    spec: TextSpec,
    embedding: EmbeddingMatrix | None = None,
    *,
    weight_init: float = 0.4,
    weight_spread: float = 0.1,
    ratio_scale: float = 20.0,
) -> keras.Model:
    """Logistic regression over a bag of n-grams, each weight scaled by the n-gram's naive-Bayes
    log-count ratio from the ``nb-ratios`` embedding (NBSVM, Wang & Manning 2012, fitted by
    gradient descent as in fast.ai's "NBSVM++").

    ``logit = a * sum(w[g] * r[g] / ratio_scale for g in bag) + b``: the ratios ``r`` are frozen
    (layer ``nb_ratio``), the weights ``w`` (layer ``weight``) start near ``weight_init``, so the
    untrained model already is the naive-Bayes classifier, and ``a`` starts at 1. Without an
    embedding every ratio is 1: a plain logistic regression over the bag.

    Args:
        weight_init: Centre of the weights' uniform initialisation.
        weight_spread: Half-width of that initialisation.
        ratio_scale: Divides the ratios; larger values make each step move the logit less.
    """
    if spec.task != "binary":
        raise ValueError(
            f"text-nb-logistic classifies two classes; the dataset has {len(spec.classes)}. "
            f"Received: spec.classes={spec.classes}"
        )
    if weight_spread < 0 or ratio_scale <= 0:
        raise ValueError(
            f"weight_spread must be >= 0 and ratio_scale > 0. Received: weight_spread={weight_spread}, "
            f"ratio_scale={ratio_scale}"
        )
    if embedding is not None and embedding.weights.shape != (spec.vocab_size, 1):
        raise ValueError(
            f"text-nb-logistic needs one ratio per id, shape ({spec.vocab_size}, 1) (the nb-ratios "
            f"embedding). Received: embedding of shape {embedding.weights.shape}"
        )
    import numpy as np
    from keras import Input, Model, initializers, layers

    bag = Input(shape=(spec.maxlen,), dtype="int32", name="ngrams")
    spread = initializers.RandomUniform(weight_init - weight_spread, weight_init + weight_spread)
    weights = layers.Embedding(spec.vocab_size, 1, embeddings_initializer=spread, name="weight")(bag)
    ratio = layers.Embedding(spec.vocab_size, 1, trainable=False, name="nb_ratio")
    score = layers.Dot(axes=1, name="score")([weights, ratio(bag)])  # sum over the bag: (batch, 1, 1)
    score = layers.Flatten(name="flatten")(score)
    outputs = layers.Dense(1, activation="sigmoid", kernel_initializer="ones", name="output")(score)
    model = Model(bag, outputs, name="text_nb_logistic")
    ratios = embedding.weights if embedding is not None else np.ones((spec.vocab_size, 1), "float32")
    ratios = ratios / ratio_scale
    ratios[0] = 0.0  # padding adds nothing, whatever its weight
    ratio.set_weights([ratios])
    return model
