"""`zoo runs` on many run folders against `zoo list` and `python -c "import keras"`, each in a
process of its own, alternated; prints the median wall time of each and the ratios.

    python bench/runs_list.py --runs 1000 --repeats 5

The folders are made from one real run (a one-epoch `synthetic-cf-bias`, trained first): its
recipe.yaml, meta.json, metrics.json and spec.json, copied with other names, statuses and figures
(the model files are left out: `zoo runs` never reads them).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ZOO = str(Path(sys.executable).parent / "zoo")


def make_runs(root: Path, count: int) -> None:
    model = root / "_trained"
    subprocess.run(
        [ZOO, "train", "synthetic-cf-bias", "--set", "train.epochs=1", "--out", str(model), "-q"], check=True
    )
    rng = random.Random(0)
    meta = json.loads((model / "meta.json").read_text())
    metrics = json.loads((model / "metrics.json").read_text())
    for i in range(count):
        run = root / f"run-{i:04d}"
        run.mkdir()
        for name in ("recipe.yaml", "spec.json"):
            shutil.copyfile(model / name, run / name)
        meta["status"] = rng.choice(["complete", "complete", "complete", "failed", "interrupted"])
        meta["created"] = f"2026-12-{rng.randint(1, 7):02d}T{rng.randint(0, 23):02d}:00:00+0000"
        (run / "meta.json").write_text(json.dumps(meta))
        scores = {split: {k: v * rng.uniform(0.9, 1.1) for k, v in values.items()} for split, values in metrics.items()}
        (run / "metrics.json").write_text(json.dumps(scores))
    shutil.rmtree(model)


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_runs(root, args.runs)
        arms = {
            f"zoo runs ({args.runs} runs)": [ZOO, "runs", str(root)],
            "zoo list": [ZOO, "list"],
            "import keras": [sys.executable, "-c", "import keras"],
        }
        times: dict[str, list[float]] = {name: [] for name in arms}
        for repeat in range(args.repeats):
            order = list(arms) if repeat % 2 == 0 else list(reversed(arms))
            for name in order:
                times[name].append(seconds(arms[name]))
            print(f"repeat {repeat + 1}: " + "  ".join(f"{n} {times[n][-1]:.2f} s" for n in arms), flush=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    runs_s, list_s, keras_s = medians.values()
    print("median: " + ", ".join(f"{name} {value:.2f} s" for name, value in medians.items()))
    print(f"zoo runs / zoo list {runs_s / list_s:.2f}; import keras / zoo runs {keras_s / runs_s:.1f}x")


if __name__ == "__main__":
    main()
