"""IMDB sentiment on the real reviews: every zoo recipe, hand-written Keras twins, a bag-of-bigrams
baseline, and GloVe loading.

    python bench/imdb.py --data ../shared/data [--seeds 3] [--recipes imdb-cnn ...] [--skip ...]

Sections (each can be skipped):
  recipes   every IMDB recipe, --seeds seeds: test accuracy (mean ± sd) and seconds per epoch. Epochs are
            chosen on the 10% of train the recipes hold out; the test set only reports.
  twins     hand-written Keras twins of imdb-cnn and imdb-multi-cnn on the same arrays, same seed and
            same early stopping, fits alternated with the zoo's: accuracy and the time-per-epoch ratio.
  baseline  scikit-learn: unigrams + bigrams, NB-weighted logistic regression (the NBSVM recipe).
  glove     loading glove.6B.50d.txt.gz: the zoo (first load and cached), gensim, a plain Python loop;
            each in a fresh process, with its peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import zoo

RECIPES = [
    "imdb-dense",
    "imdb-cnn",
    "imdb-multi-cnn",
    "imdb-cnn-glove",
    "imdb-multi-cnn-glove",
    "imdb-multi-cnn-word2vec",
    "imdb-nb-trigrams",
]


def spread(values: list[float]) -> str:
    if len(values) < 2:
        return f"{values[0]:.4f}"
    return f"{statistics.mean(values):.4f} ± {statistics.stdev(values):.4f} (n={len(values)})"


def zoo_recipe(recipe: str, data: Path, seed: int) -> dict:
    sections: dict = {"dataset": {"path": str(data / "imdb")}, "train": {"seed": seed}}
    if "glove" in recipe:
        sections["embedding"] = {"path": str(data / "glove" / "glove.6B.50d.txt.gz")}
    with tempfile.TemporaryDirectory() as tmp:
        run = zoo.train(recipe, out=f"{tmp}/run", verbose=0, **sections)
        meta, metrics = run.read_json("meta.json"), run.read_json("metrics.json")
        history = run.read_history()
    return {
        "test_accuracy": metrics["test"]["accuracy"],
        "epochs": len(history),
        "epoch_s": meta["timings"]["epoch_s"],
        "fit_s": meta["timings"]["fit_s"],
        "val_accuracy": [row["val_accuracy"] for row in history],
    }


# -- hand-written twins ------------------------------------------------------------------------------


def hand_cnn(vocab_size: int, maxlen: int, embedding_dropout: float = 0.2):
    import keras
    from keras import layers

    model = keras.Sequential(
        [
            keras.Input(shape=(maxlen,), dtype="int32"),
            layers.Embedding(vocab_size, 32),
            layers.Dropout(embedding_dropout),
            layers.Conv1D(64, 5, padding="same", activation="relu"),
            layers.Dropout(0.2),
            layers.MaxPooling1D(),
            layers.Flatten(),
            layers.Dense(100, activation="relu"),
            layers.Dropout(0.7),
            layers.Dense(1, activation="sigmoid"),
        ]
    )
    return model


def hand_multi_cnn(vocab_size: int, maxlen: int, word_dropout: float = 0.3):
    import keras
    from keras import layers

    graph_in = keras.Input(shape=(maxlen, 50))
    convs = []
    for size in (3, 4, 5):
        x = layers.Conv1D(64, size, padding="same", activation="relu")(graph_in)
        convs.append(layers.Flatten()(layers.MaxPooling1D()(x)))
    graph = keras.Model(graph_in, layers.Concatenate()(convs))
    return keras.Sequential(
        [
            keras.Input(shape=(maxlen,), dtype="int32"),
            layers.Embedding(vocab_size, 50),
            layers.Dropout(word_dropout, noise_shape=(None, maxlen, 1)),  # whole words
            graph,
            layers.Dropout(0.5),
            layers.Dense(100, activation="relu"),
            layers.Dropout(0.7),
            layers.Dense(1, activation="sigmoid"),
        ]
    )


#: The recipes' settings, written out again for the hand-written twins.
TWINS = {"imdb-cnn": {"batch_size": 64, "patience": 2}, "imdb-multi-cnn": {"batch_size": 64, "patience": 2}}


def hand_written(build, data: Path, seed: int, batch_size: int, patience: int, epochs: int = 6) -> dict:
    """The same arrays the zoo trains on (its adapter prepares them), a hand-written model and fit."""
    import keras

    from zoo_plugins.text.data import imdb

    reviews = imdb(path=str(data / "imdb"), vocab_size=20000, maxlen=500, validation=0.1, seed=0)
    train, val, test = (reviews.splits[s] for s in ("train", "validation", "test"))
    keras.utils.set_random_seed(seed)
    model = build(20000, 500)
    model.compile(keras.optimizers.Adam(5e-4), loss="binary_crossentropy", metrics=["accuracy"])
    stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=patience, restore_best_weights=True)
    start = time.perf_counter()
    history = model.fit(
        train.x,
        train.y,
        batch_size=batch_size,
        epochs=epochs,
        validation_data=(val.x, val.y),
        callbacks=[stop],
        verbose=0,
    )
    fit_s = time.perf_counter() - start
    epochs_run = len(history.history["loss"])
    accuracy = model.evaluate(test.x, test.y, batch_size=64, verbose=0)[1]
    return {"test_accuracy": float(accuracy), "epochs": epochs_run, "epoch_s": fit_s / epochs_run, "fit_s": fit_s}


# -- the bag-of-bigrams baseline ------------------------------------------------------------------------


def nb_logistic_regression(data: Path) -> dict:
    """Unigrams + bigrams, binary counts scaled by the naive-Bayes log-count ratio, logistic regression."""
    import tarfile

    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    start = time.perf_counter()
    texts: dict[str, list[str]] = {"train": [], "test": []}
    labels: dict[str, list[int]] = {"train": [], "test": []}
    with tarfile.open(data / "imdb" / "aclImdb_v1.tar.gz", "r:gz") as archive:
        for member in archive:
            parts = member.name.split("/")
            if member.isfile() and len(parts) == 4 and parts[1] in texts and parts[2] in ("pos", "neg"):
                texts[parts[1]].append(archive.extractfile(member).read().decode("utf-8"))
                labels[parts[1]].append(int(parts[2] == "pos"))
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    vectorizer = CountVectorizer(ngram_range=(1, 2), binary=True, token_pattern=r"[\w']+", min_df=2)
    x_train, x_test = vectorizer.fit_transform(texts["train"]), vectorizer.transform(texts["test"])
    y_train, y_test = np.array(labels["train"]), np.array(labels["test"])
    p = np.asarray(x_train[y_train == 1].sum(0) + 1).ravel()
    q = np.asarray(x_train[y_train == 0].sum(0) + 1).ravel()
    ratio = np.log((p / p.sum()) / (q / q.sum()))
    classifier = LogisticRegression(C=0.1, max_iter=1000, dual=True, solver="liblinear")
    classifier.fit(x_train.multiply(ratio).tocsr(), y_train)
    accuracy = float((classifier.predict(x_test.multiply(ratio).tocsr()) == y_test).mean())
    return {
        "test_accuracy": accuracy,
        "read_s": read_s,
        "fit_s": time.perf_counter() - start,
        "features": x_train.shape[1],
    }


# -- GloVe loading ----------------------------------------------------------------------------------------

GLOVE_PROGRAMS = {
    "zoo, first load": "from zoo_plugins.text.embeddings import load_glove; v = load_glove(PATH); v.vectors[-1].sum()",
    "zoo, cached": "from zoo_plugins.text.embeddings import load_glove; v = load_glove(PATH); v.vectors[-1].sum()",
    "gensim load_word2vec_format": (
        "from gensim.models import KeyedVectors; v = KeyedVectors.load_word2vec_format(PATH, no_header=True)"
    ),
    "plain Python loop": (
        "import gzip, numpy as np\n"
        "words, rows = [], []\n"
        "with gzip.open(PATH, 'rt', encoding='utf-8') as f:\n"
        "    for line in f:\n"
        "        word, *values = line.rstrip().split(' ')\n"
        "        words.append(word); rows.append(np.array(values, dtype=np.float32))\n"
        "m = np.stack(rows)"
    ),
}


def glove_loading(path: Path) -> dict:
    """Each way of loading in a fresh process: wall seconds and peak resident memory above a bare start."""
    results = {}
    with tempfile.TemporaryDirectory() as home:
        for label, program in GLOVE_PROGRAMS.items():
            code = (
                "import os, time, resource\n"
                "base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
                "import numpy\n"
                f"PATH = {str(path)!r}\n"
                "start = time.perf_counter()\n"
                f"{program}\n"
                "seconds = time.perf_counter() - start\n"
                "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
                "print(seconds, (peak - base) / 1024)\n"
            )
            done = subprocess.run(
                [sys.executable, "-c", code],
                capture_output=True,
                text=True,
                check=True,
                env={**__import__("os").environ, "ZOO_HOME": home},
            )
            seconds, peak_mb = (float(v) for v in done.stdout.split())
            results[label] = {"seconds": seconds, "peak_mb": peak_mb}
            print(f"{label:30s} {seconds:7.2f} s   peak +{peak_mb:6.0f} MB", flush=True)
    matrix_mb = 400000 * 50 * 4 / 2**20
    print(
        f"final matrix {matrix_mb:.0f} MB; gensim / zoo first load: "
        f"{results['gensim load_word2vec_format']['seconds'] / results['zoo, first load']['seconds']:.1f}x"
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="the folder holding imdb/ and glove/")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--recipes", nargs="*", default=RECIPES)
    parser.add_argument("--repeats", type=int, default=2, help="alternated zoo/hand-written pairs per twin")
    parser.add_argument(
        "--twins", nargs="*", default=["imdb-cnn", "imdb-multi-cnn"], choices=["imdb-cnn", "imdb-multi-cnn"]
    )
    parser.add_argument("--skip", nargs="*", default=[], choices=["recipes", "twins", "baseline", "glove"])
    parser.add_argument("--json", type=Path, default=Path("bench-imdb.json"))
    args = parser.parse_args()
    results: dict = {}

    if "glove" not in args.skip:
        print("== GloVe 6B 50d (.gz) loading")
        results["glove"] = glove_loading(args.data / "glove" / "glove.6B.50d.txt.gz")

    if "baseline" not in args.skip:
        print("== bag of unigrams + bigrams, NB-weighted logistic regression (scikit-learn)")
        results["baseline"] = nb_logistic_regression(args.data)
        print(json.dumps(results["baseline"]), flush=True)

    if "recipes" not in args.skip:
        for recipe in args.recipes:
            print(f"== {recipe}")
            rows = [zoo_recipe(recipe, args.data, seed) for seed in range(args.seeds)]
            for seed, row in enumerate(rows):
                print(
                    f"seed {seed}: test accuracy {row['test_accuracy']:.4f}, {row['epochs']} epochs, "
                    f"{row['epoch_s']:.1f} s/epoch, val accuracy by epoch "
                    f"{' '.join(f'{v:.4f}' for v in row['val_accuracy'])}",
                    flush=True,
                )
            print("test accuracy:", spread([r["test_accuracy"] for r in rows]), flush=True)
            results[recipe] = rows

    if "twins" not in args.skip:
        builds = {"imdb-cnn": hand_cnn, "imdb-multi-cnn": hand_multi_cnn}
        for recipe, build in ((r, builds[r]) for r in args.twins):
            print(f"== {recipe} against its hand-written twin (seed 0, alternated)")
            zoo_rows, hand_rows = [], []
            for repeat in range(args.repeats):
                for side in ("zoo", "hand") if repeat % 2 == 0 else ("hand", "zoo"):  # alternate who goes first
                    if side == "zoo":
                        zoo_rows.append(zoo_recipe(recipe, args.data, 0))
                    else:
                        hand_rows.append(hand_written(build, args.data, 0, **TWINS[recipe]))
                print(
                    f"repeat {repeat}: zoo {zoo_rows[-1]['test_accuracy']:.4f} ({zoo_rows[-1]['epochs']} epochs, "
                    f"{zoo_rows[-1]['epoch_s']:.2f} s/epoch); hand {hand_rows[-1]['test_accuracy']:.4f} "
                    f"({hand_rows[-1]['epochs']} epochs, {hand_rows[-1]['epoch_s']:.2f} s/epoch)",
                    flush=True,
                )
            ratio = statistics.median(r["epoch_s"] for r in zoo_rows) / statistics.median(
                r["epoch_s"] for r in hand_rows
            )
            print(f"time per epoch zoo/hand-written (medians): {ratio:.3f}")
            results[f"twin-{recipe}"] = {"zoo": zoo_rows, "hand": hand_rows, "ratio": ratio}

    args.json.write_text(json.dumps(results, indent=1, default=float))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    sys.exit(main())
