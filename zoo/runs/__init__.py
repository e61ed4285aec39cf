"""The run folder: its layout (``layout``), atomic files (``files``), the folder itself (``run``)
and a saved run loaded back (``saved``)."""

from typing import Any


def __getattr__(name: str) -> Any:  # the names of the module this package replaced (zoo._moved)
    from zoo._moved import moved_name

    return moved_name("zoo.runs", name)
