"""The end of `zoo train`: epochs and the one kept, a baseline for scale, the backend, what next."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from zoo.catalog.specs import Dataset, DatasetSpec, Split
from zoo.fit.summary import baseline


def dataset(task: str, train_y: list, validation_y: list) -> Dataset:
    x = np.zeros((len(train_y), 1))
    splits = {
        "train": Split(x, np.array(train_y)),
        "validation": Split(np.zeros((len(validation_y), 1)), np.array(validation_y)),
    }
    return Dataset(DatasetSpec(name="d", task=task), splits, checksum="-")


def test_the_baselines_of_each_task():
    regression = baseline(dataset("regression", [1.0, 3.0], [2.0, 4.0]))
    assert regression["scores"] == {"validation": pytest.approx((0 + 4) / 2)}  # the mean 2 as every prediction
    majority = baseline(dataset("binary", [1, 1, 0], [1, 0, 0, 0]))
    assert majority["scores"] == {"validation": 0.25} and "majority class (1)" in majority["what"]
    sequence = baseline(dataset("sequence", [[0, 0, 0, 1]], [[0, 1]]))
    p0, p1 = 4 / 6, 2 / 6  # add-one counts: 3+1 and 1+1
    assert sequence["scores"]["validation"] == pytest.approx(-(math.log(p0) + math.log(p1)) / 2)
    assert baseline(dataset("regression", [1.0], [])) is None  # nothing held out
    assert (
        baseline(Dataset(DatasetSpec(name="d", task="regression"), {"train": Split(np.zeros((2, 1)), np.ones(2))}, "-"))
        is None
    )


def test_zoo_train_ends_with_what_the_run_achieved(run_cli, tmp_path):
    result = run_cli("train", "tiny-linear-points", "--out", "run", "--set", "train.epochs=2")
    lines = result.stderr.splitlines()
    meta = json.loads((tmp_path / "run" / "meta.json").read_text())
    best = meta["best"]
    trained = f"zoo: trained 2 epochs; the best val_loss={best['value']:.4f} at epoch {best['epoch'] + 1}"
    assert f"{trained} is checkpoints/best.keras" in lines
    mse = meta["baseline"]["scores"]["validation"]
    assert f"zoo: for scale, {meta['baseline']['what']}: validation {mse:.4f}" in lines
    assert any(line.startswith("zoo: ran on Keras's ") for line in lines)
    following = "zoo evaluate run; zoo predict run INPUT...; zoo runs .; zoo export run --format onnx; zoo serve run"
    assert f"zoo: next: {following}" in lines
    quiet = run_cli("train", "tiny-linear-points", "--out", "quiet", "--set", "train.epochs=1", "-q")
    assert "zoo: trained" not in quiet.stderr


def test_the_summary_says_when_early_stopping_ended_a_stage(run_cli):
    stages = "train.stages=[{epochs: 10, learning_rate: 0.0}, {epochs: 10, learning_rate: 0.0}]"
    result = run_cli("train", "tiny-linear-points", "--out", "run", "--set", stages, "--set", "train.early_stopping=1")
    assert (
        "zoo: trained 4 epochs of 20 planned (early stopping ended a stage); model.keras holds the last stage's "
        "best weights; the best val_loss="
    ) in result.stderr
