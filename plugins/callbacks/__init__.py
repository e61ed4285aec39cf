"""Keras's own callbacks under recipe names: ``train.callbacks: [{use: reduce-lr-on-plateau, patience: 2}]``."""

from zoo import hookimpl

CALLBACKS = {
    "reduce-lr-on-plateau": "Lower the learning rate when the monitored quantity stalls (Keras ReduceLROnPlateau).",
    "tensorboard": "Write TensorBoard logs: losses, metrics, the graph (Keras TensorBoard).",
    "time-limit": "Stop training after a number of minutes: a budget of time instead of epochs.",
    "backup-and-restore": "Back up training every epoch and resume from it after a crash (Keras BackupAndRestore).",
}


@hookimpl
def register_callbacks(register):
    for name, summary in CALLBACKS.items():
        register(name, f"zoo_plugins.callbacks.keras:{name.replace('-', '_')}", tags=["keras"], summary=summary)
