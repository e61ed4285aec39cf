"""Training a head on cached features: a stage with ``cache_features: LAYER`` trains only the
layers above ``LAYER``, on that layer's outputs computed once by the layers up to it.

The features are computed in inference mode (dropout off, augmentation off, batch normalization on
its moving statistics), saved under the data home's ``features/`` folder as ``.npz`` (no pickle),
and keyed by the dataset's checksum, the split, the layer and a digest of every weight and setting
of the layers up to it, so a change to the data or to those layers computes them afresh. The head
shares its layers with the whole model, so what it learns is the model's.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from zoo.catalog.specs import Split, cache_home, sha256_of
from zoo.console import note
from zoo.errors import RecipeError
from zoo.runs.files import atomic_path

if TYPE_CHECKING:
    import keras


@dataclass
class Features:
    """One split's features and targets, and whether they came from the cache."""

    x: np.ndarray
    y: np.ndarray
    path: Path
    cached: bool
    seconds: float


def split_at(model: keras.Model, layer: str) -> tuple[keras.Model, keras.Model]:
    """``(base, head)``: the model up to ``layer`` (its output included) and the layers above it,
    sharing the model's layers (training the head trains the model)."""
    import keras

    names = [item.name for item in model.layers]
    if layer not in names:
        raise RecipeError(f"train.stages: cache_features: no layer named {layer!r}; layers: {', '.join(names)}")
    output = model.get_layer(layer).output
    try:
        head = keras.Model(output, model.outputs, name=f"{model.name}_head")
    except ValueError as exc:  # a layer above needs something besides this one's output
        raise RecipeError(
            f"train.stages: cache_features: the layers above {layer!r} also read other layers' outputs, so they "
            f"cannot train on its features alone ({str(exc).splitlines()[0]}); pick a layer every path goes through"
        ) from None
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs  # called as the model is
    return keras.Model(inputs, output, name=f"{model.name}_base"), head


def weights_digest(model: keras.Model) -> str:
    """Identifies a model's computation: its configuration and every weight's bytes."""
    digest = hashlib.sha256(json.dumps(model.get_config(), sort_keys=True, default=str).encode())
    for weight in model.weights:  # one at a time: a VGG's base alone is 59 MB
        digest.update(weight.path.encode())
        digest.update(np.ascontiguousarray(weight).tobytes())
    return digest.hexdigest()


def _compute(base: keras.Model, split: Split, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    if not split.streams:
        return np.asarray(base.predict(split.x, batch_size=batch_size, verbose=0)), np.asarray(split.y)
    xs, ys = [], []
    for x, y in split.batches(batch_size):  # one pass: each image with its own label, in any order
        xs.append(np.asarray(base.predict_on_batch(x)))
        ys.append(np.asarray(y))
    return np.concatenate(xs), np.concatenate(ys)


def features(base: keras.Model, split: Split, batch_size: int, key: str, cache: Path | None = None) -> Features:
    """``base``'s outputs on ``split``, from the cache when ``key`` (what identifies the data and the
    split) and ``base``'s weights match a saved file, else computed and saved."""
    start = time.perf_counter()
    folder = cache or cache_home() / "features"
    full_key = sha256_of(key, weights_digest(base))
    path = folder / f"{full_key[:24]}.npz"
    if path.exists():
        try:
            x, y = _read_cache(path, full_key, base, len(split))
            return Features(x, y, path, True, time.perf_counter() - start)
        except Exception as exc:  # any damage at all (truncated, bad CRC, empty, wrong arrays): compute again
            note(f"the feature cache {path} cannot be used ({_reason(exc)}); computing the features again")
    x, y = _compute(base, split, batch_size)
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp, open(tmp, "wb") as file:
        np.savez(file, x=x, y=y, key=np.array(full_key))
    return Features(x, y, path, False, time.perf_counter() - start)


def _read_cache(path: Path, key: str, base: keras.Model, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The cached arrays, only if they are what the file claims to be: this key, the base's output
    shape, a float dtype, one row per sample, as many targets as rows."""
    with np.load(path, allow_pickle=False) as saved:
        found_key, x, y = str(saved["key"]), saved["x"], saved["y"]  # reading decompresses: a bad CRC fails here
    expected = tuple(base.outputs[0].shape[1:])
    if found_key != key:
        raise ValueError("it was made for other data or weights")
    if x.shape[1:] != expected or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"features shaped {x.shape} of {x.dtype}, not (N, {', '.join(map(str, expected))}) floats")
    if len(x) != count or len(y) != count:
        raise ValueError(f"{len(x)} features and {len(y)} targets for {count} samples")
    return x, y


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
