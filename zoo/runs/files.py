"""Atomic files: each is written to a temporary sibling and renamed into place, so a crash, a full
disk or Ctrl-C leaves it either as it was or complete."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from zoo.errors import RunError


def explain_os_error(exc: OSError, path: Path) -> RunError:
    if exc.errno == errno.ENOSPC:
        return RunError(
            f"no space left on the device while writing {path}; free some space and run "
            f"again (files already saved were not changed)"
        )
    return RunError(f"cannot write {path}: {exc.strerror or exc} (files already saved were not changed)")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` to write; it replaces ``path`` only when complete."""
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        raise explain_os_error(exc, path) from exc
    finally:
        if tmp.exists():
            tmp.unlink()


def write_atomic(path: Path, text: str) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
