"""Nietzsche: `nietzsche-char-lstm` through the zoo against the Keras text-generation example written
by hand, each for the same wall-clock training budget.

Both train on the first 90% of the lowercased text and are scored on its last 5%, which neither saw
and which chose nothing: the zoo's early stopping (and the same-model arm's validation) look at the
5% before it. The held-out loss is the mean negative log-likelihood, in nats, of each held-out window's
next character given its 40 characters (the zoo's model predicts every position; only its last
is scored, so both answer the same question). Printed per arm: windows and predicted characters
per second of training, held-out loss, peak memory (ru_maxrss), the time to write 200
characters, and the sample.

    python bench/nietzsche.py --data ../shared/data/text/nietzsche.txt --minutes 20
    python bench/nietzsche.py --data ... --minutes 5 --arms zoo   # one arm only

The hand-written arm is the Keras example as published (keras-io lstm_text_generation): one-hot
windows of 40 characters every 3, LSTM(128), softmax, RMSprop(0.01), batch 128, and
`model.predict` on the last 40 characters for every generated character.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PRIME = "ethics is a basic foundation of all that "
SEQ_LEN, STEP = 40, 3
VALIDATION, TEST = 0.05, 0.05  # the recipe's: train | validation | test, each a whole stretch of the text


def cuts(ids: np.ndarray) -> tuple[int, int]:
    """Where validation and test start, as the recipe's dataset cuts the text."""
    test = len(ids) - int(len(ids) * TEST)
    return test - int(len(ids) * VALIDATION), test


def peak_mb(children: bool = False) -> float:
    who = resource.RUSAGE_CHILDREN if children else resource.RUSAGE_SELF
    return resource.getrusage(who).ru_maxrss / 1024


def held_out_windows(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    view = np.lib.stride_tricks.sliding_window_view(ids[:-1], SEQ_LEN)[::STEP]
    targets = ids[SEQ_LEN::STEP][: len(view)]
    return view[: len(targets)], targets


def nats(probabilities: np.ndarray, targets: np.ndarray) -> float:
    return float(-np.mean(np.log(np.maximum(probabilities[np.arange(len(targets)), targets], 1e-12))))


ARMS = {
    "zoo": [],
    "zoo-next": ["dataset.targets=next", "dataset.step=3"],  # the lesson's targets and windows
}


def time_limit(minutes: float):
    """The same budget for the hand-written arms as the zoo's `time-limit` callback gives its own."""
    from zoo_plugins.callbacks.keras import time_limit as zoo_time_limit

    return zoo_time_limit(minutes=minutes)


def zoo_arm(data: str, minutes: float, overrides: list[str]) -> dict:
    import zoo
    from zoo_plugins.charlm.generate import generate

    out = Path(tempfile.mkdtemp()) / "run"
    callbacks = f"train.callbacks=[{{use: time-limit, minutes: {minutes}}}]"
    command = [
        str(Path(sys.executable).parent / "zoo"),
        "train",
        "nietzsche-char-lstm",
        "--set",
        f"dataset.path={data}",
    ]
    command += ["--set", "train.epochs=1000", "--set", callbacks, "--out", str(out), "-q"]
    for override in overrides:
        command += ["--set", override]
    subprocess.run(command, check=True)
    peak = peak_mb(children=True)
    run = zoo.load_run(out)
    meta = run.run.read_json("meta.json")
    spec, model = run.spec, run.model
    ids = spec.encode(Path(data).read_text(encoding="utf-8"))
    x, y = held_out_windows(ids[cuts(ids)[1] :])  # the same held-out windows as the other arms
    predicted = model.predict(x, batch_size=256, verbose=0)
    last = predicted[:, -1, :] if predicted.ndim == 3 else predicted
    import keras

    steps = int(keras.ops.convert_to_numpy(model.optimizer.iterations))  # the last epoch is cut short: count steps
    windows = steps * run.plan.train.batch_size
    start = time.perf_counter()
    sample = "".join(generate(model, spec, PRIME, 200, 0.5, rng_seed=0))
    return {
        "arm": " ".join(["zoo nietzsche-char-lstm", *overrides]),
        "epochs": meta["epochs"],
        "fit_s": meta["timings"]["fit_s"],
        "windows_per_s": windows / meta["timings"]["fit_s"],
        "targets_per_s": windows * (SEQ_LEN if run.spec.targets == "every" else 1) / meta["timings"]["fit_s"],
        "held_out_nats": nats(last, y),
        "held_out_nats_recipe_metric": run.run.read_json("metrics.json")["test"]["loss"],
        "peak_mb": peak,
        "write_200_s": time.perf_counter() - start,
        "sample": PRIME + sample,
    }


def keras_example_arm(data: str, minutes: float) -> dict:
    import keras

    text = Path(data).read_text(encoding="utf-8").lower()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    ids = np.array([index[c] for c in text], dtype=np.int32)
    cut, test = cuts(ids)
    starts = range(0, cut - SEQ_LEN, STEP)
    x = np.zeros((len(starts), SEQ_LEN, len(chars)), dtype=bool)  # the example's one-hot windows
    y = np.zeros((len(starts), len(chars)), dtype=bool)
    for i, start in enumerate(starts):
        x[i, np.arange(SEQ_LEN), ids[start : start + SEQ_LEN]] = True
        y[i, ids[start + SEQ_LEN]] = True
    model = keras.Sequential(
        [
            keras.Input((SEQ_LEN, len(chars))),
            keras.layers.LSTM(128),
            keras.layers.Dense(len(chars), activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.RMSprop(learning_rate=0.01))

    start = time.perf_counter()
    history = model.fit(x, y, batch_size=128, epochs=1000, callbacks=[time_limit(minutes)], verbose=0)
    fit_s = time.perf_counter() - start
    trained = int(model.optimizer.iterations.numpy()) * 128  # the last epoch is cut short: count steps
    hx, hy = held_out_windows(ids[test:])
    one_hot = np.zeros((len(hx), SEQ_LEN, len(chars)), dtype=bool)
    for i, window in enumerate(hx):
        one_hot[i, np.arange(SEQ_LEN), window] = True
    probabilities = model.predict(one_hot, batch_size=256, verbose=0)
    rng = np.random.default_rng(0)
    written = list(PRIME)
    start = time.perf_counter()
    for _ in range(200):
        window = np.zeros((1, SEQ_LEN, len(chars)), dtype=bool)
        window[0, np.arange(SEQ_LEN), [index[c] for c in written[-SEQ_LEN:]]] = True
        p = model.predict(window, verbose=0)[0].astype("float64")
        p = np.exp(np.log(np.maximum(p, 1e-12)) / 0.5)
        written.append(chars[int(rng.choice(len(chars), p=p / p.sum()))])
    return {
        "arm": "hand-written Keras example",
        "epochs": len(history.epoch),
        "fit_s": fit_s,
        "windows_per_s": trained / fit_s,
        "targets_per_s": trained / fit_s,
        "held_out_nats": nats(probabilities, hy),
        "training_loss": history.history["loss"][-1],
        "peak_mb": peak_mb(),
        "write_200_s": time.perf_counter() - start,
        "sample": "".join(written),
    }


def hand_same_model_arm(data: str, minutes: float) -> dict:
    """The zoo recipe's model and data written by hand in plain Keras: the zoo's overhead, if any."""
    import keras

    text = Path(data).read_text(encoding="utf-8").lower()
    chars = sorted(set(text))
    ids = np.array([chars.index(c) for c in text], dtype=np.int32)
    cut, test = cuts(ids)
    view = np.lib.stride_tricks.sliding_window_view

    def windows(part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = (len(part) - SEQ_LEN - 1) // 10 + 1
        return view(part[:-1], SEQ_LEN)[::10][:n], view(part[1:], SEQ_LEN)[::10][:n]

    (x, y), held_out = windows(ids[:cut]), windows(ids[cut:test])  # validated every epoch, as the zoo does
    keras.utils.set_random_seed(0)
    inputs = keras.Input((None,), dtype="int32")
    h = keras.layers.Dropout(0.1)(keras.layers.Embedding(len(chars), 24)(inputs))
    for _ in range(2):
        h = keras.layers.Dropout(0.1)(keras.layers.LSTM(256, return_sequences=True)(h))
    model = keras.Model(inputs, keras.layers.Dense(len(chars), activation="softmax")(h))
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])

    start = time.perf_counter()
    model.fit(x, y, batch_size=128, epochs=1000, validation_data=held_out, callbacks=[time_limit(minutes)], verbose=0)
    fit_s = time.perf_counter() - start
    trained = int(model.optimizer.iterations.numpy()) * 128
    return {"arm": "hand-written, the same model", "fit_s": fit_s, "windows_per_s": trained / fit_s, "sample": ""}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="nietzsche.txt")
    parser.add_argument("--minutes", type=float, default=20.0, help="training budget of each arm")
    parser.add_argument(
        "--arms", nargs="+", default=["zoo", "keras-example"], choices=[*ARMS, "keras-example", "hand-same-model"]
    )
    parser.add_argument("--repeats", type=int, default=1, help="run the arms this many times, alternated")
    parser.add_argument("--arm", help=argparse.SUPPRESS)  # one arm, in its own process (its own peak memory)
    args = parser.parse_args()
    if args.arm:
        data = str(Path(args.data).resolve())
        if args.arm in ARMS:
            result = zoo_arm(data, args.minutes, ARMS[args.arm])
        else:
            result = (keras_example_arm if args.arm == "keras-example" else hand_same_model_arm)(data, args.minutes)
        print("RESULT " + json.dumps(result), flush=True)
        return
    speeds: dict[str, list[float]] = {}
    for name in [arm for _ in range(args.repeats) for arm in args.arms]:
        done = subprocess.run(
            [sys.executable, __file__, "--data", args.data, "--minutes", str(args.minutes), "--arm", name],
            capture_output=True,
            text=True,
        )
        line = next((line for line in done.stdout.splitlines() if line.startswith("RESULT ")), None)
        if line is None:
            raise SystemExit(f"the {name} arm failed:\n{done.stderr[-3000:]}")
        result = json.loads(line[len("RESULT ") :])
        sample = result.pop("sample")
        speeds.setdefault(name, []).append(result["windows_per_s"])
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in result.items()}), flush=True)
        if sample:
            print(f"  sample: {sample!r}", flush=True)
    if args.repeats > 1 and len(speeds) == 2:
        (a, first), (b, second) = speeds.items()
        ratio = float(np.median(first) / np.median(second))
        print(f"median windows/s: {a} {np.median(first):.1f}, {b} {np.median(second):.1f}; ratio {ratio:.3f}")


if __name__ == "__main__":
    main()
