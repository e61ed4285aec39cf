"""Cold-start time of the zoo's light commands next to importing Keras (median of N runs each).

    python bench/cold_start.py [--runs 5]

Each command runs in a fresh process; the figures are wall-clock seconds as a user waits them.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    zoo = shutil.which("zoo") or sys.exit("install keras-zoo first: `zoo` is not on PATH")
    commands = {
        "zoo --help": [zoo, "--help"],
        "zoo list": [zoo, "list"],
        "zoo show cf-bias": [zoo, "show", "cf-bias"],
        'python -c "import keras"': [sys.executable, "-c", "import keras"],
    }
    medians = {}
    for label, command in commands.items():
        runs = [seconds(command) for _ in range(args.runs)]
        medians[label] = statistics.median(runs)
        print(f"{label:28s} median {medians[label]:.3f} s   runs: {' '.join(f'{r:.3f}' for r in runs)}")
    ratio = medians['python -c "import keras"'] / medians["zoo list"]
    print(f"import keras / zoo list: {ratio:.0f}x")


if __name__ == "__main__":
    main()
