"""Rating datasets: the spec every collaborative-filtering model reads, and a synthetic generator."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from zoo.plugin import Dataset, DatasetSpec, Split, ZooError, sha256_of


@dataclass
class RatingsSpec(DatasetSpec):
    """Users rate items. Model inputs are ``{"user": int32[n], "item": int32[n]}`` of contiguous
    indices; ``user_ids``/``item_ids`` map each index back to the dataset's own id.

    Attributes:
        item_rating_counts: Ratings per item in the training split (the analysis commands look
            at the most-rated items).
        planted_item_bias: Synthetic data only: the item biases the ratings were generated from,
            to check what a model learned.
    """

    n_users: int = 0
    n_items: int = 0
    rating_min: float = 0.5
    rating_max: float = 5.0
    user_ids: list[Any] = field(default_factory=list)
    item_ids: list[Any] = field(default_factory=list)
    item_titles: list[str] = field(default_factory=list)
    item_rating_counts: list[int] = field(default_factory=list)
    planted_item_bias: list[float] | None = None

    @classmethod
    def example(cls) -> RatingsSpec:
        return cls(
            name="example",
            task="regression",
            synthetic=True,
            n_users=7,
            n_items=5,
            user_ids=list(range(7)),
            item_ids=list(range(5)),
        )

    def example_inputs(self, n: int, seed: int = 0) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(seed)
        return {
            "user": rng.integers(0, self.n_users, n, dtype="int32"),
            "item": rng.integers(0, self.n_items, n, dtype="int32"),
        }

    def example_raw_inputs(self, n: int, seed: int = 0) -> list[list[Any]]:
        """``[user_id, item_id]`` pairs in the data's own ids."""
        rng = np.random.default_rng(seed)
        return [
            [self.user_ids[rng.integers(self.n_users)], self.item_ids[rng.integers(self.n_items)]] for _ in range(n)
        ]

    def decode_outputs(self, outputs: Any) -> list[float]:
        """Predicted ratings, clipped to the data's scale (an unsquashed model can step outside it)."""
        ratings = np.clip(np.asarray(outputs, dtype="float64").reshape(-1), self.rating_min, self.rating_max)
        return [float(r) for r in ratings]

    @functools.cached_property
    def _indices(self) -> tuple[dict[Any, int], dict[Any, int]]:
        """Each user's and item's index by its own id: built once (a server encodes every request)."""
        return {u: i for i, u in enumerate(self.user_ids)}, {m: i for i, m in enumerate(self.item_ids)}

    def encode_inputs(self, raw: Any) -> dict[str, np.ndarray]:
        """``[[user_id, item_id], ...]`` in the dataset's own ids -> index arrays."""
        pairs = [raw] if raw and not isinstance(raw[0], (list, tuple)) else raw
        if not all(isinstance(p, (list, tuple)) and len(p) == 2 for p in pairs):
            raise ZooError(f"expected [user_id, item_id] pairs. Received: {raw!r}")
        users, items = self._indices
        for user, item in pairs:
            if not all(isinstance(x, (int, str)) for x in (user, item)):
                raise ZooError(f"ids are numbers or strings. Received: {[user, item]!r}")
            for kind, given, known, count in (("user", user, users, self.n_users), ("item", item, items, self.n_items)):
                if given not in known:
                    raise ZooError(
                        f"{kind} id {given!r} was never seen in training; predictions exist only for the "
                        f"{count} {kind}s of {self.name}{_as_text_hint(given, known)}"
                    )
        return {
            "user": np.array([users[u] for u, _ in pairs], "int32"),
            "item": np.array([items[i] for _, i in pairs], "int32"),
        }


def _as_text_hint(given: Any, known: dict[Any, int]) -> str:
    """A number typed as text (``zoo predict RUN 1 5``) where the ids are numbers: say how to write the pair."""
    if isinstance(given, str) and given.lstrip("-").isdigit() and int(given) in known:
        return f"; {given!r} is text here: give each pair as a list, e.g. zoo predict RUN '[{given}, ...]'"
    return ""


def split_indices(n: int, validation: float, seed: int, test: float = 0.0) -> tuple[np.ndarray, ...]:
    """A seeded random split of ``range(n)``: train and validation indices, and with ``test`` a
    third part for the report, which no choice (early stopping, settings) ever looks at.

    Test is cut from the end of the permutation, validation before it, so that a two-way split of
    the same seed is the three-way split's train and validation put back together.
    """
    order = np.random.default_rng(seed).permutation(n)
    test_cut = n - round(n * test)
    cut = test_cut - round(n * validation)
    parts = (order[:cut], order[cut:test_cut]) + ((order[test_cut:],) if test else ())
    return tuple(np.sort(part) for part in parts)


def kfold_indices(n: int, folds: int, fold: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Fold ``fold`` of ``folds`` over one seeded permutation: disjoint validation sets across folds."""
    chunks = np.array_split(np.random.default_rng(seed).permutation(n), folds)
    return np.sort(np.concatenate(chunks[:fold] + chunks[fold + 1 :])), np.sort(chunks[fold])


def synthetic_ratings(
    *,
    n_users: int = 400,
    n_items: int = 300,
    n_factors: int = 5,
    density: float = 0.15,
    noise: float = 0.3,
    validation: float = 0.2,
    seed: int = 0,
) -> Dataset[RatingsSpec]:
    """SYNTHETIC ratings from planted factors: mean + user bias + item bias + user . item + noise.

    The generator is the model ``cf-bias`` assumes, so a trained model should recover the planted
    item biases; the data is generated, never downloaded, and says so in its spec.

    Args:
        n_users: Number of users.
        n_items: Number of items.
        n_factors: Rank of the planted user/item factors.
        density: Fraction of (user, item) pairs that are rated.
        noise: Standard deviation of the noise added to each rating.
        validation: Fraction of ratings held out for validation (seeded random split).
        seed: Seeds the generator and the split.
    """
    if not 0 < density <= 1:
        raise ValueError(f"density must be in (0, 1]. Received: density={density}")
    if not 0 <= validation < 1:
        raise ValueError(f"validation must be in [0, 1). Received: validation={validation}")
    rng = np.random.default_rng(seed)
    user_factors = rng.normal(0, 1 / np.sqrt(n_factors), (n_users, n_factors))
    item_factors = rng.normal(0, 1 / np.sqrt(n_factors), (n_items, n_factors))
    user_bias, item_bias = rng.normal(0, 0.4, n_users), rng.normal(0, 0.6, n_items)
    users, items = np.nonzero(rng.random((n_users, n_items)) < density)
    ratings = (
        3.5
        + user_bias[users]
        + item_bias[items]
        + np.sum(user_factors[users] * item_factors[items], axis=1)
        + rng.normal(0, noise, len(users))
    )
    ratings = np.clip(np.round(ratings * 2) / 2, 0.5, 5.0).astype("float32")
    train, held_out = split_indices(len(ratings), validation, seed)

    def split(index: np.ndarray) -> Split:
        return Split({"user": users[index].astype("int32"), "item": items[index].astype("int32")}, ratings[index])

    spec = RatingsSpec(
        name="synthetic-ratings",
        task="regression",
        synthetic=True,
        n_users=n_users,
        n_items=n_items,
        user_ids=list(range(n_users)),
        item_ids=list(range(n_items)),
        item_titles=[f"Synthetic item {i}" for i in range(n_items)],
        item_rating_counts=np.bincount(items[train], minlength=n_items).tolist(),
        planted_item_bias=[round(float(b), 5) for b in item_bias],
    )
    splits = {"train": split(train)}
    if len(held_out):
        splits["validation"] = split(held_out)
    params = f"{n_users},{n_items},{n_factors},{density},{noise},{validation},{seed}"
    return Dataset(spec, splits, checksum=sha256_of("synthetic-ratings", params), source="generated")
