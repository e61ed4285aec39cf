"""The typed values that flow between plugins: what an adapter gives and a builder needs.

``Dataset`` (adapter output) = a ``DatasetSpec`` (sizes, vocabulary, classes, id maps: everything a
builder may need) + named ``Split``s (model inputs and targets). ``Vectors`` (provider output) are
aligned to a vocabulary into an ``EmbeddingMatrix`` (builder input). None of these import
TensorFlow.

Spec subclasses are dataclasses; they are saved as ``spec.json`` in every run (so ``zoo predict``
can speak in the dataset's own ids and words without reloading the data) and restored by the
``type`` field, ``module:ClassName`` of a subclass already defined, which is looked up, never
imported.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np

from zoo.errors import ZooError

TASKS = ("regression", "binary", "multiclass", "sequence")


@dataclass
class DatasetSpec:
    """What a builder may know about its data. Subclass it (as a dataclass) per family of data.

    Attributes:
        name: The dataset's name as registered.
        task: One of ``regression``, ``binary``, ``multiclass``, ``sequence``; it picks the
            default loss and metrics when the recipe names none.
        synthetic: True for data the zoo generates; shown wherever the dataset is reported.
    """

    name: str
    task: str
    synthetic: bool = False

    #: True when users give files (images) rather than values: ``zoo serve`` then takes each instance
    #: as a file's bytes (``{"b64": ...}``) and its page offers a file picker.
    input_files: ClassVar[bool] = False

    _types: ClassVar[dict[str, type[DatasetSpec]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        DatasetSpec._types[spec_type(cls)] = cls  # a module redefining its own class replaces it

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {', '.join(TASKS)}. Received: task={self.task!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"type": spec_type(type(self)), **dataclasses.asdict(self)}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> DatasetSpec:
        """The spec saved by ``to_dict``; its class must be defined already (the zoo loads the
        run's dataset plugin first). The type is a key, never imported from."""
        data = dict(data)
        kind = data.pop("type", "DatasetSpec")
        if kind == "DatasetSpec":
            return DatasetSpec(**data)
        cls = DatasetSpec._types.get(kind)
        if cls is None and ":" not in kind:  # a run saved before types named their module
            same = [c for c in DatasetSpec._types.values() if c.__name__ == kind]
            if len(same) > 1:
                raise ZooError(
                    f"spec type {kind!r} is defined by more than one plugin "
                    f"({', '.join(spec_type(c) for c in same)}); edit spec.json's type to name one"
                )
            cls = same[0] if same else None
        if cls is None:
            raise ZooError(f"spec type {kind!r} is not known; install or load the plugin that defines it")
        return cls(**data)

    # Hooks for the zoo's generic commands and tests; subclasses override what applies.
    @classmethod
    def example(cls) -> DatasetSpec:
        """A tiny valid spec, for the registry-driven build test of every builder."""
        raise NotImplementedError(f"{cls.__name__}.example() is not defined")

    def example_inputs(self, n: int, seed: int = 0) -> Any:
        """A batch of ``n`` model inputs shaped as this spec's adapter produces them."""
        raise NotImplementedError(f"{type(self).__name__}.example_inputs() is not defined")

    def example_raw_inputs(self, n: int, seed: int = 0) -> Any:
        """``n`` inputs as a user gives them to ``zoo predict`` (what ``encode_inputs`` takes); by
        default ``example_inputs``, for a spec whose ``encode_inputs`` is the identity. The test kit
        runs them through ``encode_inputs``, a tiny model and ``decode_outputs``."""
        return self.example_inputs(n, seed)

    def encode_inputs(self, raw: Any) -> Any:
        """Turn user-facing inputs (``zoo predict``) into model inputs; identity by default."""
        return raw

    def decode_outputs(self, outputs: Any) -> list[Any]:
        """Turn model outputs into what a user reads, one item per input (``zoo predict``).

        By default a classifier whose spec lists ``classes`` gives ``{"label", "probability"}``
        (the most likely class), anything else its numbers (a scalar when there is one).
        Subclasses override it to speak in the data's own terms (ratings within the scale, text).
        """
        rows = np.asarray(outputs, dtype="float64")
        rows = rows.reshape(len(rows), -1)
        classes = getattr(self, "classes", None)
        if classes and self.task == "binary" and rows.shape[1] == 1 and len(classes) == 2:
            return [decode_class(classes, [1.0 - p, p]) for p in rows[:, 0]]
        if classes and self.task == "multiclass" and rows.shape[1] == len(classes):
            return [decode_class(classes, row) for row in rows]
        return [float(row[0]) if len(row) == 1 else row.tolist() for row in rows]


def decode_class(classes: Sequence[str], probabilities: Sequence[float] | np.ndarray) -> dict[str, Any]:
    """``{"label": the most likely class, "probability": its probability}``."""
    best = int(np.argmax(probabilities))
    return {"label": classes[best], "probability": round(float(probabilities[best]), 6)}


def spec_type(cls: type[DatasetSpec]) -> str:
    """``module:ClassName``: unique across plugins, so that two plugins' ``TextSpec`` never collide."""
    return f"{cls.__module__}:{cls.__qualname__}"


@dataclass
class Split:
    """One split: arrays (``x`` an array or a dict of arrays, ``y`` the targets), or a stream.

    A stream is a ``tf.data.Dataset`` of single ``(x, y)`` samples (not batches): the zoo batches
    it by the recipe's ``batch_size``, so that one setting rules every split and every stage. A
    training stream reshuffles itself each epoch if it should (``image_dataset_from_directory`` does);
    ``count`` gives its number of samples, which ``meta.json`` records.
    """

    x: Any
    y: Any = None
    count: int | None = None

    @property
    def streams(self) -> bool:
        return hasattr(self.x, "element_spec")  # a tf.data.Dataset, told apart without importing TensorFlow

    def __len__(self) -> int:
        if self.count is not None:
            return self.count
        if self.streams:
            raise ValueError("a streaming split needs its count: Split(dataset, count=N)")
        first = next(iter(self.x.values())) if isinstance(self.x, dict) else self.x
        return len(first)

    def batches(self, batch_size: int) -> Any:
        """A stream batched by ``batch_size`` and prefetched; arrays as they are (Keras batches them)."""
        return self.x.batch(batch_size).prefetch(-1) if self.streams else self.x  # -1: tf.data.AUTOTUNE

    def input_batches(self, batch_size: int, limit: int | None = None) -> Iterator[Any]:
        """Batches of model inputs only (no targets), at most ``limit`` of them, in the split's order."""
        if self.streams:
            stream = self.batches(batch_size).map(lambda x, y: x)
            yield from stream.take(-1 if limit is None else limit)
            return
        stop = len(self) if limit is None else min(len(self), limit * batch_size)
        for start in range(0, stop, batch_size):
            if isinstance(self.x, dict):
                yield {k: v[start : start + batch_size] for k, v in self.x.items()}
            else:
                yield self.x[start : start + batch_size]

    def validation_data(self, batch_size: int) -> Any:
        """What ``fit(validation_data=...)`` takes: the batched stream, or ``(x, y)``."""
        return self.batches(batch_size) if self.streams else (self.x, self.y)

    def fit_arguments(self, batch_size: int) -> dict[str, Any]:
        """``x``, ``y`` and ``batch_size`` for Keras: a stream carries its targets and its batches."""
        if self.streams:
            return {"x": self.batches(batch_size)}
        return {"x": self.x, "y": self.y, "batch_size": batch_size}


SpecT = TypeVar("SpecT", bound=DatasetSpec)


@dataclass
class Dataset(Generic[SpecT]):
    """What an adapter returns: a spec and splits (``train`` required; ``validation``, ``test``).

    An adapter annotated ``-> Dataset[MySpec]`` tells the zoo its spec's class before any data is
    read: a recipe pairing it with a model that needs another spec is refused when it is resolved
    (``zoo build --dry-run`` included), not after the data loads.

    Attributes:
        checksum: Identifies the exact data (sha256 of the files read, or of the generator's
            parameters for synthetic data); recorded in the run's ``meta.json``.
        source: Where the data came from (a path, or ``generated``).
        documents: For text: yields the tokenized training documents (and unlabelled ones), for
            embedding providers that train on the dataset's own text.
    """

    spec: SpecT
    splits: dict[str, Split]
    checksum: str
    source: str = "generated"
    documents: Callable[[], Iterable[list[str]]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if "train" not in self.splits:
            raise ValueError(f"a dataset needs a 'train' split. Received: {sorted(self.splits)}")


@dataclass
class EmbeddingMatrix:
    """Rows aligned to a vocabulary: row ``i`` is the vector of word ``i``; row 0 is padding."""

    weights: np.ndarray
    hits: int
    misses: int
    checksum: str = ""

    @property
    def input_dim(self) -> int:
        return int(self.weights.shape[0])

    @property
    def output_dim(self) -> int:
        return int(self.weights.shape[1])


@dataclass
class Vectors:
    """Word vectors from a provider, before alignment to a dataset's vocabulary.

    Attributes:
        scale: Multiplies the aligned matrix (the lesson divides GloVe by 3: vectors far larger
            than a fresh embedding's saturate the layers above them).
    """

    words: Sequence[str]
    vectors: np.ndarray
    checksum: str = ""
    scale: float = 1.0
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    def matrix(self, vocabulary: Sequence[str | None], seed: int = 0) -> EmbeddingMatrix:
        """Align to ``vocabulary`` (index -> word; index 0 is padding and stays zero).

        Words without a vector get random vectors of the same scale as the known ones (the
        lesson's choice), so that fine-tuning can move them like any other row.
        """
        if not self._index:
            self._index = {w: i for i, w in enumerate(self.words)}
        rng = np.random.default_rng(seed)
        scale = float(self.vectors.std()) if self.vectors.size else 1.0
        weights = rng.normal(0.0, scale, (len(vocabulary), self.vectors.shape[1])).astype("float32")
        weights[0] = 0.0
        hits = 0
        for i, word in enumerate(vocabulary):
            row = self._index.get(word) if (i and word is not None) else None
            if row is not None:
                weights[i] = self.vectors[row]
                hits += 1
        checksum = self.checksum
        if self.scale != 1.0:
            weights *= self.scale
            checksum = sha256_of(checksum, f"scale={self.scale}")
        return EmbeddingMatrix(weights, hits=hits, misses=len(vocabulary) - 1 - hits, checksum=checksum)


def _home() -> Path:
    if os.environ.get("ZOO_HOME"):
        return Path(os.environ["ZOO_HOME"]).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "keras-zoo"


def data_home() -> Path:
    """Where adapters look for data when no ``path`` is given: ``$ZOO_DATA`` (a folder of datasets,
    which may be read-only), else ``$ZOO_HOME``, else ``~/.cache/keras-zoo``."""
    return Path(os.environ["ZOO_DATA"]).expanduser() if os.environ.get("ZOO_DATA") else _home()


def cache_home() -> Path:
    """Where the zoo writes what it can make again (downloads, tokenized text, features, drawn
    images): ``$ZOO_CACHE``, else ``$ZOO_HOME``, else ``~/.cache/keras-zoo``."""
    return Path(os.environ["ZOO_CACHE"]).expanduser() if os.environ.get("ZOO_CACHE") else _home()


def find_data(*names: str) -> Path | None:
    """The first of ``names`` (relative paths, in order of preference) found in the data home, then
    in the cache (where downloads go); None when none is there."""
    for home in dict.fromkeys((data_home(), cache_home())):
        for name in names:
            if (home / name).exists():
                return home / name
    return None


def sha256_of(*parts: bytes | str) -> str:
    """A short hex digest that identifies data (files' bytes, or generator parameters)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
    return digest.hexdigest()
