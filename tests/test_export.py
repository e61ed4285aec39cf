"""`zoo export`: every family to SavedModel and ONNX (and LiteRT where its built-in ops suffice),
each loaded back by its own runtime and checked against Keras; refusals are one line and write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from test_ngrams import write_corpus

import zoo
from zoo.deploy import export as export_module
from zoo.deploy.export import FORMATS, compare, export_run
from zoo.errors import MissingExtraError, ZooError

pytestmark = pytest.mark.slow  # trains four small runs and converts each model several times


def _train(tmp_path_factory: pytest.TempPathFactory, name: str, **sections) -> Path:
    out = tmp_path_factory.mktemp("runs") / name
    zoo.train(name, out=str(out), verbose=0, **sections)
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    corpus = write_corpus(tmp_path_factory.mktemp("corpus") / "reviews", copies=4)
    one_epoch = {"epochs": 1}
    return {
        "cf": _train(tmp_path_factory, "synthetic-cf-bias", train=one_epoch),
        "charlm": _train(tmp_path_factory, "synthetic-char-lstm", train=one_epoch),
        "vision": _train(tmp_path_factory, "synthetic-images-vgg", train=one_epoch),
        "text": _train(
            tmp_path_factory,
            "imdb-multi-cnn",
            dataset={"use": "text-folder", "path": str(corpus), "vocab_size": 40, "maxlen": 12, "validation": 0.25},
            train={"epochs": 1, "batch_size": 4},
        ),
    }


CASES = [(family, fmt) for family in ("cf", "text", "charlm", "vision") for fmt in ("saved-model", "onnx")]
CASES += [("cf", "litert"), ("vision", "litert")]


@pytest.mark.parametrize(("family", "fmt"), CASES)
def test_every_family_exports_and_its_runtime_agrees_with_keras(runs, run_cli, family, fmt):
    run = runs[family]
    out = run / "export" / fmt
    line = run_cli("export", str(run), "--format", fmt).stdout.strip()
    assert line.startswith(f"{fmt}: {out} (loaded with {FORMATS[fmt].runtime} ") and "validation examples" in line
    meta = json.loads((out / "export.json").read_text())
    check = meta["verification"]
    assert check["split"] == "validation" and check["examples"] > 0
    assert check["relative_difference"] <= check["tolerance"] == 1e-4
    assert (out / FORMATS[fmt].artifact).exists()
    assert json.loads((out / "spec.json").read_text()) == json.loads((run / "spec.json").read_text())
    assert (out / "recipe.yaml").read_text() == (run / "recipe.yaml").read_text()
    assert [i["name"] for i in meta["inputs"]] and meta["input_encoding"]
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temporary left


def test_an_onnx_export_gives_the_keras_models_outputs_on_raw_inputs(runs, run_cli):
    """What a user of the export does: encode raw inputs with spec.json, run ONNX Runtime, decode."""
    import onnxruntime

    from zoo.catalog.specs import DatasetSpec

    saved = zoo.load_run(runs["cf"])
    out = runs["cf"] / "export" / "cf-onnx"
    run_cli("export", str(runs["cf"]), "--format", "onnx", "--out", str(out))
    spec = DatasetSpec.from_dict(json.loads((out / "spec.json").read_text()))
    raw = spec.example_raw_inputs(5)
    session = onnxruntime.InferenceSession(str(out / "model.onnx"))
    outputs = session.run(None, {k: np.asarray(v) for k, v in spec.encode_inputs(raw).items()})[0]
    np.testing.assert_allclose(spec.decode_outputs(outputs), saved.predict(raw), rtol=1e-5)


@pytest.mark.backends
def test_saved_model_and_onnx_export_on_this_backend(tmp_path, run_cli):
    """On JAX the ONNX converter is jax2onnx, and SavedModel goes through jax2tf."""
    run = tmp_path / "cf"
    zoo.train("synthetic-cf-bias", out=str(run), verbose=0, train={"epochs": 1})
    for fmt in ("saved-model", "onnx"):
        run_cli("export", str(run), "--format", fmt)
        check = json.loads((run / "export" / fmt / "export.json").read_text())["verification"]
        assert check["relative_difference"] <= 1e-4


def test_a_layer_the_converter_cannot_take_is_one_line_and_nothing_is_written(runs, run_cli):
    run = runs["charlm"]
    result = run_cli("export", str(run), "--format", "litert", "--out", str(run / "lite"), code=1)
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("Error: the litert converter cannot take layer 'lstm_1' (LSTM: TensorFlow op")
    assert "export this model as saved-model, onnx" in result.stderr
    assert not (run / "lite").exists() and not [p for p in run.iterdir() if p.name.startswith(".lite")]


def test_an_export_that_disagrees_is_refused_and_an_earlier_one_kept(runs, run_cli, monkeypatch):
    run = runs["cf"]
    out = run / "export" / "kept"
    run_cli("export", str(run), "--format", "saved-model", "--out", str(out))
    before = (out / "export.json").read_text()
    original = export_module.RUNTIMES["saved-model"]

    def off_by_a_little(artifact, inputs, model):
        outputs, version = original(artifact, inputs, model)
        return outputs + 1e-3, version

    monkeypatch.setitem(export_module.RUNTIMES, "saved-model", off_by_a_little)
    result = run_cli("export", str(run), "--format", "saved-model", "--out", str(out), "--force", code=1)
    assert "the saved-model export disagrees with the Keras model: largest difference 0.001" in result.stderr
    assert "nothing was written" in result.stderr
    assert (out / "export.json").read_text() == before
    result = run_cli("export", str(run), "--format", "saved-model", "--out", str(out), code=1)
    assert "already exists and is not empty; pass --force" in result.stderr


def test_a_missing_converter_is_one_line_naming_the_extra(runs, monkeypatch):
    import importlib.util

    find_spec = importlib.util.find_spec
    without_tf2onnx = lambda name, *a: None if name == "tf2onnx" else find_spec(name, *a)  # noqa: E731
    monkeypatch.setattr(importlib.util, "find_spec", without_tf2onnx)
    with pytest.raises(MissingExtraError, match=r"^--format onnx needs tf2onnx: pip install 'keras-zoo\[export\]'$"):
        export_run(zoo.load_run(runs["cf"]), "onnx", runs["cf"] / "never")
    assert not (runs["cf"] / "never").exists()


def test_the_difference_is_relative_to_the_output_scale():
    expected = np.array([[4.0], [2.0]])
    assert compare(expected, expected + 2e-4)["relative_difference"] == pytest.approx(5e-5)
    assert compare(np.zeros((2, 1)), np.zeros((2, 1)))["relative_difference"] == 0.0
    with pytest.raises(ValueError):
        compare(expected, np.zeros(3))


def test_the_best_checkpoint_exports_beside_the_final_model(runs, run_cli):
    run = runs["cf"]
    line = run_cli("export", str(run), "--format", "saved-model", "--checkpoint", "best").stdout
    assert line.startswith(f"saved-model: {run / 'export' / 'saved-model-best'} ")
    assert json.loads((run / "export" / "saved-model-best" / "export.json").read_text())["checkpoint"] == "best"


def test_out_with_several_formats_is_refused(runs, run_cli):
    result = run_cli("export", str(runs["cf"]), "--format", "onnx", "--format", "litert", "--out", "x", code=1)
    assert result.stderr == "Error: --out names one folder: give one --format with it, or leave --out out\n"


def test_an_unfinished_run_is_refused_before_any_work(tmp_path, run_cli):
    with pytest.raises(ZooError):
        zoo.load_run(tmp_path)
    result = run_cli("export", str(tmp_path), code=1)
    assert "is not a zoo run" in result.stderr


def test_an_out_that_cannot_be_written_is_one_line(runs, run_cli):
    error = run_cli("export", str(runs["cf"]), "--out", "/proc/zoo-export", code=1).stderr
    assert (
        error
        == "Error: cannot write /proc/zoo-export: No such file or directory (files already saved were not changed)\n"
    )
