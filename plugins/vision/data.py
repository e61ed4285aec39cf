"""Image folders as streaming datasets: ``image-folder`` (one sub-folder per class), ``dogs-vs-cats``
(the lesson's Kaggle images, wherever the user has them) and ``synthetic-images`` (generated shapes,
for demos and tests).

Images are read through ``keras.utils.image_dataset_from_directory`` one at a time as training
needs them (a ``tf.data`` split of single images, which the zoo batches by the recipe's
``batch_size``), so memory does not grow with the folder. Every file is decoded once before
training starts, so a corrupt file is named by its path instead of stopping an epoch midway.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np

from zoo.plugin import (
    Dataset,
    DatasetSpec,
    Split,
    ZooError,
    cache_home,
    captured_native_stderr,
    data_home,
    find_data,
    sha256_of,
)

ColorMode = Literal["rgb", "grayscale", "rgba"]
CHANNELS = {"rgb": 3, "grayscale": 1, "rgba": 4}
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif")  # what image_dataset_from_directory reads
SPLITS = ("train", "validation", "test")


@dataclass
class ImageSpec(DatasetSpec):
    """Images of ``image_size`` (height, width) with ``channels``, each of one of ``classes``
    (the class folders' names, sorted: the model's output ``i`` is ``classes[i]``)."""

    classes: list[str] = field(default_factory=list)
    image_size: list[int] = field(default_factory=lambda: [224, 224])
    channels: int = 3

    input_files: ClassVar[bool] = True

    @classmethod
    def example(cls) -> ImageSpec:
        return cls(name="example", task="multiclass", synthetic=True, classes=["a", "b"], image_size=[32, 32])

    @property
    def color_mode(self) -> ColorMode:
        return {c: m for m, c in CHANNELS.items()}[self.channels]  # type: ignore[return-value]

    def example_inputs(self, n: int, seed: int = 0) -> np.ndarray:
        shape = (n, *self.image_size, self.channels)
        return np.random.default_rng(seed).integers(0, 256, shape).astype("float32")

    def encode_inputs(self, raw: Any) -> np.ndarray:
        """Image files (paths, or their bytes as ``zoo serve`` receives them) as the model's input:
        loaded, converted and resized as in training."""
        if isinstance(raw, np.ndarray):
            return raw
        images = [raw] if isinstance(raw, (str, os.PathLike, bytes)) else list(raw)
        if not images or not all(isinstance(p, (str, os.PathLike, bytes)) for p in images):
            raise ZooError("give image files, e.g. `zoo predict RUN cat.jpg dog.jpg`")
        return np.stack([load_image(image, self, f"image {i + 1}") for i, image in enumerate(images)])


def load_image(image: str | os.PathLike[str] | bytes, spec: ImageSpec, label: str = "image") -> np.ndarray:
    """One image file (a path, or the file's bytes, named ``label`` in messages) as float32 pixels in
    [0, 255], resized to the spec's size (bilinear, as ``image_dataset_from_directory`` does); a
    missing or unreadable file is one line."""
    import keras

    if isinstance(image, bytes):
        source: Any = io.BytesIO(image)
    else:
        source = label = str(image)
        if Path(image).is_dir():
            raise ZooError(f"{image} is a folder; give image files (e.g. {image}/*.jpg)")
        if not Path(image).is_file():
            raise ZooError(f"{image}: no such image file")
    try:
        loaded = keras.utils.load_img(
            source, color_mode=spec.color_mode, target_size=tuple(spec.image_size), interpolation="bilinear"
        )
    except Exception as exc:  # PIL's UnidentifiedImageError, OSError for a truncated file, ...
        reason = re.sub(r"<_io\.BytesIO object at 0x[0-9a-f]+>", "it", str(exc))  # Keras reads files into one
        raise ZooError(f"{label}: not an image file that can be read ({reason})") from None
    return keras.utils.img_to_array(loaded, dtype="float32")


# -- the folder --------------------------------------------------------------------------------


def _class_folders(folder: Path) -> list[str]:
    """The class names of ``folder``, checked: at least two, none empty."""
    classes = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise ZooError(
            f"{folder}: no class folders; put each class's images in a sub-folder named after it "
            f"(e.g. {folder}/cats/, {folder}/dogs/)"
        )
    if len(classes) == 1:
        raise ZooError(f"{folder}: one class folder ({classes[0]!r}); a classifier needs at least two")
    for name in classes:
        if not any(p.suffix.lower() in IMAGE_SUFFIXES for p in (folder / name).rglob("*") if p.is_file()):
            raise ZooError(f"{folder / name}: no images ({', '.join(IMAGE_SUFFIXES)}); add some or remove the folder")
    return classes


def _layout(root: Path) -> dict[str, Path]:
    """``{split: folder}``: train/validation/test sub-folders when ``root`` has a ``train`` folder,
    else ``root`` itself as the training folder."""
    if not root.is_dir():
        raise ZooError(f"dataset.path {str(root)!r} is not a folder; give a folder with one sub-folder per class")
    if not (root / "train").is_dir():
        return {"train": root}
    return {split: root / split for split in SPLITS if (root / split).is_dir()}


def _check_decodable(files: list[str], channels: int) -> None:
    """Decode every file once (in parallel, in TensorFlow, as training will) and name those that fail."""
    import tensorflow as tf

    def decodes(path: Any) -> Any:
        image = tf.io.decode_image(tf.io.read_file(path), channels=channels, expand_animations=False)
        return path, tf.shape(image)

    paths = tf.data.Dataset.from_tensor_slices(files)
    good_ds = paths.map(decodes, num_parallel_calls=tf.data.AUTOTUNE).ignore_errors().map(lambda p, s: p)
    with captured_native_stderr():  # libjpeg's own warnings ("Corrupt JPEG data") would come before the zoo's line
        good = {p.decode() for batch in good_ds.batch(4096) for p in batch.numpy().tolist()}
    bad = [f for f in files if f not in good]
    if bad:
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise ZooError(f"{bad[0]}: not an image that can be decoded{more}; remove or replace it")


def _checksum(files: list[str], root: Path, settings: str) -> str:
    """sha256 of the settings and every file's name and bytes, read one file at a time."""
    digest = hashlib.sha256(settings.encode())
    for name in sorted(files):
        digest.update(os.path.relpath(name, root).encode())
        digest.update(Path(name).read_bytes())
    return digest.hexdigest()


def image_folder(
    *,
    path: str,
    image_size: tuple[int, int] = (224, 224),
    color_mode: ColorMode = "rgb",
    validation: float = 0.2,
    seed: int = 0,
    crop_to_aspect_ratio: bool = False,
) -> Dataset[ImageSpec]:
    """Images in one sub-folder per class: ``train/``, ``validation/`` and ``test/`` folders of
    class folders when there is a ``train/``, else the class folders themselves with a seeded
    ``validation`` fraction held out.

    Args:
        path: The folder.
        image_size: (height, width) every image is resized to.
        color_mode: rgb, grayscale or rgba.
        validation: Fraction held out for validation when the folder has no validation/ folder.
        seed: Seeds the validation draw and the order of training images.
        crop_to_aspect_ratio: Crop to the target's aspect ratio before resizing, instead of squashing.
    """
    if len(image_size) != 2 or min(image_size) < 1:
        raise ZooError(f"dataset.image_size must be (height, width). Received: {list(image_size)}")
    if not 0 <= validation < 1:
        raise ZooError(f"dataset.validation must be in [0, 1). Received: {validation}")
    try:
        import tensorflow  # noqa: F401  (tf.data streams the images, whichever Keras backend trains)
    except ImportError:
        raise ZooError("image folders are read with tf.data: pip install tensorflow-cpu (or tensorflow)") from None
    import keras

    root = Path(path).expanduser()
    folders = _layout(root)
    classes = _class_folders(folders["train"])
    for folder in list(folders.values())[1:]:
        others = _class_folders(folder)
        if others != classes:
            raise ZooError(f"{folder}: class folders {others} differ from train/'s {classes}")
    options = dict(
        labels="inferred",
        label_mode="int",
        class_names=classes,
        color_mode=color_mode,
        batch_size=None,  # single images: the zoo batches by the recipe's batch_size
        image_size=tuple(image_size),
        seed=seed,
        verbose=False,
        crop_to_aspect_ratio=crop_to_aspect_ratio,
    )
    load = keras.utils.image_dataset_from_directory
    streams: dict[str, Any] = {}
    if "validation" not in folders and validation > 0:
        streams["train"], streams["validation"] = load(
            str(folders["train"]), shuffle=True, validation_split=validation, subset="both", **options
        )
    else:
        streams["train"] = load(str(folders["train"]), shuffle=True, **options)
    for split in ("validation", "test"):
        if split in folders:
            streams[split] = load(str(folders[split]), shuffle=False, **options)
    files = [f for ds in streams.values() for f in ds.file_paths]
    _check_decodable(files, CHANNELS[color_mode])
    settings = (
        f"image_size={list(image_size)} color_mode={color_mode} validation={validation} seed={seed} "
        f"crop={crop_to_aspect_ratio}"
    )
    spec = ImageSpec(
        name="image-folder",
        task="multiclass",
        classes=classes,
        image_size=list(image_size),
        channels=CHANNELS[color_mode],
    )
    splits = {name: Split(ds, count=len(ds.file_paths)) for name, ds in streams.items()}
    return Dataset(spec, splits, checksum=_checksum(files, root, settings), source=str(root))


# -- the lesson's images -------------------------------------------------------------------------


def dogs_vs_cats(
    *,
    path: str | None = None,
    image_size: tuple[int, int] = (224, 224),
    validation: float = 0.2,
    seed: int = 0,
    crop_to_aspect_ratio: bool = False,
) -> Dataset[ImageSpec]:
    """The Kaggle Dogs vs. Cats images (2013), in ``train/{cats,dogs}`` and ``validation/{cats,dogs}``:
    ``path``, else ``dogs-vs-cats/`` in the data home. Kaggle's terms need a sign-in to download
    them, so the zoo never does.

    Args:
        path: The folder, if it is not in the data home.
        image_size: (height, width) every image is resized to.
        validation: Fraction held out for validation when the folder has no validation/ folder.
        seed: Seeds the validation draw and the order of training images.
        crop_to_aspect_ratio: Crop to the target's aspect ratio before resizing, instead of squashing.
    """
    found = find_data("dogs-vs-cats", "images/dogs-vs-cats")  # as named, or grouped by kind
    root = Path(path).expanduser() if path else found or data_home() / "dogs-vs-cats"
    if root.is_file():
        raise ZooError(
            f"dataset.path {str(root)!r} is a file; give the folder that holds train/{{cats,dogs}}/ "
            f"(and validation/{{cats,dogs}}/)"
        )
    if not root.is_dir():
        raise ZooError(
            f"the Dogs vs. Cats images are not in {root}; download them from "
            f"https://www.kaggle.com/c/dogs-vs-cats/data (a Kaggle sign-in), put them in "
            f"{root}/train/{{cats,dogs}}/ and {root}/validation/{{cats,dogs}}/, or set dataset.path"
        )
    dataset = image_folder(
        path=str(root),
        image_size=image_size,
        validation=validation,
        seed=seed,
        crop_to_aspect_ratio=crop_to_aspect_ratio,
    )
    dataset.spec.name = "dogs-vs-cats"
    return dataset


# -- generated images ------------------------------------------------------------------------------

SHAPES = ("bars", "disc", "frame")


def _draw(shape: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """One RGB image: a ``shape`` of a random colour at a random place and size, on noise."""
    image = rng.integers(0, 90, (size, size, 3)).astype("float32")
    colour = rng.integers(120, 256, 3)
    radius = rng.uniform(0.2, 0.35) * size
    cy, cx = rng.uniform(radius, size - radius, 2)
    yy, xx = np.mgrid[:size, :size]
    if shape == "disc":
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2
    elif shape == "frame":
        inside = (abs(yy - cy) <= radius) & (abs(xx - cx) <= radius)
        mask = inside & ~((abs(yy - cy) <= radius * 0.6) & (abs(xx - cx) <= radius * 0.6))
    else:  # horizontal bars across a square
        mask = (abs(yy - cy) <= radius) & (abs(xx - cx) <= radius) & ((yy // max(1, size // 8)) % 2 == 0)
    image[mask] = colour
    return image.astype("uint8")


def synthetic_images(
    *, image_size: int = 32, per_class: int = 100, validation: int = 30, seed: int = 0
) -> Dataset[ImageSpec]:
    """SYNTHETIC images: bars, a disc or a frame, of random colour, place and size, on noise (three
    learnable classes), written once as PNG files into the data home and read as an image folder.

    Args:
        image_size: Side of the square images, in pixels.
        per_class: Training images per class.
        validation: Validation images per class.
        seed: Seeds the drawing.
    """
    for name, value, least in (
        ("image_size", image_size, 8),
        ("per_class", per_class, 1),
        ("validation", validation, 1),
    ):
        if value < least:
            raise ZooError(f"dataset.{name} must be at least {least}. Received: {value}")
    from PIL import Image

    settings = f"shapes={SHAPES} image_size={image_size} per_class={per_class} validation={validation} seed={seed}"
    root = cache_home() / "synthetic-images" / sha256_of(settings)[:16]
    if not root.is_dir():  # drawn into a temporary folder, renamed when complete
        root.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=root.parent, prefix=".drawing-"))
        rng = np.random.default_rng(seed)
        for split, count in (("train", per_class), ("validation", validation)):
            for shape in SHAPES:
                (tmp / split / shape).mkdir(parents=True)
                for i in range(count):
                    Image.fromarray(_draw(shape, image_size, rng)).save(tmp / split / shape / f"{i:05d}.png")
        try:
            tmp.rename(root)
        except OSError:  # another process drew the same images first
            shutil.rmtree(tmp, ignore_errors=True)
    dataset = image_folder(path=str(root), image_size=(image_size, image_size), seed=seed)
    dataset.spec.name, dataset.spec.synthetic, dataset.source = "synthetic-images", True, "generated"
    return dataset
