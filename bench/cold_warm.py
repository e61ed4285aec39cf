"""Wall time and peak memory of `zoo train RECIPE`, cold (an empty data cache) then warm (the cache
the first run left), each in a process of its own.

    ZOO_DATA_DIR=../shared/data python bench/cold_warm.py imdb-nb-trigrams

IMDB is linked into a fresh ZOO_HOME from $ZOO_DATA_DIR/imdb, so "cold" parses the raw reviews.
Prints one line per run: seconds, peak resident memory (the child's own, from wait4), the metrics.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_once(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    start = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if child.returncode:
        sys.exit(f"{' '.join(command)} exited {child.returncode}:\n{output[-3000:]}")
    metrics = " | ".join(line for line in output.splitlines() if line.startswith(("validation:", "test:")))
    return seconds, usage.ru_maxrss / 1024 / 1024, metrics  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipe")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="passed to zoo train")
    args = parser.parse_args()
    data = Path(os.environ.get("ZOO_DATA_DIR", "../shared/data")).resolve()
    zoo = str(Path(sys.executable).parent / "zoo")
    with tempfile.TemporaryDirectory() as home:
        (Path(home) / "imdb").symlink_to(data / "imdb")
        env = {**os.environ, "ZOO_HOME": home}
        print(f"zoo train {args.recipe} {' '.join('--set ' + o for o in args.overrides)}  (nproc {os.cpu_count()})")
        for label in ("cold", "warm"):
            command = [
                zoo,
                "train",
                args.recipe,
                "--out",
                f"{home}/run-{label}",
                "-q",
                *(x for o in args.overrides for x in ("--set", o)),
            ]
            seconds, peak_gb, metrics = run_once(command, env)
            print(f"{label}: {seconds:6.1f} s  peak {peak_gb:4.2f} GB  {metrics}", flush=True)


if __name__ == "__main__":
    main()
