"""Images: VGG16, VGG16BN and VGG19 (variants as data, keras.applications' layer names), image
folders as streaming datasets, and the lesson's Dogs vs. Cats recipes."""

from zoo import hookimpl

_TINY = {"width": 0.0625}  # channels 4 to 32, dense 256: builds in a second at 32x32


@hookimpl
def register_models(register):
    for name, summary in (
        ("vgg16", "VGG16 with keras.applications' layer names (its weight files load by name); BN options."),
        ("vgg16bn", "VGG16 with BatchNormalization after fc1 and fc2: the lesson's VGG16BN."),
        ("vgg19", "VGG19 with keras.applications' layer names; BN options."),
    ):
        register(name, f"zoo_plugins.vision.models:{name}", tags=["vision"], tiny=_TINY, summary=summary)


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
