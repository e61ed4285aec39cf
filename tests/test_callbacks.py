"""The built-in `callbacks` plugin: Keras's callbacks under recipe names, and time-limit."""

from __future__ import annotations

import pytest

import zoo
from zoo.errors import ZooError

RECIPE = "tiny-linear-points"  # the test suite's own plugin (tiny_plugin.py)


def test_a_time_limit_stops_training_within_its_budget(tmp_path):
    run = zoo.train(
        RECIPE,
        out=str(tmp_path / "run"),
        verbose=0,
        train={"epochs": 1000, "callbacks": [{"use": "time-limit", "minutes": 0.001}]},
    )
    assert run.read_json("meta.json")["epochs"] == 1  # stopped after its first batch, as 0.06 s allow
    assert run.read_json("meta.json")["status"] == "complete"


def test_kerass_callbacks_by_name_train_and_are_recorded(tmp_path):
    callbacks = [{"use": "reduce-lr-on-plateau", "patience": 1}]
    run = zoo.train(RECIPE, out=str(tmp_path / "run"), verbose=0, train={"epochs": 2, "callbacks": callbacks})
    recorded = run.read_recipe()["train"]["callbacks"]
    assert recorded[0] == {
        "use": "reduce-lr-on-plateau",
        "monitor": "val_loss",
        "factor": 0.5,
        "patience": 1,
        "min_delta": 0.0001,
        "cooldown": 0,
        "min_lr": 0.0,
    }


def test_tensorboard_writes_logs_or_says_what_to_install(tmp_path):
    import importlib.util

    callbacks = [{"use": "tensorboard", "log_dir": str(tmp_path / "tb")}]
    if importlib.util.find_spec("tensorboard") is None:
        with pytest.raises(ZooError, match=r"^the tensorboard callback .*: pip install tensorboard$"):
            zoo.train(RECIPE, out=str(tmp_path / "run"), verbose=0, train={"callbacks": callbacks})
        assert not (tmp_path / "run").exists()  # refused before the run was written
    else:
        zoo.train(RECIPE, out=str(tmp_path / "run"), verbose=0, train={"callbacks": callbacks})
        assert any((tmp_path / "tb").rglob("events.out.tfevents.*"))


def test_bad_callback_settings_are_one_line():
    with pytest.raises(ZooError, match=r"train.callbacks\[0\].minutes: expected float, got 'soon' \(str\)"):
        zoo.resolve(RECIPE, train={"callbacks": [{"use": "time-limit", "minutes": "soon"}]})
    with pytest.raises(ValueError, match=r"minutes must be more than 0. Received: minutes=0"):
        zoo.train(RECIPE, verbose=0, train={"callbacks": [{"use": "time-limit", "minutes": 0}]})
