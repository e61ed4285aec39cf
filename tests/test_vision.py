"""The vision plugin: VGG from its table, image folders (streamed, checked), weights by layer name,
output-preserving batch-norm insertion, cached features for a head, and the recipes end to end."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import DATA_DIR

from zoo.assembly.batchnorm import insert_batchnorm
from zoo.assembly.weights import assign_by_name, load_weights_by_name, read_weights
from zoo.catalog.specs import Split
from zoo.errors import RecipeError, ZooError
from zoo.fit.features import features, split_at
from zoo_plugins.vision.data import ImageSpec, image_folder, load_image, synthetic_images
from zoo_plugins.vision.models import vgg16, vgg16bn, vgg19

IMAGENET = ImageSpec(name="imagenet", task="multiclass", classes=[str(i) for i in range(1000)])
TINY = {"width": 0.0625}


def _weighted_names(model) -> list[str]:
    return [layer.name for layer in model.layers if layer.weights]


# -- the table ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("builder", "params", "count"),
    [
        (vgg16, {}, 138_357_544),  # keras.applications.VGG16 with its top, at 224x224x3
        (vgg19, {}, 143_667_240),  # keras.applications.VGG19
        (vgg16bn, {}, 138_357_544 + 2 * 4 * 4096),  # + gamma, beta, moving mean and variance of fc1_bn, fc2_bn
        (vgg16, {"bn_conv": True}, 138_357_544 + 4 * (2 * 64 + 2 * 128 + 3 * 256 + 6 * 512)),
        (vgg16, {"include_top": False, "classes": 0}, 14_714_688),  # the convolutional base
    ],
)
def test_each_variant_has_its_exact_parameter_count(builder, params, count):
    assert builder(IMAGENET, **params).count_params() == count


def test_layer_names_are_those_of_keras_applications():
    import keras

    ours = vgg16(ImageSpec.example(), include_top=False, classes=0, input_shape=(32, 32, 3))
    theirs = keras.applications.VGG16(weights=None, include_top=False, input_shape=(32, 32, 3))
    assert _weighted_names(ours) == _weighted_names(theirs)
    ours19 = vgg19(ImageSpec.example(), include_top=False, classes=0, input_shape=(32, 32, 3))
    theirs19 = keras.applications.VGG19(weights=None, include_top=False, input_shape=(32, 32, 3))
    assert _weighted_names(ours19) == _weighted_names(theirs19)


def test_batchnorm_sits_after_the_dense_layers_or_between_each_conv_and_its_relu():
    names = [layer.name for layer in vgg16bn(ImageSpec.example(), **TINY).layers]
    assert names[names.index("fc1") : names.index("predictions")] == [
        "fc1", "fc1_bn", "fc1_dropout", "fc2", "fc2_bn", "fc2_dropout",
    ]  # fmt: skip
    assert not any(name.startswith("block") and name.endswith("_bn") for name in names)
    model = vgg16(ImageSpec.example(), bn_conv=True, bn_momentum=0.9, **TINY)
    names = [layer.name for layer in model.layers]
    assert model.get_layer("block3_conv2_bn").momentum == 0.9
    assert names[names.index("block1_conv1") :][:4] == [
        "block1_conv1",
        "block1_conv1_bn",
        "block1_conv1_relu",
        "block1_conv2",
    ]
    assert model.get_layer("block1_conv1").get_config()["activation"] == "linear"
    assert "fc1_bn" not in names


def test_augmentation_is_active_in_training_only():
    model = vgg16(ImageSpec.example(), flip="horizontal", rotation=0.1, zoom=0.1, translation=0.1, dropout=0.0, **TINY)
    images = ImageSpec.example().example_inputs(2)
    import keras

    augment = keras.Model(model.input, model.get_layer("augment_shift").output)
    np.testing.assert_array_equal(np.asarray(augment(images, training=False)), images)
    assert not np.allclose(np.asarray(augment(images, training=True)), images)


def test_bad_arguments_are_refused_first():
    with pytest.raises(ValueError, match=r"Received: width=0"):
        vgg16(ImageSpec.example(), width=0)
    with pytest.raises(ValueError, match=r"Received: bn_momentum=1"):
        vgg16(ImageSpec.example(), bn_momentum=1)
    with pytest.raises(ValueError, match="pooling applies without the top"):
        vgg16(ImageSpec.example(), pooling="avg")
    with pytest.raises(ValueError, match="at least 32x32"):
        vgg16(ImageSpec.example(), input_shape=(16, 16, 3))
    small = ImageSpec(name="s", task="multiclass", classes=["a", "b"], image_size=[16, 40])
    with pytest.raises(ValueError, match=r"at least 32x32. Received: 16x40 \(dataset.image_size"):
        vgg16(small, include_top=False, pooling="avg")  # once: five lines of Keras's tensor reprs


# -- image folders ------------------------------------------------------------------------------


def _folder(root: Path, classes=("cats", "dogs"), per_class=4, size=40) -> Path:
    from PIL import Image

    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            Image.fromarray(rng.integers(0, 256, (size, size + 8, 3)).astype("uint8")).save(root / name / f"{i}.jpg")
    return root


def test_an_image_folder_streams_single_images_with_a_seeded_validation_draw(tmp_path):
    dataset = image_folder(path=str(_folder(tmp_path / "pets", per_class=10)), image_size=(32, 32), validation=0.2)
    assert dataset.spec.classes == ["cats", "dogs"] and dataset.spec.image_size == [32, 32]
    train, validation = dataset.splits["train"], dataset.splits["validation"]
    assert train.streams and (len(train), len(validation)) == (16, 4)
    x, y = next(iter(train.x))
    assert tuple(x.shape) == (32, 32, 3) and y.shape == ()  # single samples: the zoo batches them
    again = image_folder(path=str(tmp_path / "pets"), image_size=(32, 32), validation=0.2)
    assert again.checksum == dataset.checksum
    assert image_folder(path=str(tmp_path / "pets"), image_size=(40, 40)).checksum != dataset.checksum


def test_train_validation_and_test_folders_are_used_when_present(tmp_path):
    for split, n in (("train", 3), ("validation", 2), ("test", 1)):
        _folder(tmp_path / "pets" / split, per_class=n)
    dataset = image_folder(path=str(tmp_path / "pets"), image_size=(32, 32))
    assert {name: len(split) for name, split in dataset.splits.items()} == {"train": 6, "validation": 4, "test": 2}
    _folder(tmp_path / "pets" / "test", classes=("birds",), per_class=1)
    with pytest.raises(ZooError, match=r"test: class folders \['birds', 'cats', 'dogs'\] differ from train/'s"):
        image_folder(path=str(tmp_path / "pets"), image_size=(32, 32))


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_image_is_named_before_training(tmp_path, damage):
    root = _folder(tmp_path / "pets")
    bad = root / "dogs" / "2.jpg"
    data = bad.read_bytes()
    bad.write_bytes(b"this is not a JPEG" if damage == "garbage" else data[: len(data) // 3])
    with pytest.raises(ZooError, match=rf"{bad}: not an image that can be decoded"):
        image_folder(path=str(root), image_size=(32, 32))


def test_an_empty_class_folder_one_class_or_no_folder_is_one_clear_line(tmp_path):
    root = _folder(tmp_path / "pets")
    (root / "birds").mkdir()
    (root / "birds" / "notes.txt").write_text("no images here")
    with pytest.raises(ZooError, match=r"birds: no images"):
        image_folder(path=str(root))
    with pytest.raises(ZooError, match=r"one class folder \('cats'\); a classifier needs at least two"):
        image_folder(path=str(_folder(tmp_path / "one", classes=("cats",))))
    with pytest.raises(ZooError, match="is not a folder"):
        image_folder(path=str(tmp_path / "nowhere"))


def test_dogs_vs_cats_offline_says_where_to_put_the_images(tmp_path):
    from zoo_plugins.vision.data import dogs_vs_cats

    with pytest.raises(ZooError, match=r"not in .*dogs-vs-cats; download them from .*kaggle.*or set dataset.path"):
        dogs_vs_cats()


def test_synthetic_images_are_drawn_once_and_named_synthetic():
    first = synthetic_images(per_class=5, validation=2, image_size=16)
    second = synthetic_images(per_class=5, validation=2, image_size=16)
    assert first.spec.synthetic and first.spec.name == "synthetic-images" and first.source == "generated"
    assert first.checksum == second.checksum and first.spec.classes == ["bars", "disc", "frame"]
    assert (len(first.splits["train"]), len(first.splits["validation"])) == (15, 6)


# -- weights by layer name ---------------------------------------------------------------------------


def test_weights_load_by_name_and_a_mismatch_is_reported(tmp_path):
    source = vgg16(ImageSpec.example(), **TINY)  # two classes
    source.save(tmp_path / "source.keras")
    three = ImageSpec(name="x", task="multiclass", classes=["a", "b", "c"], image_size=[32, 32])
    target = vgg16bn(three, **TINY)
    report = load_weights_by_name(target, str(tmp_path / "source.keras"))
    assert "block1_conv1" in report.loaded and "fc2" in report.loaded
    assert report.missing == ["fc1_bn", "fc2_bn"] and report.unused == []
    assert report.file == str(tmp_path / "source.keras") and len(report.sha256) == 64
    assert report.mismatched == ["predictions: file (256, 2), (2,), model (256, 3), (3,)"]
    np.testing.assert_array_equal(target.get_layer("fc1").get_weights()[0], source.get_layer("fc1").get_weights()[0])
    assert "predictions: file (256, 2)" in report.summary()
    notop = vgg16(ImageSpec.example(), include_top=False, pooling="avg", classes=0, **TINY)
    report = load_weights_by_name(notop, str(tmp_path / "source.keras"))
    assert (
        report.unused == ["fc1", "fc2", "predictions"] and "in the file only: fc1, fc2, predictions" in report.summary()
    )


def test_weights_load_from_an_h5_file_in_the_keras_applications_layout(tmp_path):
    import h5py

    source = vgg16(ImageSpec.example(), **TINY)
    path = tmp_path / "published.h5"  # top-level layer_names, each group's weight_names, as the published files
    with h5py.File(path, "w") as file:
        names = _weighted_names(source)
        file.attrs["layer_names"] = [n.encode() for n in names]
        for name in names:
            group = file.create_group(name)
            weights = source.get_layer(name).get_weights()
            group.attrs["weight_names"] = [f"{name}/w{i}".encode() for i in range(len(weights))]
            for i, value in enumerate(weights):
                group[f"{name}/w{i}"] = value
    target = vgg16(ImageSpec.example(), **TINY)
    report = assign_by_name(target, read_weights(str(path)), str(path))
    assert report.loaded == names and not report.missing and not report.mismatched
    images = ImageSpec.example().example_inputs(3)
    np.testing.assert_allclose(target.predict(images, verbose=0), source.predict(images, verbose=0), rtol=1e-6)


def test_weights_sources_that_cannot_load_by_name_are_one_line(tmp_path, monkeypatch):
    import keras

    model = vgg16(ImageSpec.example(), **TINY)
    model.save_weights(tmp_path / "m.weights.h5")
    with pytest.raises(RecipeError, match="keeps weights by position, not by layer name"):
        read_weights(str(tmp_path / "m.weights.h5"))
    with pytest.raises(RecipeError, match="does not exist"):
        read_weights(str(tmp_path / "missing.keras"))
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="unrelated")])
    other.save(tmp_path / "other.keras")
    with pytest.raises(RecipeError, match="no layer of the model took weights"):
        load_weights_by_name(model, str(tmp_path / "other.keras"))


def test_imagenet_offline_names_the_file_and_where_to_put_it(tmp_path, monkeypatch, capsys):
    import keras

    import zoo

    def offline(fname, origin, **kwargs):
        print(f"Downloading data from {origin}")  # as Keras does, on stdout
        raise Exception(f"URL fetch failure on {origin}: None -- [Errno -2] Name or service not known")

    monkeypatch.setattr(keras.utils, "get_file", offline)  # no test downloads weights
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    entry = zoo.load_plugins().get("model", "vgg16")
    with pytest.raises(
        RecipeError, match=r"put vgg16_weights_tf_dim_ordering_tf_kernels.h5 in .*keras/models/"
    ) as info:
        read_weights("imagenet", entry)
    message = str(info.value)  # once 515 characters, the URL twice, after Keras's line on stdout
    assert "([Errno -2] Name or service not known)" in message and message.count("https://") == 1
    assert len(message) < 450  # the URL once, the local folder (a long temporary path here) once
    out = capsys.readouterr()
    assert out.out == "" and "Downloading data from" in out.err
    with pytest.raises(RecipeError, match="registers only imagenet"):
        read_weights("places365", entry)


# -- batch-norm insertion --------------------------------------------------------------------------


def _assert_same_outputs(old, new, inputs):
    before, after = np.asarray(old.predict(inputs, verbose=0)), np.asarray(new.predict(inputs, verbose=0))
    scale = float(np.abs(before).max())
    assert np.abs(after - before).max() <= 1e-4 * scale, np.abs(after - before).max() / scale


def test_inserted_batchnorm_leaves_a_random_vgg_unchanged():
    spec = ImageSpec.example()
    model = vgg16(spec, **TINY)
    calibration = [spec.example_inputs(8, seed=s) for s in range(3)]
    new = insert_batchnorm(model, ["fc1", "fc2"], calibration)
    names = [layer.name for layer in new.layers]
    assert names[names.index("fc1") :][:3] == ["fc1", "fc1_bn", "fc1_dropout"]
    assert "fc1_bn" not in [layer.name for layer in model.layers]  # the given model is left as it was
    _assert_same_outputs(model, new, spec.example_inputs(16, seed=99))  # held-out inputs
    assert [w.shape for w in new.get_layer("fc1_bn").get_weights()] == [(256,)] * 4
    # A random VGG's activations are small enough that even an uncalibrated BN passes the identity
    # above; its moving statistics must be the activations' own on the calibration batches.
    import keras

    fc1 = keras.Model(model.inputs, model.get_layer("fc1").output)
    activations = np.concatenate([np.asarray(fc1.predict(x, verbose=0), "float64") for x in calibration])
    gamma, beta, mean, variance = new.get_layer("fc1_bn").get_weights()
    np.testing.assert_allclose(mean, activations.mean(axis=0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(variance, activations.var(axis=0), rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(beta, mean)
    np.testing.assert_allclose(gamma, np.sqrt(variance + new.get_layer("fc1_bn").epsilon), rtol=1e-6)


def test_inserted_batchnorm_leaves_a_trained_cnn_unchanged():
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 12, 12, 1)).astype("float32")
    y = (x[:, :6].mean(axis=(1, 2, 3)) > 0).astype("int32")
    inputs = keras.Input((12, 12, 1), name="image")
    h = keras.layers.Conv2D(8, 3, activation="relu", name="conv")(inputs)
    h = keras.layers.Flatten(name="flatten")(h)
    h = keras.layers.Dense(16, activation="relu", name="dense")(h)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax", name="out")(h))
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x[:200], y[:200], epochs=3, verbose=0)
    new = insert_batchnorm(model, ["conv", "dense"], [x[:100], x[100:200]])
    _assert_same_outputs(model, new, x[200:])
    with pytest.raises(RecipeError, match="no layer named 'fc9'"):
        insert_batchnorm(model, ["fc9"], [x[:10]])
    sequential = keras.Sequential(
        [keras.Input((12, 12, 1)), *[type(layer).from_config(layer.get_config()) for layer in model.layers[1:]]]
    )
    sequential.set_weights(model.get_weights())
    from_sequential = insert_batchnorm(sequential, ["dense"], [x[:100]])
    assert "dense_bn" in [layer.name for layer in from_sequential.layers]
    _assert_same_outputs(sequential, from_sequential, x[200:])
    with pytest.raises(RecipeError, match="already has conv_bn"):
        insert_batchnorm(new, ["conv"], [x[:10]])


# -- cached features --------------------------------------------------------------------------------


def test_features_are_reused_and_invalidated_by_the_data_or_the_weights(tmp_path):
    spec = ImageSpec.example()
    model = vgg16(spec, **TINY)
    base, head = split_at(model, "flatten")
    assert head.get_layer("fc1") is model.get_layer("fc1")  # the head trains the model's own layers
    split = Split(spec.example_inputs(10), np.arange(10) % 2)
    first = features(base, split, 4, "data-1 train flatten", cache=tmp_path)
    again = features(base, split, 4, "data-1 train flatten", cache=tmp_path)
    assert not first.cached and again.cached and again.path == first.path
    np.testing.assert_array_equal(again.x, first.x)
    assert first.x.shape == (10, 32) and list(again.y) == list(split.y)
    other_data = features(base, split, 4, "data-2 train flatten", cache=tmp_path)
    assert not other_data.cached
    conv = model.get_layer("block1_conv1")
    conv.set_weights([w + 0.01 for w in conv.get_weights()])
    changed = features(base, split, 4, "data-1 train flatten", cache=tmp_path)
    assert not changed.cached and not np.allclose(changed.x, first.x)
    first.path.write_bytes(b"damaged")  # a damaged cache file is computed again
    conv.set_weights([w - 0.01 for w in conv.get_weights()])
    assert not features(base, split, 4, "data-1 train flatten", cache=tmp_path).cached


def _bad_crc(path: Path) -> None:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("x.npy")
    data = bytearray(path.read_bytes())
    data[info.header_offset + 30 + len(info.filename) + 100] ^= 0xFF  # a byte of x.npy's data
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "File is not a zip file"),
        (lambda p: p.write_bytes(b""), ""),
        (_bad_crc, "Bad CRC-32"),
        (lambda p: np.savez(p, x=np.zeros((10, 5), "float32"), y=np.zeros(10), key=np.array("x")), "made for other"),
        (lambda p: np.savez(p, x=np.zeros((10, 5), "float32"), y=np.zeros(10)), "'key is not a file"),
    ],
    ids=["truncated", "zero bytes", "bad CRC", "another key", "no key (an older cache)"],
)
def test_any_cache_that_cannot_be_used_is_computed_again_with_one_line(tmp_path, capsys, damage, reason):
    """Once: only non-zip garbage was recomputed; a zero-byte file printed `Aborted!`, the others
    crashed or trained on wrong data."""
    spec = ImageSpec.example()
    base, _ = split_at(vgg16(spec, **TINY), "flatten")
    split = Split(spec.example_inputs(10), np.arange(10) % 2)
    first = features(base, split, 4, "k", cache=tmp_path)
    damage(first.path)
    capsys.readouterr()
    again = features(base, split, 4, "k", cache=tmp_path)
    assert not again.cached and np.array_equal(again.x, first.x)
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"zoo: the feature cache {first.path} cannot be used (") and reason in line
    assert line.endswith("); computing the features again")
    assert features(base, split, 4, "k", cache=tmp_path).cached  # and the cache is whole again


def test_a_cache_of_the_wrong_shape_or_count_is_not_trained_on(tmp_path, capsys):
    spec = ImageSpec.example()
    base, _ = split_at(vgg16(spec, **TINY), "flatten")
    split = Split(spec.example_inputs(10), np.arange(10) % 2)
    first = features(base, split, 4, "k", cache=tmp_path)
    key = np.load(first.path)["key"]
    for x, y in [(np.zeros((10, 5), "float32"), np.zeros(10)), (np.zeros((7, 32), "float32"), np.zeros(7))]:
        np.savez(first.path, x=x, y=y, key=key)
        again = features(base, split, 4, "k", cache=tmp_path)
        assert not again.cached and again.x.shape == (10, 32)
    assert "7 features and 7 targets for 10 samples" in capsys.readouterr().err


def test_a_layer_that_not_every_path_crosses_cannot_cache_features():
    import keras

    inputs = keras.Input((4,), name="x")
    a = keras.layers.Dense(3, name="a")(inputs)
    b = keras.layers.Dense(3, name="b")(inputs)
    model = keras.Model(inputs, keras.layers.Concatenate(name="both")([a, b]))
    with pytest.raises(RecipeError, match="also read other layers' outputs"):
        split_at(model, "a")


# -- the recipes, end to end -------------------------------------------------------------------------


def test_synthetic_images_train_then_predict_image_files(run_cli, tmp_path):
    run_cli("train", "synthetic-images-vgg", "--out", "run", "--set", "train.epochs=1", "--set", "dataset.per_class=20")
    meta = json.loads((tmp_path / "run" / "meta.json").read_text())
    assert meta["dataset"]["splits"] == {"train": 60, "validation": 90} and meta["dataset"]["synthetic"]
    images = sorted((Path(os.environ["ZOO_HOME"]) / "synthetic-images").glob("*/validation/disc/*.png"))[:2]
    result = run_cli("predict", "run", *map(str, images))
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["input"] for line in lines] == list(map(str, images))
    import zoo

    saved = zoo.load_run(tmp_path / "run")  # what predict printed is the model's own answer on those files
    probabilities = saved.model.predict(np.stack([load_image(path, saved.spec) for path in images]), verbose=0)
    for line, row in zip(lines, probabilities):
        assert line["prediction"] == {
            "label": saved.spec.classes[int(row.argmax())],
            "probability": round(float(row.max()), 6),
        }
    result = run_cli("predict", "run", str(tmp_path / "run" / "meta.json"), code=1)
    assert "not an image file that can be read" in result.stderr


@pytest.mark.slow
def test_a_head_stage_on_cached_features_then_end_to_end(run_cli, write_file, tmp_path):
    write_file(
        "head.yaml",
        """
        name: head-then-all
        extends: synthetic-images-vgg
        dataset: {per_class: 20, validation: 5}
        train:
          stages:
            - {epochs: 3, cache_features: flatten}
            - {epochs: 1, learning_rate: 0.0003}
        """,
    )
    result = run_cli("train", "-c", "head.yaml", "--out", "run")
    assert "features of 'flatten' for 60 train samples computed and cached" in result.stderr
    history = (tmp_path / "run" / "history.csv").read_text().splitlines()
    assert len(history) == 1 + 4
    result = run_cli("train", "-c", "head.yaml", "--out", "again")
    assert "for 60 train samples read from the cache" in result.stderr


@pytest.mark.slow
def test_the_lessons_recipe_form_inserts_batchnorm_without_changing_the_outputs(run_cli, write_file, tmp_path):
    import zoo

    run_cli(
        "train", "synthetic-images-vgg", "--out", "plain", "--set", "train.epochs=1", "--set", "dataset.per_class=20"
    )
    write_file(
        "bn.yaml",
        f"""
        name: insert-bn
        extends: synthetic-images-vgg
        dataset: {{per_class: 20}}
        model: {{dropout: 0.1}}
        build:
          initial_weights: {tmp_path / "plain"}
          insert_batchnorm: [fc1, fc2]
          calibration_batches: 2
        """,
    )
    inserted = zoo.build(config_files=(str(tmp_path / "bn.yaml"),))
    trained = zoo.load_run(tmp_path / "plain")
    images = ImageSpec.example().example_inputs(6, seed=5)
    _assert_same_outputs(trained.model, inserted, images)
    result = run_cli("train", "-c", "bn.yaml", "--out", "bn", "--set", "train.epochs=1")
    assert "initial weights: 16 layer(s) loaded from" in result.stderr
    meta = json.loads((tmp_path / "bn" / "meta.json").read_text())
    assert meta["initial_weights"]["missing"] == [] and len(meta["initial_weights"]["loaded"]) == 16
    assert "fc2_bn" in [layer.name for layer in zoo.load_run(tmp_path / "bn").model.layers]


@pytest.mark.realdata
def test_dogs_vs_cats_images_train_and_predict(run_cli, tmp_path):
    root = Path(DATA_DIR) / "images" / "dogs-vs-cats"
    for split, names in (("train", range(8)), ("validation", range(500, 504))):
        for kind in ("cat", "dog"):
            (tmp_path / "few" / split / f"{kind}s").mkdir(parents=True)
            for i in names:
                shutil.copy(root / split / f"{kind}s" / f"{kind}.{i}.jpg", tmp_path / "few" / split / f"{kind}s")
    dataset = image_folder(path=str(root), image_size=(64, 64))
    assert {k: len(v) for k, v in dataset.splits.items()} == {"train": 1000, "validation": 400}
    assert dataset.spec.classes == ["cats", "dogs"]
    run_cli("train", "dogs-vs-cats-vgg-small", "--out", "run", "--set", f"dataset.path={tmp_path / 'few'}",
            "--set", "dataset.image_size=[64, 64]", "--set", "train.epochs=1")  # fmt: skip
    result = run_cli("predict", "run", str(root / "validation" / "cats" / "cat.600.jpg"))
    assert json.loads(result.stdout)["prediction"]["label"] in ("cats", "dogs")


@pytest.mark.slow
def test_the_lessons_dogs_vs_cats_recipe_runs_from_an_imagenet_file(run_cli, tmp_path, monkeypatch):
    """The lesson's recipe at a tiny width, its "imagenet" file written here in the published layout
    (no test downloads weights): weights loaded, BN inserted, head on cached features, fine-tuned."""
    import h5py
    import keras

    source = vgg16(ImageSpec(name="x", task="multiclass", classes=list("abc"), image_size=[32, 32]), **TINY)
    published = tmp_path / "vgg16_weights_tf_dim_ordering_tf_kernels.h5"
    with h5py.File(published, "w") as file:
        file.attrs["layer_names"] = [layer.name.encode() for layer in source.layers]
        for layer in source.layers:
            group = file.create_group(layer.name)
            group.attrs["weight_names"] = [f"{layer.name}/{i}".encode() for i in range(len(layer.weights))]
            for i, value in enumerate(layer.get_weights()):
                group[f"{layer.name}/{i}"] = value
    monkeypatch.setattr(keras.utils, "get_file", lambda file, url, **kwargs: str(published))
    for split in ("train", "validation"):
        _folder(tmp_path / "pets" / split, per_class=6)
    result = run_cli("train", "dogs-vs-cats-vgg16bn", "--out", "run", "--set", f"dataset.path={tmp_path / 'pets'}",
                     "--set", "dataset.image_size=[32, 32]", "--set", "model.width=0.0625",
                     "--set", "build.calibration_batches=1", "--set", "train.stages.0.epochs=2",
                     "--set", "train.stages.1.epochs=1")  # fmt: skip
    assert "initial weights: 15 layer(s) loaded" in result.stderr
    assert "predictions: file (256, 3), (3,), model (256, 2), (2,)" in result.stderr
    assert "features of 'flatten' for 12 train samples computed and cached" in result.stderr
    meta = json.loads((tmp_path / "run" / "meta.json").read_text())
    assert meta["status"] == "complete" and meta["epochs"] == 3


def test_an_image_folder_recipe_sets_its_path_and_zoo_show_lists_it(tmp_path, run_cli, write_file):
    folder = _folder(tmp_path / "pets", per_class=5, size=32)
    shown = run_cli("show", "image-folder").stdout
    assert "path" in shown
    recipe = write_file(
        "r.yaml",
        f"""
        extends: synthetic-images-vgg
        dataset: {{use: image-folder, path: {folder}, image_size: [32, 32], validation: 0.2}}
        train: {{epochs: 1}}
    """,
    )
    run_cli("build", "-c", str(recipe), "--dry-run")  # once: "unknown parameter" (path was positional)
    run_cli("train", "-c", str(recipe), "--out", str(tmp_path / "run"), "-q")
    assert json.loads((tmp_path / "run" / "spec.json").read_text())["classes"] == ["cats", "dogs"]


@pytest.mark.parametrize("classes", [1, 2])
def test_a_model_whose_classes_are_not_the_datasets_is_refused_before_the_run_is_written(tmp_path, run_cli, classes):
    """Once: classes=1 failed inside fit and left the run 'training'; classes=2 of 3 trained silently
    and `zoo predict` printed bare lists of probabilities."""
    error = run_cli(
        "train", "synthetic-images-vgg", "--set", f"model.classes={classes}", "--out", str(tmp_path / "run"), code=1
    ).stderr
    assert error == (
        f"Error: model 'vgg16' outputs {classes} class(es), and dataset 'synthetic-images' has 3 (bars, disc, "
        f"frame); set model.classes=3, or leave it out to follow the dataset\n"
    )
    assert not (tmp_path / "run").exists()


def test_a_positional_adapter_parameter_in_a_recipe_names_the_plugins_mistake(tmp_path, run_cli, write_file):
    plugin = write_file(
        "positional.py",
        """
        from zoo.plugin import Dataset, hookimpl

        def folder_data(path: str, *, size: int = 1) -> Dataset:
            raise AssertionError("never called")

        @hookimpl
        def register_datasets(register):
            register("folder-data", folder_data)
    """,
    )
    error = run_cli(
        "--plugin", str(plugin), "build", "synthetic-images-vgg", "--set", "dataset={use: folder-data, path: x}",
        "--dry-run", code=1,
    ).stderr  # fmt: skip
    assert "takes 'path' positionally, as the zoo fills it itself" in error
    assert "the plugin should declare it keyword-only (after `*`)" in error and error.count("\n") == 1


def test_misleading_messages_now_say_what_is_wrong(tmp_path, run_cli):
    run = tmp_path / "run"
    run_cli("build", "synthetic-images-vgg", "--out", str(run))
    folder = tmp_path / "pictures"
    folder.mkdir()
    error = run_cli("predict", str(run), str(folder), code=1).stderr  # once: "no such image file"
    assert error == f"Error: {folder} is a folder; give image files (e.g. {folder}/*.jpg)\n"
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    error = run_cli("predict", str(run), str(text), code=1).stderr
    assert error.startswith(f"Error: {text}: not an image file that can be read") and "BytesIO" not in error
    error = run_cli(
        "build", "synthetic-images-vgg", "--set", "dataset={use: dogs-vs-cats, path: " + str(text) + "}", code=1
    ).stderr  # once: "download them from Kaggle"
    assert "is a file; give the folder that holds train/{cats,dogs}/" in error and error.count("\n") == 1
    for damaged in (b"", (run / "model.keras").read_bytes()[:1000]):  # once: "File not found"
        (run / "model.keras").write_bytes(damaged)
        error = run_cli("predict", str(run), str(text), code=1).stderr
        assert f"model.keras: damaged ({len(damaged):,} bytes, not a complete .keras file)" in error


def test_the_docs_demo_runs_as_written(tmp_path, run_cli, monkeypatch):
    """docs/vision.md: train the demo, draw new shapes, predict them (once the files did not exist)."""
    monkeypatch.chdir(tmp_path)
    run_cli("build", "synthetic-images-vgg", "--out", "runs/shapes")  # built, not trained: the files are the point
    assert run_cli("draw-shapes", ".").stdout.split() == ["bars.png", "disc.png", "frame.png"]
    lines = run_cli("predict", "runs/shapes", "disc.png", "frame.png").stdout.splitlines()
    assert [json.loads(line)["input"] for line in lines] == ["disc.png", "frame.png"]
    assert {json.loads(line)["prediction"]["label"] for line in lines} <= {"bars", "disc", "frame"}
