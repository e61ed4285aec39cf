"""Requests that arrive together are predicted together, as TensorFlow Serving's batching does.

Each request brings its own model inputs (already encoded and checked). A single worker takes the
first waiting request, gathers more for at most ``max_wait_s`` or until ``max_batch_size`` examples,
and runs the model once per group of inputs that can be stacked (the same shape past the batch
axis), padded to the next power of two so that the model is traced for a handful of batch sizes
only. The model runs in one thread of its own: the event loop keeps accepting requests meanwhile,
and the model is never called from two threads at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Model inputs: one array, or a dict of arrays of one length.
Inputs = Any


def count(inputs: Inputs) -> int:
    return len(next(iter(inputs.values())) if isinstance(inputs, dict) else inputs)


def stack_key(inputs: Inputs) -> tuple[Any, ...]:
    """Inputs with the same key can be concatenated along the batch axis."""
    arrays = sorted(inputs.items()) if isinstance(inputs, dict) else [("", inputs)]
    return tuple((name, a.shape[1:], a.dtype.str) for name, a in arrays)


def concatenate(parts: list[Inputs]) -> Inputs:
    if isinstance(parts[0], dict):
        return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return np.concatenate(parts)


def pad_to(inputs: Inputs, size: int) -> Inputs:
    """Repeat the last example up to ``size`` (its outputs are dropped)."""

    def pad(a: np.ndarray) -> np.ndarray:
        return a if len(a) >= size else np.concatenate([a, np.repeat(a[-1:], size - len(a), axis=0)])

    return {k: pad(v) for k, v in inputs.items()} if isinstance(inputs, dict) else pad(inputs)


def bucket(n: int, largest: int) -> int:
    """The next power of two from ``n``, at most ``largest`` (a request larger than that runs as it is)."""
    size = 1
    while size < n:
        size *= 2
    return max(n, min(size, largest))


@dataclass
class _Pending:
    inputs: Inputs
    size: int
    future: asyncio.Future[np.ndarray]
    key: tuple[Any, ...] = field(default=())


@dataclass
class BatchStats:
    """What the batcher did, for ``/v1/models/NAME`` and the benchmark."""

    batches: int = 0
    examples: int = 0
    largest: int = 0


class Batcher:
    """Gathers requests into batches for ``predict`` (a blocking function of model inputs)."""

    def __init__(self, predict: Callable[[Inputs], np.ndarray], max_batch_size: int, max_wait_s: float) -> None:
        if max_batch_size < 1 or max_wait_s < 0:
            raise ValueError("max_batch_size must be at least 1 and max_wait_s at least 0")
        self.predict = predict
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_s
        self.stats = BatchStats()
        self._queue: asyncio.Queue[_Pending] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zoo-model")
        self._worker: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._queue = asyncio.Queue()
        self._worker = asyncio.create_task(self._work())

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
        self._executor.shutdown(wait=False)

    async def predict_inputs(self, inputs: Inputs) -> np.ndarray:
        """The model's outputs for ``inputs``, predicted with whatever else is waiting."""
        assert self._queue is not None, "start() the batcher first"
        pending = _Pending(inputs, count(inputs), asyncio.get_running_loop().create_future(), stack_key(inputs))
        await self._queue.put(pending)
        return await pending.future

    async def _work(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            self._drain(batch)
            if self._size(batch) < self.max_batch_size and self.max_wait_s > 0:
                await asyncio.sleep(self.max_wait_s)  # one timer per batch, as TF Serving's batch_timeout
                self._drain(batch)
            for group in _groups(batch):
                await self._run(loop, group)

    def _drain(self, batch: list[_Pending]) -> None:
        """Add what is waiting to ``batch``, up to the largest batch."""
        assert self._queue is not None
        size = self._size(batch)
        while size < self.max_batch_size and not self._queue.empty():
            batch.append(self._queue.get_nowait())
            size += batch[-1].size

    @staticmethod
    def _size(batch: list[_Pending]) -> int:
        return sum(p.size for p in batch)

    async def _run(self, loop: asyncio.AbstractEventLoop, group: list[_Pending]) -> None:
        live = [p for p in group if not p.future.cancelled()]  # a client that went away
        if not live:
            return
        total = sum(p.size for p in live)
        inputs = pad_to(concatenate([p.inputs for p in live]), bucket(total, self.max_batch_size))
        try:
            outputs = await loop.run_in_executor(self._executor, self.predict, inputs)
        except Exception as exc:  # the model failed: every request of the batch hears why
            for p in live:
                if not p.future.done():
                    p.future.set_exception(exc)
            return
        self.stats.batches += 1
        self.stats.examples += total
        self.stats.largest = max(self.stats.largest, total)
        start = 0
        for p in live:
            if not p.future.done():
                p.future.set_result(outputs[start : start + p.size])
            start += p.size


def _groups(batch: list[_Pending]) -> list[list[_Pending]]:
    groups: dict[tuple[Any, ...], list[_Pending]] = {}
    for p in batch:
        groups.setdefault(p.key, []).append(p)
    return list(groups.values())
