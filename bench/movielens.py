"""Collaborative filtering on real MovieLens: the zoo against hand-written Keras, side by side.

    python bench/movielens.py --data ../shared/data/movielens [--seeds 5] [--epochs 30] [--folds 5]

1. ml-latest-small, seeded 70/20/10 split (train, validation, test), the lesson's settings (cf-bias:
   50 factors, L2 1e-4, Adam 1e-3, batch 64): the zoo recipe `movielens-cf-bias` and a hand-written
   twin (same split, same seed), per seed: test MSE, validation MSE per epoch and seconds per epoch;
   the zoo/hand-written time ratio.
2. The same for `movielens-cf-nn` and its twin (one seed).
3. `movielens-cf-best` per seed: test MSE (seed 1, which chose the settings, left out of the mean),
   the validation MSE early stopping chose on, and the wall time to reach 0.75 on validation next to
   the hand-written lesson settings' time to reach it.
4. ml-100k, 5-fold cross-validation with `movielens-cf-best`: each fold is the test split, early
   stopping looks at a part of the other folds; test RMSE per fold, mean and spread.
5. Timing: zoo and hand-written fits of the lesson model alternated (--repeats times, --timing-epochs
   each, same seed), so that the machine's drift falls on both alike; the ratio of the median seconds
   per epoch (whole fit, with every callback the zoo runs).

Everything printed is measured here; the JSON of all figures goes to --json.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import zoo


def hand_written_bias(n_users: int, n_items: int, n_factors: int = 50, l2: float = 1e-4):
    """The lesson's dot-product model, written out in plain Keras."""
    import keras
    from keras import layers, regularizers

    user = keras.Input(shape=(), dtype="int32", name="user")
    item = keras.Input(shape=(), dtype="int32", name="item")
    u = layers.Embedding(n_users, n_factors, embeddings_regularizer=regularizers.L2(l2))(user)
    m = layers.Embedding(n_items, n_factors, embeddings_regularizer=regularizers.L2(l2))(item)
    x = layers.Dot(axes=1)([u, m])
    x = layers.Add()([x, layers.Embedding(n_users, 1)(user), layers.Embedding(n_items, 1)(item)])
    return keras.Model({"user": user, "item": item}, x)


def hand_written_nn(n_users: int, n_items: int, n_factors: int = 50, l2: float = 1e-4):
    import keras
    from keras import layers, regularizers

    user = keras.Input(shape=(), dtype="int32", name="user")
    item = keras.Input(shape=(), dtype="int32", name="item")
    u = layers.Embedding(n_users, n_factors, embeddings_regularizer=regularizers.L2(l2))(user)
    m = layers.Embedding(n_items, n_factors, embeddings_regularizer=regularizers.L2(l2))(item)
    x = layers.Dropout(0.3)(layers.Concatenate()([u, m]))
    x = layers.Dropout(0.75)(layers.Dense(70, activation="relu")(x))
    return keras.Model({"user": user, "item": item}, layers.Dense(1)(x))


def read_latest_small(folder: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ratings.csv read by hand: contiguous user and movie indices, ratings."""
    with open(folder / "ratings.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    users = np.unique([int(r["userId"]) for r in rows], return_inverse=True)[1]
    items = np.unique([int(r["movieId"]) for r in rows], return_inverse=True)[1]
    return users.astype("int32"), items.astype("int32"), np.array([float(r["rating"]) for r in rows], "float32")


def hand_written_run(build, folder: Path, seed: int, epochs: int, batch_size: int = 64) -> dict:
    """Fit the hand-written twin on the seeded 70/20/10 split (the recipe's: the split is data, not
    the model, so it is the zoo's own function); per-epoch validation MSE, seconds, test MSE."""
    import keras

    from zoo_plugins.cf.data import split_indices

    users, items, ratings = read_latest_small(folder)
    train, val, test = split_indices(len(ratings), 0.2, seed, test=0.1)
    keras.utils.set_random_seed(seed)
    model = build(int(users.max()) + 1, int(items.max()) + 1)
    model.compile(keras.optimizers.Adam(1e-3), loss="mse", metrics=["mse"])
    start = time.perf_counter()
    history = model.fit(
        {"user": users[train], "item": items[train]},
        ratings[train],
        batch_size=batch_size,
        epochs=epochs,
        verbose=0,
        validation_data=({"user": users[val], "item": items[val]}, ratings[val]),
    )
    seconds = time.perf_counter() - start
    test_mse = model.evaluate({"user": users[test], "item": items[test]}, ratings[test], batch_size=4096, verbose=0)[1]
    return {"val_mse": history.history["val_mse"], "epoch_s": seconds / epochs, "fit_s": seconds, "test_mse": test_mse}


def zoo_run(recipe: str, path: Path, seed: int, epochs: int | None = None, **sections) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        train = {"seed": seed, **({"stages": [{"epochs": epochs}]} if epochs else {}), **sections.pop("train", {})}
        dataset = {"path": str(path), "seed": seed, **sections.pop("dataset", {})}
        run = zoo.train(recipe, out=f"{tmp}/run", verbose=0, dataset=dataset, train=train, **sections)
        meta, history = run.read_json("meta.json"), run.read_history()
        return {
            "val_mse": [row["val_mse"] for row in history],
            "epoch_s": meta["timings"]["epoch_s"],
            "fit_s": meta["timings"]["fit_s"],
            "final": run.read_json("metrics.json")["validation"],
            "test_mse": run.read_json("metrics.json")["test"]["mse"],
        }


def time_to(curve: list[float], epoch_s: float, target: float) -> float | None:
    """Seconds of fitting until the validation MSE first reaches ``target``."""
    reached = next((i for i, v in enumerate(curve) if v <= target), None)
    return None if reached is None else (reached + 1) * epoch_s


def spread(values: list[float]) -> str:
    if len(values) < 2:
        return f"{values[0]:.4f}"
    return f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f} (n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the folder holding ml-latest-small/ and ml-100k/")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0, help="resume section 1 from this seed")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--timing-epochs", type=int, default=5)
    parser.add_argument("--skip", nargs="*", default=[], choices=["lesson", "nn", "best", "100k", "timing"])
    parser.add_argument("--json", type=Path, default=Path("bench-movielens.json"))
    args = parser.parse_args()
    small, k100 = args.data / "ml-latest-small", args.data / "ml-100k"
    results: dict = {}

    if "lesson" not in args.skip:
        print(f"== cf-bias, lesson settings, {args.epochs} epochs: zoo `movielens-cf-bias` vs hand-written Keras")
        rows = []
        for seed in range(args.first_seed, args.seeds):
            z = zoo_run("movielens-cf-bias", small, seed, args.epochs)
            h = hand_written_run(hand_written_bias, small, seed, args.epochs)
            rows.append({"seed": seed, "zoo": z, "hand": h})
            print(
                f"seed {seed}: test MSE zoo {z['test_mse']:.4f} hand {h['test_mse']:.4f}; "
                f"val MSE final zoo {z['val_mse'][-1]:.4f} hand {h['val_mse'][-1]:.4f} "
                f"(best zoo {min(z['val_mse']):.4f} hand {min(h['val_mse']):.4f}); s/epoch zoo {z['epoch_s']:.2f} "
                f"hand {h['epoch_s']:.2f}; ratio {z['epoch_s'] / h['epoch_s']:.3f}",
                flush=True,
            )
            print("  per epoch zoo :", " ".join(f"{v:.3f}" for v in z["val_mse"]))
            print("  per epoch hand:", " ".join(f"{v:.3f}" for v in h["val_mse"]), flush=True)
        results["lesson"] = rows
        diffs = [abs(r["zoo"]["test_mse"] - r["hand"]["test_mse"]) for r in rows]
        print("test MSE zoo :", spread([r["zoo"]["test_mse"] for r in rows]))
        print("test MSE hand:", spread([r["hand"]["test_mse"] for r in rows]))
        print("final val MSE zoo :", spread([r["zoo"]["val_mse"][-1] for r in rows]))
        print(f"|zoo - hand| per seed: max {max(diffs):.4f}")
        print("time ratio zoo/hand:", spread([r["zoo"]["epoch_s"] / r["hand"]["epoch_s"] for r in rows]))

    if "nn" not in args.skip:
        print("== cf-nn, lesson settings: zoo `movielens-cf-nn` vs hand-written Keras (seed 0)")
        z = zoo_run("movielens-cf-nn", small, 0, 10)
        h = hand_written_run(hand_written_nn, small, 0, 10)
        results["nn"] = {"zoo": z, "hand": h}
        print(
            f"test MSE zoo {z['test_mse']:.4f} hand {h['test_mse']:.4f}; "
            f"val MSE final zoo {z['val_mse'][-1]:.4f} hand {h['val_mse'][-1]:.4f}; best zoo {min(z['val_mse']):.4f} "
            f"hand {min(h['val_mse']):.4f}; s/epoch zoo {z['epoch_s']:.2f} hand {h['epoch_s']:.2f}",
            flush=True,
        )

    if "best" not in args.skip:
        print("== `movielens-cf-best` (squashed output, Adam 2e-3, batch 256, early stopping on val_mse)")
        rows = []
        for seed in range(args.seeds):
            b = zoo_run("movielens-cf-best", small, seed)
            rows.append(b)
            print(
                f"seed {seed}: test MSE {b['test_mse']:.4f} (validation, which early stopping chose on: "
                f"{b['final']['mse']:.4f}), epochs {len(b['val_mse'])}, "
                f"fit {b['fit_s']:.1f} s, time to 0.75: {time_to(b['val_mse'], b['epoch_s'], 0.75)}",
                flush=True,
            )
        results["best"] = rows
        reported = [b["test_mse"] for s, b in enumerate(rows) if s != 1]  # seed 1 chose the settings
        print("test MSE, seeds other than 1 (which chose the settings):", spread(reported))
        print("validation MSE (chosen on by early stopping):", spread([b["final"]["mse"] for b in rows]))
        if "lesson" in results:
            lesson = [time_to(r["hand"]["val_mse"], r["hand"]["epoch_s"], 0.75) for r in results["lesson"]]
            best = [time_to(b["val_mse"], b["epoch_s"], 0.75) for b in rows]
            print("seconds to val MSE 0.75: hand-written lesson settings", lesson, "| best recipe", best)

    if "100k" not in args.skip:
        print(f"== ml-100k, {args.folds}-fold cross-validation, `movielens-cf-best`")
        rmse = []
        for fold in range(args.folds):
            b = zoo_run("movielens-cf-best", k100, 0, dataset={"split": "kfold", "fold": fold, "folds": args.folds})
            rmse.append(b["test_mse"] ** 0.5)  # the fold; early stopping looked at a part of the other folds
            print(f"fold {fold}: test RMSE {rmse[-1]:.4f} ({len(b['val_mse'])} epochs)", flush=True)
        results["100k"] = rmse
        print("RMSE:", spread(rmse), "(Surprise's table: SVD 0.934, SVD++ 0.919)")

    if "timing" not in args.skip:
        print(f"== timing: zoo and hand-written alternated, {args.repeats} x {args.timing_epochs} epochs each")
        zoo_s, hand_s = [], []
        for repeat in range(args.repeats):
            for side in ("zoo", "hand") if repeat % 2 == 0 else ("hand", "zoo"):  # alternate who goes first
                if side == "zoo":
                    zoo_s.append(
                        zoo_run("movielens-cf-bias", small, 0, args.timing_epochs)["fit_s"] / args.timing_epochs
                    )
                else:
                    hand_s.append(
                        hand_written_run(hand_written_bias, small, 0, args.timing_epochs)["fit_s"] / args.timing_epochs
                    )
            print(f"repeat {repeat}: s/epoch zoo {zoo_s[-1]:.3f} hand {hand_s[-1]:.3f}", flush=True)
        results["timing"] = {"zoo": zoo_s, "hand": hand_s}
        print(
            f"median s/epoch zoo {statistics.median(zoo_s):.3f} hand {statistics.median(hand_s):.3f}; "
            f"ratio {statistics.median(zoo_s) / statistics.median(hand_s):.3f}"
        )

    args.json.write_text(json.dumps(results, indent=1, default=float))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    sys.exit(main())
