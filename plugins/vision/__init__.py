"""Images: VGG16, VGG16BN and VGG19 (variants as data, keras.applications' layer names), image
folders as streaming datasets, and the lesson's Dogs vs. Cats recipes."""

from zoo import hookimpl

_TINY = {"width": 0.0625}  # channels 4 to 32, dense 256: builds in a second at 32x32
_APPLICATIONS = "https://storage.googleapis.com/tensorflow/keras-applications"


def _imagenet(depth: int, md5: str) -> dict[str, dict[str, str]]:
    """keras.applications' ImageNet file (with the top: by name, it also serves a model without)."""
    file = f"vgg{depth}_weights_tf_dim_ordering_tf_kernels.h5"
    return {"imagenet": {"file": file, "url": f"{_APPLICATIONS}/vgg{depth}/{file}", "file_hash": md5}}


@hookimpl
def register_models(register):
    for name, depth, md5, summary in (
        ("vgg16", 16, "64373286793e3c8b2b4e3219cbf3544b", "VGG16 with keras.applications' layer names; BN options."),
        (
            "vgg16bn",
            16,
            "64373286793e3c8b2b4e3219cbf3544b",
            "VGG16 with BatchNormalization after fc1 and fc2 (the lesson's VGG16BN).",
        ),
        ("vgg19", 19, "cbe5617147190e668d6c5d5026f83318", "VGG19 with keras.applications' layer names; BN options."),
    ):
        register(
            name,
            f"zoo_plugins.vision.models:{name}",
            tags=["vision"],
            tiny=_TINY,
            weights=_imagenet(depth, md5),
            summary=summary,
        )


@hookimpl
def register_datasets(register):
    register(
        "image-folder",
        "zoo_plugins.vision.data:image_folder",
        tags=["vision"],
        summary="Images in one sub-folder per class (train/validation/test folders, or a seeded fraction), streamed.",
    )
    register(
        "dogs-vs-cats",
        "zoo_plugins.vision.data:dogs_vs_cats",
        tags=["vision", "lesson"],
        summary="The Kaggle Dogs vs. Cats images, from the data home or dataset.path (never downloaded).",
    )
    register(
        "synthetic-images",
        "zoo_plugins.vision.data:synthetic_images",
        tags=["vision", "synthetic"],
        summary="SYNTHETIC images of three shapes (bars, disc, frame) on noise (offline demos, tests).",
    )


@hookimpl
def register_recipes(register):
    from zoo_plugins import register_recipes_of

    register_recipes_of("vision", register)


@hookimpl
def register_commands(cli):
    from zoo_plugins.vision.commands import draw_shapes_command  # click, numpy and PIL only

    cli.add_command(draw_shapes_command)
