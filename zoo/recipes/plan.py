"""A resolved recipe: the ``Plan`` (one ``Component`` per section, every default filled) and the
schemas of the ``build`` and ``train`` sections (``BuildConfig``, ``TrainConfig``, ``Stage``), which
``zoo show`` and the docs read."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

import yaml

from zoo.errors import PluginError, RecipeError, ZooError

if TYPE_CHECKING:
    from zoo.catalog.registry import Entry, Registry

COMPONENTS = ("dataset", "embedding", "model")  # each section is named after the kind it uses


@dataclass(kw_only=True)
class Stage:
    """One fit stage.

    Args:
        epochs: Epochs to train in this stage.
        learning_rate: Overrides the optimizer's learning rate for this stage.
        freeze: Layer names (fnmatch patterns) to make non-trainable from this stage on.
        unfreeze: Layer names (fnmatch patterns) to make trainable again from this stage on.
        cache_features: A layer name: this stage trains only the layers above it, on its outputs
            computed once by the layers up to it (in inference mode, without augmentation) and
            cached on disk, keyed by the data and those layers' weights. Many epochs of a head
            cost what one epoch of the whole model would.
    """

    epochs: int = 1
    learning_rate: float | None = None
    freeze: list[str] = field(default_factory=list)
    unfreeze: list[str] = field(default_factory=list)
    cache_features: str | None = None


#: ``train.loss`` and ``train.metrics`` by default: chosen from the dataset's task when the data is
#: loaded, and recorded in the run's recipe.yaml as the names chosen.
AUTO: Final = "auto"


@dataclass(kw_only=True)
class BuildConfig:
    """Changes made to the model when it is built, before any training.

    Args:
        initial_weights: Start from these weights, by layer name: a run directory, a ``.keras``
            file, a Keras ``.h5`` weights file, or a name the model registers (``imagenet``).
            Layers the file lacks, or holds with other shapes, keep their initialisation; the
            report is printed and saved in ``meta.json``.
        insert_batchnorm: Layer names to follow with BatchNormalization set to leave the
            outputs unchanged (calibrated on ``calibration_batches`` training batches), after
            ``initial_weights`` are loaded: the lesson's VGG16BN from a trained VGG16.
        calibration_batches: Training batches that calibrate ``insert_batchnorm``.
    """

    initial_weights: str | None = None
    insert_batchnorm: list[str] = field(default_factory=list)
    calibration_batches: int = 10


@dataclass(kw_only=True)
class TrainConfig:
    """How a model is compiled and fit. ``train.epochs: N`` is shorthand for the epochs of a
    one-stage recipe (``--set train.epochs=3``), folded into ``stages`` when the recipe is resolved.

    Args:
        optimizer: A Keras optimizer: ``{use: adam, learning_rate: 0.001, ...}`` (any of its
            constructor arguments). ``learning_rate`` may be a schedule of
            ``keras.optimizers.schedules`` by name: ``{use: cosine-decay, initial_learning_rate:
            0.002, decay_steps: 10000}``.
        loss: A Keras loss name, or ``auto``: chosen from the dataset's task (mse for
            regression, binary or sparse categorical cross-entropy for classification).
        metrics: Keras metric names, or ``auto``: chosen from the dataset's task.
        batch_size: Samples per gradient step.
        seed: Seeds Python, NumPy and TensorFlow (``keras.utils.set_random_seed``).
        stages: Fit stages, run in order; each may freeze or unfreeze layers and change the
            learning rate (the model is recompiled for every stage).
        monitor: The logged quantity that picks the best checkpoint and drives early stopping.
        early_stopping: Stop a stage after this many epochs without improvement of
            ``monitor``, keeping the best weights; null to never stop early.
        validation_split: Fraction of the training split held out for validation when the
            dataset has no validation split of its own.
        distribute: A TensorFlow distribution strategy: ``mirrored`` (all local GPUs) or
            ``multi-worker`` (``TF_CONFIG``); null for the default device.
        callbacks: Keras callbacks by registered name, each ``{use: NAME, ...its parameters}``
            (``zoo list callbacks``), made afresh for every stage.
    """

    optimizer: dict[str, Any] = field(default_factory=lambda: {"use": "adam", "learning_rate": 0.001})
    loss: str = AUTO
    metrics: list[str] | Literal["auto"] = AUTO
    batch_size: int = 32
    seed: int = 0
    stages: list[Stage] = field(default_factory=lambda: [Stage(epochs=1)])
    monitor: str = "val_loss"
    early_stopping: int | None = None
    validation_split: float = 0.0
    distribute: Literal["mirrored", "multi-worker"] | None = None
    callbacks: list[dict[str, Any]] = field(default_factory=list)

    def require_epochs(self) -> None:
        """Training zero epochs is a mistake `zoo train` (and its ``--dry-run``) refuses."""
        if not any(stage.epochs for stage in self.stages):
            raise RecipeError(
                "train.stages: every stage has 0 epochs, so nothing would be trained; give a stage "
                "epochs (--set train.epochs=N), or use `zoo build` for an untrained model"
            )


# -- the plan -----------------------------------------------------------------------------------


@dataclass
class Component:
    """A validated recipe section: the registered entry and every parameter, defaults filled."""

    use: str
    entry: Entry
    params: dict[str, Any]
    #: The distribution that installed the entry's plugin, named when its code fails.
    distribution: str | None = None

    def load(self) -> Any:
        return self.entry.load()

    def call(self, *injected: Any) -> Any:
        """Call the target with what the zoo passes (spec, dataset, embedding) and the recipe's
        parameters. A ``ValueError`` is the recipe's mistake (targets check their arguments first,
        as Keras does): one line naming the target. Any other exception is a bug in the plugin's
        code: one line naming the plugin and its distribution, the traceback chained (``--debug``)."""
        target = self.load()
        what = f"{self.entry.kind} {self.use!r} (plugin {self.entry.plugin!r})"
        try:
            return target(*injected, **self.params)
        except (ZooError, MemoryError):
            raise
        except ValueError as exc:
            raise RecipeError(f"{what}: {exc}") from exc
        except Exception as exc:
            if type(exc).__name__ == "ResourceExhaustedError":  # TensorFlow's out of memory: the caller's to word
                raise
            source = f"distribution {self.distribution}" if self.distribution else "a plugin file"
            raise PluginError(
                f"{what} failed inside its code with {type(exc).__name__}: {exc}; this is a bug of the plugin's "
                f"({source}): report it to its authors (`zoo --debug ...` shows the traceback)"
            ) from exc


@dataclass
class Plan:
    """A fully resolved, validated recipe: what ``zoo build`` and ``zoo train`` execute."""

    name: str
    summary: str
    dataset: Component
    model: Component
    train: TrainConfig
    embedding: Component | None = None
    build: BuildConfig = field(default_factory=BuildConfig)
    #: Raised whenever the recipe's behaviour changes under the same name; recorded in recipe.yaml.
    version: int = 1
    #: ``train.callbacks``, each validated against its registered factory.
    callbacks: list[Component] = field(default_factory=list)
    #: The registry the plan was resolved with: its plugins describe and load what the plan names.
    registry: Registry | None = field(default=None, repr=False, compare=False)

    def to_recipe(self) -> dict[str, Any]:
        """The resolved recipe as plain YAML-ready data (every default filled in)."""
        recipe: dict[str, Any] = {"name": self.name, "version": self.version, "summary": self.summary}
        for section in COMPONENTS:
            component = getattr(self, section)
            if component is not None:
                recipe[section] = {"use": component.use, **component.params}
        recipe["build"] = dataclasses.asdict(self.build)
        recipe["train"] = dataclasses.asdict(self.train)
        return plain(recipe)


def plain(value: Any) -> Any:
    """Tuples to lists and YamlMaps to dicts, so that YAML and JSON dump plain data."""
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def dump_recipe(recipe: Mapping[str, Any]) -> str:
    return yaml.safe_dump(plain(recipe), sort_keys=False, default_flow_style=None, width=120)
