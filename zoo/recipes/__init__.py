"""Recipes: YAML with the line of every key (``yamlfile``), the resolved recipe and its schema
(``plan``), and resolution: ``extends``, ``--set``, validation into a plan (``resolve``)."""

from typing import Any


def __getattr__(name: str) -> Any:  # the names of the module this package replaced (zoo._moved)
    from zoo._moved import moved_name

    return moved_name("zoo.recipes", name)
