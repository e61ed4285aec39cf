"""Compiling and freezing: the loss, metrics and optimizer a recipe names, and which layers train.

Keras needs a recompile after ``trainable`` changes, so every stage compiles afresh (with the
stage's learning rate); layers are frozen by name or fnmatch pattern, nested sub-models included.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .backend import import_keras
from .errors import RecipeError, brief, did_you_mean
from .plan import TrainConfig
from .specs import DatasetSpec

if TYPE_CHECKING:
    import keras

#: The loss and metrics a recipe gets when it names none, by the dataset's task.
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


def compile_model(
    model: keras.Model, train: TrainConfig, spec: DatasetSpec, learning_rate: float | None = None
) -> None:
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
            raise RecipeError(
                f"train.stages: no layer named {pattern!r} to {'unfreeze' if trainable else 'freeze'}; layers: {names}"
            )
        for layer in matched:
            layer.trainable = trainable
            changed.append(layer.name)
    return changed
