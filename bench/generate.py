"""Generation speed: the zoo's carried LSTM state against `model.predict` once per character.

Builds `nietzsche-char-lstm`'s model (2 x LSTM(256), 57 characters; untrained weights: speed does
not depend on them) and writes ``--length`` characters three ways, printing the time per
character of each and whether the texts agree:

- zoo: `zoo_plugins.charlm.generate.generate`, one LSTM cell step per character;
- full predict: `model.predict` on everything written so far, per character (same text by design);
- lesson: `model.predict` on the last 40 characters, per character (the Keras example's loop);
- compiled window: the same 40-character window through `model.predict_on_batch` (Keras's compiled
  predict step, without `predict`'s per-call set-up of data adapter, callbacks and progress).

The three ratios credit each part: lesson / compiled window is `model.predict`'s per-call overhead,
compiled window / zoo is what carrying the LSTM state (one step instead of 40) adds.

    python bench/generate.py [--length 200]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from zoo_plugins.charlm.data import CharSpec
from zoo_plugins.charlm.generate import generate, reference_generate, sample
from zoo_plugins.charlm.models import char_lstm


def lesson_loop(model, spec: CharSpec, prime: str, length: int, temperature: float, seed: int) -> str:
    ids = list(spec.encode(prime))
    rng = np.random.default_rng(seed)
    for _ in range(length):
        probabilities = model.predict(np.array([ids[-spec.seq_len :]], "int32"), verbose=0)
        ids.append(sample(probabilities[0, -1], temperature, rng))
    return "".join(spec.chars[i] for i in ids[len(prime) :])


def compiled_window_loop(model, spec: CharSpec, prime: str, length: int, temperature: float, seed: int) -> str:
    ids = list(spec.encode(prime))
    rng = np.random.default_rng(seed)
    for _ in range(length):
        probabilities = model.predict_on_batch(np.array([ids[-spec.seq_len :]], "int32"))
        ids.append(sample(np.asarray(probabilities)[0, -1], temperature, rng))
    return "".join(spec.chars[i] for i in ids[len(prime) :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=200)
    args = parser.parse_args()
    import keras

    keras.utils.set_random_seed(0)
    spec = CharSpec(
        name="bench",
        task="sequence",
        chars=list("\n !\"'(),-.0123456789:;=?[]_abcdefghijklmnopqrstuvwxyzäæéë")[:57],
        seq_len=40,
    )
    model = char_lstm(spec, embedding_dim=24, units=256, layers=2, dropout=0.1)
    prime = "ethics is a basic foundation of all that "
    times, texts = {}, {}
    for label, write in (
        ("zoo", lambda: "".join(generate(model, spec, prime, args.length, 0.5, 0))),
        ("full predict", lambda: reference_generate(model, spec, prime, args.length, 0.5, 0)),
        ("lesson", lambda: lesson_loop(model, spec, prime, args.length, 0.5, 0)),
        ("compiled window", lambda: compiled_window_loop(model, spec, prime, args.length, 0.5, 0)),
    ):
        write_start = time.perf_counter()
        texts[label] = write()
        times[label] = (time.perf_counter() - write_start) / args.length
        print(f"{label:16s} {times[label] * 1000:8.2f} ms per character")
    print(
        f"zoo is {times['lesson'] / times['zoo']:.1f}x faster per character than the lesson's loop, "
        f"{times['full predict'] / times['zoo']:.1f}x than full predict"
    )
    print(
        f"of which: lesson -> compiled window {times['lesson'] / times['compiled window']:.1f}x "
        f"(model.predict's per-call overhead), compiled window -> zoo {times['compiled window'] / times['zoo']:.1f}x "
        f"(the carried state: one step per character instead of {spec.seq_len})"
    )
    print(f"zoo text == full predict text: {texts['zoo'] == texts['full predict']}")
    print(f"compiled window text == lesson text: {texts['compiled window'] == texts['lesson']}")


if __name__ == "__main__":
    main()
