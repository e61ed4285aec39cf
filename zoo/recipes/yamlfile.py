"""YAML for recipes: every mapping remembers the ``file:line`` of each key (``YamlMap``), so that
an error points at the line to fix; ``1e-4`` reads as a float; duplicate keys are errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from zoo.errors import RecipeError, ZooError


class YamlMap(dict):  # type: ignore[type-arg]
    """A mapping that remembers where each key came from (``file:line``, ``--set ...``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.where: dict[Any, str] = {}
        #: The plugin whose registered recipe set this section's ``use``: its bare names are that
        #: plugin's own, so another plugin registering the same name cannot break the recipe.
        self.owner: str | None = None


#: More values than a recipe ever holds once its aliases (*name) are expanded: a document with more
#: is refused (an "alias bomb" of a few hundred bytes expands to megabytes wherever it is walked).
MAX_EXPANDED_VALUES = 100_000


class _Loader(yaml.SafeLoader):
    pass


def _expanded_size(value: Any, memo: dict[int, int]) -> int:
    """How many values ``value`` holds with every alias expanded, counted without expanding them
    (each shared object is measured once); a recursive alias counts as too many."""
    key = id(value)
    if key in memo:
        return memo[key]
    memo[key] = MAX_EXPANDED_VALUES + 1  # while measuring: a cycle reaching back here is too large
    if isinstance(value, dict):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in value.items())
    elif isinstance(value, list):
        size = 1 + sum(_expanded_size(v, memo) for v in value)
    else:
        size = 1
    memo[key] = size
    return size


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> YamlMap:
    loader.flatten_mapping(node)
    result = YamlMap()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        where = f"{loader.name}:{key_node.start_mark.line + 1}"
        if key in result:
            raise RecipeError(f"{where}: duplicate key {key!r} (first at {result.where[key]}); keep one")
        result[key] = loader.construct_object(value_node, deep=True)
        result.where[key] = where
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# YAML 1.1 reads 1e-4 (no dot) as a string; recipes are full of learning rates written that way.
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def parse_yaml(text: str, origin: str) -> Any:
    """Parse YAML, turning syntax errors into one line with the file, line and column."""
    loader = _Loader(text)
    loader.name = origin
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f"{origin}:{mark.line + 1}:{mark.column + 1}" if mark else origin
        raise RecipeError(f"{at}: invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise RecipeError(f"{origin}: invalid YAML: {exc}") from None
    except ValueError as exc:  # int() of a number longer than Python converts (4,300 digits)
        raise RecipeError(f"{origin}: cannot read a value: {str(exc).split(';')[0]}; no recipe needs one") from None
    finally:
        loader.dispose()
    if _expanded_size(data, {}) > MAX_EXPANDED_VALUES:
        raise RecipeError(
            f"{origin}: its aliases (*name) expand to more than {MAX_EXPANDED_VALUES:,} values, more than "
            f"any recipe holds; write the values out"
        )
    return data


def load_yaml(path: str | Path) -> Any:
    """The parsed file, mappings as :class:`YamlMap` (with the line of every key)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ZooError(f"{path}: no such file; check the path given to -c") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ZooError(f"{path}: cannot read: {exc}") from None
    return parse_yaml(text, str(path))
