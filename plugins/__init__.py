"""The built-in zoo plugins (installed as ``zoo_plugins``).

Each registers through the same public hooks a third-party plugin uses, and is declared the same
way, as a ``zoo`` entry point (setup.py writes them from ``registry.yaml``). ``registry.yaml``, shipped
in this package, also holds each plugin's recipes under its name; :func:`register_recipes_of` is
how a plugin's ``register_recipes`` hook registers its own.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any


def register_recipes_of(plugin: str, register: Any) -> None:
    """Register the recipes ``registry.yaml`` lists under ``plugin`` (with their lines, for errors)."""
    from zoo.plugin import load_yaml

    recipes = load_yaml(Path(str(resources.files(__name__) / "registry.yaml")))["recipes"].get(plugin) or {}
    for name, recipe in recipes.items():
        register(name, recipe)
