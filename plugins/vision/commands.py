"""``zoo draw-shapes DIR``: new images of the synthetic shapes, to try a demo model on files it has
never seen (``zoo predict runs/shapes disc.png``)."""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from zoo.plugin import ZooError


@click.command(name="draw-shapes")
@click.argument("out", type=click.Path(file_okay=False), default=".")
@click.option("--size", default=32, show_default=True, type=click.IntRange(8), help="Side of the images, in pixels.")
@click.option("--seed", default=1234, show_default=True, type=click.IntRange(0), help="Seeds the drawing.")
def draw_shapes_command(out: str, size: int, seed: int) -> None:
    """Draw one image of each synthetic shape (bars.png, disc.png, frame.png) into OUT: images
    the `synthetic-images` demo never trained on (another seed)."""
    from PIL import Image

    from zoo_plugins.vision.data import SHAPES, _draw

    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ZooError(f"cannot write to {folder}: {exc.strerror or exc}") from None
    rng = np.random.default_rng(seed)
    for shape in SHAPES:
        path = folder / f"{shape}.png"
        Image.fromarray(_draw(shape, size, rng)).save(path)
        click.echo(str(path))
