"""What ships: the packages, found, never listed by hand, and the built-in plugins' entry points,
read from registry.yaml, the one place that declares them.

The core is ``zoo``; every package under ``plugins/`` installs as ``zoo_plugins.<name>`` (``plugins``
is too generic a top-level import name to take). Everything else about the distribution is in
pyproject.toml; tests/test_wheel.py builds the wheel and checks it holds every declared module.
"""

from pathlib import Path

import yaml
from setuptools import find_packages, setup

builtins = yaml.safe_load((Path(__file__).parent / "registry.yaml").read_text(encoding="utf-8"))["plugins"]

setup(
    packages=[
        *find_packages(include=["zoo", "zoo.*"]),
        "zoo_plugins",
        *(f"zoo_plugins.{name}" for name in find_packages("plugins")),
    ],
    package_dir={"zoo_plugins": "plugins"},
    # The built-in plugins come in through the same entry-point group as any third party's.
    entry_points={
        "console_scripts": ["zoo = zoo.surfaces.cli:main"],
        "zoo": [f"{name} = {module}" for name, module in builtins.items()],
    },
)
