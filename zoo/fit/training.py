"""The life of a training run: its folder (refused if taken), the stages fitted into it
(``zoo.fit.stages``), Ctrl-C and SIGTERM, a diverged or lost-worker run marked ``failed``, the
final evaluation, and the saved model, metrics and curves."""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from zoo.assembly.compose import load_dataset
from zoo.catalog.specs import Dataset
from zoo.console import note
from zoo.errors import ZooError
from zoo.fit.distribution import cluster, lost_peer, scratch_unless_chief
from zoo.fit.provenance import save_built
from zoo.fit.stages import Fitter, compile_model, fill_task_defaults, preflight, prepare
from zoo.fit.summary import baseline
from zoo.recipes.plan import Plan
from zoo.runs import layout
from zoo.runs.files import atomic_path
from zoo.runs.run import Run, check_out_free, default_run_dir
from zoo.runs.saved import SavedRun

if TYPE_CHECKING:
    import keras


class TrainingFailed(ZooError):
    """The loss became NaN or infinite: the run is marked ``failed``, never ``complete``."""


class CtrlC:
    """While training, a Ctrl-C that arrives while a file of the run is being written (the best
    checkpoint, the history) is held until the write is done, then raised: raised inside the
    write, it could be swallowed by the code doing it and training would go on. Anywhere else it
    interrupts at once, as usual; a second one while held interrupts at once too. No per-batch
    hook is added, so training runs as fast as without it.

    SIGTERM (``kill``, a cluster scheduler stopping a job) is a Ctrl-C too: the run keeps its
    history and best checkpoint. TensorFlow's multi-worker runtime otherwise swallows it.

    A ``KeyboardInterrupt`` raised while Python runs a finalizer (``__del__``, a weakref callback:
    TensorFlow has many, and the collector runs them at any moment) is printed as "Exception
    ignored" and lost. So every Ctrl-C is also remembered, and the next file write of the run (at
    the latest the end of the epoch) raises it again if it did not stop training."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.requested = False
        self.received = False
        self.holding = 0
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> CtrlC:
        if threading.current_thread() is threading.main_thread():  # signals only reach the main thread
            self.previous = {signum: signal.signal(signum, self._handle) for signum in self.SIGNALS}
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)  # None: set outside Python

    def _handle(self, signum: int, frame: Any) -> None:
        self.received = True
        if self.holding and not self.requested:
            self.requested = True
            return
        raise KeyboardInterrupt

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold a Ctrl-C until the block is done, then raise it (or one that was lost before)."""
        if self.received and not self.holding:
            raise KeyboardInterrupt  # a Ctrl-C raised earlier did not stop training: it was swallowed
        self.holding += 1
        try:
            yield
        finally:
            self.holding -= 1
        if not self.holding and (self.requested or self.received):
            self.requested = False
            raise KeyboardInterrupt


class Interrupted(ZooError):
    """Ctrl-C during training: the run directory is left readable with its best checkpoint."""

    exit_code = 130


def evaluate(
    model: keras.Model, dataset: Dataset, batch_size: int, splits: tuple[str, ...] = ("validation", "test")
) -> dict[str, dict[str, float]]:
    results = {}
    for name in splits:
        split = dataset.splits.get(name)
        if split is not None:
            scores = model.evaluate(**split.fit_arguments(batch_size), return_dict=True, verbose=0)
            results[name] = {k: float(v) for k, v in scores.items()}
    return results


def train_plan(
    plan: Plan, out: str | os.PathLike[str] | None = None, force: bool = False, verbose: Any = "auto"
) -> Run | None:
    """Build, fit every stage, evaluate and save; Ctrl-C keeps the best checkpoint.

    ``verbose`` is Keras's (0, 1, 2 or "auto": a progress bar on a terminal, one line per epoch
    otherwise); with 0 the zoo prints nothing of its own either. Returns the run, or ``None`` on a
    multi-worker job's worker that is not the chief: it trains in step with the others and writes
    nothing (``zoo.fit.distribution``).
    """
    plan.train.require_epochs()
    with scratch_unless_chief(plan.train.distribute) as scratch:
        if scratch is not None:
            if verbose != 0:
                note(f"{cluster().label}: training {plan.name!r}; the chief writes the run, this worker nothing")
            _train_into(plan, scratch, False, verbose, chief=False)
            return None
    out = out if out is not None else default_run_dir(plan.name)
    check_out_free(out, force)
    return _train_into(plan, out, force, verbose)


def _train_into(plan: Plan, out: str | os.PathLike[str], force: bool, verbose: Any, chief: bool = True) -> Run:
    """Train into ``out``; a worker that is not the chief trains into a scratch folder it removes,
    so its messages speak of the chief's run instead."""
    built = prepare(plan)
    preflight(built)  # what would fail in the middle of training is refused before the run is written
    run = save_built(built, out, force, status="training")
    where = str(run.path) if chief else "the chief's run"
    if verbose != 0 and chief:
        note(f"training {plan.name!r} into {run.path}")
        if built.initial_weights is not None:
            note(f"initial weights: {built.initial_weights.summary()}")
    start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    try:
        with CtrlC() as ctrl_c:
            rows = Fitter(built, run, ctrl_c.held, verbose).fit()
    except KeyboardInterrupt:
        rows = run.read_history()
        run.plot_history(rows)
        best = run.path / layout.BEST
        if best.exists():
            with atomic_path(run.path / layout.MODEL) as tmp:  # like every other file of a run
                shutil.copyfile(best, tmp)
        run.update_meta(status="interrupted", epochs=len(rows))
        raise Interrupted(
            f"interrupted after {len(rows)} epoch(s); {where} holds the history and "
            f"{'the best checkpoint (also saved as model.keras)' if best.exists() else 'no checkpoint yet'}"
        ) from None
    except Exception as exc:
        lost = lost_peer(plan.train.distribute, exc)
        if lost is None:
            rows = run.read_history()
            run.plot_history(rows)
            reason = _first_line(exc)
            run.update_meta(status="failed", epochs=len(rows), failure=reason)
            raise TrainingFailed(
                f"training failed after {len(rows)} epoch(s): {reason}; {where} is marked failed"
            ) from exc
        rows = run.read_history()
        run.update_meta(status="failed", epochs=len(rows))
        if not chief:
            raise TrainingFailed(
                f"{lost}; this worker wrote nothing (the chief writes the run); start every worker again"
            ) from None
        raise TrainingFailed(
            f"{lost}; {run.path} is marked failed after {len(rows)} epoch(s); start every worker again"
        ) from None
    fit_s = time.perf_counter() - start
    diverged = next((row for row in rows if not math.isfinite(row.get("loss", 0.0))), None)
    if diverged is not None:  # TerminateOnNaN stopped it: nothing after this epoch is worth saving as done
        run.plot_history(rows)
        run.update_meta(status="failed", epochs=len(rows))
        raise TrainingFailed(
            f"the loss became {diverged['loss']} at epoch {int(diverged['epoch']) + 1} "
            f"(stage {int(diverged['stage'])}), "
            f"so training stopped; {where} is marked failed. Lower the learning rate, or check the data for "
            f"extreme values"
        )
    metrics = evaluate(built.model, built.dataset, plan.train.batch_size)
    run.save_model(built.model)
    run.write_json(layout.METRICS, metrics)
    run.plot_history(rows)
    meta = run.read_json(layout.META)
    run.update_meta(
        status="complete",
        epochs=len(rows),
        timings={**meta["timings"], "fit_s": round(fit_s, 3), "epoch_s": round(fit_s / max(len(rows), 1), 3)},
        baseline=baseline(built.dataset),
    )
    return run


def _first_line(exc: BaseException) -> str:
    """What an error says was wrong, as one line. TensorFlow's graph errors start "Graph execution
    error:", list where the op was defined, and say it further down: that line. Others, their
    whole message on one line, its middle left out when long (a repr of tensors, most often)."""
    text = str(exc).strip() or type(exc).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if any(line.startswith("Detected at node") for line in lines):
        skipped = ("Detected at node", 'File "', "[[", "Stack trace")
        telling = [line for line in lines if not line.endswith(":") and not line.startswith(skipped)]
        return (telling or lines)[0][:500]
    flat = " ".join(lines)
    return flat if len(flat) <= 500 else f"{flat[:200]} ... {flat[-250:]}"


def evaluate_run(saved: SavedRun, splits: tuple[str, ...], required: bool = False) -> dict[str, dict[str, float]]:
    """Reload the recipe's dataset and evaluate the saved model on those of ``splits`` it has (all of
    them when ``required``, or one line naming the splits it has); warns if the data changed."""
    plan, model = saved.plan, saved.model
    dataset = load_dataset(plan)
    missing = [s for s in splits if s not in dataset.splits]
    if missing and (required or len(missing) == len(splits)):
        raise ZooError(
            f"dataset {plan.dataset.use!r} has no {' or '.join(missing)} split; it has {', '.join(dataset.splits)}"
        )
    checksum = saved.run.read_json(layout.META).get("dataset", {}).get("checksum")
    if checksum and checksum != dataset.checksum:
        print(
            f"zoo: warning: the data differs from the data this run was built on "
            f"(checksum {dataset.checksum[:12]} != {checksum[:12]})",
            file=sys.stderr,
        )
    fill_task_defaults(plan.train, dataset.spec.task)
    compile_model(model, plan.train)
    return evaluate(model, dataset, plan.train.batch_size, splits)
