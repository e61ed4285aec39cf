"""From a plan to a model, one function per arrow::

    Plan.dataset   -> load_dataset   -> Dataset(spec, splits)
    Plan.embedding -> load_embedding -> Vectors -> .matrix(spec.vocabulary) -> EmbeddingMatrix
    Plan.model     -> build_model    -> keras.Model (functional, uncompiled)
    compose: seed, all three, then the recipe's ``build`` changes: initial weights by layer name
        (``zoo.assembly.weights``) and inserted batch normalization (``zoo.assembly.batchnorm``)

The model comes back uncompiled: compiling belongs to the stage that fits it (``zoo.fit.stages``).
Keras and TensorFlow are imported inside these functions only.
"""

from __future__ import annotations

import contextlib
import math
import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from zoo.assembly.batchnorm import insert_batchnorm
from zoo.assembly.weights import WeightsReport, load_weights_by_name
from zoo.backend import import_keras
from zoo.catalog.params import needed_spec
from zoo.catalog.specs import Dataset, DatasetSpec, EmbeddingMatrix, Vectors
from zoo.errors import PluginError, RecipeError
from zoo.recipes.plan import Plan

if TYPE_CHECKING:
    import keras

#: Where variables are made: a distribution strategy's scope, or none (``zoo.fit.distribution``).
Scope = Callable[[], AbstractContextManager[Any]]


@dataclass
class Built:
    """A built model with what went into it."""

    plan: Plan
    dataset: Dataset
    embedding: EmbeddingMatrix | None
    model: keras.Model
    timings: dict[str, float] = field(default_factory=dict)
    scope: Scope = contextlib.nullcontext  # reused whenever the model is compiled again
    initial_weights: WeightsReport | None = None  # what build.initial_weights loaded


def load_dataset(plan: Plan) -> Dataset:
    dataset = plan.dataset.call()
    if not isinstance(dataset, Dataset):
        raise PluginError(
            f"dataset {plan.dataset.use!r} returned {type(dataset).__name__}, "
            f"not zoo.plugin.Dataset (a bug in plugin {plan.dataset.entry.plugin!r})"
        )
    return dataset


def load_embedding(plan: Plan, dataset: Dataset) -> EmbeddingMatrix | None:
    if plan.embedding is None:
        return None
    vocabulary = getattr(dataset.spec, "vocabulary", None)
    if vocabulary is None:
        raise RecipeError(
            f"embedding {plan.embedding.use!r} needs a dataset with a vocabulary; "
            f"dataset {plan.dataset.use!r} has none: remove the embedding section"
        )
    vectors = plan.embedding.call(dataset)
    if isinstance(vectors, EmbeddingMatrix):  # computed from this dataset, so already aligned to it
        if vectors.input_dim != len(vocabulary):
            raise PluginError(
                f"embedding {plan.embedding.use!r} returned {vectors.input_dim} rows for a vocabulary "
                f"of {len(vocabulary)}; an EmbeddingMatrix needs one row per vocabulary id"
            )
        return vectors
    if not isinstance(vectors, Vectors):
        raise PluginError(
            f"embedding {plan.embedding.use!r} returned {type(vectors).__name__}, "
            f"not zoo.plugin.Vectors or EmbeddingMatrix"
        )
    return vectors.matrix(vocabulary, seed=plan.train.seed)


def _allocation(exc: BaseException) -> str:
    """What could not be allocated, from TensorFlow's out-of-memory message (or the error's name)."""
    shape = re.search(r"shape\[([\d,]+)\]", str(exc))
    if not shape:
        return type(exc).__name__
    dims = [int(d) for d in shape.group(1).split(",")]
    return f"a tensor of shape {dims} ({math.prod(dims) * 4 / 2**30:,.0f} GiB of float32)"


def check_spec_type(plan: Plan, spec_class: type[DatasetSpec]) -> None:
    """The model's first parameter names the spec class it needs; refuse another dataset's spec."""
    wanted = needed_spec(plan.model.load(), spec_class)
    if wanted is not None:
        raise RecipeError(
            f"model {plan.model.use!r} needs a {wanted.__name__}, but dataset "
            f"{plan.dataset.use!r} gives a {spec_class.__name__}; pick a matching dataset"
        )


def build_model(plan: Plan, spec: DatasetSpec, embedding: EmbeddingMatrix | None = None) -> keras.Model:
    keras = import_keras()
    check_spec_type(plan, type(spec))
    try:
        model = plan.model.call(spec, embedding) if embedding is not None else plan.model.call(spec)
    except MemoryError as exc:
        raise RecipeError(
            f"model {plan.model.use!r} does not fit in memory: {_allocation(exc)}; make it smaller"
        ) from None
    except Exception as exc:
        if type(exc).__name__ != "ResourceExhaustedError":
            raise
        raise RecipeError(
            f"model {plan.model.use!r} does not fit in memory: {_allocation(exc)}; make it smaller"
        ) from None
    if not isinstance(model, keras.Model):
        raise PluginError(f"model {plan.model.use!r} returned {type(model).__name__}, not keras.Model")
    return model


def compose(plan: Plan, scope: Scope = contextlib.nullcontext) -> Built:
    """Seed, load the data and the embedding, build the model (inside ``scope``) and apply the
    recipe's ``build`` changes. The model is not compiled."""
    keras = import_keras()
    timings: dict[str, float] = {}
    keras.utils.set_random_seed(plan.train.seed)
    start = time.perf_counter()
    dataset = load_dataset(plan)
    embedding = load_embedding(plan, dataset)
    timings["data_s"] = round(time.perf_counter() - start, 3)
    start = time.perf_counter()
    with scope():
        model = build_model(plan, dataset.spec, embedding)
        report = None
        if plan.build.initial_weights:
            report = load_weights_by_name(model, plan.build.initial_weights, plan.model.entry, plan.registry)
        if plan.build.insert_batchnorm:
            calibration = dataset.splits["train"].input_batches(plan.train.batch_size, plan.build.calibration_batches)
            model = insert_batchnorm(model, plan.build.insert_batchnorm, calibration)
    timings["build_s"] = round(time.perf_counter() - start, 3)
    return Built(plan, dataset, embedding, model, timings, scope, report)
