"""The from-scratch Dogs vs. Cats recipe over several seeds: validation accuracy (mean +- sd) and the
training time of each, as the zoo records them.

    python bench/dogs_vs_cats.py --data ../shared/data/images/dogs-vs-cats --seeds 0 1 2

Each seed is a separate ``zoo train`` (seeding the weights, the augmentation and the order of
the training images); the figure is the model at the last epoch on the 400 validation images,
which nothing in the recipe chooses on.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="the dogs-vs-cats folder (train/ and validation/)")
    parser.add_argument("--recipe", default="dogs-vs-cats-vgg-small")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="more --set for zoo train")
    args = parser.parse_args()
    accuracies = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in args.seeds:
            out = Path(tmp) / f"seed{seed}"
            sets = [f"dataset.path={args.data}", f"train.seed={seed}", f"dataset.seed={seed}", *args.overrides]
            command = ["zoo", "train", args.recipe, "--out", str(out)]
            for item in sets:
                command += ["--set", item]
            subprocess.run(command, check=True)
            metrics = json.loads((out / "metrics.json").read_text())
            meta = json.loads((out / "meta.json").read_text())
            accuracy = metrics["validation"]["accuracy"]
            accuracies.append(accuracy)
            print(
                f"seed {seed}: validation accuracy {accuracy:.4f} after {meta['epochs']} epochs, "
                f"fit {meta['timings']['fit_s'] / 60:.1f} min ({meta['timings']['epoch_s']:.1f} s/epoch), "
                f"best {meta['best']['monitor']} {meta['best']['value']:.4f} at epoch {meta['best']['epoch'] + 1}",
                flush=True,
            )
    sd = statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0
    print(f"{args.recipe}: validation accuracy {statistics.mean(accuracies):.4f} +- {sd:.4f} over seeds {args.seeds}")


if __name__ == "__main__":
    main()
