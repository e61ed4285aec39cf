"""Every registered plugin, the day it is registered, through the public test kit (zoo.testing):
each model builds, predicts, saves and loads back in safe mode with the same predictions, refuses a
bad argument; every target imports light; every recipe resolves; every parameter is documented.
(The example package runs the same kit from its own tests/, which this suite collects too.)"""

from __future__ import annotations

import pytest

from zoo.testing import parametrize_plugin_checks

pytestmark = pytest.mark.backends  # also run on JAX in CI (.ci/run)


@parametrize_plugin_checks("cf")
def test_cf_plugin(check):
    check()


@parametrize_plugin_checks("text")
def test_text_plugin(check):
    check()


@parametrize_plugin_checks("vision")
def test_vision_plugin(check):
    check()
