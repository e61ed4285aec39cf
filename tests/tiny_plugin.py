"""The test suite's own plugin: the smallest dataset, models and recipes that exercise the core.

The core's tests build, train, save and load through this plugin, so they test the core and not
the built-in families (whose own tests are test_cf_*.py, test_text.py, ...). conftest.py loads it
for every test as a local plugin file (``ZOO_PLUGIN_FILES``), the way a user's ``--plugin`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from zoo import hookimpl
from zoo.plugin import Dataset, DatasetSpec, Split, ZooError, sha256_of

if TYPE_CHECKING:
    import keras


@dataclass
class PointsSpec(DatasetSpec):
    """Rows of ``n_features`` floats, each with one float target."""

    n_features: int = 4

    @classmethod
    def example(cls) -> PointsSpec:
        return cls(name="tiny-points", task="regression", synthetic=True, n_features=3)

    def example_inputs(self, n: int, seed: int = 0) -> np.ndarray:
        return np.random.default_rng(seed).normal(size=(n, self.n_features)).astype("float32")

    def encode_inputs(self, raw: Any) -> np.ndarray:
        rows = np.asarray(raw, dtype="float32").reshape(-1, np.shape(raw)[-1])
        if rows.shape[1] != self.n_features:
            raise ZooError(f"expected rows of {self.n_features} features; got {rows.shape[1]}")
        return rows


def tiny_points(
    *,
    n_samples: int = 200,
    n_features: int = 4,
    noise: float = 0.1,
    validation: float = 0.2,
    seed: int = 0,
    stream: bool = False,
) -> Dataset[PointsSpec]:
    """SYNTHETIC points: y = x . w + 1 + noise, for a planted w.

    Args:
        n_samples: Rows in all.
        n_features: Features per row.
        noise: Standard deviation of the noise on the target.
        validation: Fraction of rows held out for validation.
        seed: Seeds the generator.
        stream: Give the splits as tf.data streams of single samples, not arrays.
    """
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_samples, n_features)).astype("float32")
    y = (x @ rng.normal(size=n_features) + 1.0 + rng.normal(0, noise, n_samples)).astype("float32")
    cut = int(n_samples * (1 - validation))
    splits = {"train": Split(x[:cut], y[:cut])}
    if cut < n_samples:
        splits["validation"] = Split(x[cut:], y[cut:])
    if stream:
        import tensorflow as tf

        for name, split in splits.items():
            samples = tf.data.Dataset.from_tensor_slices((split.x, split.y))
            if name == "train":
                samples = samples.shuffle(len(split), seed=seed)
            splits[name] = Split(samples, count=len(split))
    spec = PointsSpec(name="tiny-points", task="regression", synthetic=True, n_features=n_features)
    return Dataset(spec, splits, checksum=sha256_of("tiny-points", f"{n_samples},{n_features},{noise},{seed}"))


def tiny_linear(spec: PointsSpec, *, units: int = 8, l2: float = 0.001, squash: bool = False) -> keras.Model:
    """features -> Dense(units) "hidden" -> Dense(1) "output" (through tanh when ``squash``).

    Args:
        units: Units of the hidden layer.
        l2: L2 penalty on the hidden kernel.
        squash: Put the output through tanh.
    """
    if units < 1:
        raise ValueError(f"units must be at least 1. Received: units={units}")
    from keras import Input, Model, layers, regularizers

    features = Input(shape=(spec.n_features,), name="features")
    x = layers.Dense(units, kernel_regularizer=regularizers.L2(l2), name="hidden")(features)
    y = layers.Dense(1, activation="tanh" if squash else None, name="output")(x)
    return Model(features, y, name="tiny_linear")


def tiny_mlp(spec: PointsSpec, *, units: int = 8, hidden: int = 16, dropout: float = 0.3) -> keras.Model:
    """features -> Dense(units, relu) -> Dropout -> Dense(hidden, relu) -> Dense(1).

    Args:
        units: Units of the first layer.
        hidden: Units of the second layer.
        dropout: Dropout rate between them.
    """
    from keras import Input, Model, layers

    features = Input(shape=(spec.n_features,), name="features")
    x = layers.Dense(units, activation="relu", name="first")(features)
    x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Dense(hidden, activation="relu", name="second")(x)
    return Model(features, layers.Dense(1, name="output")(x), name="tiny_mlp")


def epoch_marks(spec: PointsSpec, *, path: str, every: int = 1) -> Any:
    """A callback that appends a line to ``path`` every ``every`` epochs, naming the spec.

    Args:
        path: The file to append to.
        every: Epochs between lines.
    """
    import keras

    class EpochMarks(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if (epoch + 1) % every == 0:
                with open(path, "a", encoding="utf-8") as marks:
                    marks.write(f"{spec.name} epoch {epoch + 1}\n")

    return EpochMarks()


TRAIN = {"optimizer": {"use": "adam", "learning_rate": 0.01}, "batch_size": 16}


@hookimpl
def register_models(register):
    register("tiny-linear", tiny_linear, tags=["tiny"], tiny={"units": 2}, summary="TEST SUITE: one hidden layer.")
    register("tiny-mlp", tiny_mlp, tags=["tiny"], tiny={"units": 2, "hidden": 2}, summary="TEST SUITE: two.")


@hookimpl
def register_datasets(register):
    register("tiny-points", tiny_points, tags=["tiny", "synthetic"], summary="TEST SUITE: SYNTHETIC points.")


@hookimpl
def register_callbacks(register):
    register("epoch-marks", epoch_marks, tags=["tiny"], summary="TEST SUITE: a line per epoch in a file.")


@hookimpl
def register_recipes(register):
    register(
        "tiny-linear-points",
        {
            "summary": "TEST SUITE: tiny-linear on SYNTHETIC points.",
            "tags": ["tiny"],
            "dataset": {"use": "tiny-points"},
            "model": {"use": "tiny-linear"},
            "train": {**TRAIN, "stages": [{"epochs": 3}]},
        },
    )
    register(
        "tiny-mlp-points",
        {
            "summary": "TEST SUITE: tiny-mlp on SYNTHETIC points.",
            "tags": ["tiny"],
            "dataset": {"use": "tiny-points"},
            "model": {"use": "tiny-mlp", "hidden": 5},
            "train": {**TRAIN, "stages": [{"epochs": 3}]},
        },
    )
    register(
        "tiny-two-stages",
        {
            "summary": "TEST SUITE: train the output layer first, then everything (version 2).",
            "tags": ["tiny"],
            "version": 2,
            "dataset": {"use": "tiny-points"},
            "model": {"use": "tiny-linear"},
            "train": {
                **TRAIN,
                "stages": [
                    {"epochs": 2, "freeze": ["hidden"], "learning_rate": 0.001},
                    {"epochs": 1, "unfreeze": ["hidden"], "learning_rate": 0.0005},
                ],
            },
        },
    )
