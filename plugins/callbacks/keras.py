"""Factories for Keras callbacks, with the parameters a recipe may set (Keras imported when called)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import keras


def reduce_lr_on_plateau(
    *,
    monitor: str = "val_loss",
    factor: float = 0.5,
    patience: int = 2,
    min_delta: float = 1e-4,
    cooldown: int = 0,
    min_lr: float = 0.0,
) -> keras.callbacks.Callback:
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement.

    Args:
        monitor: The logged quantity to watch.
        factor: What the learning rate is multiplied by.
        patience: Epochs without improvement before lowering it.
        min_delta: The smallest change that counts as an improvement.
        cooldown: Epochs to wait after lowering it before watching again.
        min_lr: The learning rate never goes below this.
    """
    import keras

    return keras.callbacks.ReduceLROnPlateau(
        monitor=monitor, factor=factor, patience=patience, min_delta=min_delta, cooldown=cooldown, min_lr=min_lr
    )


def tensorboard(
    *, log_dir: str = "tensorboard", update_freq: Literal["epoch", "batch"] = "epoch", histogram_freq: int = 0
) -> keras.callbacks.Callback:
    """Logs for ``tensorboard --logdir LOG_DIR``.

    Args:
        log_dir: Where the logs go (relative to the working directory).
        update_freq: Write losses and metrics every epoch or every batch.
        histogram_freq: Epochs between weight histograms; 0 for none.
    """
    import importlib.util

    import keras

    from zoo.plugin import ZooError

    if importlib.util.find_spec("tensorboard") is None:  # TensorFlow no longer brings it
        raise ZooError("the tensorboard callback writes logs through the tensorboard package: pip install tensorboard")

    return keras.callbacks.TensorBoard(log_dir=log_dir, update_freq=update_freq, histogram_freq=histogram_freq)


def backup_and_restore(*, backup_dir: str = "backup", delete_checkpoint: bool = True) -> keras.callbacks.Callback:
    """Save the training state every epoch; a run started again resumes where it stopped.

    Args:
        backup_dir: Where the backup lives (relative to the working directory).
        delete_checkpoint: Remove the backup once training finishes.
    """
    import keras

    return keras.callbacks.BackupAndRestore(backup_dir=backup_dir, delete_checkpoint=delete_checkpoint)


def time_limit(*, minutes: float) -> keras.callbacks.Callback:
    """Stop training once ``minutes`` of it have passed (after the batch in progress): a budget of
    time rather than of epochs. The epoch it cuts short still ends with validation as usual.

    Args:
        minutes: Minutes of training, counted from the start of the first epoch of the stage.
    """
    if not minutes > 0:
        raise ValueError(f"minutes must be more than 0. Received: minutes={minutes}")
    import time

    import keras

    class TimeLimit(keras.callbacks.Callback):
        def on_train_begin(self, logs: dict | None = None) -> None:
            self.deadline = time.monotonic() + minutes * 60

        def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
            if time.monotonic() > self.deadline:
                self.model.stop_training = True

    return TimeLimit()
