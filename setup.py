"""Which packages ship: found, never listed by hand, so a new built-in plugin cannot be left out.

The core is ``zoo``; every package under ``plugins/`` installs as ``zoo_plugins.<name>`` (``plugins``
is too generic a top-level import name to take). Everything else about the distribution is in
pyproject.toml; tests/test_wheel.py builds the wheel and checks it holds every declared module.
"""

from setuptools import find_packages, setup

setup(
    packages=[
        *find_packages(include=["zoo", "zoo.*"]),
        "zoo_plugins",
        *(f"zoo_plugins.{name}" for name in find_packages("plugins")),
    ],
    package_dir={"zoo_plugins": "plugins"},
)
