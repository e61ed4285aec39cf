"""From a plan to a compiled model, one function per arrow::

    Plan.dataset   -> load_dataset   -> Dataset(spec, splits)
    Plan.embedding -> load_embedding -> Vectors -> .matrix(spec.vocabulary) -> EmbeddingMatrix
    Plan.model     -> build_model    -> keras.Model (functional, uncompiled)
    build_plan: seed, all three, the initial weights (``zoo.weights``) and inserted batch
        normalization (``zoo.batchnorm``), then compile for the first stage (``zoo.stages``)

Keras and TensorFlow are imported inside these functions only.
"""

from __future__ import annotations

import inspect
import math
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .backend import import_keras, require_tensorflow
from .batchnorm import insert_batchnorm
from .distribution import strategy_scope
from .errors import PluginError, RecipeError
from .params import injected_annotation
from .plan import Plan, Stage
from .specs import Dataset, DatasetSpec, EmbeddingMatrix, Vectors
from .stages import (
    DEFAULT_LOSS,
    DEFAULT_METRICS,
    compile_model,
    make_optimizer,
    set_trainable,
)
from .weights import WeightsReport, load_weights_by_name

if TYPE_CHECKING:
    import keras


@dataclass
class Built:
    """A built and compiled model with what went into it."""

    plan: Plan
    dataset: Dataset
    embedding: EmbeddingMatrix | None
    model: keras.Model
    timings: dict[str, float] = field(default_factory=dict)
    scope: Any = None  # the distribution strategy's scope factory, reused when recompiling
    initial_weights: WeightsReport | None = None  # what train.initial_weights loaded


def load_dataset(plan: Plan) -> Dataset:
    adapter = plan.dataset.load()
    dataset = adapter(**plan.dataset.params)
    if not isinstance(dataset, Dataset):
        raise PluginError(
            f"dataset {plan.dataset.use!r} returned {type(dataset).__name__}, "
            f"not zoo.specs.Dataset (a bug in plugin {plan.dataset.entry.plugin!r})"
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
    provider = plan.embedding.load()
    vectors = provider(dataset, **plan.embedding.params)
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
            f"not zoo.specs.Vectors or EmbeddingMatrix"
        )
    return vectors.matrix(vocabulary, seed=plan.train.seed)


def _allocation(exc: BaseException) -> str:
    """What could not be allocated, from TensorFlow's out-of-memory message (or the error's name)."""
    shape = re.search(r"shape\[([\d,]+)\]", str(exc))
    if not shape:
        return type(exc).__name__
    dims = [int(d) for d in shape.group(1).split(",")]
    return f"a tensor of shape {dims} ({math.prod(dims) * 4 / 2**30:,.0f} GiB of float32)"


def build_model(plan: Plan, spec: DatasetSpec, embedding: EmbeddingMatrix | None = None) -> keras.Model:
    keras = import_keras()
    builder = plan.model.load()
    wanted = injected_annotation(builder, 0)
    # No annotation (or one only a type checker can read) means no check. On Python 3.11
    # typing.Any is a class, so it is ruled out by name before isinstance is asked.
    if (
        wanted is not Any
        and inspect.isclass(wanted)
        and issubclass(wanted, DatasetSpec)
        and not isinstance(spec, wanted)
    ):
        raise RecipeError(
            f"model {plan.model.use!r} needs a {wanted.__name__}, but dataset "
            f"{plan.dataset.use!r} gives a {type(spec).__name__}; pick a matching dataset"
        )
    args = (spec, embedding) if embedding is not None else (spec,)
    try:
        model = builder(*args, **plan.model.params)
    except Exception as exc:
        if isinstance(exc, MemoryError) or type(exc).__name__ == "ResourceExhaustedError":
            raise RecipeError(
                f"model {plan.model.use!r} does not fit in memory: {_allocation(exc)}; make it smaller"
            ) from None
        if not isinstance(exc, ValueError):  # a bug of the plugin's: its traceback helps
            raise
        raise RecipeError(f"model {plan.model.use!r}: {exc}") from exc  # arguments checked first, as Keras does
    if not isinstance(model, keras.Model):
        raise PluginError(f"model {plan.model.use!r} returned {type(model).__name__}, not keras.Model")
    return model


def prepare_stage(built: Built, stage: Stage) -> None:
    """Apply a stage's freezing and learning rate; Keras needs a recompile after either."""
    set_trainable(built.model, stage.freeze, False)
    set_trainable(built.model, stage.unfreeze, True)
    with built.scope():
        compile_model(built.model, built.plan.train, built.dataset.spec, stage.learning_rate)


def build_plan(plan: Plan) -> Built:
    """Seed, load the data and the embedding, build the model and compile it for the first stage."""
    keras = import_keras()
    # A strategy the backend lacks, or a bad optimizer setting, fails before any data is read. The
    # strategy comes first: a multi-worker one must be made before TensorFlow runs anything.
    if plan.train.distribute is not None:
        require_tensorflow(f"train.distribute: {plan.train.distribute}")
    scope = strategy_scope(plan.train.distribute)
    make_optimizer(plan.train.optimizer)
    timings: dict[str, float] = {}
    keras.utils.set_random_seed(plan.train.seed)
    start = time.perf_counter()
    dataset = load_dataset(plan)
    embedding = load_embedding(plan, dataset)
    # Defaults that depend on the data are filled in here, so recipe.yaml records what was used.
    plan.train.loss = plan.train.loss or DEFAULT_LOSS[dataset.spec.task]
    if plan.train.metrics is None:
        plan.train.metrics = DEFAULT_METRICS[dataset.spec.task]
    if dataset.splits["train"].streams and plan.train.validation_split and "validation" not in dataset.splits:
        raise RecipeError(
            f"train.validation_split: dataset {plan.dataset.use!r} streams its data, which Keras cannot split; "
            f"set the dataset's own validation, or train.validation_split: 0"
        )
    timings["data_s"] = round(time.perf_counter() - start, 3)
    start = time.perf_counter()
    with scope():
        model = build_model(plan, dataset.spec, embedding)
        report = None
        if plan.train.initial_weights:
            report = load_weights_by_name(model, plan.train.initial_weights, plan.model.entry, plan.registry)
        if plan.train.insert_batchnorm:
            calibration = dataset.splits["train"].input_batches(plan.train.batch_size, plan.train.calibration_batches)
            model = insert_batchnorm(model, plan.train.insert_batchnorm, calibration)
    built = Built(plan, dataset, embedding, model, timings, scope, report)
    prepare_stage(built, plan.train.stage_list()[0])
    timings["build_s"] = round(time.perf_counter() - start, 3)
    return built
