"""What the zoo prints while it works: quiet native logs, Keras verbosity, progress of long steps.

* TensorFlow's C++ start-up lines (``cudart_stub``, ``failed call to cuInit``, absl's banner) are
  written straight to file descriptor 2 and ignore ``TF_CPP_MIN_LOG_LEVEL`` on recent releases;
  :func:`quiet_native_logs` drops exactly those lines and passes every other one through.
* Keras's progress bar redraws one line with escape codes: right on a terminal, 100 KB of noise in
  a log file. :func:`keras_verbose` picks one line per epoch when stdout is not a terminal.
* Plugins report long data preparation with :func:`progress` (a bar on a terminal, a line per
  step otherwise), so nobody stares at a silent console for a minute.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

#: Lines of TensorFlow's (and XLA's) native logging, as absl formats them, and absl's banner; a fatal
#: line (F...) always passes: it is the only word a process that aborts leaves.
NATIVE_LOG_LINE = re.compile(
    rb"^(?:WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    rb"|[IWE]\d{4} [\d:.]+ +\d+ [\w./-]+:\d+\] )"
)


def quiet_native_logs() -> None:
    """From now on, drop native log lines written to stderr; everything else passes unchanged.

    File descriptor 2 becomes a pipe read by a thread that forwards what is not a native log
    line to the real stderr. At exit the pipe is drained before the process ends.
    """
    real_stderr = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    def forward() -> None:
        with os.fdopen(read_end, "rb") as lines:
            for line in lines:
                if not NATIVE_LOG_LINE.match(line):
                    os.write(real_stderr, line)

    thread = threading.Thread(target=forward, name="zoo-stderr", daemon=True)
    thread.start()

    def restore() -> None:
        sys.stderr.flush()
        os.dup2(real_stderr, 2)  # closes the pipe's last write end: the thread sees end of file
        thread.join(timeout=5)

    atexit.register(restore)


def keras_verbose(verbose: int | str | None) -> int | str:
    """Keras's ``verbose`` for ``fit``: the progress bar on a terminal, one line per epoch otherwise."""
    if verbose is None or verbose == "auto":
        return 1 if sys.stdout.isatty() else 2
    return verbose


def _ignore(n: int = 1) -> None:
    """Off a terminal nothing is drawn between the lines that start and end a step."""


def note(message: str) -> None:
    """One line of the zoo's own on stderr (where the run goes, what is being prepared)."""
    print(f"zoo: {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
    """Report a long step; yields ``advance(n)`` to call as work gets done.

    On a terminal, a bar (or a spinner when ``total`` is unknown); otherwise one line when the
    step starts and one when it ends, with its duration, so logs stay short::

        with progress("counting 1- to 3-grams", total=len(docs)) as advance:
            for doc in docs:
                ...
                advance(1)
    """
    start = time.perf_counter()
    if sys.stderr.isatty():
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        columns: list[Any] = [
            SpinnerColumn(),
            TextColumn("zoo: {task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,}/{task.total:,}" if total else "{task.completed:,}"),
            TimeElapsedColumn(),
        ]
        with Progress(*columns, transient=True) as bar:
            task = bar.add_task(description, total=total)

            def advance(n: int = 1) -> None:
                bar.advance(task, n)

            yield advance
    else:
        note(f"{description} ...")
        yield _ignore
    note(f"{description}: done in {time.perf_counter() - start:.1f} s")


@contextlib.contextmanager
def captured_native_stderr() -> Iterator[Callable[[], str]]:
    """Capture what native code writes to file descriptor 2 meanwhile (libjpeg's warnings, MLIR's
    pages about a failed conversion, a runtime's banner); yields a function that returns it, so the
    zoo can report one line of its own, or nothing."""
    saved = os.dup(2)
    with tempfile.TemporaryFile() as log:
        sys.stderr.flush()
        os.dup2(log.fileno(), 2)

        def read() -> str:
            log.seek(0)
            return log.read().decode("utf-8", "replace")

        try:
            yield read
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
