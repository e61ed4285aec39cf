"""Keras backends: a run records the one it was trained on, loads and predicts on another, and
what only TensorFlow does is refused with one line elsewhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ZOO = str(Path(sys.executable).parent / "zoo")
HIDE_TENSORFLOW = (
    "import importlib.util\n"
    "found = importlib.util.find_spec\n"
    "importlib.util.find_spec = lambda name, *a: None if name == 'tensorflow' else found(name, *a)\n"
)


@pytest.fixture
def jax_installed() -> None:
    pytest.importorskip("jax", reason="the JAX backend is installed by the test extra")


def zoo_on(backend: str, *args: str, cwd: Path, code: int = 0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KERAS_BACKEND": backend}
    result = subprocess.run([ZOO, *args], capture_output=True, text=True, timeout=300, cwd=cwd, env=env)
    assert result.returncode == code, result.stderr[-2000:]
    return result


def predictions(result: subprocess.CompletedProcess[str]) -> list[float]:
    return [json.loads(line)["prediction"] for line in result.stdout.splitlines()]


@pytest.mark.slow
@pytest.mark.parametrize(("trained_on", "loaded_on"), [("tensorflow", "jax"), ("jax", "tensorflow")])
@pytest.mark.usefixtures("jax_installed")
def test_a_run_trained_on_one_backend_predicts_the_same_on_another(trained_on, loaded_on, tmp_path):
    zoo_on(
        trained_on,
        "train",
        "tiny-linear-points",
        "--set",
        "train.stages=[{epochs: 1}]",
        "--out",
        "run",
        "-q",
        cwd=tmp_path,
    )
    meta = json.loads((tmp_path / "run" / "meta.json").read_text())
    assert meta["versions"]["backend"]["name"] == trained_on and meta["versions"]["backend"]["version"]
    inputs = ["[1, 5, 0, 2]", "[3, 7, 1, 1]", "[-1, 2, 0.5, 0]"]
    here = predictions(zoo_on(trained_on, "predict", "run", *inputs, cwd=tmp_path))
    there = predictions(zoo_on(loaded_on, "predict", "run", *inputs, cwd=tmp_path))
    assert len(here) == 3
    assert there == pytest.approx(here, rel=1e-4, abs=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["mirrored", "multi-worker"])
@pytest.mark.usefixtures("jax_installed")
def test_a_distribution_strategy_on_jax_says_it_needs_tensorflow(tmp_path, strategy):
    result = zoo_on("jax", "build", "tiny-linear-points", "--set", f"train.distribute={strategy}", cwd=tmp_path, code=1)
    assert result.stderr.splitlines() == [
        f"Error: train.distribute: {strategy} needs the TensorFlow backend, and Keras runs on 'jax' here; "
        "run with KERAS_BACKEND=tensorflow, or remove it from the recipe"
    ]
    assert not (tmp_path / "runs").exists()


def run_python(code: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    environment.update(KERAS_HOME=str(tmp_path / "keras-home"), **env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=environment)


@pytest.mark.slow
@pytest.mark.usefixtures("jax_installed")
def test_without_tensorflow_the_installed_backend_is_used(tmp_path):
    code = HIDE_TENSORFLOW + "from zoo.backend import backend_name\nprint(backend_name())\n"
    result = run_python(code, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.splitlines()[-1] == "jax"


def test_a_backend_that_is_not_installed_is_one_clear_line(tmp_path):
    code = HIDE_TENSORFLOW + "from zoo.backend import import_keras\nimport_keras()\n"
    result = run_python(code, tmp_path, KERAS_BACKEND="tensorflow")
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].endswith(
        "ZooError: Keras is set to the 'tensorflow' backend, which is not installed: pip install tensorflow "
        "or tensorflow-cpu, or set KERAS_BACKEND to one that is (README.md, 'Backends')"
    )
