"""The lesson's three sentiment classifiers, and a naive-Bayes logistic regression over n-grams,
in the Keras functional API.

Each starts from an ``embedding`` layer: random, or the provider's matrix (its width then sets the
embedding size). Freezing and unfreezing it between stages is the recipe's business (``freeze:
[embedding]``); ``trainable_embedding`` only sets where it starts. Keras is imported inside the
builders so that listing and validating recipes stays free of TensorFlow.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from zoo.plugin import EmbeddingMatrix, variants_builder
from zoo_plugins.text.data import TextSpec

if TYPE_CHECKING:
    import keras


# -- the lesson's three classifiers: one builder, and a table of variants -------------------------
#
#   words -> embedding -> [word_dropout] -> [embedding_dropout] -> FEATURES -> hidden -> [hidden_dropout] -> output
#
# The variants differ only in FEATURES and in their defaults, so they are data (as timm's vgg.py
# has its configurations): each public builder is made from its row of VARIANTS, with a real
# signature (a recipe's parameters are checked against it) and a docstring built from OPTIONS.
# A dropout of rate 0 adds no layer (and so draws nothing from the random seed).


@dataclass(frozen=True)
class Option:
    """One parameter the text classifiers take: its type and what it does."""

    type: Any
    doc: str


OPTIONS = {
    "embedding_dim": Option(int, "Width of a random embedding (a provider's matrix sets its own)."),
    "filters": Option(int, "Convolution filters (per branch with several kernel sizes)."),
    "kernel_size": Option(int, "Convolution width in words."),
    "kernel_sizes": Option(tuple[int, ...], "Widths of the parallel convolutions, one branch each."),
    "hidden": Option(int, "Units of the hidden dense layer."),
    "embedding_dropout": Option(float, "Dropout on the embedded words."),
    "conv_dropout": Option(float, "Dropout on the convolutions' output."),
    "dropout": Option(float, "Dropout after the hidden layer."),
    "trainable_embedding": Option(bool, "Whether the embedding starts trainable."),
    "word_dropout": Option(float, "Fraction of words dropped whole, before ``embedding_dropout``."),
}
RATES = ("embedding_dropout", "conv_dropout", "dropout", "word_dropout")
SIZES = ("embedding_dim", "filters", "kernel_size", "hidden")


@dataclass(frozen=True)
class Variant:
    """A row of the table: the feature extractor between the embedding and the hidden layer."""

    summary: str
    features: str  # "flatten", "one_conv" or "parallel_convs"
    defaults: dict[str, Any]


_COMMON = {"hidden": 100, "dropout": 0.7, "trainable_embedding": True, "word_dropout": 0.0}
VARIANTS = {
    "text_dense": Variant(
        "Embedding -> Flatten -> Dense(relu) -> Dropout -> output (the lesson's single hidden layer).",
        "flatten",
        {"embedding_dim": 32, "embedding_dropout": 0.0, **_COMMON},
    ),
    "text_cnn": Variant(
        "Embedding -> Dropout -> Conv1D -> Dropout -> MaxPooling1D -> Flatten -> Dense -> Dropout -> output.",
        "one_conv",
        {
            "embedding_dim": 32,
            "filters": 64,
            "kernel_size": 5,
            "embedding_dropout": 0.2,
            "conv_dropout": 0.2,
            **_COMMON,
        },
    ),
    "text_multi_cnn": Variant(
        "Embedding -> Dropout -> multi_conv (a nested model of parallel convolutions) -> Dropout -> Dense -> "
        "Dropout -> output (the lesson's multi-size CNN).",
        "parallel_convs",
        {
            "embedding_dim": 50,
            "kernel_sizes": (3, 4, 5),
            "filters": 64,
            "embedding_dropout": 0.2,
            "conv_dropout": 0.5,
            **_COMMON,
        },
    ),
}


def _check(params: dict[str, Any]) -> None:
    for name in RATES:
        if name in params and not 0 <= params[name] < 1:
            raise ValueError(f"{name} must be in [0, 1). Received: {name}={params[name]}")
    for name in SIZES:
        if name in params and params[name] < 1:
            raise ValueError(f"{name} must be at least 1. Received: {name}={params[name]}")
    if "kernel_sizes" in params and (not params["kernel_sizes"] or min(params["kernel_sizes"]) < 1):
        raise ValueError(f"kernel_sizes must be positive widths. Received: kernel_sizes={params['kernel_sizes']}")


def _dropout(x: keras.KerasTensor, rate: float, name: str, **kwargs: Any) -> keras.KerasTensor:
    from keras import layers

    return layers.Dropout(rate, name=name, **kwargs)(x) if rate else x


def _embedding(spec: TextSpec, embedding: EmbeddingMatrix | None, size: int, trainable: bool) -> keras.layers.Layer:
    from keras import layers

    if embedding is None:
        return layers.Embedding(spec.vocab_size, size, trainable=trainable, name="embedding")
    if embedding.input_dim != spec.vocab_size:
        raise ValueError(
            f"the embedding matrix has {embedding.input_dim} rows but the dataset has "
            f"{spec.vocab_size} word ids. Received: embedding.input_dim={embedding.input_dim}"
        )
    return layers.Embedding(spec.vocab_size, embedding.output_dim, trainable=trainable, name="embedding")


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


def _features(kind: str, x: keras.KerasTensor, spec: TextSpec, width: int, p: dict[str, Any]) -> keras.KerasTensor:
    from keras import layers

    if kind == "one_conv":
        name = f"conv_k{p['kernel_size']}"
        x = layers.Conv1D(p["filters"], p["kernel_size"], padding="same", activation="relu", name=name)(x)
        x = _dropout(x, p["conv_dropout"], "conv_dropout")
        x = layers.MaxPooling1D(name="pool")(x)  # (batch, maxlen // 2, filters)
    elif kind == "parallel_convs":
        x = multi_conv(spec.maxlen, width, p["kernel_sizes"], p["filters"])(x)  # (batch, branches * ...)
        return _dropout(x, p["conv_dropout"], "conv_dropout")
    return layers.Flatten(name="flatten")(x)


def text_classifier(
    variant: str, spec: TextSpec, embedding: EmbeddingMatrix | None = None, **params: Any
) -> keras.Model:
    """The variant of VARIANTS with ``params`` over its defaults (what each public builder calls)."""
    row = VARIANTS[variant]
    unknown = sorted(set(params) - set(row.defaults))
    if unknown:
        raise TypeError(f"{variant}() got unexpected keyword arguments {unknown}")
    p = {**row.defaults, **params}
    _check(p)
    from keras import Input, Model, layers

    words = Input(shape=(spec.maxlen,), dtype="int32", name="words")
    x = _embedding(spec, embedding, p["embedding_dim"], p["trainable_embedding"])(words)  # (batch, maxlen, width)
    x = _dropout(x, p["word_dropout"], "word_dropout", noise_shape=(None, spec.maxlen, 1))  # whole words
    x = _dropout(x, p["embedding_dropout"], "embedding_dropout")
    width = embedding.output_dim if embedding is not None else p["embedding_dim"]
    x = _features(row.features, x, spec, width, p)
    x = layers.Dense(p["hidden"], activation="relu", name="hidden")(x)
    x = _dropout(x, p["dropout"], "hidden_dropout")
    if spec.task == "binary":
        outputs = layers.Dense(1, activation="sigmoid", name="output")(x)
    else:
        outputs = layers.Dense(len(spec.classes), activation="softmax", name="output")(x)
    model = Model(words, outputs, name=variant)
    if embedding is not None:  # set after building: a Constant initializer would copy the matrix into the config
        model.get_layer("embedding").set_weights([embedding.weights])
    return model


def _public_builder(variant: str) -> Callable[..., keras.Model]:
    """``text_cnn(spec, embedding=None, *, filters=64, ...)``: the variant's row as a typed builder."""
    row = VARIANTS[variant]

    def builder(spec: TextSpec, embedding: EmbeddingMatrix | None = None, **params: Any) -> keras.Model:
        return text_classifier(variant, spec, embedding, **params)

    positional = [
        inspect.Parameter("spec", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation="TextSpec"),
        inspect.Parameter(
            "embedding", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None, annotation="EmbeddingMatrix | None"
        ),
    ]
    options = [(name, OPTIONS[name].type, default, OPTIONS[name].doc) for name, default in row.defaults.items()]
    return variants_builder(builder, variant, row.summary, positional, options)


text_dense = _public_builder("text_dense")
text_cnn = _public_builder("text_cnn")
text_multi_cnn = _public_builder("text_multi_cnn")


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
