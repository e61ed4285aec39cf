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


def test_an_ambiguous_plugin_name_is_refused(monkeypatch):
    """A second plugin named like an installed one loads as DIST.NAME: the bare name would check the
    other plugin, so the kit refuses it."""
    from zoo.catalog.registry import Plugin, load_plugins
    from zoo.errors import ZooError

    registry = load_plugins()
    monkeypatch.setitem(registry.plugins, "zoo-cf.cf", Plugin("zoo-cf.cf", "entrypoint", "zoo_cf", "zoo-cf", "0.1"))
    with pytest.raises(ZooError, match=r"two installed plugins are named 'cf': keras-zoo's and zoo-cf.cf"):
        plugin_checks("cf")


def test_an_expected_failure_is_a_strict_xfail(write_file):
    from zoo.errors import ZooError
    from zoo.testing import parametrize_plugin_checks

    path = str(write_file("sloppy_plugin.py", SLOPPY))
    mark = parametrize_plugin_checks("sloppy_plugin", (path,), {"sloppy-model:documented": "no docstring yet"})
    params = {p.id: p for p in mark.args[1]}
    (xfail,) = params["sloppy-model:documented"].marks
    assert xfail.name == "xfail" and xfail.kwargs == {"strict": True, "reason": "no docstring yet"}
    assert not params["sloppy-model:round-trip"].marks
    with pytest.raises(ZooError, match="expected_failed_checks names no check: sloppy-model:typo"):
        parametrize_plugin_checks("sloppy_plugin", (path,), {"sloppy-model:typo": "?"})
