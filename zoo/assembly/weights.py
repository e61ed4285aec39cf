"""Starting a model from weights, by layer name: a run, a ``.keras`` file, a Keras ``.h5`` weights
file (the format of ``keras.applications``' published files), or a name the model registers
(``imagenet``).

A layer takes the weights saved under its own name when their shapes match; every other layer
keeps its fresh initialisation, and the report says which layers loaded, which were not in the
file, and which were there with other shapes (so a new classifier on a pretrained base is one
line of the report, not a silent surprise). ``build.initial_weights`` in a recipe does this after
building; the report goes to ``meta.json``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from zoo.errors import RecipeError

if TYPE_CHECKING:
    import keras

    from zoo.catalog.registry import Entry, Registry


@dataclass
class WeightsReport:
    """What :func:`load_weights_by_name` did, layer by layer."""

    source: str
    file: str = ""  # the file read (a run's model.keras, a downloaded file's place in the Keras cache)
    sha256: str = ""  # of that file, so a run records exactly which weights it started from
    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # layers with weights that the file does not name
    mismatched: list[str] = field(default_factory=list)  # "fc1: file (25088, 4096), model (2048, 512)"
    unused: list[str] = field(default_factory=list)  # layers of the file that the model does not have

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        parts = [f"{len(self.loaded)} layer(s) loaded from {self.source}"]
        if self.missing:
            parts.append(f"not in the file (left as initialised): {', '.join(self.missing)}")
        if self.mismatched:
            parts.append(f"other shapes in the file (left as initialised): {'; '.join(self.mismatched)}")
        if self.unused:
            parts.append(f"in the file only: {', '.join(self.unused)}")
        return "; ".join(parts)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _layers_with_weights(model: Any) -> Iterator[Any]:
    """Layers that own weights directly (a nested model's layers, not the nested model itself)."""
    for layer in model.layers:
        if hasattr(layer, "layers"):
            yield from _layers_with_weights(layer)
        elif layer.weights:
            yield layer


def _h5_names(group: Any, name: str) -> list[str]:
    """A list attribute of a Keras HDF5 group, which Keras splits into ``name0``, ``name1``, ...
    when it is too long for one attribute."""
    if name in group.attrs:
        values = list(group.attrs[name])
    else:
        values, chunk = [], 0
        while f"{name}{chunk}" in group.attrs:
            values += list(group.attrs[f"{name}{chunk}"])
            chunk += 1
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


def _read_h5(path: Path) -> dict[str, list[np.ndarray]]:
    """``{layer name: its weights}`` from a Keras HDF5 file (weights only, or a whole model)."""
    import h5py

    try:
        with h5py.File(path, "r") as file:
            root = file.get("model_weights", file)  # a whole model saved as .h5 keeps its weights there
            names = _h5_names(root, "layer_names")
            if not names:
                raise RecipeError(
                    f"build.initial_weights: {path} has no layer names: it is not a Keras .h5 weights file"
                )
            return {name: [np.asarray(root[name][w]) for w in _h5_names(root[name], "weight_names")] for name in names}
    except OSError as exc:
        raise RecipeError(f"build.initial_weights: {path} cannot be read as HDF5 ({exc})") from None


def _read_saved_model(path: Path, registry: Registry | None) -> dict[str, list[np.ndarray]]:
    """``{layer name: its weights}`` from a ``.keras`` file, loaded in safe mode."""
    import keras

    from zoo.runs.saved import import_custom_object_modules

    import_custom_object_modules(path, registry)
    try:
        model = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:
        raise RecipeError(f"build.initial_weights: {path} cannot be loaded as a Keras model: {exc}") from None
    return {layer.name: [np.asarray(w) for w in layer.get_weights()] for layer in _layers_with_weights(model)}


def _named_file(name: str, entry: Entry) -> Path:
    """The file of a weight set the model registers (``imagenet``), from the Keras cache or its URL."""
    import keras

    known = dict(entry.weights)
    if name not in known:
        raise RecipeError(
            f"build.initial_weights: {name!r} is not a path, and model {entry.name!r} registers "
            f"{'no named weights' if not known else 'only ' + ', '.join(sorted(known))}; "
            f"give a run, a .keras or a .h5 file"
        )
    spec = known[name]
    cache = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "models"
    try:
        with contextlib.redirect_stdout(sys.stderr):  # Keras's "Downloading data from" and bar are not output
            fetched = keras.utils.get_file(
                spec["file"], spec["url"], file_hash=spec.get("file_hash"), cache_subdir="models"
            )
        return Path(fetched)
    except Exception as exc:  # offline, or a checksum mismatch
        reason = str(exc).splitlines()[0].rpartition(" -- ")[2][:120]  # the cause, without the URL again
        raise RecipeError(
            f"build.initial_weights: the {name} weights are not on this machine and could not be downloaded "
            f"({reason}); put {spec['file']} in {cache}/ (from {spec['url']})"
        ) from None


def locate_weights(source: str, entry: Entry | None = None) -> Path:
    """The file ``source`` names: a run directory's ``model.keras``, a ``.keras`` or ``.h5`` file, or
    the file of a name ``entry`` (the model's registration) publishes."""
    path = Path(source).expanduser()
    if not path.exists():
        if entry is not None and os.sep not in source and "." not in source:
            path = _named_file(source, entry)
        else:
            raise RecipeError(f"build.initial_weights: {source!r} does not exist; give a run, a .keras or a .h5 file")
    if path.is_dir():
        if not (path / "model.keras").is_file():
            raise RecipeError(f"build.initial_weights: {path} is a folder without model.keras; give a run directory")
        path = path / "model.keras"
    if path.name.endswith(".weights.h5"):
        raise RecipeError(
            f"build.initial_weights: {path} is a Keras 3 .weights.h5 file, which keeps weights by position, not by "
            f"layer name; give the run or its .keras file"
        )
    if path.suffix not in (".keras", ".h5", ".hdf5"):
        raise RecipeError(f"build.initial_weights: {path} is not a run, a .keras or a .h5 file")
    return path


def read_weights(
    source: str, entry: Entry | None = None, registry: Registry | None = None
) -> dict[str, list[np.ndarray]]:
    """``{layer name: weights}`` from what ``source`` names (:func:`locate_weights`)."""
    return _read(locate_weights(source, entry), registry)


def _read(path: Path, registry: Registry | None) -> dict[str, list[np.ndarray]]:
    return _read_saved_model(path, registry) if path.suffix == ".keras" else _read_h5(path)


def assign_by_name(model: keras.Model, weights: Mapping[str, list[np.ndarray]], source: str) -> WeightsReport:
    """Set each layer of ``model`` whose name ``weights`` holds, when every shape matches."""
    report = WeightsReport(source=source)
    for layer in _layers_with_weights(model):
        saved = weights.get(layer.name)
        if saved is None:
            report.missing.append(layer.name)
            continue
        wanted = [tuple(w.shape) for w in layer.weights]
        found = [tuple(w.shape) for w in saved]
        if wanted != found:
            shapes = ", ".join(map(str, found)) or "no weights"
            report.mismatched.append(f"{layer.name}: file {shapes}, model {', '.join(map(str, wanted))}")
            continue
        layer.set_weights(saved)
        report.loaded.append(layer.name)
    names = {layer.name for layer in _layers_with_weights(model)}
    report.unused = [name for name, values in weights.items() if values and name not in names]
    return report


def load_weights_by_name(
    model: keras.Model, source: str, entry: Entry | None = None, registry: Registry | None = None
) -> WeightsReport:
    """Initialise ``model`` from ``source`` by layer name; returns what loaded and what did not.
    Refuses a source that shares no layer with the model (most likely the wrong file)."""
    path = locate_weights(source, entry)
    report = assign_by_name(model, _read(path, registry), source)
    report.file, report.sha256 = str(path), sha256_file(path)
    if not report.loaded:
        mismatched = f" ({'; '.join(report.mismatched[:3])})" if report.mismatched else ""
        raise RecipeError(
            f"build.initial_weights: no layer of the model took weights from {source}{mismatched}; "
            f"layers load by name and shape"
        )
    return report
