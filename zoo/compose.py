"""The data flow of a recipe, one function per arrow::

    Plan.dataset   -> load_dataset   -> Dataset(spec, splits)
    Plan.embedding -> load_embedding -> Vectors -> .matrix(spec.vocabulary) -> EmbeddingMatrix
    Plan.model     -> build_model    -> keras.Model (functional, uncompiled)
    Plan.train     -> compile_model, fit_stages -> trained model -> evaluate -> Run

Keras and TensorFlow are imported inside these functions only.
"""

from __future__ import annotations

import contextlib
import fnmatch
import inspect
import math
import os
import platform
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .backend import describe_backend, import_keras, require_tensorflow
from .console import keras_verbose, note
from .errors import PluginError, RecipeError, RunError, ZooError
from .params import injected_annotation
from .recipes import Plan, Stage, TrainConfig
from .runs import Run, SavedRun, default_run_dir
from .specs import Dataset, DatasetSpec, EmbeddingMatrix, Vectors

if TYPE_CHECKING:
    import keras

#: The loss and metrics a recipe gets when it names none, by the dataset's task.
DEFAULT_LOSS = {"regression": "mse", "binary": "binary_crossentropy",
                "multiclass": "sparse_categorical_crossentropy", "sequence": "sparse_categorical_crossentropy"}
DEFAULT_METRICS = {"regression": ["mse", "mae"], "binary": ["accuracy"], "multiclass": ["accuracy"],
                   "sequence": ["accuracy"]}


class Interrupted(ZooError):
    """Ctrl-C during training: the run directory is left readable with its best checkpoint."""

    exit_code = 130


@dataclass
class Built:
    """A built and compiled model with what went into it."""

    plan: Plan
    dataset: Dataset
    embedding: EmbeddingMatrix | None
    model: keras.Model
    timings: dict[str, float] = field(default_factory=dict)
    scope: Any = None  # the distribution strategy's scope factory, reused when recompiling


# -- one function per arrow ---------------------------------------------------------------------


def load_dataset(plan: Plan) -> Dataset:
    adapter = plan.dataset.load()
    dataset = adapter(**plan.dataset.params)
    if not isinstance(dataset, Dataset):
        raise PluginError(f"dataset {plan.dataset.use!r} returned {type(dataset).__name__}, "
                          f"not zoo.specs.Dataset (a bug in plugin {plan.dataset.entry.plugin!r})")
    return dataset


def load_embedding(plan: Plan, dataset: Dataset) -> EmbeddingMatrix | None:
    if plan.embedding is None:
        return None
    vocabulary = getattr(dataset.spec, "vocabulary", None)
    if vocabulary is None:
        raise RecipeError(f"embedding {plan.embedding.use!r} needs a dataset with a vocabulary; "
                          f"dataset {plan.dataset.use!r} has none: remove the embedding section")
    provider = plan.embedding.load()
    vectors = provider(dataset, **plan.embedding.params)
    if isinstance(vectors, EmbeddingMatrix):  # computed from this dataset, so already aligned to it
        if vectors.input_dim != len(vocabulary):
            raise PluginError(f"embedding {plan.embedding.use!r} returned {vectors.input_dim} rows for a vocabulary "
                              f"of {len(vocabulary)}; an EmbeddingMatrix needs one row per vocabulary id")
        return vectors
    if not isinstance(vectors, Vectors):
        raise PluginError(f"embedding {plan.embedding.use!r} returned {type(vectors).__name__}, "
                          f"not zoo.specs.Vectors or EmbeddingMatrix")
    return vectors.matrix(vocabulary, seed=plan.train.seed)


def build_model(plan: Plan, spec: DatasetSpec, embedding: EmbeddingMatrix | None = None) -> keras.Model:
    keras = import_keras()
    builder = plan.model.load()
    wanted = injected_annotation(builder, 0)
    # No annotation (or one only a type checker can read) means no check. On Python 3.11
    # typing.Any is a class, so it is ruled out by name before isinstance is asked.
    if wanted is not Any and inspect.isclass(wanted) and issubclass(wanted, DatasetSpec) \
            and not isinstance(spec, wanted):
        raise RecipeError(f"model {plan.model.use!r} needs a {wanted.__name__}, but dataset "
                          f"{plan.dataset.use!r} gives a {type(spec).__name__}; pick a matching dataset")
    args = (spec, embedding) if embedding is not None else (spec,)
    try:
        model = builder(*args, **plan.model.params)
    except ValueError as exc:  # Keras builders check their arguments and raise ValueError
        raise RecipeError(f"model {plan.model.use!r}: {exc}") from exc
    if not isinstance(model, keras.Model):
        raise PluginError(f"model {plan.model.use!r} returned {type(model).__name__}, not keras.Model")
    return model


def make_optimizer(config: dict[str, Any], learning_rate: float | None = None) -> Any:
    keras = import_keras()
    params = {k: v for k, v in config.items() if k != "use"}
    if learning_rate is not None:
        params["learning_rate"] = learning_rate
    try:
        return keras.optimizers.get({"class_name": config["use"], "config": params})
    except (ValueError, TypeError) as exc:
        raise RecipeError(f"train.optimizer: {config!r} is not a Keras optimizer: {exc}") from None


def compile_model(model: keras.Model, train: TrainConfig, spec: DatasetSpec,
                  learning_rate: float | None = None) -> None:
    loss = train.loss or DEFAULT_LOSS[spec.task]
    metrics = DEFAULT_METRICS[spec.task] if train.metrics is None else train.metrics
    try:
        model.compile(optimizer=make_optimizer(train.optimizer, learning_rate), loss=loss, metrics=metrics)
    except ValueError as exc:
        raise RecipeError(f"train: cannot compile with loss={loss!r}, metrics={metrics!r}: {exc}") from None


def all_layers(model: Any) -> Iterator[Any]:
    """Every layer, descending into nested models (a sub-model's layers can be frozen by name)."""
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from all_layers(layer)


def set_trainable(model: keras.Model, patterns: list[str], trainable: bool) -> list[str]:
    """Set ``trainable`` on layers whose name matches a pattern; an unmatched pattern is an error."""
    layers = list(all_layers(model))
    changed = []
    for pattern in patterns:
        matched = [layer for layer in layers if fnmatch.fnmatchcase(layer.name, pattern)]
        if not matched:
            names = ", ".join(layer.name for layer in layers)
            raise RecipeError(f"train.stages: no layer named {pattern!r} to "
                              f"{'unfreeze' if trainable else 'freeze'}; layers: {names}")
        for layer in matched:
            layer.trainable = trainable
            changed.append(layer.name)
    return changed


def prepare_stage(built: Built, stage: Stage) -> None:
    """Apply a stage's freezing and learning rate; Keras needs a recompile after either."""
    set_trainable(built.model, stage.freeze, False)
    set_trainable(built.model, stage.unfreeze, True)
    with built.scope():
        compile_model(built.model, built.plan.train, built.dataset.spec, stage.learning_rate)


def strategy_scope(name: str | None) -> Any:
    """A factory of the TensorFlow distribution strategy's scope (or of a null context)."""
    if name is None:
        return contextlib.nullcontext
    import tensorflow as tf

    strategy = (tf.distribute.MirroredStrategy() if name == "mirrored"
                else tf.distribute.MultiWorkerMirroredStrategy())
    return strategy.scope


def build_plan(plan: Plan) -> Built:
    """Seed, load the data and the embedding, build the model and compile it for the first stage."""
    keras = import_keras()
    # A bad optimizer setting, or a strategy the backend lacks, fails before any data is read.
    make_optimizer(plan.train.optimizer)
    if plan.train.distribute is not None:
        require_tensorflow(f"train.distribute: {plan.train.distribute}")
    timings: dict[str, float] = {}
    keras.utils.set_random_seed(plan.train.seed)
    start = time.perf_counter()
    dataset = load_dataset(plan)
    embedding = load_embedding(plan, dataset)
    # Defaults that depend on the data are filled in here, so recipe.yaml records what was used.
    plan.train.loss = plan.train.loss or DEFAULT_LOSS[dataset.spec.task]
    if plan.train.metrics is None:
        plan.train.metrics = DEFAULT_METRICS[dataset.spec.task]
    timings["data_s"] = round(time.perf_counter() - start, 3)
    start = time.perf_counter()
    scope = strategy_scope(plan.train.distribute)
    with scope():
        model = build_model(plan, dataset.spec, embedding)
    built = Built(plan, dataset, embedding, model, timings, scope)
    prepare_stage(built, plan.train.stage_list()[0])
    timings["build_s"] = round(time.perf_counter() - start, 3)
    return built


# -- saving ---------------------------------------------------------------------------------------


def environment() -> dict[str, Any]:
    import numpy

    keras = import_keras()
    return {"zoo": __version__, "keras": keras.__version__, "backend": describe_backend(),
            "numpy": numpy.__version__, "python": platform.python_version(), "platform": platform.platform()}


def describe_plugins(plan: Plan) -> dict[str, Any]:
    used = {}
    for section in ("dataset", "embedding", "model"):
        component = getattr(plan, section)
        if component is not None:
            plugin = plan.registry.plugins.get(component.entry.plugin) if plan.registry else None
            used[section] = {"use": component.use, "plugin": component.entry.plugin,
                             "target": component.entry.target_path,
                             "distribution": plugin.distribution if plugin else None,
                             "version": plugin.version if plugin else None}
    return used


def count_params(model: keras.Model) -> dict[str, int]:
    """Parameter counts from the weights' shapes (no copy of any weight to the host)."""
    def size(weights: list[Any]) -> int:
        return sum(math.prod(w.shape) for w in weights)

    trainable, total = size(model.trainable_weights), size(model.weights)
    return {"total": total, "trainable": trainable, "non_trainable": total - trainable}


def check_out_free(out: str | os.PathLike[str], force: bool) -> None:
    """Fail before any slow work if ``out`` holds something and ``force`` is not given."""
    path = Path(out)
    if path.exists() and (not path.is_dir() or any(path.iterdir())) and not force:
        raise RunError(f"{path} already exists and is not empty; pass --force to replace it, or choose another --out")


def save_built(built: Built, out: str | os.PathLike[str], force: bool, status: str) -> Run:
    run = Run.create(out, force=force)
    run.write_recipe(built.plan.to_recipe())
    run.write_json("spec.json", built.dataset.spec.to_dict())
    run.write_json("meta.json", {
        "name": built.plan.name, "status": status, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]), "seed": built.plan.train.seed,
        "versions": environment(), "plugins": describe_plugins(built.plan),
        "dataset": {"checksum": built.dataset.checksum, "source": built.dataset.source,
                    "synthetic": built.dataset.spec.synthetic,
                    "splits": {k: len(v) for k, v in built.dataset.splits.items()}},
        "embedding": None if built.embedding is None else {
            "checksum": built.embedding.checksum, "hits": built.embedding.hits, "misses": built.embedding.misses,
            "shape": list(built.embedding.weights.shape)},
        "params": count_params(built.model), "timings": built.timings,
    })
    optimizer = built.model.optimizer
    if optimizer is not None and not optimizer.built:
        # An unbuilt optimizer saves without its slots and warns when the run is loaded.
        with built.scope():
            optimizer.build(built.model.trainable_variables)
    run.save_model(built.model)
    return run


# -- training -------------------------------------------------------------------------------------


def _monitor(train: TrainConfig, has_validation: bool) -> str:
    """``val_loss`` needs validation data; without it the same quantity on the training set."""
    if train.monitor.startswith("val_") and not has_validation:
        return train.monitor[4:]
    return train.monitor


def _callbacks(run: Run, rows: list[dict[str, Any]], stage: int, monitor: str, train: TrainConfig) -> list[Any]:
    keras = import_keras()

    class RunLogger(keras.callbacks.Callback):
        """Writes history.csv after every epoch, so an interrupted run keeps its history."""

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            rows.append({"epoch": epoch, "stage": stage, **{k: float(v) for k, v in (logs or {}).items()}})
            run.write_history(rows)

    class BestCheckpoint(keras.callbacks.EarlyStopping):
        """Saves the best model by ``monitor``, atomically: Keras's ModelCheckpoint writes in place,
        and an interrupt during that write would leave no good checkpoint at all.

        It is an EarlyStopping that never stops, so that "best" follows Keras's own rule (the
        direction the metric declares, ``mode="auto"``), the same rule early stopping uses.
        """

        def __init__(self) -> None:
            super().__init__(monitor=monitor, mode="auto", patience=2**31 - 1)

        def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
            super().on_train_begin(logs)
            earlier = run.read_json("meta.json").get("best")  # set by an earlier stage, if any
            self.best = None if earlier is None else earlier["value"]

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            before = self.best
            super().on_epoch_end(epoch, logs)
            if self.best is not None and self.best is not before:  # this epoch improved on the best
                self.best = float(self.best)
                run.save_model(self.model, "checkpoints/best.keras")
                run.update_meta(best={"monitor": monitor, "value": self.best, "epoch": epoch, "stage": stage})

    callbacks = [RunLogger(), BestCheckpoint(), keras.callbacks.TerminateOnNaN()]
    if train.early_stopping is not None:
        callbacks.append(keras.callbacks.EarlyStopping(monitor=monitor, patience=train.early_stopping,
                                                       restore_best_weights=True))
    return callbacks


def fit_stages(built: Built, run: Run, verbose: Any = "auto") -> list[dict[str, Any]]:
    """Fit every stage in turn; returns one row per epoch (also written to ``history.csv``)."""
    train, dataset = built.plan.train, built.dataset
    fit_split, validation = dataset.splits["train"], dataset.splits.get("validation")
    monitor = _monitor(train, validation is not None or train.validation_split > 0)
    rows: list[dict[str, Any]] = []
    for index, stage in enumerate(train.stage_list()):
        if index > 0:
            prepare_stage(built, stage)
        if stage.epochs == 0:
            continue
        done = len(rows)
        built.model.fit(
            fit_split.x, fit_split.y, batch_size=train.batch_size, epochs=done + stage.epochs, initial_epoch=done,
            validation_data=(validation.x, validation.y) if validation is not None else None,
            validation_split=train.validation_split if validation is None else 0.0,
            callbacks=_callbacks(run, rows, index, monitor, train), verbose=keras_verbose(verbose),
        )
    return rows


def evaluate(model: keras.Model, dataset: Dataset, batch_size: int, splits: tuple[str, ...] = ("validation", "test")
             ) -> dict[str, dict[str, float]]:
    results = {}
    for name in splits:
        split = dataset.splits.get(name)
        if split is not None:
            scores = model.evaluate(split.x, split.y, batch_size=batch_size, return_dict=True, verbose=0)
            results[name] = {k: float(v) for k, v in scores.items()}
    return results


def train_plan(plan: Plan, out: str | os.PathLike[str] | None = None, force: bool = False,
               verbose: Any = "auto") -> Run:
    """Build, fit every stage, evaluate and save; Ctrl-C keeps the best checkpoint.

    ``verbose`` is Keras's (0, 1, 2 or "auto": a progress bar on a terminal, one line per epoch
    otherwise); with 0 the zoo prints nothing of its own either.
    """
    out = out if out is not None else default_run_dir(plan.name)
    check_out_free(out, force)
    built = build_plan(plan)
    run = save_built(built, out, force, status="training")
    if verbose != 0:
        note(f"training {plan.name!r} into {run.path}")
    start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    try:
        rows = fit_stages(built, run, verbose=verbose)
    except KeyboardInterrupt:
        rows = run.read_history()
        run.plot_history(rows)
        best = run.path / "checkpoints" / "best.keras"
        if best.exists():
            shutil.copyfile(best, run.path / "model.keras")
        run.update_meta(status="interrupted", epochs=len(rows))
        raise Interrupted(f"interrupted after {len(rows)} epoch(s); {run.path} holds the history and "
                          f"{'the best checkpoint (also saved as model.keras)' if best.exists() else 'no checkpoint yet'}") from None
    fit_s = time.perf_counter() - start
    metrics = evaluate(built.model, built.dataset, plan.train.batch_size)
    run.save_model(built.model)
    run.write_json("metrics.json", metrics)
    run.plot_history(rows)
    meta = run.read_json("meta.json")
    run.update_meta(status="complete", epochs=len(rows),
                    timings={**meta["timings"], "fit_s": round(fit_s, 3),
                             "epoch_s": round(fit_s / max(len(rows), 1), 3)})
    return run


# -- saved runs -----------------------------------------------------------------------------------


def evaluate_run(saved: SavedRun, splits: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Reload the recipe's dataset and evaluate the saved model; warns if the data changed."""
    plan, model = saved.plan, saved.model
    dataset = load_dataset(plan)
    checksum = saved.run.read_json("meta.json").get("dataset", {}).get("checksum")
    if checksum and checksum != dataset.checksum:
        print(f"zoo: warning: the data differs from the data this run was built on "
              f"(checksum {dataset.checksum[:12]} != {checksum[:12]})", file=sys.stderr)
    compile_model(model, plan.train, dataset.spec)
    return evaluate(model, dataset, plan.train.batch_size, splits)
