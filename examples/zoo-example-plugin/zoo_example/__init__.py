"""An example keras-zoo plugin. Registering imports nothing heavy: targets are strings."""

import click

from zoo import hookimpl


@hookimpl
def register_models(register):
    register(
        "example-mlp",
        "zoo_example.models:mlp",
        tags=["example", "tabular"],
        tiny={"hidden": 4},
        summary="EXAMPLE plugin: a dense classifier over feature vectors.",
    )


@hookimpl
def register_datasets(register):
    register(
        "example-blobs",
        "zoo_example.data:blobs",
        tags=["example", "synthetic", "tabular"],
        aliases=["blobs"],
        summary="EXAMPLE plugin: SYNTHETIC Gaussian blobs, one per class.",
    )


@hookimpl
def register_recipes(register):
    register(
        "example-blobs-mlp",
        {
            "summary": "EXAMPLE plugin: the MLP on synthetic blobs.",
            "tags": ["example"],
            "dataset": {"use": "example-blobs", "n_classes": 3},
            "model": {"use": "example-mlp", "hidden": 16},
            "train": {"optimizer": {"use": "adam", "learning_rate": 0.01}, "batch_size": 32, "stages": [{"epochs": 3}]},
        },
    )


@hookimpl
def register_commands(cli):
    @cli.command(name="example-blobs")
    @click.option("--n", default=3, help="How many samples to print.")
    def example_blobs(n):
        """EXAMPLE plugin command: print a few synthetic blobs."""
        from zoo_example.data import blobs

        split = blobs().splits["train"]
        for x, y in zip(split.x[:n], split.y[:n]):
            click.echo(f"class {int(y)}: {[round(float(v), 2) for v in x]}")
