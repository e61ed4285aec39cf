"""``zoo export``: a run's model written for a serving or mobile runtime, and proven to agree.

Keras's own ``model.export`` writes every format (``tf_saved_model``; ``onnx`` through tf2onnx;
``litert`` through TensorFlow's LiteRT converter, restricted here to LiteRT's built-in ops so that
any LiteRT runtime runs the file). Each export is then loaded by the format's own runtime and run on
a batch of the run's validation data; the largest difference from the Keras model is printed and
recorded, and an export that disagrees by more than ``TOLERANCE`` of the output scale is refused.
Nothing is written until it is verified: the export is made in a temporary sibling of ``--out`` and
renamed into place.

An export folder::

    OUT/saved_model/ | OUT/model.onnx | OUT/model.tflite   the artifact
    OUT/export.json     format, run, inputs and outputs, verification, versions
    OUT/spec.json       the dataset spec (ids, vocabulary, classes, image size) to encode inputs
    OUT/recipe.yaml     the run's resolved recipe
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import importlib.util
import inspect
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from zoo._version import __version__
from zoo.backend import backend_name
from zoo.console import captured_native_stderr
from zoo.errors import MissingExtraError, ZooError
from zoo.runs import layout
from zoo.runs.files import explain_os_error
from zoo.runs.run import check_out_free

if TYPE_CHECKING:
    import keras

    from zoo.runs.saved import SavedRun

#: Largest difference allowed between the export's outputs and Keras's, relative to the largest
#: magnitude of Keras's outputs on the same batch.
TOLERANCE = 1e-4
#: How many examples of the run's data the verification runs.
VERIFY_EXAMPLES = 32
#: The export's own description, beside the artifact.
EXPORT_JSON = "export.json"


@dataclass(frozen=True)
class Format:
    """One export format: Keras's name for it, the artifact it writes, the packages it needs."""

    name: str
    keras_format: str
    artifact: str
    runtime: str  # the distribution whose runtime loads the artifact
    #: Importable modules (the converter, then the runtime) on each Keras backend that can export it.
    needs: dict[str, tuple[str, ...]]

    def check_installed(self) -> None:
        """One line if this backend cannot export the format, or a package it needs is missing."""
        backend = backend_name()
        if backend not in self.needs:
            raise ZooError(
                f"--format {self.name} needs Keras's {' or '.join(self.needs)} backend, and Keras runs on "
                f"{backend!r} here: run with KERAS_BACKEND={next(iter(self.needs))}"
            )
        missing = [m for m in self.needs[backend] if importlib.util.find_spec(m) is None]
        if missing:
            # jax2onnx is not in the extra: it would bring JAX to every TensorFlow install.
            extra = "pip install jax2onnx" if missing == ["jax2onnx"] else "pip install 'keras-zoo[export]'"
            raise MissingExtraError(f"--format {self.name} needs {', '.join(missing)}: {extra}")

    def modules(self) -> tuple[str, ...]:
        return self.needs.get(backend_name(), ())


_ONNX_RUNTIME = ("onnx", "onnxruntime")
FORMATS = {
    f.name: f
    for f in (
        Format(
            "saved-model",
            "tf_saved_model",
            "saved_model",
            "tensorflow",
            {b: ("tensorflow",) for b in ("tensorflow", "jax")},
        ),
        Format(
            "onnx",
            "onnx",
            "model.onnx",
            "onnxruntime",
            {"tensorflow": ("tf2onnx", *_ONNX_RUNTIME), "jax": ("jax2onnx", *_ONNX_RUNTIME)},
        ),
        Format("litert", "litert", "model.tflite", "ai-edge-litert", {"tensorflow": ("tensorflow", "ai_edge_litert")}),
    )
}


@dataclass
class Export:
    """A verified export: where it is and what the verification measured."""

    format: str
    path: Path
    metadata: dict[str, Any]

    def summary(self) -> str:
        check = self.metadata["verification"]
        return (
            f"{self.format}: {self.path} (loaded with {check['runtime']} {check['runtime_version']}, "
            f"{check['examples']} {check['split']} examples: largest difference {check['max_abs_difference']:.2g}, "
            f"{check['relative_difference']:.2g} of the output scale)"
        )


def default_out(run_dir: Path, fmt: str, checkpoint: str) -> Path:
    return run_dir / "export" / (fmt if checkpoint == "final" else f"{fmt}-{checkpoint}")


def export_run(
    saved: SavedRun,
    fmt: str,
    out: Path,
    *,
    checkpoint: str = "final",
    force: bool = False,
    batch: tuple[str, Any] | None = None,
) -> Export:
    """Export ``saved``'s model to ``out`` in ``fmt``, verified against Keras on ``batch`` (a split's
    name and model inputs; by default the first examples of the run's validation split). Raises
    ``ZooError`` and leaves ``out`` untouched when the converter cannot take the model or the export
    disagrees."""
    spec = FORMATS[fmt]
    spec.check_installed()
    check_out_free(out, force)
    split, inputs = batch if batch is not None else verification_batch(saved)
    expected = _as_numpy(saved.model.predict(inputs, verbose=0))
    saved.model(_first(inputs))  # the ONNX export needs a model that has been called (predict is not, on JAX)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    except OSError as exc:
        raise explain_os_error(exc, out) from exc
    try:
        artifact = work / spec.artifact
        _convert(saved.model, spec, artifact)
        with captured_native_stderr():  # the runtimes' banners ("Created TensorFlow Lite XNNPACK delegate")
            actual, runtime_version = RUNTIMES[fmt](artifact, inputs, saved.model)
        verification = compare(expected, actual)
        verification.update(runtime=spec.runtime, runtime_version=runtime_version, examples=len(expected), split=split)
        if verification["relative_difference"] > TOLERANCE:
            raise ZooError(
                f"the {fmt} export disagrees with the Keras model: largest difference "
                f"{verification['max_abs_difference']:.3g} ({verification['relative_difference']:.3g} of the output "
                f"scale, more than {TOLERANCE:g}); nothing was written"
            )
        metadata = _metadata(saved, spec, checkpoint, verification)
        (work / EXPORT_JSON).write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
        shutil.copyfile(saved.run.path / layout.SPEC, work / layout.SPEC)
        shutil.copyfile(saved.run.path / layout.RECIPE, work / layout.RECIPE)
        _replace(work, out)
    except OSError as exc:
        raise explain_os_error(exc, out) from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Export(fmt, out, metadata)


def verification_batch(saved: SavedRun) -> tuple[str, Any]:
    """The first ``VERIFY_EXAMPLES`` model inputs of the run's validation split (else test, else train)."""
    from zoo.assembly.compose import load_dataset

    splits = load_dataset(saved.plan).splits
    name = next(s for s in ("validation", "test", "train") if s in splits)
    batch = next(splits[name].input_batches(VERIFY_EXAMPLES, limit=1))
    return name, {k: np.asarray(v) for k, v in batch.items()} if isinstance(batch, dict) else np.asarray(batch)


def compare(expected: np.ndarray, actual: np.ndarray) -> dict[str, Any]:
    """The largest absolute difference, and that relative to the largest magnitude of ``expected``."""
    actual = np.asarray(actual, dtype="float64").reshape(expected.shape)
    difference = float(np.max(np.abs(actual - expected))) if expected.size else 0.0
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    return {
        "max_abs_difference": difference,
        "output_scale": scale,
        "relative_difference": difference / scale if scale > 0 else difference,
        "tolerance": TOLERANCE,
    }


def _first(inputs: Any) -> Any:
    return {k: v[:1] for k, v in inputs.items()} if isinstance(inputs, dict) else inputs[:1]


def _as_numpy(outputs: Any) -> np.ndarray:
    if isinstance(outputs, (list, tuple, dict)):
        raise ZooError("zoo export takes models with one output; this model has several")
    return np.asarray(outputs, dtype="float64")


def _replace(work: Path, out: Path) -> None:
    """Put the verified export in place; an old one (``--force``) goes only once the new one is complete."""
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
        os.replace(work, out)
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    else:
        os.replace(work, out)


# -- conversion --------------------------------------------------------------------------------------


def _convert(model: keras.Model, spec: Format, artifact: Path) -> None:
    options: dict[str, Any] = {}
    if spec.name == "litert":  # built-in ops only: a file any LiteRT runtime runs, without the Flex delegate
        import tensorflow as tf

        options["target_spec"] = {"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS]}
    with captured_native_stderr() as captured, open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        try:
            model.export(str(artifact), format=spec.keras_format, verbose=False, **options)
        except Exception as exc:
            raise ZooError(_conversion_failure(model, spec.name, f"{exc}\n{captured()}")) from None


def _conversion_failure(model: keras.Model, fmt: str, text: str) -> str:
    """One line naming the layer the converter could not take (found in the op names it reports)."""
    ops = sorted(set(re.findall(r"'tf\.(\w+)' op", text)) | set(re.findall(r"Flex(\w+)", text)))
    op_text = f"TensorFlow op {', '.join(ops)}" if ops else "an op"
    others = ", ".join(f for f in FORMATS if f != fmt)
    for layer in sorted(model.layers, key=lambda layer: -len(layer.name)):
        if re.search(rf"/{re.escape(layer.name)}(?:_\d+)?/", text):
            return (
                f"the {fmt} converter cannot take layer {layer.name!r} ({type(layer).__name__}: {op_text} "
                f"has no {fmt} equivalent); export this model as {others}"
            )
    first = next((line.strip() for line in text.splitlines() if line.strip()), "unknown error")
    on = f" on {op_text}" if ops else ""
    return f"the {fmt} converter failed{on}: {first[:300].rstrip('. ')}; export this model as {others}"


# -- runtimes: each loads the artifact and returns its outputs on ``inputs`` and its own version ---


def _named(inputs: Any, model: keras.Model) -> dict[str, np.ndarray]:
    if isinstance(inputs, dict):
        return {k: np.asarray(v) for k, v in inputs.items()}
    return {model.inputs[0].name: np.asarray(inputs)}


def _run_saved_model(artifact: Path, inputs: Any, model: keras.Model) -> tuple[np.ndarray, str]:
    import tensorflow as tf

    loaded = tf.saved_model.load(str(artifact))
    return np.asarray(loaded.serve(inputs)), tf.__version__


def _run_onnx(artifact: Path, inputs: Any, model: keras.Model) -> tuple[np.ndarray, str]:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(artifact), providers=["CPUExecutionProvider"])
    named = _named(inputs, model)
    feed = {i.name: named[i.name] for i in session.get_inputs()}
    return np.asarray(session.run(None, feed)[0]), onnxruntime.__version__


def _run_litert(artifact: Path, inputs: Any, model: keras.Model) -> tuple[np.ndarray, str]:
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_path=str(artifact)).get_signature_runner()
    outputs = runner(**_named(inputs, model))
    return np.asarray(next(iter(outputs.values()))), importlib.metadata.version("ai-edge-litert")


RUNTIMES: dict[str, Callable[[Path, Any, Any], tuple[np.ndarray, str]]] = {
    "saved-model": _run_saved_model,
    "onnx": _run_onnx,
    "litert": _run_litert,
}


def _metadata(saved: SavedRun, spec: Format, checkpoint: str, verification: dict[str, Any]) -> dict[str, Any]:
    import keras

    recipe = saved.run.read_recipe()
    model = saved.model
    return {
        "format": spec.name,
        "artifact": spec.artifact,
        "run": str(saved.run.path.resolve()),
        "checkpoint": checkpoint,
        "recipe": {"name": recipe.get("name"), "version": recipe.get("version")},
        "inputs": [{"name": t.name, "shape": list(t.shape), "dtype": str(t.dtype)} for t in model.inputs],
        "outputs": [{"shape": list(t.shape), "dtype": str(t.dtype)} for t in model.outputs],
        # What encodes raw inputs for the model: the spec's own documentation, and spec.json beside.
        "input_encoding": inspect.getdoc(type(saved.spec)) or "",
        "verification": verification,
        "versions": {
            "zoo": __version__,
            "keras": keras.__version__,
            "backend": keras.backend.backend(),
            **{m: _version(m) for m in spec.modules()},
        },
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def _version(module: str) -> str | None:
    try:
        return str(importlib.import_module(module).__version__)
    except (ImportError, AttributeError):
        return None
