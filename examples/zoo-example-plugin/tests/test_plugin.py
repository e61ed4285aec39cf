"""The example plugin against keras-zoo's contract: one line, through keras-zoo's public test kit.
Copy it into your own plugin's tests."""

from zoo.testing import parametrize_plugin_checks


@parametrize_plugin_checks("example")
def test_zoo_contract(check):
    check()
