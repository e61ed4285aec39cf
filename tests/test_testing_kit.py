"""The public test kit fails a plugin that breaks the contract, each check for its own reason."""

from __future__ import annotations

import pytest

from zoo.testing import plugin_checks

SLOPPY = '''
import keras  # heavy, at module level

from zoo import hookimpl
from zoo_plugins.cf.data import RatingsSpec


def sloppy(spec: RatingsSpec, *, width: int = 3) -> keras.Model:
    """No Args: section, and no argument check."""
    user = keras.Input(shape=(), dtype="int32", name="user")
    item = keras.Input(shape=(), dtype="int32", name="item")
    x = keras.layers.Embedding(spec.n_users, abs(width) or 1)(user)
    return keras.Model({"user": user, "item": item}, keras.layers.Dense(1)(x))


@hookimpl
def register_models(register):
    register("sloppy-model", sloppy, tiny={"width": 2})


@hookimpl
def register_recipes(register):
    register("sloppy-recipe", {"dataset": {"use": "synthetic-ratings"}, "model": {"use": "sloppy-model", "widht": 2}})
'''


def test_each_broken_promise_fails_its_own_check(write_file):
    path = write_file("sloppy_plugin.py", SLOPPY)
    checks = dict(plugin_checks("sloppy_plugin", (str(path),)))
    failures = {}
    for name, check in checks.items():
        try:
            check()
        except AssertionError as exc:
            failures[name] = str(exc)
    assert set(failures) == {
        "sloppy_plugin:imports-light",
        "sloppy-model:bad-argument",
        "sloppy-model:documented",
        "sloppy-recipe:resolves",
    }
    assert "'keras'" in failures["sloppy_plugin:imports-light"]
    assert "accepted width=-1" in failures["sloppy-model:bad-argument"]
    assert "document ['width']" in failures["sloppy-model:documented"]
    assert "did you mean 'width'" in failures["sloppy-recipe:resolves"]
    assert "sloppy-model:round-trip" in checks  # it builds and round-trips: that check passes


def test_an_unknown_plugin_is_one_clear_line():
    from zoo.errors import ZooError

    with pytest.raises(ZooError, match="no plugin 'nope' is loaded"):
        plugin_checks("nope")
