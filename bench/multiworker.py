"""Two local workers (train.distribute: multi-worker) against one process, on the same recipe.

Alternates the two, ``--repeats`` times, and prints for each: the final validation loss, the
wall time of the command(s), and the fit time per epoch the run records (meta.json). On one
machine two workers are not faster (they share its cores and exchange gradients every step); the
figures that matter are that the losses agree and what the exchange costs per step.

    python bench/multiworker.py [--recipe synthetic-cf-bias] [--epochs 3] [--repeats 2]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ZOO = str(Path(sys.executable).parent / "zoo")


def free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def result(run: Path) -> tuple[float, float]:
    meta = json.loads((run / "meta.json").read_text())
    loss = json.loads((run / "metrics.json").read_text())["validation"]["loss"]
    return loss, meta["timings"]["epoch_s"]


def one_process(recipe: str, epochs: int, out: Path) -> tuple[float, float, float]:
    start = time.perf_counter()
    subprocess.run([ZOO, "train", recipe, "--set", f"train.epochs={epochs}", "--out", str(out), "-q"], check=True)
    return (*result(out), time.perf_counter() - start)


def two_workers(recipe: str, epochs: int, out: Path) -> tuple[float, float, float]:
    hosts = [f"localhost:{port}" for port in free_ports(2)]
    command = [ZOO, "train", recipe, "--set", f"train.epochs={epochs}", "--set", "train.distribute=multi-worker"]
    start = time.perf_counter()
    workers = [
        subprocess.Popen(
            [*command, "--out", str(out), "-q"],
            env={
                **os.environ,
                "TF_CONFIG": json.dumps({"cluster": {"worker": hosts}, "task": {"type": "worker", "index": i}}),
            },
        )
        for i in range(2)
    ]
    try:
        codes = [w.wait(timeout=1800) for w in workers]
    finally:
        for w in workers:
            w.kill()
    if any(codes):
        raise SystemExit(f"a worker failed: exit codes {codes}")
    return (*result(out), time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", default="synthetic-cf-bias")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    rows: dict[str, list[tuple[float, float, float]]] = {"one process": [], "two workers": []}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            for label, run in (("one process", one_process), ("two workers", two_workers)):
                loss, epoch_s, wall_s = run(args.recipe, args.epochs, Path(tmp) / f"{label[:3]}{repeat}")
                rows[label].append((loss, epoch_s, wall_s))
                print(
                    f"repeat {repeat}: {label:11s} val_loss {loss:.4f}  fit s/epoch {epoch_s:.2f}  wall {wall_s:.1f} s"
                )
    one, two = (statistics.median(r[1] for r in rows[k]) for k in rows)
    print(f"median fit s/epoch: one process {one:.2f}, two workers {two:.2f}; ratio {two / one:.2f}")
    print(f"largest val_loss difference: {max(abs(a[0] - b[0]) for a, b in zip(*rows.values())):.5f}")


if __name__ == "__main__":
    main()
