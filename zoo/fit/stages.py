"""Fitting, with the stage as the unit: every stage of a recipe compiles the model (its loss,
metrics, optimizer and learning rate), freezes or unfreezes layers by name, and fits the whole
model, or only the layers above a named layer on their cached inputs.

``prepare`` builds a plan's model inside its distribution strategy and compiles it for the first
stage (what ``zoo.build`` returns); ``Fitter`` then runs every stage into a run directory with the
zoo's callbacks (``zoo.fit.callbacks``). The loss and metrics a recipe leaves ``auto`` are chosen
from the dataset's task once, in ``prepare``, and recorded in the plan, so the run's recipe.yaml
names them. Keras needs a recompile after ``trainable`` changes, hence one compile per stage.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from zoo.assembly.compose import Built, compose
from zoo.backend import import_keras, require_tensorflow
from zoo.catalog.specs import Split
from zoo.console import keras_verbose, note
from zoo.errors import RecipeError, brief, did_you_mean
from zoo.fit.callbacks import BestCheckpoint, Hold, RunLogger, recipe_callbacks
from zoo.fit.distribution import strategy_scope
from zoo.fit.features import features, split_at
from zoo.recipes.plan import AUTO, Plan, Stage, TrainConfig

if TYPE_CHECKING:
    import keras

    from zoo.runs.run import Run

#: The loss and metrics of a recipe that leaves them ``auto``, by the dataset's task.
DEFAULT_LOSS = {
    "regression": "mse",
    "binary": "binary_crossentropy",
    "multiclass": "sparse_categorical_crossentropy",
    "sequence": "sparse_categorical_crossentropy",
}
DEFAULT_METRICS = {
    "regression": ["mse", "mae"],
    "binary": ["accuracy"],
    "multiclass": ["accuracy"],
    "sequence": ["accuracy"],
}


def fill_task_defaults(train: TrainConfig, task: str) -> None:
    """Replace ``auto`` loss and metrics by the task's, once, so that everything after (compiling,
    recipe.yaml) reads the names chosen."""
    if train.loss == AUTO:
        train.loss = DEFAULT_LOSS[task]
    if train.metrics == AUTO:
        train.metrics = list(DEFAULT_METRICS[task])


def make_schedule(config: Mapping[str, Any]) -> Any:
    """A ``keras.optimizers.schedules`` schedule from ``{use: cosine-decay, ...its arguments}``
    (the class name, or its words joined by hyphens)."""
    keras = import_keras()
    use = str(config.get("use", ""))
    class_name = "".join(word[:1].upper() + word[1:] for word in use.split("-"))
    known = sorted(
        name
        for name, value in vars(keras.optimizers.schedules).items()
        if isinstance(value, type)
        and issubclass(value, keras.optimizers.schedules.LearningRateSchedule)
        and value is not keras.optimizers.schedules.LearningRateSchedule
    )
    if class_name not in known:
        raise RecipeError(
            f"train.optimizer.learning_rate: {use!r} is not a Keras learning-rate schedule"
            f"{did_you_mean(class_name, known) or ''} (schedules: {', '.join(known)})"
        )
    params = {k: v for k, v in config.items() if k != "use"}
    try:
        return getattr(keras.optimizers.schedules, class_name)(**params)
    except (TypeError, ValueError) as exc:
        raise RecipeError(
            f"train.optimizer.learning_rate: {brief(dict(config))} is not a valid {class_name}: {exc}"
        ) from None


def make_optimizer(config: dict[str, Any], learning_rate: float | None = None) -> Any:
    keras = import_keras()
    params = {k: v for k, v in config.items() if k != "use"}
    if learning_rate is not None:
        params["learning_rate"] = learning_rate
    elif isinstance(params.get("learning_rate"), Mapping):
        params["learning_rate"] = make_schedule(params["learning_rate"])
    try:
        return keras.optimizers.get({"class_name": config["use"], "config": params})
    except (ValueError, TypeError) as exc:
        raise RecipeError(f"train.optimizer: {config!r} is not a Keras optimizer: {exc}") from None


def compile_model(model: keras.Model, train: TrainConfig, learning_rate: float | None = None) -> None:
    """Compile with the recipe's optimizer (at ``learning_rate`` if given), loss and metrics;
    ``fill_task_defaults`` has replaced any ``auto``."""
    if train.loss == AUTO or train.metrics == AUTO:
        raise ValueError("fill_task_defaults(train, task) first: the loss or metrics are still 'auto'")
    try:
        model.compile(optimizer=make_optimizer(train.optimizer, learning_rate), loss=train.loss, metrics=train.metrics)
    except ValueError as exc:
        raise RecipeError(f"train: cannot compile with loss={train.loss!r}, metrics={train.metrics!r}: {exc}") from None


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
            names = [layer.name for layer in layers]
            raise RecipeError(
                f"train.stages: no layer named {pattern!r} to {'unfreeze' if trainable else 'freeze'}"
                f"{did_you_mean(pattern, names)} (layers: {', '.join(names)})"
            )
        for layer in matched:
            layer.trainable = trainable
            changed.append(layer.name)
    return changed


def preflight(built: Built) -> None:
    """Refuse, before the run folder is written, what would otherwise fail in the middle of training:
    a later stage's layer names, a ``cache_features`` layer the model cannot be split at, a model
    whose classes are not the dataset's, a learning-rate schedule with a callback that sets the rate."""
    keras = import_keras()
    plan, model = built.plan, built.model
    layers = list(all_layers(model))
    for stage in plan.train.stages:
        for pattern, verb in [*((p, "freeze") for p in stage.freeze), *((p, "unfreeze") for p in stage.unfreeze)]:
            if not any(fnmatch.fnmatchcase(layer.name, pattern) for layer in layers):
                names = [layer.name for layer in layers]
                raise RecipeError(
                    f"train.stages: no layer named {pattern!r} to {verb}{did_you_mean(pattern, names)} "
                    f"(layers: {', '.join(names)})"
                )
        if stage.cache_features:
            split_at(model, str(stage.cache_features))
    _check_classes(built)
    schedule = isinstance(plan.train.optimizer.get("learning_rate"), Mapping)
    setters = [
        c
        for c in recipe_callbacks(plan, built.dataset.spec)
        if isinstance(c, (keras.callbacks.ReduceLROnPlateau, keras.callbacks.LearningRateScheduler))
    ]
    if schedule and setters and any(stage.learning_rate is None for stage in plan.train.stages):
        raise RecipeError(
            f"train: the optimizer's learning rate is a schedule, and callback {type(setters[0]).__name__} "
            f"sets the rate too, which Keras cannot do to a schedule; keep one of them"
        )


def _check_classes(built: Built) -> None:
    """A classifier's output must have one unit per class of the dataset (one for a binary sigmoid)."""
    spec = built.dataset.spec
    classes = getattr(spec, "classes", None)
    if not classes or spec.task not in ("binary", "multiclass"):
        return
    units = built.model.outputs[0].shape[-1]
    fits = units == len(classes) if spec.task == "multiclass" else units in (1, len(classes))
    if not fits:
        raise RecipeError(
            f"model {built.plan.model.use!r} outputs {units} class(es), and dataset {built.plan.dataset.use!r} "
            f"has {len(classes)} ({', '.join(map(str, classes[:10]))}); set model.classes={len(classes)}, "
            f"or leave it out to follow the dataset"
        )


def compile_stage(built: Built, stage: Stage) -> None:
    """Apply a stage's freezing and learning rate, and compile the whole model for it."""
    set_trainable(built.model, stage.freeze, False)
    set_trainable(built.model, stage.unfreeze, True)
    with built.scope():
        compile_model(built.model, built.plan.train, stage.learning_rate)


def prepare(plan: Plan) -> Built:
    """Build the plan's model inside its distribution strategy and compile it for the first stage."""
    # A strategy the backend lacks, or a bad optimizer setting, fails before any data is read. The
    # strategy comes first: a multi-worker one must be made before TensorFlow runs anything.
    if plan.train.distribute is not None:
        require_tensorflow(f"train.distribute: {plan.train.distribute}")
    scope = strategy_scope(plan.train.distribute)
    make_optimizer(plan.train.optimizer)
    built = compose(plan, scope)
    fill_task_defaults(plan.train, built.dataset.spec.task)
    splits = built.dataset.splits
    if splits["train"].streams and plan.train.validation_split and "validation" not in splits:
        raise RecipeError(
            f"train.validation_split: dataset {plan.dataset.use!r} streams its data, which Keras cannot split; "
            f"set the dataset's own validation, or train.validation_split: 0"
        )
    compile_stage(built, plan.train.stages[0])
    return built


def monitor_of(train: TrainConfig, has_validation: bool) -> str:
    """``val_loss`` needs validation data; without it the same quantity on the training set."""
    if train.monitor.startswith("val_") and not has_validation:
        return train.monitor[4:]
    return train.monitor


class Fitter:
    """Fits a prepared model stage after stage into ``run``, one ``history.csv`` row per epoch.

    The first stage was compiled by ``prepare``; each later one compiles again. A stage with
    ``cache_features`` fits only the head above that layer, on features computed once and cached.
    ``hold`` keeps a Ctrl-C from interrupting a file of the run while it is written.
    """

    def __init__(self, built: Built, run: Run, hold: Hold, verbose: Any = "auto") -> None:
        self.built, self.run, self.hold, self.verbose = built, run, hold, verbose
        train, splits = built.plan.train, built.dataset.splits
        self.monitor = monitor_of(train, "validation" in splits or train.validation_split > 0)
        self.rows: list[dict[str, Any]] = []

    def fit(self) -> list[dict[str, Any]]:
        for index, stage in enumerate(self.built.plan.train.stages):
            if index > 0:
                compile_stage(self.built, stage)
            if stage.epochs:
                self.fit_stage(index, stage)
        return self.rows

    def fit_stage(self, index: int, stage: Stage) -> None:
        """One stage's ``model.fit``, its epochs numbered after the earlier stages'."""
        built, train = self.built, self.built.plan.train
        model, splits = (built.model, built.dataset.splits) if not stage.cache_features else self.head(stage)
        fit_split, validation = splits["train"], splits.get("validation")
        keras = import_keras()
        callbacks = [
            RunLogger(self.run, self.rows, index, self.hold),
            BestCheckpoint(self.run, built.model, self.monitor, index, self.hold),
            keras.callbacks.TerminateOnNaN(),
        ]
        if train.early_stopping is not None:
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor=self.monitor, patience=train.early_stopping, restore_best_weights=True
                )
            )
        done = len(self.rows)
        model.fit(
            **fit_split.fit_arguments(train.batch_size),
            epochs=done + stage.epochs,
            initial_epoch=done,
            validation_data=None if validation is None else validation.validation_data(train.batch_size),
            validation_split=train.validation_split if validation is None else 0.0,
            shuffle=not fit_split.streams,  # a stream shuffles itself (Keras warns otherwise)
            callbacks=[*callbacks, *recipe_callbacks(built.plan, built.dataset.spec)],
            verbose=keras_verbose(self.verbose),
        )

    def head(self, stage: Stage) -> tuple[keras.Model, dict[str, Split]]:
        """The layers above the stage's ``cache_features`` layer, compiled for the stage, and every
        split but ``test`` as their cached inputs."""
        built, train, layer = self.built, self.built.plan.train, str(stage.cache_features)
        base, head = split_at(built.model, layer)
        splits = {}
        for name, split in built.dataset.splits.items():
            if name == "test":
                continue  # reported by the whole model at the end, never trained or chosen on
            cached = features(base, split, train.batch_size, f"{built.dataset.checksum} {name} {layer}")
            splits[name] = Split(cached.x, cached.y)
            if self.verbose != 0:
                how = "read from the cache" if cached.cached else "computed and cached"
                note(
                    f"features of {layer!r} for {len(split)} {name} samples {how} in "
                    f"{cached.seconds:.1f} s ({cached.path})"
                )
        with built.scope():
            compile_model(head, train, stage.learning_rate)
        return head, splits
