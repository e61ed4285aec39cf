"""Every loaded plugin, the day it is registered, through the public test kit (zoo.testing): the
built-ins, the test suite's own plugin (tests/tiny_plugin.py) and the example package. Each model
builds, predicts, saves and loads back in safe mode with the same predictions, round-trips its spec
and predicts from raw inputs, refuses a bad argument; every target imports light; every recipe
resolves; every parameter is documented."""

from __future__ import annotations

import pytest

from zoo.testing import parametrize_plugin_checks

pytestmark = pytest.mark.backends  # also run on JAX in CI (.ci/run)


@parametrize_plugin_checks()
def test_every_plugin(check):
    check()
