"""A saved run loaded back: its resolved recipe, dataset spec and model (in Keras's safe mode),
with the modules of the plugins that define its custom layers imported first."""

from __future__ import annotations

import importlib
import json
import os
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo.backend import import_keras
from zoo.catalog.specs import DatasetSpec
from zoo.errors import RunError, ZooError
from zoo.runs import layout
from zoo.runs.run import Run

if TYPE_CHECKING:
    import keras

    from zoo.catalog.registry import Registry
    from zoo.recipes.plan import Plan


@dataclass
class SavedRun:
    """A run directory loaded back: its resolved recipe, dataset spec and model (in safe mode).

    This is what plugin commands use (``zoo cf ...``, ``zoo embed ...`` do): ``load_run(path,
    registry)``, then ``saved.predict(raw)`` in the data's own terms, or ``saved.model`` and
    ``saved.spec`` directly. ``zoo.plugin.load_dataset(saved.plan)`` reloads the recipe's data.
    """

    run: Run
    plan: Plan
    spec: DatasetSpec
    model: keras.Model

    def predict(self, raw_inputs: Any) -> list[Any]:
        """Predictions for user-facing inputs: ``spec.encode_inputs``, the model, ``spec.decode_outputs``;
        one decoded prediction per input."""
        inputs = self.spec.encode_inputs(raw_inputs)
        try:
            outputs = self.model.predict(inputs, verbose=0)
        except (ValueError, TypeError) as exc:
            raise ZooError(
                f"the inputs do not fit the model: {str(exc).splitlines()[0]}; give inputs shaped as "
                f"{type(self.spec).__name__}.example_inputs makes them, or let the spec's encode_inputs turn "
                f"what a user types into that (docs/plugins.md)"
            ) from None
        return self.spec.decode_outputs(outputs)


def load_run(path: str | os.PathLike[str], registry: Registry, model: str = layout.MODEL) -> SavedRun:
    """Load the run at ``path`` with the plugins of ``registry`` (the running command's, with its
    ``--plugin`` files: ``zoo.plugin.pass_registry`` hands it to a plugin command).

    ``model`` may name another saved model of the run, such as ``checkpoints/best.keras``.
    """
    run = Run.open(path)
    status = run.read_json(layout.META).get("status") if (run.path / layout.META).exists() else None
    if status in layout.UNFINISHED and model == layout.MODEL:
        best = "; or use its best checkpoint (--checkpoint best)" if (run.path / layout.BEST).exists() else ""
        raise RunError(
            f"{run.path} did not finish training (status {status!r}): its model.keras is not a trained "
            f"model. Train it again{best}"
        )
    plan = plan_of_run(run, registry)
    return SavedRun(run, plan, spec_of_run(run, plan), load_run_model(run, plan, model))


def plan_of_run(run: Run, registry: Registry) -> Plan:
    """The run's ``recipe.yaml``, resolved against ``registry``."""
    from zoo.recipes.resolve import resolve

    try:
        return resolve(None, registry, config_files=(run.recipe_path,))
    except ZooError as exc:  # most often a plugin the run was built with is not loaded here
        raise type(exc)(f"{exc}{run._plugin_hint()}") from None


def spec_of_run(run: Run, plan: Plan) -> DatasetSpec:
    plan.dataset.load()  # defines the spec's class
    return DatasetSpec.from_dict(run.read_json(layout.SPEC))


def load_run_model(run: Run, plan: Plan, name: str = layout.MODEL) -> keras.Model:
    """The saved model, in safe mode, after importing the modules that define its custom layers."""
    import_keras()

    def prepare() -> None:
        plan.model.load()  # the builder's module
        import_custom_object_modules(run.path / name, plan.registry)  # and the modules of its registered layers

    return run.load_model(name, prepare=prepare)


def import_custom_object_modules(path: Path, registry: Registry | None) -> None:
    """Import the modules that define a saved model's custom objects, for ``safe_mode`` loading.

    Keras imports only its own packages when it loads a model; a plugin's registered layer must be
    imported first. Only modules of loaded plugins are imported, never one a file merely names.
    """
    try:
        with zipfile.ZipFile(path) as saved:
            config = json.loads(saved.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return  # Keras will report what is wrong with the file
    modules: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            module = node.get("module")
            if node.get("registered_name") and isinstance(module, str) and not module.startswith("keras"):
                modules.add(module)
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(config)
    plugins = registry.plugins.values() if registry else ()
    packages = {p.module.split(".")[0] for p in plugins if p.source != "file"}
    packages |= {n for n in sys.modules if n.startswith("zoo_local_plugin_")}
    for module in sorted(modules):
        if module.split(".")[0] in packages:
            importlib.import_module(module)
