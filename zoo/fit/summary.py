"""What a finished run achieved, said in a few lines at the end of ``zoo train``: the epochs and
the one kept, a baseline for scale, the backend that ran, and what to do next.

The baseline is what a model that learned nothing from the inputs scores on each held-out split,
from the training targets alone: the training mean (regression), the majority class
(classification), the characters' training frequencies (sequences). It needs the targets as
arrays; a streamed dataset gets none.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from zoo.catalog.specs import Dataset
from zoo.runs import layout
from zoo.runs.run import Run


def baseline(dataset: Dataset) -> dict[str, Any] | None:
    """``{"what": what it is, "scores": {split: score}}`` for the held-out splits (recorded in
    ``meta.json``), or None when the task or the data gives none."""
    train = dataset.splits["train"]
    held_out = {
        name: split
        for name, split in dataset.splits.items()
        if name != "train" and split.y is not None and (split.streams or len(split))
    }
    if train.streams or train.y is None or not held_out or any(s.streams for s in held_out.values()):
        return None
    y = np.asarray(train.y)
    task = dataset.spec.task
    if task == "regression":
        mean = float(y.mean())
        scores = {n: float(np.mean((np.asarray(s.y, "float64") - mean) ** 2)) for n, s in held_out.items()}
        return {"what": f"the training mean ({mean:.3f}) as every prediction: mse", "scores": scores}
    labels = y.astype("int64").ravel()
    if task in ("binary", "multiclass"):
        majority = int(np.bincount(labels).argmax())
        scores = {n: float(np.mean(np.asarray(s.y).astype("int64").ravel() == majority)) for n, s in held_out.items()}
        return {"what": f"the majority class ({majority}) as every prediction: accuracy", "scores": scores}
    if task == "sequence":
        counts = np.bincount(labels).astype("float64") + 1.0  # add-one, so an unseen character is not infinite
        log_p = np.log(counts / counts.sum())
        scores = {}
        for name, split in held_out.items():
            ids = np.asarray(split.y).astype("int64").ravel()
            scores[name] = float(-np.mean(log_p[np.minimum(ids, len(log_p) - 1)]))
        return {"what": "the characters' training frequencies: loss (nats)", "scores": scores}
    return None


def kept(trained: int, planned: int, best: Mapping[str, Any] | None, early_stopping: bool) -> str:
    """The epochs trained, what model.keras holds, and the best checkpoint's epoch."""
    line = f"{trained} epoch{'s' * (trained != 1)}"
    if trained < planned:
        line += f" of {planned} planned (early stopping ended a stage)"
    if early_stopping:  # Keras's EarlyStopping(restore_best_weights=True) restores them whether it stopped or not
        line += "; model.keras holds the last stage's best weights"
    if best:
        epoch = int(best["epoch"]) + 1
        line += f"; the best {best['monitor']}={best['value']:.4f} at epoch {epoch} is checkpoints/best.keras"
    return line


def closing_lines(run: Run, planned_epochs: int, early_stopping: bool) -> list[str]:
    """The lines ``zoo train`` ends with, after the metrics, from what the run recorded."""
    meta = run.read_json(layout.META)
    rows = run.read_history()
    lines = [f"trained {kept(len(rows), planned_epochs, meta.get('best'), early_stopping)}"]
    found = meta.get("baseline")
    if found:
        figures = ", ".join(f"{split} {score:.4f}" for split, score in found["scores"].items() if math.isfinite(score))
        lines.append(f"for scale, {found['what']}: {figures}")
    backend = meta.get("versions", {}).get("backend") or {}
    lines.append(f"ran on Keras's {backend.get('name')} backend {backend.get('version') or ''}".rstrip())
    lines.append(
        f"next: zoo evaluate {run.path}; zoo predict {run.path} INPUT...; zoo runs {run.path.parent}; "
        f"zoo export {run.path} --format onnx; zoo serve {run.path}"
    )
    return lines
