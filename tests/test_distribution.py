"""Multi-worker training: TF_CONFIG read as cluster launchers write it, and two real workers on
this machine that agree with one process, write one run, and stop together."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zoo.errors import RecipeError
from zoo.fit.distribution import Cluster, cluster

ZOO = str(Path(sys.executable).parent / "zoo")
TINY = ["tiny-linear-points", "--set", "dataset.n_samples=160", "--set", "train.epochs=3", "-q"]
needs_tensorflow = pytest.mark.skipif(
    os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow",
    reason="multi-worker training is TensorFlow's (tests/test_backends.py checks the refusal)",
)


def tf_config(workers: list[str], index: int, chief: list[str] | None = None, task: str = "worker") -> str:
    roles = {"worker": workers, **({"chief": chief} if chief else {})}
    return json.dumps({"cluster": roles, "task": {"type": task, "index": index}})


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (tf_config(["a:1", "b:1"], 0), Cluster(2, "worker", 0, False)),
        (tf_config(["a:1", "b:1"], 1), Cluster(2, "worker", 1, False)),
        (tf_config(["b:1"], 0, chief=["a:1"], task="chief"), Cluster(2, "chief", 0, True)),
        (tf_config(["b:1"], 0, chief=["a:1"]), Cluster(2, "worker", 0, True)),
    ],
)
def test_tf_config_names_the_workers_and_the_chief(monkeypatch, config, expected):
    monkeypatch.setenv("TF_CONFIG", config)
    found = cluster()
    assert found == expected
    assert found.is_chief == (expected.task_type == "chief" or (expected.task_index == 0 and not expected.has_chief))


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (None, "train.distribute: multi-worker needs TF_CONFIG, naming the cluster and this worker's task; e.g. "),
        ("{cluster", "TF_CONFIG is not a cluster description (JSONDecodeError: "),
        ('{"cluster": {"worker": ["a:1"]}}', "TF_CONFIG is not a cluster description (KeyError: 'task')"),
        (tf_config(["a:1", "b:1"], 2), "TF_CONFIG: task worker 2 is not in its cluster (2 worker)"),
    ],
)
def test_a_missing_or_wrong_tf_config_is_one_line(monkeypatch, config, message):
    if config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", config)
    with pytest.raises(RecipeError) as info:
        cluster()
    assert str(info.value).startswith(message)


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def start_workers(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> list[subprocess.Popen[str]]:
    """Two `zoo train` workers on free localhost ports, each told a different --out, as a user
    pasting the documented example would (only the chief's is written)."""
    workers = [f"localhost:{port}" for port in free_ports(2)]
    return [
        subprocess.Popen(
            [ZOO, "train", *args, "--set", "train.distribute=multi-worker", "--out", f"r{index}"],
            cwd=tmp_path,
            env={**os.environ, **(env or {}), "TF_CONFIG": tf_config(workers, index)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(2)
    ]


def finish(workers: list[subprocess.Popen[str]], timeout: float) -> list[tuple[int, str, str]]:
    """Wait for both; past the timeout, kill both (a test that hangs is a failure, never a hang)."""
    deadline = time.monotonic() + timeout
    results = []
    try:
        for worker in workers:
            out, err = worker.communicate(timeout=max(deadline - time.monotonic(), 1))
            results.append((worker.returncode, out, err))
    finally:
        for worker in workers:
            worker.kill()
    return results


def last_error(stderr: str) -> str:
    return next(line for line in reversed(stderr.splitlines()) if line.startswith("Error: "))


@needs_tensorflow
@pytest.mark.slow
def test_keras_fit_fails_on_two_workers_without_the_repair(tmp_path):
    """Keras 3's ``fit`` under MultiWorkerMirroredStrategy as released (keras-team/keras#20585):
    without zoo/fit/distribution.py's repair both workers fail. The day a Keras release fixes it
    this test fails: then drop the repair and raise the bound in requirements/core.txt."""
    results = finish(start_workers(tmp_path, *TINY, env={"ZOO_KERAS_REPAIR": "0"}), timeout=120)
    failure = "unsupported type (<class 'tensorflow.python.distribute.values.PerReplica'>)"
    for code, _, err in results:
        assert code != 0 and failure in err, err[-3000:]


@needs_tensorflow
@pytest.mark.slow
def test_two_workers_train_one_run_that_agrees_with_one_process(tmp_path):
    (code0, out0, err0), (code1, out1, err1) = finish(start_workers(tmp_path, *TINY), timeout=120)
    assert code0 == 0, err0[-3000:]
    assert code1 == 0, err1[-3000:]
    assert out0.endswith("saved r0\n") and out1 == "done; the chief saved the run\n"
    assert not (tmp_path / "r1").exists()  # the other worker wrote nothing, and left no scratch folder
    meta = json.loads((tmp_path / "r0" / "meta.json").read_text())
    assert meta["status"] == "complete"
    assert meta["distribution"] == {"strategy": "multi-worker", "workers": 2, "replicas": 2}

    import zoo

    assert zoo.load_run(tmp_path / "r0").model.name == "tiny_linear"  # loads, in safe mode
    alone = subprocess.run(
        [ZOO, "train", *TINY, "--out", "alone"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert alone.returncode == 0, alone.stderr[-3000:]
    together = json.loads((tmp_path / "r0" / "metrics.json").read_text())["validation"]["loss"]
    single = json.loads((tmp_path / "alone" / "metrics.json").read_text())["validation"]["loss"]
    # The same global batches, split across two workers: the same training up to float rounding.
    assert together == pytest.approx(single, rel=1e-4)


@needs_tensorflow
@pytest.mark.slow
def test_stopping_one_worker_stops_both_with_one_line_each(tmp_path):
    workers = start_workers(tmp_path, "tiny-linear-points", "--set", "train.epochs=100000", "-q")
    history = tmp_path / "r0" / "history.csv"
    deadline = time.monotonic() + 90
    while not (history.exists() and len(history.read_text().splitlines()) > 2):
        assert time.monotonic() < deadline and all(w.poll() is None for w in workers), "training did not start"
        time.sleep(0.2)
    workers[0].send_signal(signal.SIGTERM)  # as a scheduler stops the chief's machine
    (code0, _, err0), (code1, _, err1) = finish(workers, timeout=60)
    assert code0 == 130 and last_error(err0).startswith("Error: interrupted after "), err0[-2000:]
    assert code1 == 1, err1[-2000:]
    assert last_error(err1).startswith("Error: worker 1 of 2: lost contact with another worker (")
    assert last_error(err1).endswith("; this worker wrote nothing (the chief writes the run); start every worker again")
    assert json.loads((tmp_path / "r0" / "meta.json").read_text())["status"] == "interrupted"


@needs_tensorflow
@pytest.mark.slow
def test_two_workers_train_on_a_streaming_dataset(tmp_path):
    """A tf.data split under MultiWorkerMirroredStrategy: Keras distributes the batched stream."""
    workers = start_workers(tmp_path, *TINY, "--set", "dataset.stream=true")
    (code0, _, err0), (code1, out1, err1) = finish(workers, timeout=120)
    assert code0 == 0, err0[-3000:]
    assert code1 == 0 and out1 == "done; the chief saved the run\n", err1[-3000:]
    meta = json.loads((tmp_path / "r0" / "meta.json").read_text())
    assert meta["status"] == "complete" and meta["dataset"]["splits"] == {"train": 128, "validation": 32}
