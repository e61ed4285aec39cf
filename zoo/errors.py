"""The errors a user can cause, each rendered as one line that says what was wrong and how to fix it.

Everything the zoo raises for bad input derives from :class:`ZooError`; the CLI prints its message
without a traceback (unless ``--debug``) and exits non-zero. Anything else is a bug in the zoo or a
plugin, and keeps its traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ZooError(Exception):
    """A user error: bad input, a missing file, an unknown name."""


class UnknownNameError(ZooError, KeyError):
    """A plugin, recipe or parameter name that nothing registered (a ``KeyError``, as in simonw/llm)."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class AmbiguousNameError(ZooError, KeyError):
    """The same kind and name registered by two plugins; ``plugin:name`` picks one."""

    def __str__(self) -> str:
        return str(self.args[0])


class RecipeError(ZooError):
    """A recipe that cannot be resolved or does not validate."""


class PluginError(ZooError):
    """A plugin that failed to import or register (fatal only with ``--strict``)."""


class RunError(ZooError):
    """A run directory that cannot be written or read."""


class MissingExtraError(ZooError):
    """An optional capability whose packages are not installed; the message names the extra."""


class RecipeDeprecationWarning(FutureWarning):
    """A recipe spelled the way an earlier version of the zoo read it: still read, with one note
    saying what to write instead (``zoo`` prints it as one line, ``zoo: deprecated: ...``)."""


def brief(value: object, limit: int = 160) -> str:
    """``repr(value)``, shortened to about ``limit`` characters: an error quotes what it received,
    never megabytes of it (a YAML alias bomb, a 5,000-digit number)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 25]}... ({len(text):,} characters)"


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ``"; did you mean 'x'?"`` for the closest candidates, or an empty string."""
    scored = sorted(((difflib.SequenceMatcher(None, name, c).ratio(), c) for c in set(candidates)), reverse=True)
    close = [c for score, c in scored if score >= 0.6 and score >= scored[0][0] - 0.05][:3]
    if not close:
        return ""
    return "; did you mean " + " or ".join(repr(c) for c in close) + "?"
