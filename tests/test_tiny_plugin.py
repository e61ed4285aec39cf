"""The test suite's own plugin passes the same test kit as every plugin."""

from zoo.testing import parametrize_plugin_checks


@parametrize_plugin_checks("tiny_plugin")
def test_the_test_suites_plugin_keeps_the_contract(check):
    check()
