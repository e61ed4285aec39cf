"""Building, training and saving runs end to end, on small synthetic data."""

from __future__ import annotations

import errno
import json
import os

import numpy as np
import pytest

import zoo
from zoo.assembly import compose
from zoo.errors import RecipeError, RunError
from zoo.fit import stages as fit_stages
from zoo.fit import training
from zoo.fit.stages import prepare
from zoo.runs.files import write_atomic
from zoo.runs.run import Run

pytestmark = pytest.mark.backends  # also run on JAX in CI (.ci/run)

RECIPE = "tiny-linear-points"  # the test suite's own plugin (tiny_plugin.py)
SMALL = ["--set", "dataset.n_samples=120", "--set", "model.units=4"]
ROW = "[0.1, 0.2, 0.3, 0.4]"  # one row of the tiny points' four features


def small(**sections):
    base = {"dataset": {"n_samples": 120}, "model": {"units": 4}}
    for key, value in sections.items():
        base[key] = {**base.get(key, {}), **value}
    return base


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One small trained run, shared by the tests that only read it."""
    out = tmp_path_factory.mktemp("trained") / "run"
    return zoo.train(RECIPE, out=str(out), **small(train={"stages": [{"epochs": 2}]}))


def test_train_writes_a_complete_run(trained):
    files = sorted(p.relative_to(trained.path).as_posix() for p in trained.path.rglob("*") if p.is_file())
    assert files == [
        "checkpoints/best.keras",
        "history.csv",
        "learning_curves.png",
        "meta.json",
        "metrics.json",
        "model.keras",
        "recipe.yaml",
        "spec.json",
    ]
    meta = trained.read_json("meta.json")
    assert meta["status"] == "complete" and meta["epochs"] == 2 and meta["seed"] == 0
    assert set(meta["versions"]) >= {"zoo", "keras", "backend", "numpy"}
    import keras

    assert meta["versions"]["backend"]["name"] == keras.backend.backend()
    assert meta["versions"]["backend"]["version"]
    assert meta["dataset"]["synthetic"] is True and len(meta["dataset"]["checksum"]) == 64
    assert meta["plugins"]["model"] == {
        "use": "tiny-linear",
        "plugin": "tiny_plugin",
        "target": "zoo_local_plugin_tiny_plugin:tiny_linear",
        "distribution": None,
        "version": None,
    }
    assert meta["best"]["monitor"] == "val_loss"
    assert set(meta["timings"]) == {"data_s", "build_s", "fit_s", "epoch_s"}
    metrics = trained.read_json("metrics.json")
    assert set(metrics["validation"]) == {"loss", "mse", "mae"}
    history = trained.read_history()
    assert [row["epoch"] for row in history] == [0, 1]
    assert history[-1]["val_loss"] == pytest.approx(metrics["validation"]["loss"], rel=1e-4)
    assert (trained.path / "learning_curves.png").read_bytes()[:4] == b"\x89PNG"
    recipe = trained.read_recipe()
    assert recipe["train"]["loss"] == "mse" and recipe["train"]["metrics"] == ["mse", "mae"]  # resolved defaults


def test_saved_models_load_in_safe_mode(trained):
    import keras

    for name in ("model.keras", "checkpoints/best.keras"):
        model = keras.saving.load_model(trained.path / name, safe_mode=True)
        assert model.name == "tiny_linear"


def test_evaluate_and_predict_a_saved_run(trained, run_cli):
    out = run_cli("evaluate", str(trained.path), "--json").stdout
    assert json.loads(out)["validation"]["mse"] == pytest.approx(
        trained.read_json("metrics.json")["validation"]["mse"], rel=1e-4
    )
    lines = run_cli("predict", str(trained.path), ROW, "[0, 0, 0, 0]").stdout.splitlines()
    predictions = [json.loads(line) for line in lines]
    assert [p["input"] for p in predictions] == [[0.1, 0.2, 0.3, 0.4], [0, 0, 0, 0]]
    assert all(isinstance(p["prediction"], float) for p in predictions)
    error = run_cli("predict", str(trained.path), "[1, 2]", code=1).stderr
    assert error == "Error: expected rows of 4 features; got 2\n"


def test_rebuilding_from_the_saved_recipe_gives_the_same_model(trained, run_cli, tmp_path):
    run_cli("build", "-c", str(trained.recipe_path), "--out", str(tmp_path / "again"))
    rebuilt = Run(tmp_path / "again")
    assert rebuilt.read_recipe() == trained.read_recipe()
    fresh = zoo.build(RECIPE, **small(train={"stages": [{"epochs": 2}]}))
    again = rebuilt.load_model()
    for a, b in zip(fresh.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)  # same seed, same initial weights


def test_a_run_of_a_local_plugin_file_evaluates_and_predicts_with_that_file(run_cli, write_file, tmp_path):
    plugin = write_file(
        "my.py",
        """
        from zoo import hookimpl

        def my_dense(spec, *, units: int = 3):
            import keras
            features = keras.Input((spec.n_features,), name="features")
            hidden = keras.layers.Dense(units, name="hidden")(features)
            return keras.Model(features, keras.layers.Dense(1, name="output")(hidden))

        @hookimpl
        def register_models(register):
            register("my-dense", my_dense)
    """,
    )
    recipe = write_file(
        "r.yaml",
        """
        extends: tiny-linear-points
        dataset: {n_samples: 60}
        model: {use: my-dense}
        train: {stages: [{epochs: 1}]}
    """,
    )
    out = str(tmp_path / "run1")
    run_cli("--plugin", str(plugin), "train", "-c", str(recipe), "--out", out, "-q")
    assert run_cli("--plugin", str(plugin), "evaluate", out).stdout.startswith("validation: loss=")
    prediction = json.loads(run_cli("--plugin", str(plugin), "predict", out, ROW).stdout)["prediction"]
    assert isinstance(prediction, float)
    assert "unknown model 'my-dense'" in run_cli("evaluate", out, code=1).stderr  # without the file


def test_an_existing_run_is_not_overwritten_without_force(trained, run_cli):
    before = (trained.path / "metrics.json").read_text()
    result = run_cli("build", RECIPE, *SMALL, "--out", str(trained.path), code=1)
    assert result.stderr == (
        f"Error: {trained.path} already exists and is not empty; pass --force to replace it, or choose another --out\n"
    )
    assert (trained.path / "metrics.json").read_text() == before


def test_force_replaces(run_cli, tmp_path):
    out = tmp_path / "forced"
    run_cli("build", RECIPE, *SMALL, "--out", str(out))
    (out / "stale.txt").write_text("old")
    run_cli("build", RECIPE, *SMALL, "--out", str(out), "--force")
    assert not (out / "stale.txt").exists() and (out / "model.keras").exists()


def test_build_prints_summary_and_parameter_count(run_cli, tmp_path):
    out = run_cli("build", RECIPE, *SMALL, "--out", str(tmp_path / "b")).stdout
    assert 'Model: "tiny_linear"' in out
    # hidden 4*4 + 4, output 4 + 1
    assert f"25 parameters (25 trainable)\nsaved {tmp_path / 'b'}\n" in out


def kernel(model, name):
    return model.get_layer(name).get_weights()[0].copy()


def test_freezing_and_unfreezing_between_stages_changes_what_trains(tmp_path):
    initial = zoo.build(RECIPE, **small())
    frozen = zoo.train(
        RECIPE,
        out=str(tmp_path / "frozen"),
        **small(train={"stages": [{"epochs": 1, "freeze": ["hid*"]}]}),
    ).load_model()
    np.testing.assert_array_equal(kernel(frozen, "hidden"), kernel(initial, "hidden"))
    assert not np.array_equal(kernel(frozen, "output"), kernel(initial, "output"))

    staged = zoo.train(
        RECIPE,
        out=str(tmp_path / "staged"),
        **small(
            train={
                "stages": [
                    {"epochs": 1, "freeze": ["hidden"]},
                    {"epochs": 1, "unfreeze": ["hidden"], "learning_rate": 0.001},
                ]
            }
        ),
    )
    model = staged.load_model()
    assert model.get_layer("hidden").trainable
    assert not np.array_equal(kernel(model, "hidden"), kernel(initial, "hidden"))
    assert [row["stage"] for row in staged.read_history()] == [0, 1]


def test_a_bad_optimizer_setting_is_reported_before_the_data_is_read(monkeypatch):
    monkeypatch.setattr(compose, "load_dataset", lambda plan: pytest.fail("data was read"))
    with pytest.raises(
        RecipeError,
        match=r"^train.optimizer: \{'use': 'adam', 'learning_rate': 'fast'\} is not a "
        r"Keras optimizer: Argument `learning_rate` should be float",
    ):
        zoo.build(RECIPE, train={"optimizer": {"learning_rate": "fast"}})
    with pytest.raises(RecipeError, match=r"^train.optimizer: \{'use': 'adamw2'\} is not a Keras optimizer"):
        zoo.build(RECIPE, train={"optimizer": {"use": "adamw2"}})


def test_freezing_an_unknown_layer_lists_the_layers():
    with pytest.raises(RecipeError) as info:
        zoo.build(RECIPE, **small(train={"stages": [{"epochs": 1, "freeze": ["embedding"]}]}))
    assert str(info.value) == ("train.stages: no layer named 'embedding' to freeze (layers: features, hidden, output)")
    with pytest.raises(RecipeError, match=r"no layer named 'hiden' to freeze; did you mean 'hidden'\?"):
        zoo.build(RECIPE, **small(train={"stages": [{"epochs": 1, "freeze": ["hiden"]}]}))


@pytest.mark.parametrize(
    ("train", "message"),
    [
        (
            {"stages": [{"epochs": 1}, {"epochs": 1, "unfreeze": ["hiden"]}]},
            "Error: train.stages: no layer named 'hiden' to unfreeze; did you mean 'hidden'?",
        ),
        (
            {"stages": [{"epochs": 1}, {"epochs": 1, "cache_features": "hiden"}]},
            "Error: train.stages: cache_features: no layer named 'hiden'",
        ),
        (
            {
                "optimizer": {
                    "use": "adam",
                    "learning_rate": {
                        "use": "exponential-decay",
                        "initial_learning_rate": 0.01,
                        "decay_steps": 10,
                        "decay_rate": 0.9,
                    },
                },
                "callbacks": [{"use": "reduce-lr-on-plateau"}],
            },
            "Error: train: the optimizer's learning rate is a schedule, and callback ReduceLROnPlateau sets the",
        ),
    ],
    ids=["a later stage's layer", "a later stage's cache_features", "a schedule and a callback that sets the rate"],
)
def test_what_would_fail_mid_training_is_refused_before_the_run_is_written(
    run_cli, write_file, tmp_path, train, message
):
    import yaml

    recipe = write_file("r.yaml", yaml.safe_dump({"extends": RECIPE, **small(train=train)}))
    error = run_cli("train", "-c", str(recipe), "--out", str(tmp_path / "run"), code=1).stderr
    assert error.startswith(message) and error.count("\n") == 1, error
    assert not (tmp_path / "run").exists()


def test_whatever_fails_during_training_marks_the_run_failed_with_its_reason(run_cli, tmp_path, monkeypatch):
    from zoo.fit import stages

    def fails(self, index, stage):
        raise RuntimeError(
            "Graph execution error:\n\nDetected at node x defined at (most recent call last):\n"
            '  File "train.py", line 1, in <module>\n\nReceived a label value of 1 which is outside [0, 1).\n'
            "\t [[{{node x}}]] [Op:__inference]"
        )

    monkeypatch.setattr(stages.Fitter, "fit_stage", fails)
    error = run_cli("train", RECIPE, *SMALL, "--out", str(tmp_path / "run"), "-q", code=1).stderr
    reason = "Received a label value of 1 which is outside [0, 1)."
    assert error == f"Error: training failed after 0 epoch(s): {reason}; {tmp_path / 'run'} is marked failed\n"
    meta = json.loads((tmp_path / "run" / "meta.json").read_text())
    assert meta["status"] == "failed" and meta["failure"] == reason


def test_a_saved_model_that_needs_code_is_one_line_and_runs_none(run_cli, tmp_path, monkeypatch):
    import keras

    run = zoo.train("example-blobs-mlp", out=str(tmp_path / "run"), verbose=0, train={"stages": [{"epochs": 1}]})

    def fn(x):
        return x * 2

    features = keras.Input((4,), name="features")
    keras.Model(features, keras.layers.Lambda(fn, name="lam")(features)).save(run.path / "model.keras")
    error = run_cli("predict", str(run.path), "[[0.1, 0.2, 0.3, 0.4]]", code=1).stderr
    assert error.startswith(
        f"Error: {run.path / 'model.keras'}: cannot load the model: Could not locate function 'fn' "
    )
    assert error.count("\n") == 1 and len(error) < 400

    zoo.train("example-blobs-mlp", out=str(tmp_path / "custom"), verbose=0, train={"stages": [{"epochs": 1}]})
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "")  # the plugin of its FeatureScale layer is not loaded
    error = run_cli("evaluate", str(tmp_path / "custom"), code=1).stderr
    assert "dataset.use: unknown dataset 'example-blobs'" in error
    assert error.rstrip().endswith("(this run was built with plugins from zoo-example-plugin: install and load them)")


def test_a_run_that_did_not_finish_is_not_evaluated_as_if_trained(trained, run_cli, tmp_path):
    import shutil

    killed = tmp_path / "killed"  # as SIGKILL leaves a run: status training, model.keras from the build
    shutil.copytree(trained.path, killed)
    Run(killed).update_meta(status="training")
    for command in (["evaluate", str(killed)], ["predict", str(killed), ROW]):
        assert run_cli(*command, code=1).stderr == (
            f"Error: {killed} did not finish training (status 'training'): its model.keras is not a trained model. "
            f"Train it again; or use its best checkpoint (--checkpoint best)\n"
        )
    assert run_cli("evaluate", str(killed), "--checkpoint", "best").stdout.startswith("validation: loss=")
    predicted = json.loads(run_cli("predict", str(killed), ROW, "--checkpoint", "best").stdout)
    assert predicted["input"] == [0.1, 0.2, 0.3, 0.4]


def test_a_loss_that_becomes_nan_fails_the_run_and_says_so(run_cli, tmp_path):
    out = tmp_path / "diverged"
    result = run_cli(
        "train",
        RECIPE,
        *SMALL,
        "--set",
        "train.optimizer.learning_rate=1e30",
        "--set",
        "train.epochs=3",
        "--out",
        str(out),
        "-q",
        code=1,
    )
    assert result.stderr.startswith("Error: the loss became ")
    assert "is marked failed. Lower the learning rate" in result.stderr
    meta = json.loads((out / "meta.json").read_text())
    assert meta["status"] == "failed"
    assert not (out / "metrics.json").exists()


def test_the_best_checkpoint_follows_the_metrics_own_direction(tmp_path):
    """R² grows as a model improves; its name says nothing of that, so only the metric can tell."""
    run = zoo.train(
        RECIPE,
        out=str(tmp_path / "r2"),
        verbose=0,
        **small(train={"metrics": ["r2_score"], "monitor": "val_r2_score", "stages": [{"epochs": 4}]}),
    )
    scores = [row["val_r2_score"] for row in run.read_history()]
    assert scores[-1] > scores[0]  # it learned, so the first epoch is not the best
    assert run.read_json("meta.json")["best"]["epoch"] == scores.index(max(scores))


def test_ctrl_c_keeps_the_best_checkpoint_and_a_readable_run(tmp_path, monkeypatch):
    import keras

    real_callbacks = fit_stages.recipe_callbacks

    class InterruptAfterTwoEpochs(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    monkeypatch.setattr(fit_stages, "recipe_callbacks", lambda *a: [*real_callbacks(*a), InterruptAfterTwoEpochs()])
    with pytest.raises(training.Interrupted, match="interrupted after 2 epoch"):
        zoo.train(RECIPE, out=str(tmp_path / "stopped"), **small(train={"stages": [{"epochs": 5}]}))
    run = Run.open(tmp_path / "stopped")
    assert run.read_json("meta.json")["status"] == "interrupted"
    assert len(run.read_history()) == 2
    assert (run.path / "checkpoints" / "best.keras").exists()
    assert run.load_model().name == "tiny_linear"


def test_a_ctrl_c_during_a_write_is_held_until_the_write_is_done():
    import os
    import signal
    import time

    finished = []
    with training.CtrlC() as ctrl_c, pytest.raises(KeyboardInterrupt):
        with ctrl_c.held():  # as the best checkpoint is being written
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            finished.append("the write")
        finished.append("not reached: the held Ctrl-C is raised here")
    assert finished == ["the write"]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the swallowed one, on purpose
def test_a_ctrl_c_swallowed_by_a_finalizer_stops_training_at_the_next_write():
    """Once a real Ctrl-C under load was not acted on within 60 s: raised while Python ran a
    finalizer (TensorFlow has many), the KeyboardInterrupt was printed as ignored and lost."""
    import signal

    class Finalized:
        def __del__(self):
            os.kill(os.getpid(), signal.SIGINT)  # the handler raises here, and Python ignores it

    with training.CtrlC() as ctrl_c:
        Finalized()  # collected at once
        with pytest.raises(KeyboardInterrupt), ctrl_c.held():  # the next history write of the run
            pytest.fail("the block of a write that follows a lost Ctrl-C does not run")


@pytest.mark.slow
@pytest.mark.parametrize("after_epochs", [1, 2, 3])
def test_every_real_ctrl_c_stops_training(tmp_path, after_epochs):
    """SIGINT, as the terminal sends it, at different moments of a run that saves a checkpoint
    every epoch: each one stops it, with exit 130 and a readable run."""
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    out = tmp_path / "run"
    command = [
        str(Path(sys.executable).parent / "zoo"),
        "train",
        RECIPE,
        *SMALL,
        "--set",
        "train.epochs=100000",
        "--out",
        str(out),
        "-q",
    ]

    def epochs_done() -> int:
        return len(Run(out).read_history()) if (out / "history.csv").exists() else 0

    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while epochs_done() < after_epochs:
            assert time.monotonic() < deadline and child.poll() is None, "training did not start"
            time.sleep(0.05)
        child.send_signal(signal.SIGINT)
        _, stderr = child.communicate(timeout=60)  # a lost Ctrl-C would run 100000 epochs and time out here
    finally:
        child.kill()
    assert child.returncode == 130, stderr[-2000:]
    assert "Error: interrupted after " in stderr
    assert Run(out).read_json("meta.json")["status"] == "interrupted"


def test_a_full_disk_leaves_the_saved_file_intact(tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    target.write_text("saved before")

    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(RunError) as info:
        write_atomic(target, "new content")
    assert str(info.value) == (
        f"no space left on the device while writing {target}; free some space and run "
        f"again (files already saved were not changed)"
    )
    assert target.read_text() == "saved before"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]  # no temporary file left behind


def test_a_corrupt_run_file_is_reported(trained, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "recipe.yaml").write_text(trained.recipe_path.read_text())
    (broken / "meta.json").write_text('{"status": ')
    with pytest.raises(RunError, match=r"meta.json: corrupt JSON at line 1"):
        Run.open(broken).read_json("meta.json")
    with pytest.raises(RunError, match=r"model.keras: missing; this run has no saved model"):
        Run.open(broken).load_model()
    with pytest.raises(RunError, match=r"is not a zoo run \(no recipe.yaml\)"):
        Run.open(tmp_path)


def test_the_example_plugin_trains_one_epoch(run_cli, tmp_path):
    out = run_cli(
        "train", "example-blobs-mlp", "--set", "train.stages=[{epochs: 1}]", "--out", str(tmp_path / "ex")
    ).stdout
    assert "\nvalidation: accuracy=" in out
    assert Run.open(tmp_path / "ex").read_json("meta.json")["plugins"]["model"]["distribution"] == "zoo-example-plugin"


@pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
    reason="distribution strategies are TensorFlow's (tests/test_backends.py checks the refusal)",
)
def test_training_under_a_tensorflow_distribution_strategy(tmp_path):
    plan = zoo.resolve(RECIPE, **small(train={"distribute": "mirrored", "stages": [{"epochs": 1}]}))
    built = prepare(plan)
    # The model's variables were made under the strategy, not merely beside it.
    assert {type(v.value).__name__ for v in built.model.trainable_variables} == {"MirroredVariable"}
    run = zoo.train(
        RECIPE,
        out=str(tmp_path / "mirrored"),
        **small(train={"distribute": "mirrored", "stages": [{"epochs": 1}]}),
    )
    assert run.read_recipe()["train"]["distribute"] == "mirrored"
    assert run.load_model().name == "tiny_linear"


@pytest.mark.slow
def test_a_plugins_custom_layer_loads_in_a_fresh_process(tmp_path):
    """The example plugin's FeatureScale layer: the zoo imports its module before safe_mode loading."""
    import subprocess
    import sys

    run = zoo.train("example-blobs-mlp", out=str(tmp_path / "custom"), verbose=0, train={"stages": [{"epochs": 1}]})
    code = (
        "import sys\n"
        "import zoo\n"
        "assert 'zoo_example.layers' not in sys.modules\n"
        f"model = zoo.load_run({str(run.path)!r}).model\n"
        "print(type(model.get_layer('feature_scale')).__name__, 'zoo_example.layers' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[-1] == "FeatureScale True"


def test_recipe_callbacks_run_with_the_spec_and_are_recorded(tmp_path):
    marks = tmp_path / "marks.txt"
    run = zoo.train(
        RECIPE,
        out=str(tmp_path / "run"),
        verbose=0,
        **small(train={"callbacks": [{"use": "epoch-marks", "path": str(marks), "every": 2}], "epochs": 4}),
    )
    assert marks.read_text().splitlines() == ["tiny-points epoch 2", "tiny-points epoch 4"]
    assert run.read_recipe()["train"]["callbacks"] == [{"use": "epoch-marks", "path": str(marks), "every": 2}]


def test_recipe_callback_errors_name_the_item(write_file):
    from zoo.errors import ZooError

    with pytest.raises(
        ZooError, match=r"train.callbacks\[0\].use: unknown callback 'epoch-mark'; did you mean 'epoch-marks'"
    ):
        zoo.resolve(RECIPE, train={"callbacks": [{"use": "epoch-mark"}]})
    with pytest.raises(ZooError, match=r"train.callbacks\[0\].every: expected int, got 'two' \(str\)"):
        zoo.resolve(RECIPE, train={"callbacks": [{"use": "epoch-marks", "path": "m", "every": "two"}]})
    path = write_file(
        "r.yaml",
        """
        extends: tiny-linear-points
        train:
          callbacks:
            - {use: epoch-marks}
    """,
    )
    with pytest.raises(ZooError) as info:
        zoo.resolve(config_files=(str(path),))
    assert str(info.value).startswith(
        f"{path}:4: train.callbacks[0].path: required parameter of callback 'epoch-marks'"
    )


def test_a_learning_rate_schedule_by_name(tmp_path):
    schedule = {"use": "cosine-decay", "initial_learning_rate": 0.01, "decay_steps": 50}
    run = zoo.train(
        RECIPE,
        out=str(tmp_path / "run"),
        verbose=0,
        **small(train={"optimizer": {"use": "adam", "learning_rate": schedule}}),
    )
    model = run.load_model()
    assert (
        type(model.optimizer.learning_rate).__name__ != "float"
        and run.read_recipe()["train"]["optimizer"]["learning_rate"] == schedule
    )
    with pytest.raises(
        RecipeError, match=r"'cosine-dekay' is not a Keras learning-rate schedule; did you mean 'CosineDecay'"
    ):
        zoo.build(RECIPE, train={"optimizer": {"use": "adam", "learning_rate": {"use": "cosine-dekay"}}})
    with pytest.raises(RecipeError, match=r"is not a valid CosineDecay: .*decay_steps"):
        zoo.build(
            RECIPE,
            train={
                "optimizer": {"use": "adam", "learning_rate": {"use": "cosine-decay", "initial_learning_rate": 0.1}}
            },
        )


def test_a_streaming_dataset_trains_evaluates_and_predicts_like_arrays(tmp_path):
    """Splits as tf.data streams of single samples: batched once by the recipe (a second batching
    would make 3-d inputs the model refuses), counted in meta.json, evaluated, predicted; the same
    training reaches the same loss as on arrays."""
    streamed = zoo.train("tiny-linear-points", out=str(tmp_path / "stream"), verbose=0, dataset={"stream": True})
    arrays = zoo.train("tiny-linear-points", out=str(tmp_path / "arrays"), verbose=0)
    assert streamed.read_json("meta.json")["dataset"]["splits"] == {"train": 160, "validation": 40}
    stream_loss = streamed.read_json("metrics.json")["validation"]["loss"]
    array_loss = arrays.read_json("metrics.json")["validation"]["loss"]
    assert stream_loss == pytest.approx(array_loss, rel=0.25)  # other batch orders, the same fit
    saved = zoo.load_run(streamed.path)
    assert len(saved.predict([[0.1, 0.2, 0.3, 0.4]])) == 1


def test_a_stream_with_validation_split_is_refused():
    with pytest.raises(RecipeError, match="streams its data, which Keras cannot split"):
        prepare(
            zoo.resolve(
                "tiny-linear-points", dataset={"stream": True, "validation": 0.0}, train={"validation_split": 0.2}
            )
        )


def test_a_stream_trains_in_stages_with_early_stopping(tmp_path):
    staged = zoo.train(
        "tiny-two-stages",
        out=str(tmp_path / "staged"),
        verbose=0,
        dataset={"stream": True},
        train={"early_stopping": 1},
    )
    assert staged.read_json("meta.json")["status"] == "complete"
    assert {row["stage"] for row in staged.read_history()} == {0.0, 1.0}


def test_early_stopping_stops_each_stage(tmp_path):
    """A learning rate of 0 leaves the validation loss where it is: with patience 1, each stage
    stops after its second epoch, long before its 10."""
    stopped = zoo.train(
        "tiny-linear-points",
        out=str(tmp_path / "stopped"),
        verbose=0,
        dataset={"stream": True},
        train={"early_stopping": 1, "stages": [{"epochs": 10, "learning_rate": 0.0}] * 2},
    )
    assert [int(row["stage"]) for row in stopped.read_history()] == [0, 0, 1, 1]
    assert stopped.read_json("meta.json")["epochs"] == 4


@pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
    reason="distribution strategies are TensorFlow's (tests/test_backends.py checks the refusal)",
)
def test_a_stream_trains_under_a_tensorflow_strategy(tmp_path):
    mirrored = zoo.train(
        "tiny-linear-points",
        out=str(tmp_path / "mirrored"),
        verbose=0,
        dataset={"stream": True},
        train={"distribute": "mirrored"},
    )
    assert mirrored.read_json("meta.json")["distribution"]["strategy"] == "mirrored"
