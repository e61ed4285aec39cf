"""Bags of 1- to 3-grams of the IMDB reviews: the zoo's counting against scikit-learn's
CountVectorizer, each in a process of its own, alternated.

    python bench/ngrams.py --data ../shared/data [--repeats 2]

Both start from the same tokenized training and test reviews (the zoo's tokenizer, from its
corpus cache, which the first step fills) and keep the 800,000 n-grams found in the most training
reviews, as `imdb-nb-trigrams` does. Prints seconds and peak resident memory of each (the child's
own, from wait4), and how many distinct n-grams the training reviews hold.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMON = """
import os, sys, time
from pathlib import Path
from zoo_plugins.text.data import read_corpus
corpus = read_corpus(Path(sys.argv[1]))
"""

ZOO = (
    COMMON
    + """
from zoo_plugins.text.data import bag_of_ngrams
start = time.perf_counter()
bags, vocabulary = bag_of_ngrams(corpus, 3, 800000)
print(f"seconds {time.perf_counter() - start:.1f} kept {sum(w is not None for w in vocabulary)}")
"""
)

SKLEARN = (
    COMMON
    + """
from sklearn.feature_extraction.text import CountVectorizer
docs = {s: [" ".join(corpus.words[i - 1] if i <= len(corpus.words) else "<unseen>" for i in d.tolist())
            for d in corpus.ids[s]] for s in ("train", "test")}
start = time.perf_counter()
vectorizer = CountVectorizer(ngram_range=(1, 3), binary=True, max_features=800000, token_pattern=r"\\S+",
                             lowercase=False, dtype="int32")
train = vectorizer.fit_transform(docs["train"])
test = vectorizer.transform(docs["test"])
print(f"seconds {time.perf_counter() - start:.1f} kept {len(vectorizer.vocabulary_)}")
"""
)

COUNT = (
    COMMON
    + """
import numpy as np
base = len(corpus.words) + 2
keys = []
for doc in corpus.ids["train"]:
    d = doc.astype(np.int64)
    keys.append(np.unique(np.concatenate([d, d[:-1] * base + d[1:], (d[:-2] * base + d[1:-1]) * base + d[2:]])))
print(f"distinct {len(np.unique(np.concatenate(keys)))}")
"""
)


def run(code: str, archive: Path, env: dict[str, str]) -> tuple[str, float, float]:
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(archive)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    out = (child.stdout.read().strip().splitlines() or [""])[-1]
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"failed: {out}")
    return out, time.perf_counter() - start, usage.ru_maxrss / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    archive = (args.data / "imdb" / "aclImdb_v1.tar.gz").resolve()
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "ZOO_HOME": home}
        print(f"nproc {os.cpu_count()}; corpus cached in {run(COMMON, archive, env)[1]:.0f} s", flush=True)
        print(f"training reviews' {run(COUNT, archive, env)[0]} 1- to 3-grams", flush=True)
        for repeat in range(args.repeats):
            for name, code in (("zoo", ZOO), ("CountVectorizer", SKLEARN))[:: 1 if repeat % 2 == 0 else -1]:
                out, seconds, peak = run(code, archive, env)
                print(f"{name:16s} {out}  (process {seconds:.1f} s, peak {peak:.2f} GB)", flush=True)


if __name__ == "__main__":
    main()
