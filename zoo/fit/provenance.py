"""What a run records about how it was made: ``meta.json`` (versions, backend, plugins and their
distributions, data and embedding checksums, sizes, timings), ``recipe.yaml``, ``spec.json``, and
the built model, saved as a run directory."""

from __future__ import annotations

import math
import os
import platform
import socket
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo._version import __version__
from zoo.assembly.compose import Built
from zoo.backend import describe_backend, import_keras
from zoo.fit import distribution
from zoo.recipes.plan import Plan
from zoo.runs import layout
from zoo.runs.run import Run

if TYPE_CHECKING:
    import keras


def environment() -> dict[str, Any]:
    import numpy

    keras = import_keras()
    return {
        "zoo": __version__,
        "keras": keras.__version__,
        "backend": describe_backend(),
        "numpy": numpy.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def describe_plugins(plan: Plan) -> dict[str, Any]:
    used = {}
    for section in ("dataset", "embedding", "model"):
        component = getattr(plan, section)
        if component is not None:
            plugin = plan.registry.plugins.get(component.entry.plugin) if plan.registry else None
            used[section] = {
                "use": component.use,
                "plugin": component.entry.plugin,
                "target": component.entry.target_path,
                "distribution": plugin.distribution if plugin else None,
                "version": plugin.version if plugin else None,
            }
    return used


def count_params(model: keras.Model) -> dict[str, int]:
    """Parameter counts from the weights' shapes (no copy of any weight to the host)."""

    def size(weights: list[Any]) -> int:
        return sum(math.prod(w.shape) for w in weights)

    trainable, total = size(model.trainable_weights), size(model.weights)
    return {"total": total, "trainable": trainable, "non_trainable": total - trainable}


def save_built(built: Built, out: str | os.PathLike[str], force: bool, status: str) -> Run:
    run = Run.create(out, force=force)
    run.write_recipe(built.plan.to_recipe())
    run.write_json(layout.SPEC, built.dataset.spec.to_dict())
    run.write_json(
        layout.META,
        {
            "name": built.plan.name,
            "status": status,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
            # which process writes the run: `zoo runs` calls a run still "training" whose process is gone "killed"
            "process": {"host": socket.gethostname(), "pid": os.getpid()},
            "seed": built.plan.train.seed,
            # what `zoo runs` shows of the recipe, so that listing runs parses no YAML
            "recipe": {"name": built.plan.name, "version": built.plan.version, "metrics": built.plan.train.metrics},
            "versions": environment(),
            "plugins": describe_plugins(built.plan),
            "dataset": {
                "checksum": built.dataset.checksum,
                "source": built.dataset.source,
                "synthetic": built.dataset.spec.synthetic,
                "splits": {k: len(v) for k, v in built.dataset.splits.items()},
            },
            "embedding": None
            if built.embedding is None
            else {
                "checksum": built.embedding.checksum,
                "hits": built.embedding.hits,
                "misses": built.embedding.misses,
                "shape": list(built.embedding.weights.shape),
            },
            "initial_weights": None if built.initial_weights is None else built.initial_weights.to_dict(),
            "params": count_params(built.model),
            "distribution": distribution.describe(built.plan.train.distribute),
            "timings": built.timings,
        },
    )
    optimizer = built.model.optimizer
    if optimizer is not None and not optimizer.built:
        # An unbuilt optimizer saves without its slots and warns when the run is loaded.
        with built.scope():
            optimizer.build(built.model.trainable_variables)
    run.save_model(built.model)
    return run
