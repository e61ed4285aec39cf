"""The callbacks of a zoo run, one job each, as Keras writes its own: the history written after
every epoch, the best checkpoint saved atomically, and the recipe's ``train.callbacks``.

Keras is imported with this module: only training imports it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from zoo.backend import import_keras
from zoo.catalog.params import injected_parameters
from zoo.runs import layout

if TYPE_CHECKING:
    from zoo.catalog.specs import DatasetSpec
    from zoo.recipes.plan import Plan
    from zoo.runs.run import Run

keras: Any = import_keras()

#: Holds a Ctrl-C until a file of the run is written (``zoo.fit.training.CtrlC.held``).
Hold = Callable[[], AbstractContextManager[None]]


class RunLogger(keras.callbacks.Callback):
    """Appends one row per epoch to ``rows`` and writes ``history.csv`` after every epoch, so an
    interrupted run keeps its history. Rows carry the stage's index."""

    def __init__(self, run: Run, rows: list[dict[str, Any]], stage: int, hold: Hold) -> None:
        super().__init__()
        self.run, self.rows, self.stage, self.hold = run, rows, stage, hold

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self.rows.append({"epoch": epoch, "stage": self.stage, **{k: float(v) for k, v in (logs or {}).items()}})
        with self.hold():
            self.run.write_history(self.rows)


class BestCheckpoint(keras.callbacks.EarlyStopping):
    """Saves ``saved`` (the whole model, also when a stage fits only its head) whenever ``monitor``
    improves on the best of every stage so far, atomically: Keras's ModelCheckpoint writes in place,
    and an interrupt during that write would leave no good checkpoint at all.

    It is an EarlyStopping that never stops, so that "best" follows Keras's own rule (the direction
    the metric declares, ``mode="auto"``), the same rule early stopping uses.
    """

    def __init__(self, run: Run, saved: Any, monitor: str, stage: int, hold: Hold) -> None:
        super().__init__(monitor=monitor, mode="auto", patience=2**31 - 1)
        self.run, self.saved, self.stage, self.hold = run, saved, stage, hold

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        super().on_train_begin(logs)
        earlier = self.run.read_json(layout.META).get("best")  # set by an earlier stage, if any
        self.best = None if earlier is None else earlier["value"]

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        before = self.best
        super().on_epoch_end(epoch, logs)
        if self.best is not None and self.best is not before:  # this epoch improved on the best
            self.best = float(self.best)
            with self.hold():
                self.run.save_model(self.saved, layout.BEST)
                best = {"monitor": self.monitor, "value": self.best, "epoch": epoch, "stage": self.stage}
                self.run.update_meta(best=best)


def recipe_callbacks(plan: Plan, spec: DatasetSpec) -> list[Any]:
    """The recipe's ``train.callbacks``, made afresh (for each stage); ``spec`` is passed to the
    factories that take it."""
    made = []
    for component in plan.callbacks:
        factory = component.load()
        injected = (spec,) if injected_parameters(factory) else ()
        made.append(factory(*injected, **component.params))
    return made
