"""Training a built model: every stage in turn with the zoo's callbacks (history written after each
epoch, an atomic best checkpoint, early stopping, NaN), evaluation, Ctrl-C, and the finished run."""

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

from .backend import import_keras
from .compose import Built, build_plan, load_dataset, prepare_stage
from .console import keras_verbose, note
from .distribution import cluster, lost_peer, scratch_unless_chief
from .errors import RecipeError, ZooError
from .features import features, split_at
from .params import injected_parameters
from .plan import Plan, Stage, TrainConfig
from .provenance import save_built
from .runs import Run, SavedRun, atomic_path, check_out_free, default_run_dir
from .specs import Dataset, Split
from .stages import compile_model

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
    history and best checkpoint. TensorFlow's multi-worker runtime otherwise swallows it."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        self.requested = False
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
        if self.holding and not self.requested:
            self.requested = True
            return
        raise KeyboardInterrupt

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        """Hold a Ctrl-C until the block is done, then raise it."""
        self.holding += 1
        try:
            yield
        finally:
            self.holding -= 1
        if not self.holding and self.requested:
            self.requested = False
            raise KeyboardInterrupt


class Interrupted(ZooError):
    """Ctrl-C during training: the run directory is left readable with its best checkpoint."""

    exit_code = 130


def _monitor(train: TrainConfig, has_validation: bool) -> str:
    """``val_loss`` needs validation data; without it the same quantity on the training set."""
    if train.monitor.startswith("val_") and not has_validation:
        return train.monitor[4:]
    return train.monitor


def _callbacks(
    run: Run,
    rows: list[dict[str, Any]],
    stage: int,
    monitor: str,
    train: TrainConfig,
    ctrl_c: CtrlC,
    saved: keras.Model,
) -> list[Any]:
    """The zoo's own callbacks; ``saved`` is the model the best checkpoint holds (the whole model,
    also when a stage fits only its head)."""
    callbacks = import_keras().callbacks
    Callback: Any = callbacks.Callback
    EarlyStopping: Any = callbacks.EarlyStopping

    class RunLogger(Callback):
        """Writes history.csv after every epoch, so an interrupted run keeps its history."""

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            rows.append({"epoch": epoch, "stage": stage, **{k: float(v) for k, v in (logs or {}).items()}})
            with ctrl_c.held():
                run.write_history(rows)

    class BestCheckpoint(EarlyStopping):
        """Saves the best model by ``monitor``, atomically: Keras's ModelCheckpoint writes in place,
        and an interrupt during that write would leave no good checkpoint at all.

        It is an EarlyStopping that never stops, so that "best" follows Keras's own rule (the
        direction the metric declares, ``mode="auto"``), the same rule early stopping uses.
        """

        def __init__(self) -> None:
            super().__init__(monitor=monitor, mode="auto", patience=2**31 - 1)

        def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
            super().on_train_begin(logs)
            earlier = run.read_json("meta.json").get("best")  # set by an earlier stage, if any
            self.best = None if earlier is None else earlier["value"]

        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            before = self.best
            super().on_epoch_end(epoch, logs)
            if self.best is not None and self.best is not before:  # this epoch improved on the best
                self.best = float(self.best)
                with ctrl_c.held():
                    run.save_model(saved, "checkpoints/best.keras")
                    run.update_meta(best={"monitor": monitor, "value": self.best, "epoch": epoch, "stage": stage})

    chosen = [RunLogger(), BestCheckpoint(), callbacks.TerminateOnNaN()]
    if train.early_stopping is not None:
        chosen.append(EarlyStopping(monitor=monitor, patience=train.early_stopping, restore_best_weights=True))
    return chosen


def fit_stages(built: Built, run: Run, verbose: Any = "auto") -> list[dict[str, Any]]:
    """Fit every stage in turn; returns one row per epoch (also written to ``history.csv``)."""
    train = built.plan.train
    monitor = _monitor(train, "validation" in built.dataset.splits or train.validation_split > 0)
    rows: list[dict[str, Any]] = []
    with CtrlC() as ctrl_c:
        for index, stage in enumerate(train.stage_list()):
            if index > 0:
                prepare_stage(built, stage)
            if stage.epochs == 0:
                continue
            model, splits = built.model, built.dataset.splits
            if stage.cache_features:
                model, splits = _head_and_features(built, stage, verbose)
            _fit(built, model, splits, run, rows, index, stage.epochs, monitor, verbose, ctrl_c)
    return rows


def _head_and_features(built: Built, stage: Stage, verbose: Any) -> tuple[keras.Model, dict[str, Split]]:
    """The layers above the stage's ``cache_features`` layer, compiled for the stage, and every split
    as their cached inputs."""
    train, layer = built.plan.train, str(stage.cache_features)
    base, head = split_at(built.model, layer)
    splits = {}
    for name, split in built.dataset.splits.items():
        if name == "test":
            continue  # reported by the whole model at the end, never trained or chosen on
        cached = features(base, split, train.batch_size, f"{built.dataset.checksum} {name} {layer}")
        splits[name] = Split(cached.x, cached.y)
        if verbose != 0:
            how = "read from the cache" if cached.cached else "computed and cached"
            note(
                f"features of {layer!r} for {len(split)} {name} samples {how} in {cached.seconds:.1f} s ({cached.path})"
            )
    with built.scope():
        compile_model(head, train, built.dataset.spec, stage.learning_rate)
    return head, splits


def _fit(
    built: Built,
    model: keras.Model,
    splits: dict[str, Split],
    run: Run,
    rows: list[dict[str, Any]],
    index: int,
    epochs: int,
    monitor: str,
    verbose: Any,
    ctrl_c: CtrlC,
) -> None:
    """One stage's ``model.fit`` (the whole model, or its head on cached features), its epochs
    numbered after the earlier stages'."""
    train = built.plan.train
    fit_split, validation = splits["train"], splits.get("validation")
    done = len(rows)
    model.fit(
        **fit_split.fit_arguments(train.batch_size),
        epochs=done + epochs,
        initial_epoch=done,
        validation_data=None if validation is None else validation.validation_data(train.batch_size),
        validation_split=train.validation_split if validation is None else 0.0,
        shuffle=not fit_split.streams,  # a stream shuffles itself (Keras warns otherwise)
        callbacks=[*_callbacks(run, rows, index, monitor, train, ctrl_c, built.model), *recipe_callbacks(built)],
        verbose=keras_verbose(verbose),
    )


def recipe_callbacks(built: Built) -> list[Any]:
    """The recipe's ``train.callbacks``, made afresh (for each stage), the spec passed to those that take it."""
    made = []
    for component in built.plan.callbacks:
        factory = component.load()
        spec = (built.dataset.spec,) if injected_parameters(factory) else ()
        made.append(factory(*spec, **component.params))
    return made


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
    nothing (``zoo.distribution``).
    """
    if not any(stage.epochs for stage in plan.train.stage_list()):
        raise RecipeError(
            "train.stages: every stage has 0 epochs, so nothing would be trained; give a stage "
            "epochs (--set train.epochs=N), or use `zoo build` for an untrained model"
        )
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
    built = build_plan(plan)
    recipe_callbacks(built)  # a callback's bad setting is refused before the run is written
    run = save_built(built, out, force, status="training")
    where = str(run.path) if chief else "the chief's run"
    if verbose != 0 and chief:
        note(f"training {plan.name!r} into {run.path}")
        if built.initial_weights is not None:
            note(f"initial weights: {built.initial_weights.summary()}")
    start = time.perf_counter()
    rows: list[dict[str, Any]] = []
    try:
        rows = fit_stages(built, run, verbose=verbose)
    except KeyboardInterrupt:
        rows = run.read_history()
        run.plot_history(rows)
        best = run.path / "checkpoints" / "best.keras"
        if best.exists():
            with atomic_path(run.path / "model.keras") as tmp:  # like every other file of a run
                shutil.copyfile(best, tmp)
        run.update_meta(status="interrupted", epochs=len(rows))
        raise Interrupted(
            f"interrupted after {len(rows)} epoch(s); {where} holds the history and "
            f"{'the best checkpoint (also saved as model.keras)' if best.exists() else 'no checkpoint yet'}"
        ) from None
    except Exception as exc:
        lost = lost_peer(plan.train.distribute, exc)
        if lost is None:
            raise
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
    run.write_json("metrics.json", metrics)
    run.plot_history(rows)
    meta = run.read_json("meta.json")
    run.update_meta(
        status="complete",
        epochs=len(rows),
        timings={**meta["timings"], "fit_s": round(fit_s, 3), "epoch_s": round(fit_s / max(len(rows), 1), 3)},
    )
    return run


def evaluate_run(saved: SavedRun, splits: tuple[str, ...]) -> dict[str, dict[str, float]]:
    """Reload the recipe's dataset and evaluate the saved model; warns if the data changed."""
    plan, model = saved.plan, saved.model
    dataset = load_dataset(plan)
    checksum = saved.run.read_json("meta.json").get("dataset", {}).get("checksum")
    if checksum and checksum != dataset.checksum:
        print(
            f"zoo: warning: the data differs from the data this run was built on "
            f"(checksum {dataset.checksum[:12]} != {checksum[:12]})",
            file=sys.stderr,
        )
    compile_model(model, plan.train, dataset.spec)
    return evaluate(model, dataset, plan.train.batch_size, splits)
