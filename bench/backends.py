"""The same recipes on Keras's TensorFlow and JAX backends, alternated in one command.

    python bench/backends.py --data ../shared/data [--repeats 2] [--recipes movielens-cf-best imdb-cnn ...]

Each repeat trains every recipe once per backend (`zoo train RECIPE -q` in a fresh process with
KERAS_BACKEND set), alternating which backend goes first, so that the machine's drift falls on both
alike. Per recipe and backend: the median fit seconds per epoch (from the run's meta.json), the
epochs early stopping kept, and the final metrics; then the JAX / TensorFlow time ratio. Data is
linked into a fresh ZOO_HOME from --data (movielens/ml-latest-small, imdb/, glove/).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BACKENDS = ("tensorflow", "jax")
DEFAULT_RECIPES = (
    "movielens-cf-bias",
    "movielens-cf-best",
    "imdb-dense",
    "imdb-cnn",
    "imdb-multi-cnn",
    "imdb-nb-trigrams",
)


def train(recipe: str, backend: str, home: Path, out: Path) -> dict:
    env = {**os.environ, "ZOO_HOME": str(home), "KERAS_BACKEND": backend}
    overrides = (
        ["--set", f"dataset.path={home / 'movielens' / 'ml-latest-small'}"] if recipe.startswith("movielens") else []
    )
    done = subprocess.run(
        [str(Path(sys.executable).parent / "zoo"), "train", recipe, "-q", "--out", str(out), *overrides],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"{recipe} on {backend} failed:\n{done.stderr[-3000:]}")
    meta = json.loads((out / "meta.json").read_text())
    metrics = json.loads((out / "metrics.json").read_text())
    assert meta["versions"]["backend"]["name"] == backend, meta["versions"]["backend"]
    return {
        "epoch_s": meta["timings"]["epoch_s"],
        "epochs": meta["epochs"],
        "metrics": metrics,
        "version": meta["versions"]["backend"]["version"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--recipes", nargs="+", default=list(DEFAULT_RECIPES))
    args = parser.parse_args()
    print(f"nproc {os.cpu_count()}; {args.repeats} alternated repeats per recipe and backend", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        for name in ("movielens", "imdb", "glove"):
            (home / name).symlink_to((args.data / name).resolve())
        for recipe in args.recipes:
            results: dict[str, list[dict]] = {b: [] for b in BACKENDS}
            for repeat in range(args.repeats):
                for backend in BACKENDS if repeat % 2 == 0 else BACKENDS[::-1]:
                    results[backend].append(train(recipe, backend, home, home / f"run-{recipe}-{backend}-{repeat}"))
            medians = {}
            for backend, runs in results.items():
                medians[backend] = statistics.median(r["epoch_s"] for r in runs)
                last = runs[-1]["metrics"]
                shown = "  ".join(
                    f"{split} {k}={v:.4f}"
                    for split, scores in last.items()
                    for k, v in scores.items()
                    if k in ("mse", "accuracy")
                )
                print(
                    f"{recipe:20s} {backend:10s} {runs[-1]['version']:8s} {medians[backend]:7.2f} s/epoch  "
                    f"epochs {[r['epochs'] for r in runs]}  {shown}",
                    flush=True,
                )
            print(
                f"{recipe:20s} jax/tensorflow time per epoch: {medians['jax'] / medians['tensorflow']:.2f}", flush=True
            )


if __name__ == "__main__":
    main()
