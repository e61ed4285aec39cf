"""`zoo serve` under load, on loopback only, bounded in count and time.

    python bench/serve.py [--requests 2000] [--clients 16] [--seconds 120]

For each model (the CF demo `synthetic-cf-bias`, trained for 3 epochs; and `imdb-cnn`, built on
the real reviews when ZOO_DATA_DIR is set): a real `zoo serve` process with batching on
(`--max-batch-size 32`) and off (`--max-batch-size 1`), alternated, each taking REQUESTS
single-instance requests from CLIENTS concurrent clients; requests/s and p50/p99 latency of each,
against the same requests predicted in-process with `model.predict`, one request at a time. Then
the mixed run: 10,000 requests of which 10% are malformed, to the batching server: every good answer
must equal the in-process prediction, every bad one must be a 4xx, with no 5xx and none dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
import numpy as np

ZOO = str(Path(sys.executable).parent / "zoo")
MALFORMED = [
    b'{"instances": [',  # not JSON
    b'{"inputs": []}',  # not TF Serving's row format
    b'{"instances": []}',
    b'{"instances": [null]}',
    b'{"instances": [["nobody", "nothing"]]}',
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, run: Path, max_batch_size: int, max_wait_ms: float) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        options = ["--port", str(self.port), "--max-batch-size", str(max_batch_size), "--max-wait-ms", str(max_wait_ms)]
        self.process = subprocess.Popen(
            [ZOO, "serve", str(run), *options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"{self.url}/healthz")
                if health.status_code == 200:
                    self.name = health.json()["model"]
                    return
            except httpx.TransportError:
                time.sleep(0.5)
        raise SystemExit(f"zoo serve {run} did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


async def load(url: str, bodies: list[bytes], clients: int, seconds: float) -> tuple[list[Any], list[float], float]:
    """Send ``bodies`` from ``clients`` concurrent keep-alive connections; each answer (status, JSON)
    and latency, in order. HTTP/1.1 written by hand over asyncio streams: a client library would
    spend more of the two cores than the server it measures."""
    host, port, path = _split(url)
    answers: list[Any] = [None] * len(bodies)
    latencies: list[float] = [0.0] * len(bodies)
    next_index = iter(range(len(bodies)))
    deadline = time.monotonic() + seconds

    async def client() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for i in next_index:
                if time.monotonic() > deadline:
                    return
                start = time.perf_counter()
                head = f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                writer.write(f"{head}Content-Length: {len(bodies[i])}\r\n\r\n".encode() + bodies[i])
                status_line = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                body = await reader.readexactly(length)
                latencies[i] = time.perf_counter() - start
                answers[i] = (int(status_line.split()[1]), json.loads(body))
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return answers, latencies, time.perf_counter() - start


def _split(url: str) -> tuple[str, int, str]:
    rest = url.removeprefix("http://")
    address, _, path = rest.partition("/")
    host, _, port = address.partition(":")
    return host, int(port), "/" + path


def in_process(run: Path, instances: list[Any], timed: int = 200) -> tuple[list[Any], float]:
    """What a script does without a server: load the run, ``model.predict`` each request alone
    (timed on the first ``timed``; it is slow); and every prediction, for comparing the answers."""
    import zoo

    saved = zoo.load_run(run)
    saved.predict(instances[:1])  # trace once, as the server's warm-up does
    start = time.perf_counter()
    alone = [saved.predict([instance])[0] for instance in instances[:timed]]
    rate = len(alone) / (time.perf_counter() - start)
    predictions = saved.predict(instances)
    assert all(_same(a, b) for a, b in zip(alone, predictions)), "one at a time and batched predictions differ"
    return predictions, rate


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1000


def bench_model(run: Path, instances: list[Any], args: argparse.Namespace) -> None:
    bodies = [json.dumps({"instances": [i]}).encode() for i in instances]
    expected, rate = in_process(run, instances)
    print(f"\n## {run.name}: {len(instances)} single-instance requests, {args.clients} clients")
    print(f"in-process model.predict, one request at a time: {rate:8.1f} requests/s")
    rates: dict[int, list[float]] = {32: [], 1: []}
    for repeat in range(args.repeats):
        for batch in (32, 1) if repeat % 2 == 0 else (1, 32):
            server = Server(run, batch, args.max_wait_ms)
            try:
                url = f"{server.url}/v1/models/{server.name}:predict"
                asyncio.run(load(url, bodies[:50], args.clients, args.seconds))  # warm the connections
                answers, latencies, elapsed = asyncio.run(load(url, bodies, args.clients, args.seconds))
            finally:
                server.stop()
            done = [a for a in answers if a is not None]
            answered = latencies[: len(done)]
            good = sum(1 for a, e in zip(answers, expected) if a and a[0] == 200 and _same(a[1]["predictions"][0], e))
            rate = len(done) / elapsed
            rates[batch].append(rate)
            print(
                f"server, max batch {batch:2d} (repeat {repeat + 1}): {rate:8.1f} requests/s, "
                f"p50 {percentile(answered, 50):6.1f} ms, p99 {percentile(answered, 99):6.1f} ms, "
                f"{good}/{len(bodies)} answers equal to in-process"
            )
    on, off = statistics.median(rates[32]), statistics.median(rates[1])
    print(f"batching on / off: {on / off:.2f}x requests/s (medians {on:.1f} / {off:.1f})")


def mixed(run: Path, instances: list[Any], args: argparse.Namespace) -> None:
    rng = random.Random(0)
    good_bodies = [json.dumps({"instances": [i]}).encode() for i in instances]
    expected, _ = in_process(run, instances)
    bodies, wanted = [], []
    for n in range(args.mixed):
        if rng.random() < 0.1:
            bodies.append(rng.choice(MALFORMED))
            wanted.append(None)
        else:
            k = n % len(good_bodies)
            bodies.append(good_bodies[k])
            wanted.append(expected[k])
    server = Server(run, 32, args.max_wait_ms)
    try:
        url = f"{server.url}/v1/models/{server.name}:predict"
        answers, latencies, elapsed = asyncio.run(load(url, bodies, args.clients, args.seconds * 3))
    finally:
        server.stop()
    bad = sum(1 for w in wanted if w is None)
    dropped = sum(1 for a in answers if a is None)
    five = sum(1 for a in answers if a and a[0] >= 500)
    refused = sum(1 for a, w in zip(answers, wanted) if w is None and a and 400 <= a[0] < 500)
    right = sum(
        1 for a, w in zip(answers, wanted) if w is not None and a and a[0] == 200 and _same(a[1]["predictions"][0], w)
    )
    print(
        f"\n## mixed, {run.name}: {len(bodies)} requests ({bad} malformed), {args.clients} clients, "
        f"{len(bodies) / elapsed:.1f} requests/s, p99 {percentile(latencies, 99):.1f} ms\n"
        f"good answers equal to in-process: {right}/{len(bodies) - bad}; malformed refused with a 4xx: "
        f"{refused}/{bad}; 5xx: {five}; dropped: {dropped}"
    )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict):
        return a.get("label") == b.get("label") and abs(a["probability"] - b["probability"]) <= 1e-5
    return abs(float(a) - float(b)) <= 1e-5 * max(1.0, abs(float(b)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=120, help="Time bound of each load.")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--mixed", type=int, default=10_000)
    parser.add_argument("--max-wait-ms", type=float, default=0.0, help="zoo serve's --max-wait-ms.")
    args = parser.parse_args()
    import zoo

    work = Path(tempfile.mkdtemp(prefix="zoo-bench-serve-"))
    cf = work / "cf"
    subprocess.run([ZOO, "train", "synthetic-cf-bias", "--set", "train.epochs=3", "--out", str(cf), "-q"], check=True)
    spec = zoo.load_run(cf).spec
    runs = {cf: spec.example_raw_inputs(args.requests, seed=1)}
    if os.environ.get("ZOO_DATA_DIR"):
        text = work / "imdb-cnn"
        imdb = Path(os.environ["ZOO_DATA_DIR"]).resolve() / "imdb"
        build = [ZOO, "build", "imdb-cnn", "--set", f"dataset.path={imdb}", "--out", str(text)]
        subprocess.run(build, check=True, stdout=subprocess.DEVNULL)
        words = [w for w in zoo.load_run(text).spec.vocabulary[1:2000] if w]
        rng = random.Random(2)
        runs[text] = [" ".join(rng.choices(words, k=rng.randint(5, 200))) for _ in range(args.requests)]
    print(f"machine: {os.cpu_count()} cores; client and server share them")
    for run, instances in runs.items():
        bench_model(run, instances, args)
    mixed(cf, runs[cf], args)


if __name__ == "__main__":
    main()
