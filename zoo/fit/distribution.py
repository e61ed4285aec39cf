"""Where training runs: TensorFlow's distribution strategies and the cluster ``TF_CONFIG`` names.

``train.distribute: mirrored`` replicates over this machine's GPUs; ``multi-worker`` runs one
process per machine with ``MultiWorkerMirroredStrategy``, the cluster and this process's task
named by ``TF_CONFIG`` as cluster launchers set it (Kubernetes training operators, managed
training services). Collective operations must be configured before TensorFlow starts its
runtime, so the strategy is created first, before seeding or any other TensorFlow call, and only
once per process.

Each worker gets the same recipe, global batch size and seed; Keras splits every global batch
across the workers. Only the chief (task ``chief``, else worker 0) writes the run; the others
train in a scratch folder they remove, as Keras documents for multi-worker saving.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from zoo.errors import RecipeError


@dataclass(frozen=True)
class Cluster:
    """This process's place in a multi-worker job, from ``TF_CONFIG``."""

    workers: int  # every task that trains: the chief and the workers
    task_type: str
    task_index: int
    has_chief: bool  # a "chief" task; without one, worker 0 is the chief

    @property
    def is_chief(self) -> bool:
        return self.task_type == "chief" or (not self.has_chief and self.task_type == "worker" and self.task_index == 0)

    @property
    def label(self) -> str:
        return f"{self.task_type} {self.task_index} of {self.workers}"


def cluster() -> Cluster:
    """The cluster ``TF_CONFIG`` describes; one line saying what is wrong with it otherwise."""
    text = os.environ.get("TF_CONFIG")
    example = (
        'e.g. TF_CONFIG=\'{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
        '"task": {"type": "worker", "index": 0}}\' (docs/guide.md)'
    )
    if not text:
        raise RecipeError(
            f"train.distribute: multi-worker needs TF_CONFIG, naming the cluster and this worker's task; {example}"
        )
    try:
        config = json.loads(text)
        workers = {kind: list(config["cluster"].get(kind) or []) for kind in ("chief", "worker")}
        task_type, task_index = str(config["task"]["type"]), int(config["task"]["index"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise RecipeError(f"TF_CONFIG is not a cluster description ({type(exc).__name__}: {exc}); {example}") from None
    if task_type not in workers or not 0 <= task_index < len(workers[task_type]):
        raise RecipeError(
            f"TF_CONFIG: task {task_type} {task_index} is not in its cluster "
            f"({', '.join(f'{len(v)} {k}' for k, v in workers.items() if v) or 'no workers'})"
        )
    return Cluster(len(workers["chief"]) + len(workers["worker"]), task_type, task_index, bool(workers["chief"]))


_strategies: dict[str, Any] = {}

#: ``ZOO_KERAS_REPAIR=0`` trains without the repair below: to see whether a new Keras still needs it.
REPAIR_ENV = "ZOO_KERAS_REPAIR"


def strategy_scope(name: str | None) -> Callable[[], contextlib.AbstractContextManager[Any]]:
    """A factory of the strategy's scope (a null context without one). The strategy is made once
    per process: TensorFlow allows one multi-worker strategy, made before anything else runs."""
    if name is None:
        return contextlib.nullcontext
    if name not in _strategies:
        import tensorflow as tf

        if name == "mirrored":
            _strategies[name] = tf.distribute.MirroredStrategy()
        else:
            cluster()  # TF_CONFIG must name the cluster: without it TensorFlow trains alone, silently
            _strategies[name] = tf.distribute.MultiWorkerMirroredStrategy()
            if os.environ.get(REPAIR_ENV, "1") != "0":
                _let_keras_fit_on_multiple_workers()
    return _strategies[name].scope  # type: ignore[no-any-return]


def _let_keras_fit_on_multiple_workers() -> None:
    """Two repairs to Keras 3's TensorFlow trainer, without which ``fit`` fails on every worker of
    a ``MultiWorkerMirroredStrategy`` (keras-team/keras#20585; tests/test_distribution.py shows
    both failures and their repair):

    - before the first step it reduces the first distributed batch, as one nest, across workers,
      only to learn its shapes; the collective reduce cannot take a nest. This worker's own part
      of the batch has the same shapes.
    - it averages each step's logs across workers with ``reduce(..., axis=0)``, which fails on
      the scalar loss and metrics; the mean across replicas (``axis=None``) is what it means.

    Applied once, in a process that made a multi-worker strategy (a process has only one).
    """
    import tensorflow as tf
    from keras import tree
    from keras.src.backend.tensorflow import trainer

    def local(value: Any) -> Any:
        if isinstance(value, tf.distribute.DistributedValues):
            return tf.distribute.get_strategy().experimental_local_results(value)[0]
        return value

    symbolic_build = trainer.TensorFlowTrainer._maybe_symbolic_build

    def maybe_symbolic_build(self: Any, iterator: Any = None, data_batch: Any = None) -> Any:
        if iterator is not None and trainer._collective_all_reduce_multi_worker(self.distribute_strategy):
            with self.distribute_strategy.scope():
                for _, _, batches in iterator:
                    data_batch = tree.map_structure(local, next(batches))
                    break
            iterator = None
        return symbolic_build(self, iterator=iterator, data_batch=data_batch)

    reduce_per_replica = trainer.reduce_per_replica

    def reduce_across_workers(values: Any, strategy: Any, reduction: str) -> Any:
        if reduction in ("auto", "mean") and trainer._collective_all_reduce_multi_worker(strategy):
            return tree.map_structure(lambda v: strategy.reduce("MEAN", v, axis=None), values)
        return reduce_per_replica(values, strategy, reduction)

    trainer.TensorFlowTrainer._maybe_symbolic_build = maybe_symbolic_build
    trainer.reduce_per_replica = reduce_across_workers


def describe(name: str | None) -> dict[str, Any] | None:
    """What ``meta.json`` records of the distribution: the strategy, workers and replicas."""
    if name is None:
        return None
    found = _strategies.get(name)
    workers = cluster().workers if name == "multi-worker" else 1
    return {"strategy": name, "workers": workers, "replicas": found.num_replicas_in_sync if found else None}


def lost_peer(name: str | None, exc: BaseException) -> str | None:
    """One line for an error that means a peer worker is gone (it stopped, crashed, or stopped
    answering), so that every worker ends with it instead of a traceback or a hang. A peer that
    closes its connections is noticed at once; a silent one when TensorFlow's coordination service
    misses its heartbeats (about 10 s, measured in BENCHMARKS.md). No timeout is set on the
    collective operations themselves: TensorFlow starts a thread per operation to enforce one, and
    a real recipe runs out of threads within a few epochs."""
    if name != "multi-worker":
        return None
    import tensorflow as tf

    lost = (
        tf.errors.UnavailableError,
        tf.errors.DeadlineExceededError,
        tf.errors.AbortedError,
        tf.errors.CancelledError,
    )
    if not isinstance(exc, lost):
        return None
    found = re.search(r"aborted by:\s*(.+)", str(exc))
    reason = found.group(1).strip() if found else type(exc).__name__
    return f"{cluster().label}: lost contact with another worker ({reason}), so this worker stopped too"


@contextlib.contextmanager
def scratch_unless_chief(name: str | None) -> Iterator[str | None]:
    """On a worker that is not the chief, a scratch folder to train into, removed afterwards;
    ``None`` where this process writes the run itself."""
    if name != "multi-worker" or cluster().is_chief:
        yield None
        return
    scratch = tempfile.mkdtemp(prefix="zoo-worker-")
    try:
        yield os.path.join(scratch, "run")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
