"""The example dataset: a spec of its own, and synthetic data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zoo.plugin import Dataset, DatasetSpec, Split, sha256_of


@dataclass
class BlobsSpec(DatasetSpec):
    """Feature vectors of ``n_features`` floats, each labelled with one of ``n_classes``."""

    n_features: int = 2
    n_classes: int = 2

    @classmethod
    def example(cls) -> BlobsSpec:
        return cls(name="example", task="multiclass", synthetic=True, n_features=3, n_classes=2)

    def example_inputs(self, n: int, seed: int = 0) -> np.ndarray:
        return np.random.default_rng(seed).normal(size=(n, self.n_features)).astype("float32")


def blobs(
    *,
    n_samples: int = 600,
    n_features: int = 4,
    n_classes: int = 2,
    spread: float = 0.5,
    validation: float = 0.25,
    seed: int = 0,
) -> Dataset[BlobsSpec]:
    """SYNTHETIC Gaussian blobs: one cluster per class around a random centre.

    Args:
        n_samples: Samples in all.
        n_features: Features per sample.
        n_classes: Number of classes (clusters).
        spread: Standard deviation of each cluster.
        validation: Fraction held out for validation.
        seed: Seeds the generator.
    """
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2. Received: n_classes={n_classes}")
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 2, (n_classes, n_features))
    y = rng.integers(0, n_classes, n_samples)
    x = (centres[y] + rng.normal(0, spread, (n_samples, n_features))).astype("float32")
    cut = int(n_samples * (1 - validation))
    spec = BlobsSpec(
        name="example-blobs", task="multiclass", synthetic=True, n_features=n_features, n_classes=n_classes
    )
    splits = {"train": Split(x[:cut], y[:cut])}
    if cut < n_samples:
        splits["validation"] = Split(x[cut:], y[cut:])
    params = f"{n_samples},{n_features},{n_classes},{spread},{validation},{seed}"
    return Dataset(spec, splits, checksum=sha256_of("example-blobs", params))
