"""Listing and comparing run folders from their JSON and YAML alone: no Keras, no TensorFlow, so
``zoo runs`` answers as fast as ``zoo list``.

A run's status is its ``meta.json``'s (``built``, ``training``, ``complete``, ``interrupted``,
``failed``), except that a run still marked ``training`` whose process is gone from this machine is
``killed``: it ended without the zoo hearing of it (``kill -9``, out of memory, a lost machine).
"""

from __future__ import annotations

import fnmatch
import json
import os
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from zoo.errors import RunError
from zoo.runs import layout

#: Metrics where higher is better (Keras's own rule for ``mode="auto"``); every other is lower-better.
_HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "r2", "f1")


@dataclass
class RunSummary:
    """One row of ``zoo runs``."""

    path: Path
    name: str
    recipe: str
    version: int | None
    status: str
    backend: str | None
    epochs: int | None
    best_epoch: int | None
    headline: str | None  # the metric that stands for the run: the recipe's first metric
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    fit_s: float | None = None
    created: str | None = None

    def value(self, key: str) -> Any:
        """A sortable value: ``split.metric`` (``test.accuracy``), or a field (``fit_s``, ``created``)."""
        split, dot, metric = key.partition(".")
        if dot:
            return self.metrics.get(split, {}).get(metric)
        if key not in {f for f in self.__dataclass_fields__ if f not in ("path", "metrics")}:
            raise RunError(
                f"--sort {key!r}: give SPLIT.METRIC (such as test.accuracy or validation.loss), or one of "
                f"name, recipe, status, epochs, fit_s, created"
            )
        return getattr(self, key)

    def to_dict(self) -> dict[str, Any]:
        return {k: str(v) if isinstance(v, Path) else v for k, v in vars(self).items()}


def higher_is_better(metric: str) -> bool:
    return any(word in metric for word in _HIGHER_IS_BETTER)


def find_runs(roots: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Every run folder in ``roots``: a root that is a run itself, or the runs directly inside it."""
    found: list[Path] = []
    for root in map(Path, roots):
        if (root / layout.RECIPE).is_file():
            found.append(root)
        elif root.is_dir():
            found.extend(sorted(p for p in root.iterdir() if (p / layout.RECIPE).is_file()))
        else:
            raise RunError(f"{root}: no such folder; give run folders, or folders holding them (default ./runs)")
    return found


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return None  # unreadable: the run is shown as damaged, the listing goes on


def _recipe(path: Path) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 1,000 runs in well under a second
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _alive(process: Mapping[str, Any] | None) -> bool | None:
    """Whether the process that wrote a run still runs; None when that cannot be told from here."""
    if not process or process.get("host") != socket.gethostname() or not isinstance(process.get("pid"), int):
        return None
    try:
        os.kill(process["pid"], 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def summarize(path: Path) -> RunSummary:
    meta, metrics = _read_json(path / layout.META), _read_json(path / layout.METRICS)
    # meta.json names the recipe (runs made before it did: parse recipe.yaml, 1 ms a run)
    recipe = (meta or {}).get("recipe") or _recipe(path / layout.RECIPE)
    status = "damaged" if meta is None or metrics is None else str(meta.get("status", "unknown"))
    meta, metrics = meta or {}, metrics or {}
    if status == "training" and _alive(meta.get("process")) is False:
        status = "killed"
    train: dict[str, Any] = recipe["train"] if isinstance(recipe.get("train"), dict) else recipe
    chosen = train["metrics"] if isinstance(train.get("metrics"), list) else []
    best = meta.get("best") or {}
    return RunSummary(
        path=path,
        name=path.name,
        recipe=str(recipe.get("name") or meta.get("name") or "?"),
        version=recipe.get("version"),
        status=status,
        backend=(meta.get("versions", {}).get("backend") or {}).get("name"),
        epochs=meta.get("epochs"),
        best_epoch=None if "epoch" not in best else int(best["epoch"]) + 1,
        headline=str(chosen[0]) if chosen else None,
        metrics={split: dict(values) for split, values in metrics.items() if isinstance(values, dict)},
        fit_s=(meta.get("timings") or {}).get("fit_s"),
        created=meta.get("created"),
    )


def list_runs(
    roots: Iterable[str | os.PathLike[str]],
    *,
    recipe: str | None = None,
    status: str | None = None,
    sort: str | None = None,
) -> list[RunSummary]:
    """The runs under ``roots``, filtered by recipe name (fnmatch) and status; ``sort`` puts the best
    first for a metric (in the direction the metric declares), else ascending; newest first by default."""
    rows = [summarize(path) for path in find_runs(roots)]
    rows = [r for r in rows if (recipe is None or fnmatch.fnmatchcase(r.recipe, recipe))]
    rows = [r for r in rows if (status is None or r.status == status)]
    if sort is None:
        return sorted(rows, key=lambda r: r.created or "", reverse=True)
    for row in rows:
        row.value(sort)  # an unknown key is one line, before sorting
    present = [r for r in rows if r.value(sort) is not None]
    descending = "." in sort and higher_is_better(sort.partition(".")[2])
    present.sort(key=lambda r: r.value(sort), reverse=descending)
    return present + [r for r in rows if r.value(sort) is None]


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    """``{"train": {"batch_size": 64}}`` -> ``{"train.batch_size": 64}``; lists stay values."""
    if not isinstance(data, Mapping):
        return {prefix: data}
    flat: dict[str, Any] = {}
    for key, value in data.items():
        flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _settings(path: Path) -> dict[str, Any]:
    return {k: v for k, v in flatten(_recipe(path / layout.RECIPE)).items() if k not in ("summary", "tags")}


def compare(paths: list[Path]) -> tuple[dict[str, list[Any]], dict[str, list[float | None]]]:
    """The recipe keys whose values differ between the runs, and every metric (``split.metric``) of
    any of them, each a list with one value per run (None where a run lacks it)."""
    # a recipe's summary and tags describe it; they are not settings to compare
    recipes = [_settings(path) for path in paths]
    keys = list(dict.fromkeys(k for recipe in recipes for k in recipe))
    differing = {k: [r.get(k) for r in recipes] for k in keys if len({repr(r.get(k)) for r in recipes}) > 1}
    scores = [flatten(_read_json(path / layout.METRICS) or {}) for path in paths]
    names = list(dict.fromkeys(k for score in scores for k in score))
    return differing, {k: [s.get(k) for s in scores] for k in names}
