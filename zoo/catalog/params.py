"""A target's recipe parameters, read from its signature, type hints and docstring.

The keyword-only parameters of a target are what a recipe may set. Values come from YAML, so
the checker accepts what YAML can say for each hint (a list for a ``tuple[int, ...]``, an int for
a ``float``) and converts it; anything else is rejected with the type it expected.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import inspect
import re
import sys
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Union

from zoo.errors import did_you_mean

REQUIRED = inspect.Parameter.empty


@dataclass(frozen=True)
class Param:
    name: str
    annotation: Any
    default: Any
    description: str = ""

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def type_text(self) -> str:
        return describe_type(self.annotation)


def _resolve(annotation: Any, fn: Callable[..., Any]) -> Any:
    """Evaluate a string annotation (``from __future__ import annotations``) in the target's module.

    Names the module imports only under ``TYPE_CHECKING`` (``keras``) cannot be evaluated without
    importing them; such hints are left as ``Any``, since they never describe a recipe value.
    """
    if not isinstance(annotation, str):
        return annotation
    # The function's own globals, not sys.modules: a plugin file loaded again (a second registry)
    # replaces its module there, and its classes with new ones.
    module = sys.modules.get(getattr(fn, "__module__", ""), None)
    own = inspect.unwrap(fn)  # a variant's builder evaluates in its row function's module
    namespace = {**vars(typing), **getattr(own, "__globals__", vars(module) if module else {})}
    try:
        return eval(annotation, namespace)
    except Exception:
        return Any


def docstring_args(fn: Callable[..., Any]) -> dict[str, str]:
    """``{name: description}`` from the ``Args:`` section of a Google-style docstring."""
    doc = inspect.getdoc(fn) or ""
    match = re.search(r"^(?:Args|Arguments|Parameters):\s*\n((?:[ \t]+.*\n?|\s*\n)+)", doc, re.MULTILINE)
    if not match:
        return {}
    described: dict[str, str] = {}
    current, indent = None, 0
    for line in match.group(1).splitlines():
        item = re.match(r"^\s{2,8}(\*{0,2}\w+)(?:\s*\(.*?\))?:\s*(.*)$", line)
        depth = len(line) - len(line.lstrip())
        if item and (current is None or depth <= indent):  # a new name, not a continuation line
            current, indent = item.group(1), depth
            described[current] = item.group(2).strip()
        elif current and line.strip():
            described[current] += " " + line.strip()
    return described


def variants_builder(
    fn: Callable[..., Any],
    name: str,
    summary: str,
    positional: list[inspect.Parameter],
    options: list[tuple[str, Any, Any, str]],
) -> Callable[..., Any]:
    """One row of a table of variants (as timm's ``vgg.py`` keeps them) as a typed builder named
    ``name``: ``positional`` parameters, then ``options`` as keyword-only ``(name, type, default,
    description)`` over ``fn(*positional, **options)``.

    The signature is enforced, from Python as from recipes: an unknown or misspelled keyword is a
    ``TypeError`` naming it, and every option reaches ``fn`` with its default filled in. Recipes are
    checked against the signature and ``zoo show`` documents it; the builder's module is ``fn``'s, so
    string annotations resolve in the plugin's module."""
    keyword = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d, annotation=t) for n, t, d, _ in options]
    signature = inspect.Signature([*positional, *keyword])
    known = [n for n, _, _, _ in options]

    def builder(*args: Any, **kwargs: Any) -> Any:
        unknown = [key for key in kwargs if key not in known and key not in signature.parameters]
        if unknown:
            raise TypeError(
                f"{name}() got an unexpected keyword argument {unknown[0]!r}{did_you_mean(unknown[0], known)}"
            )
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return fn(*bound.args, **bound.kwargs)

    builder.__signature__ = signature  # type: ignore[attr-defined]
    builder.__doc__ = f"{summary}\n\nArgs:\n" + "\n".join(f"    {n}: {doc}" for n, _, _, doc in options) + "\n"
    builder.__name__ = builder.__qualname__ = name
    builder.__module__ = fn.__module__
    builder.__wrapped__ = fn  # type: ignore[attr-defined]
    return builder


def signature_of(fn: Callable[..., Any]) -> inspect.Signature:
    target = fn.__init__ if inspect.isclass(fn) else fn  # type: ignore[misc]
    return inspect.signature(target)


def recipe_parameters(fn: Callable[..., Any]) -> dict[str, Param]:
    """The keyword-only parameters of ``fn``: what a recipe section may set."""
    descriptions = docstring_args(fn)
    defaults = _dataclass_defaults(fn)
    return {
        p.name: Param(
            p.name,
            _resolve(p.annotation, fn) if p.annotation is not p.empty else Any,
            defaults.get(p.name, p.default),
            descriptions.get(p.name, ""),
        )
        for p in signature_of(fn).parameters.values()
        if p.kind is p.KEYWORD_ONLY
    }


def _dataclass_defaults(cls: Any) -> dict[str, Any]:
    """A dataclass's ``default_factory`` values (its signature shows only a sentinel for them)."""
    if not dataclasses.is_dataclass(cls):
        return {}
    return {
        f.name: f.default_factory() for f in dataclasses.fields(cls) if f.default_factory is not dataclasses.MISSING
    }


def injected_parameters(fn: Callable[..., Any]) -> list[inspect.Parameter]:
    """The positional parameters of ``fn``: what the zoo passes (spec, embedding, dataset)."""
    return [
        p
        for p in signature_of(fn).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"
    ]


def injected_annotation(fn: Callable[..., Any], index: int) -> Any:
    params = injected_parameters(fn)
    if index >= len(params) or params[index].annotation is inspect.Parameter.empty:
        return Any
    return _resolve(params[index].annotation, fn)


def returned_spec(adapter: Callable[..., Any]) -> type | None:
    """The spec class an adapter declares by its return annotation (``-> Dataset[MySpec]``), or None."""
    annotation = inspect.signature(adapter).return_annotation
    if annotation is inspect.Signature.empty:
        return None
    args = typing.get_args(_resolve(annotation, adapter))
    return args[0] if len(args) == 1 and inspect.isclass(args[0]) else None


def needed_spec(builder: Callable[..., Any], spec_class: type) -> type | None:
    """The spec class ``builder`` asks for (its first parameter's annotation) when ``spec_class`` is
    not one; None when it is, or when the builder names none (or one only a type checker can read)."""
    wanted = injected_annotation(builder, 0)
    # On Python 3.11 typing.Any is a class, so it is ruled out by name before issubclass is asked.
    if wanted is Any or not inspect.isclass(wanted) or issubclass(spec_class, wanted):
        return None
    return wanted  # type: ignore[no-any-return]


def describe_type(annotation: Any) -> str:
    if annotation is Any:
        return "any"
    if annotation is type(None) or annotation is None:
        return "null"
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in args)
    if origin in (Union, types.UnionType):
        return " or ".join(describe_type(a) for a in args)
    if origin is not None:
        name = getattr(origin, "__name__", str(origin))
        if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
            return f"list of {describe_type(args[0])}"
        return f"{name}[{', '.join(describe_type(a) for a in args)}]" if args else name
    return getattr(annotation, "__name__", str(annotation))


class _Mismatch(Exception):
    pass


def check_value(value: Any, annotation: Any) -> Any:
    """Return ``value`` converted to ``annotation`` (list -> tuple, int -> float), or raise TypeError."""
    try:
        return _check(value, annotation)
    except _Mismatch:
        raise TypeError(f"expected {describe_type(annotation)}") from None


def _check(value: Any, ann: Any) -> Any:
    if ann is Any or ann is object:
        return value
    if ann is None or ann is type(None):
        if value is None:
            return None
        raise _Mismatch
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin is Literal:
        if any(value == a and type(value) is type(a) for a in args):
            return value
        raise _Mismatch
    if origin in (Union, types.UnionType):
        for option in args:
            try:
                return _check(value, option)
            except _Mismatch:
                continue
        raise _Mismatch
    if ann is bool:
        if isinstance(value, bool):
            return value
        raise _Mismatch
    if ann is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _Mismatch
    if ann is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise _Mismatch
    if ann is str:
        if isinstance(value, str):
            return value
        raise _Mismatch
    if origin in (tuple, list, collections.abc.Sequence) or ann in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise _Mismatch
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            if len(args) != len(value):
                raise _Mismatch
            return tuple(_check(v, a) for v, a in zip(value, args))
        item = args[0] if args else Any
        items = [_check(v, item) for v in value]
        return tuple(items) if (origin or ann) is tuple else items
    if origin in (dict, collections.abc.Mapping) or ann is dict:
        if not isinstance(value, dict):
            raise _Mismatch
        key, item = args if args else (Any, Any)
        return {_check(k, key): _check(v, item) for k, v in value.items()}
    if inspect.isclass(ann):
        if isinstance(value, ann):
            return value
        raise _Mismatch
    return value  # a hint this checker does not understand: let the target decide
