"""VGG (Simonyan & Zisserman, 2014) in the Keras functional API, variants as data.

One builder, :func:`vgg`, and a table of variants (as timm's ``vgg.py`` keeps its configurations):
each public builder (``vgg16``, ``vgg16bn``, ``vgg19``) is its row of ``VARIANTS`` with a real
signature, so a recipe's parameters are checked against it. Layer names are those of
``keras.applications.VGG16`` / ``VGG19`` (``block1_conv1`` ... ``fc1``, ``fc2``, ``predictions``), so
their weight files load by name; what the zoo adds is named after the layer it follows
(``fc1_bn``, ``fc1_dropout``, ``block1_conv1_bn``).

    image -> [augmentation] -> caffe preprocessing -> conv blocks -> flatten -> fc1 -> [fc1_bn] ->
        dropout -> fc2 -> [fc2_bn] -> dropout -> predictions

Keras is imported inside the builders so that listing and validating recipes stays light.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from zoo.plugin import variants_builder
from zoo_plugins.vision.data import ImageSpec

if TYPE_CHECKING:
    import keras

#: Convolution channels per block (timm's and torchvision's "cfgs", split by block).
BLOCKS = {
    16: ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512), (512, 512, 512)),
    19: ((64, 64), (128, 128), (256, 256, 256, 256), (512, 512, 512, 512), (512, 512, 512, 512)),
}
DENSE_UNITS = 4096


@dataclass(frozen=True)
class Option:
    type: Any
    default: Any
    doc: str


OPTIONS = {
    "input_shape": Option(
        tuple[int, int, int] | None, None, "(height, width, channels); by default the dataset's image size."
    ),
    "include_top": Option(bool, True, "The flatten -> fc1 -> fc2 block; without it, ``pooling`` then ``predictions``."),
    "classes": Option(int | None, None, "Output classes; by default the dataset's; 0 for no ``predictions`` layer."),
    "dropout": Option(float, 0.5, "Dropout after fc1 and after fc2."),
    "bn_dense": Option(bool, False, "BatchNormalization after fc1 and fc2 (``fc1_bn``, ``fc2_bn``): VGG16BN."),
    "bn_conv": Option(
        bool, False, "BatchNormalization between every convolution and its ReLU (torchvision's vgg16_bn)."
    ),
    "bn_momentum": Option(
        float, 0.99, "Momentum of the BatchNormalization moving statistics (Keras's 0.99; 0.9 suits short runs)."
    ),
    "width": Option(float, 1.0, "Multiplies every layer's channels and units (0.25: a network a CPU can train)."),
    "pooling": Option(
        Literal["avg", "max"] | None, None, "Global pooling of the last block when ``include_top`` is false."
    ),
    "preprocessing": Option(
        Literal["caffe"] | None, "caffe", "``caffe``: RGB in [0, 255] to BGR minus the ImageNet mean, inside the model."
    ),
    "flip": Option(
        Literal["horizontal", "vertical", "horizontal_and_vertical"] | None, None, "Random flips (training only)."
    ),
    "rotation": Option(float, 0.0, "Random rotation, as a fraction of a full turn (training only)."),
    "zoom": Option(float, 0.0, "Random zoom, as a fraction of the size (training only)."),
    "translation": Option(float, 0.0, "Random shift, as a fraction of the size (training only)."),
}


@dataclass(frozen=True)
class Variant:
    summary: str
    depth: int
    defaults: dict[str, Any]


VARIANTS = {
    "vgg16": Variant("VGG16, the layers and names of keras.applications.VGG16.", 16, {}),
    "vgg16bn": Variant(
        "VGG16 with BatchNormalization after fc1 and fc2 (the lesson's VGG16BN).", 16, {"bn_dense": True}
    ),
    "vgg19": Variant("VGG19, the layers and names of keras.applications.VGG19.", 19, {}),
}


def _check(p: dict[str, Any]) -> None:
    if not p["width"] > 0:
        raise ValueError(f"width must be greater than 0. Received: width={p['width']}")
    if not 0 <= p["dropout"] < 1:
        raise ValueError(f"dropout must be in [0, 1). Received: dropout={p['dropout']}")
    if not 0 < p["bn_momentum"] < 1:
        raise ValueError(f"bn_momentum must be in (0, 1). Received: bn_momentum={p['bn_momentum']}")
    for name in ("rotation", "zoom", "translation"):
        if not 0 <= p[name] < 1:
            raise ValueError(f"{name} must be in [0, 1). Received: {name}={p[name]}")
    if p["classes"] is not None and p["classes"] < 0:
        raise ValueError(f"classes must be 0 or more. Received: classes={p['classes']}")
    if p["include_top"] and p["pooling"] is not None:
        raise ValueError(
            f"pooling applies without the top (include_top=False). Received: pooling={p['pooling']!r}, include_top=True"
        )
    shape = p["input_shape"]
    if shape is not None and (len(shape) != 3 or min(shape) < 1):
        raise ValueError(f"input_shape must be (height, width, channels). Received: input_shape={shape}")


def _augmentation(x: keras.KerasTensor, p: dict[str, Any]) -> keras.KerasTensor:
    """Keras's preprocessing layers, which are the identity outside training."""
    from keras import layers

    if p["flip"]:
        x = layers.RandomFlip(p["flip"], name="augment_flip")(x)
    if p["rotation"]:
        x = layers.RandomRotation(p["rotation"], fill_mode="reflect", name="augment_rotation")(x)
    if p["zoom"]:
        x = layers.RandomZoom(p["zoom"], fill_mode="reflect", name="augment_zoom")(x)
    if p["translation"]:
        x = layers.RandomTranslation(p["translation"], p["translation"], fill_mode="reflect", name="augment_shift")(x)
    return x


def _scaled(units: int, width: float) -> int:
    return max(1, round(units * width))


def vgg(variant: str, spec: ImageSpec, **params: Any) -> keras.Model:
    """The VGG of ``VARIANTS[variant]``; every option in ``OPTIONS``."""
    row = VARIANTS[variant]
    p = {**{name: option.default for name, option in OPTIONS.items()}, **row.defaults, **params}
    _check(p)
    from keras import Input, Model, layers

    shape = tuple(p["input_shape"] or (*spec.image_size, spec.channels))
    if min(shape[:2]) < 32:  # checked here, where the dataset's size is known too: Keras's error is five lines
        raise ValueError(
            f"VGG's five 2x2 poolings need images of at least 32x32. Received: {shape[0]}x{shape[1]} "
            f"(dataset.image_size, or model.input_shape)"
        )
    classes = len(spec.classes) if p["classes"] is None else p["classes"]
    image = Input(shape=shape, name="image")
    x = _augmentation(image, p)
    if p["preprocessing"] == "caffe":
        from zoo_plugins.vision.layers import CaffePreprocessing

        x = CaffePreprocessing(name="preprocessing")(x)
    for b, channels in enumerate(BLOCKS[row.depth], start=1):
        for i, filters in enumerate(channels, start=1):
            name = f"block{b}_conv{i}"
            if p["bn_conv"]:
                x = layers.Conv2D(_scaled(filters, p["width"]), 3, padding="same", name=name)(x)
                x = layers.BatchNormalization(momentum=p["bn_momentum"], name=f"{name}_bn")(x)
                x = layers.Activation("relu", name=f"{name}_relu")(x)
            else:
                x = layers.Conv2D(_scaled(filters, p["width"]), 3, padding="same", activation="relu", name=name)(x)
        x = layers.MaxPooling2D(2, strides=2, name=f"block{b}_pool")(x)
    if p["include_top"]:
        x = layers.Flatten(name="flatten")(x)
        for fc in ("fc1", "fc2"):
            x = layers.Dense(_scaled(DENSE_UNITS, p["width"]), activation="relu", name=fc)(x)
            if p["bn_dense"]:
                x = layers.BatchNormalization(momentum=p["bn_momentum"], name=f"{fc}_bn")(x)
            if p["dropout"]:
                x = layers.Dropout(p["dropout"], name=f"{fc}_dropout")(x)
    elif p["pooling"] == "avg":
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    elif p["pooling"] == "max":
        x = layers.GlobalMaxPooling2D(name="max_pool")(x)
    elif classes:
        x = layers.Flatten(name="flatten")(x)
    if classes:
        x = layers.Dense(classes, activation="softmax", name="predictions")(x)
    return Model(image, x, name=variant)


def _public_builder(variant: str) -> Callable[..., keras.Model]:
    """``vgg16(spec, *, input_shape=None, ...)``: the variant's row as a typed builder."""
    row = VARIANTS[variant]

    def builder(spec: ImageSpec, **params: Any) -> keras.Model:
        return vgg(variant, spec, **params)

    spec = inspect.Parameter("spec", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation="ImageSpec")
    options = [(name, o.type, row.defaults.get(name, o.default), o.doc) for name, o in OPTIONS.items()]
    return variants_builder(builder, variant, row.summary, [spec], options)


vgg16 = _public_builder("vgg16")
vgg16bn = _public_builder("vgg16bn")
vgg19 = _public_builder("vgg19")
