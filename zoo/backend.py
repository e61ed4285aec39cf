"""The Keras backend: which one runs, its version for ``meta.json``, and what only TensorFlow does.

Keras picks the backend from ``KERAS_BACKEND`` (or ``~/.keras/keras.json``); TensorFlow is the
default. The zoo imports no backend itself: a model trained on one loads and predicts on another
(``.keras`` files are backend-neutral). What needs TensorFlow's own machinery, the distribution
strategies, says so on another backend instead of failing deep inside Keras.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

#: The distribution that provides each backend, first match wins (TensorFlow ships under two names).
BACKEND_DISTRIBUTIONS = {
    "tensorflow": ("tensorflow", "tensorflow-cpu"),
    "jax": ("jax",),
    "torch": ("torch",),
    "numpy": ("numpy",),
}


def _configured_backend() -> str:
    """The backend Keras will pick: ``KERAS_BACKEND``, else ``keras.json``, else TensorFlow."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    config = Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser() / "keras.json"
    try:
        return str(json.loads(config.read_text()).get("backend", "tensorflow"))
    except (OSError, ValueError, AttributeError):
        return "tensorflow"


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def choose_backend() -> None:
    """Without TensorFlow, Keras's default, use the backend that is installed (a JAX-only install).

    An explicit ``KERAS_BACKEND`` is never changed; a configured backend that is not installed,
    with no other to use, is one clear line instead of Keras's import error.
    """
    if "keras" in sys.modules:
        return
    wanted = _configured_backend()
    if wanted not in BACKEND_DISTRIBUTIONS or _installed(wanted):
        return
    from zoo.errors import ZooError

    if wanted == "tensorflow" and not os.environ.get("KERAS_BACKEND"):
        for other in ("jax", "torch"):
            if _installed(other):
                os.environ["KERAS_BACKEND"] = other
                return
    raise ZooError(
        f"Keras is set to the {wanted!r} backend, which is not installed: pip install "
        f"{' or '.join(BACKEND_DISTRIBUTIONS[wanted])}, or set KERAS_BACKEND to one that is "
        f"(README.md, 'Backends')"
    )


def import_keras() -> Any:
    """Import Keras on the configured (or the only installed) backend, with TensorFlow's C++
    start-up logging turned down (it is not the user's)."""
    choose_backend()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras


def backend_name() -> str:
    """The backend Keras runs on in this process (``tensorflow``, ``jax``, ``torch``, ``numpy``)."""
    return str(import_keras().backend.backend())


def distribution_version(*names: str) -> str | None:
    """The installed version of the first of ``names`` that is installed."""
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def describe_backend() -> dict[str, str | None]:
    """``{"name": "jax", "version": "0.10.2"}``, recorded in every run's ``meta.json``."""
    name = backend_name()
    return {"name": name, "version": distribution_version(*BACKEND_DISTRIBUTIONS.get(name, (name,)))}


def require_tensorflow(what: str) -> None:
    """Refuse ``what`` with one clear line unless Keras runs on TensorFlow."""
    from zoo.errors import RecipeError

    name = backend_name()
    if name != "tensorflow":
        raise RecipeError(
            f"{what} needs the TensorFlow backend, and Keras runs on {name!r} here; "
            f"run with KERAS_BACKEND=tensorflow, or remove it from the recipe"
        )
