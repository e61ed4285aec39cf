"""VGG benchmarks, each printing what it measured:

    python bench/vgg.py throughput --repeats 5      # zoo vgg16 vs keras.applications.VGG16, 224x224, images/s
    python bench/vgg.py head --data DIR             # a head epoch on cached features vs an end-to-end epoch
    python bench/vgg.py lesson --data DIR           # BN inserted into a trained VGG vs not, same further budget
    python bench/vgg.py memory --sizes 500 5000     # peak memory of a streamed image folder as it grows

DIR is the dogs-vs-cats folder (train/ and validation/ of cats/ and dogs/). `head` and `lesson` run
the recipe with its dense block (flatten -> fc1 -> fc2: `model.include_top=true`,
`model.pooling=null`): the from-scratch recipe pools globally instead, and has no layer to cache or
to insert after.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np


def throughput(args: argparse.Namespace) -> None:
    """Forward passes on the same batch, the two arms alternated (which goes first alternates too)."""
    import keras

    from zoo_plugins.vision.data import ImageSpec
    from zoo_plugins.vision.models import vgg16

    spec = ImageSpec(name="imagenet", task="multiclass", classes=[str(i) for i in range(1000)])
    zoo_model = vgg16(spec)
    keras_model = keras.applications.VGG16(weights=None)
    keras_model.set_weights(zoo_model.get_weights())  # the same network, so the same work
    images = spec.example_inputs(args.batch)
    preprocessed = keras.applications.vgg16.preprocess_input(images.copy())  # outside the keras arm's timing
    arms = {"zoo": (zoo_model, images), "keras.applications": (keras_model, preprocessed)}
    np.testing.assert_allclose(
        zoo_model.predict_on_batch(images), keras_model.predict_on_batch(preprocessed), atol=1e-5
    )
    rates: dict[str, list[float]] = {name: [] for name in arms}
    for repeat in range(args.repeats):
        order = list(arms) if repeat % 2 == 0 else list(reversed(arms))
        for name in order:
            model, batch = arms[name]
            start = time.perf_counter()
            for _ in range(args.batches):
                model.predict_on_batch(batch)
            rates[name].append(args.batch * args.batches / (time.perf_counter() - start))
        print(f"repeat {repeat + 1}: " + "  ".join(f"{n} {rates[n][-1]:.2f} images/s" for n in arms), flush=True)
    medians = {name: statistics.median(values) for name, values in rates.items()}
    ratios = [z / k for z, k in zip(rates["zoo"], rates["keras.applications"])]
    print(
        f"median images/s: zoo {medians['zoo']:.2f}, keras.applications {medians['keras.applications']:.2f}; "
        f"ratio zoo/keras median {statistics.median(ratios):.3f} (per repeat: {', '.join(f'{r:.3f}' for r in ratios)})"
    )


#: The VGG dense block, whatever the recipe's top: the layers `head` caches below and `lesson` inserts after.
DENSE_BLOCK = ["model.include_top=true", "model.pooling=null"]


def _plan(recipe: str, overrides: list[str]) -> Any:
    import zoo

    return zoo.resolve(recipe, overrides=tuple(overrides))


def head(args: argparse.Namespace) -> None:
    """One model: an epoch of its head on cached features against an end-to-end epoch."""
    from zoo.fit.features import features, split_at
    from zoo.fit.stages import compile_model, prepare

    plan = _plan(args.recipe, [f"dataset.path={args.data}", *DENSE_BLOCK, *args.set])
    built = prepare(plan)
    train_split = built.dataset.splits["train"]
    base, head_model = split_at(built.model, args.layer)
    with tempfile.TemporaryDirectory() as cache:
        computed = features(base, train_split, plan.train.batch_size, "bench", cache=Path(cache))
    compile_model(head_model, plan.train)

    def epoch_seconds(fit: Any, epochs: int) -> float:
        fit(1)  # compiles the step function
        start = time.perf_counter()
        fit(epochs)
        return (time.perf_counter() - start) / epochs

    bs = plan.train.batch_size
    head_s = epoch_seconds(lambda n: head_model.fit(computed.x, computed.y, batch_size=bs, epochs=n, verbose=0), 5)
    full_s = epoch_seconds(lambda n: built.model.fit(train_split.batches(bs), epochs=n, verbose=0), args.epochs)
    settings = " ".join([*DENSE_BLOCK, *args.set])
    print(f"{args.recipe} ({settings}), {len(train_split)} training images, features of {args.layer!r}:")
    print(f"  features computed once: {computed.seconds:.1f} s ({computed.x.nbytes / 2**20:.0f} MiB)")
    print(
        f"  head epoch on cached features: {head_s:.3f} s; end-to-end epoch: {full_s:.1f} s; "
        f"ratio {full_s / head_s:.0f}x"
    )


def _train(recipe: str, out: Path, sets: list[str]) -> dict[str, Any]:
    command = ["zoo", "train", recipe, "--out", str(out), "--force"]
    for item in sets:
        command += ["--set", item]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return json.loads((out / "metrics.json").read_text())["validation"]


def lesson(args: argparse.Namespace) -> None:
    """The lesson's experiment in miniature: a VGG without BN trained from scratch, then the same
    further budget with BN inserted after fc1 and fc2 (less dropout, 10x the rate) or without;
    with ``--head``, the further training is the dense block's only, on cached features."""
    import zoo
    from zoo.fit.stages import prepare

    data = [f"dataset.path={args.data}", f"dataset.image_size=[{args.size}, {args.size}]"]
    plain = [*data, *DENSE_BLOCK, f"model.width={args.width}", "model.bn_conv=false", "model.bn_dense=false"]
    plain.append("model.dropout=0.5")
    with tempfile.TemporaryDirectory() as tmp:
        first = Path(tmp) / "plain"
        start = time.perf_counter()
        scores = _train(
            args.recipe,
            first,
            [*plain, f"train.epochs={args.first}", "train.optimizer.learning_rate=0.0001"],
        )
        print(f"trained without BN: {args.first} epochs, validation accuracy {scores['accuracy']:.4f} "
              f"({time.perf_counter() - start:.0f} s)", flush=True)  # fmt: skip
        further = [*plain, f"build.initial_weights={first}", f"train.epochs={args.further}"]
        if args.head:  # as the lesson: only the dense block trains, on the convolutions' cached features
            further[-1] = f"train.stages=[{{epochs: {args.further}, cache_features: flatten}}]"
        arms = {
            "without BN (rate 1e-4, dropout 0.5)": [*further, "train.optimizer.learning_rate=0.0001"],
            "BN inserted (rate 1e-3, dropout 0.25)": [
                *further,
                "build.insert_batchnorm=[fc1, fc2]",
                "model.dropout=0.25",
                "train.optimizer.learning_rate=0.001",
            ],
        }
        inserted = prepare(_plan(args.recipe, arms["BN inserted (rate 1e-3, dropout 0.25)"])).model
        trained = zoo.load_run(first)
        images = np.concatenate(_validation_inputs(trained.plan, args.batches))
        before = np.asarray(trained.model.predict(images, verbose=0))
        after = np.asarray(inserted.predict(images, verbose=0))
        error = np.abs(after - before).max() / np.abs(before).max()
        print(
            f"insertion: max |outputs after - before| / max |outputs| = {error:.2e} on {len(images)} validation images"
        )
        for seed in args.seeds:
            results = []
            for name, sets in arms.items():
                score = _train(args.recipe, Path(tmp) / "further", [*sets, f"train.seed={seed}"])
                results.append(f"{name}: {score['accuracy']:.4f}")
            what = "epochs of the dense block on cached features" if args.head else "epochs end to end"
            print(f"seed {seed}, {args.further} more {what}: " + "; ".join(results), flush=True)


def _validation_inputs(plan: Any, batches: int) -> list[np.ndarray]:
    from zoo.assembly.compose import load_dataset

    split = load_dataset(plan).splits["validation"]
    return [np.asarray(x) for x in split.input_batches(plan.train.batch_size, batches)]


def memory(args: argparse.Namespace) -> None:
    """Peak resident memory of one epoch on a streamed folder of generated images, by its size (the
    images drawn beforehand by another process, so that only reading and training count)."""
    for images in args.sizes:
        per_class = images // 3
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "ZOO_HOME": tmp}
            draw = (
                "from zoo_plugins.vision.data import synthetic_images\n"
                f"synthetic_images(per_class={per_class}, image_size={args.size})"
            )
            subprocess.run([sys.executable, "-c", draw], env=env, capture_output=True, check=True)  # drawn apart
            command = [
                sys.executable, "-c",
                "import resource, zoo\n"
                f"zoo.train('synthetic-images-vgg', out='{tmp}/run', verbose=0, dataset={{'per_class': {per_class}, "
                f"'image_size': {args.size}}}, train={{'epochs': 1}})\n"
                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)",
            ]  # fmt: skip
            done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            peak = int(done.stdout.split()[-1]) / 1024
            folder = sum(f.stat().st_size for f in Path(tmp, "synthetic-images").rglob("*.png")) / 2**20
            pixels = 3 * per_class * args.size * args.size * 3 * 4 / 2**20
        print(f"{3 * per_class} images of {args.size}x{args.size}: peak RSS {peak:.0f} MiB "
              f"(files {folder:.0f} MiB; as float32 arrays they would be {pixels:.0f} MiB)", flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("throughput")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--batches", type=int, default=3)
    p = commands.add_parser("head")
    p.add_argument("--data", required=True)
    p.add_argument("--recipe", default="dogs-vs-cats-vgg-small")
    p.add_argument("--layer", default="flatten")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--set", action="append", default=[])
    p = commands.add_parser("lesson")
    p.add_argument("--data", required=True)
    p.add_argument("--recipe", default="dogs-vs-cats-vgg-small")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--width", type=float, default=0.125)
    p.add_argument("--first", type=int, default=15)
    p.add_argument("--further", type=int, default=10)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--batches", type=int, default=4)
    p.add_argument("--head", action="store_true", help="further training of the dense block only")
    p = commands.add_parser("memory")
    p.add_argument("--sizes", type=int, nargs="+", default=[500, 5000])
    p.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    {"throughput": throughput, "head": head, "lesson": lesson, "memory": memory}[args.command](args)


if __name__ == "__main__":
    main()
