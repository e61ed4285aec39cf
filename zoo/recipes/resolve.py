"""Recipes resolved into a ``Plan``: ``extends``, ``--set`` overrides, and validation.

A recipe names one plugin per component (``use: NAME``) and its parameters. Resolution merges
the ``extends`` chain (deeply; a section whose ``use`` changes is replaced, not merged), applies
overrides, and checks every key against the target's signature and type hints, filling in every
default, before anything is built. Errors say where the value came from (``file:line`` or
``--set``), the key path, the value, and what was expected.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo.catalog.params import check_value, injected_parameters, needed_spec, recipe_parameters, returned_spec
from zoo.errors import (
    AmbiguousNameError,
    RecipeDeprecationWarning,
    RecipeError,
    UnknownNameError,
    ZooError,
    brief,
    did_you_mean,
)
from zoo.recipes.plan import AUTO, COMPONENTS, BuildConfig, Component, Plan, Stage, TrainConfig, dump_recipe, plain
from zoo.recipes.yamlfile import YamlMap, load_yaml, parse_yaml

if TYPE_CHECKING:
    from zoo.catalog.registry import Registry

__all__ = [
    "apply_override",
    "component",
    "dump_recipe",
    "load_yaml",
    "merge",
    "parse_override",
    "plain",
    "resolve",
    "validate",
]

SECTIONS = ("name", "version", "summary", "tags", "extends", "dataset", "embedding", "model", "build", "train")


def _where(mapping: Any, key: Any) -> str:
    return getattr(mapping, "where", {}).get(key, "")


class _Context:
    """Formats errors for one recipe: ``where: key.path: problem``."""

    def __init__(self, name: str, prefix: str | None = None) -> None:
        self.name = name
        self.prefix = prefix or f"recipe {name!r}"

    def error(self, where: str, path: str, problem: str) -> RecipeError:
        prefix = where or self.prefix
        return RecipeError(f"{prefix}: {path}: {problem}" if path else f"{prefix}: {problem}")


def merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> YamlMap:
    """Deep-merge ``over`` into ``base``. A component whose ``use`` changes is replaced whole,
    since the old component's parameters mean nothing to the new one."""
    result = YamlMap(base)
    result.where = dict(getattr(base, "where", {}))
    result.owner = getattr(over, "owner", None) if "use" in over else getattr(base, "owner", None)
    for key, value in over.items():
        old = result.get(key)
        replaced = (
            isinstance(value, Mapping)
            and "use" in value
            and isinstance(old, Mapping)
            and value["use"] != old.get("use")
        )
        if isinstance(value, Mapping) and isinstance(old, Mapping) and not replaced:
            result[key] = merge(old, value)
        else:
            result[key] = value
        result.where[key] = _where(over, key) or result.where.get(key, "")
    return result


def set_label(text: str) -> str:
    """``--set key=value`` as errors name it, a long value shortened."""
    return f"--set {text if len(text) <= 100 else text[:80] + '...'}"


def parse_override(text: str) -> tuple[list[str], Any]:
    """``model.filters=128`` -> (["model", "filters"], 128); the value is parsed as YAML."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise RecipeError(f"--set {text!r}: expected key=value, for example --set model.filters=128")
    try:
        value = parse_yaml(raw, set_label(text)) if raw.strip() else None
    except RecipeError as exc:
        if "invalid YAML" not in str(exc):
            raise  # YAML, but refused (too many aliases, a number too long)
        value = raw  # not YAML: take it as a string, as a user would mean it
    return key.strip().split("."), value


def apply_override(recipe: YamlMap, path: list[str], value: Any, where: str) -> YamlMap:
    """Set ``path`` to ``value`` (``merge`` drops a section's parameters when its ``use`` changes).

    A number in ``path`` indexes a list the recipe already has: ``train.stages.1.epochs=3``
    changes the second stage and keeps the others.
    """
    node: Any = recipe
    for depth, key in enumerate(path):
        if isinstance(node, list):
            index = _list_index(key, node, ".".join(path[:depth]), where)
            items = list(node)
            items[index] = (
                value
                if depth + 1 == len(path)
                else apply_override(
                    merge(YamlMap(), _mapping_item(items[index], path[: depth + 1], where)),
                    path[depth + 1 :],
                    value,
                    where,
                )
            )
            return apply_override(recipe, path[:depth], items, where)
        if key.isdigit() and not isinstance(node, Mapping):
            raise RecipeError(
                f"{where}: {'.'.join(path[:depth])} is not a list the recipe sets; set the whole value instead"
            )
        node = node.get(key) if isinstance(node, Mapping) else None
    update: Any = value
    for key in reversed(path):
        wrapped = YamlMap({key: update})
        wrapped.where[key] = where
        update = wrapped
    return merge(recipe, update)


def _list_index(key: str, items: list[Any], path: str, where: str) -> int:
    if not key.isdigit() or int(key) >= len(items):
        raise RecipeError(f"{where}: {path} is a list of {len(items)}; index it with 0 to {len(items) - 1}")
    return int(key)


def _mapping_item(item: Any, path: list[str], where: str) -> Mapping[str, Any]:
    if not isinstance(item, Mapping):
        raise RecipeError(f"{where}: {'.'.join(path)} is {item!r}, not a mapping with keys to set")
    return item


def recipe_sources(config_files: Iterable[str | Path]) -> tuple[dict[str, Any], list[tuple[str, Any]]]:
    """Named recipes (``recipes:`` mappings) and single top-level recipes from user files."""
    named: dict[str, Any] = {}
    singles: list[tuple[str, Any]] = []
    for file in config_files:
        data = load_yaml(file)
        if not isinstance(data, Mapping):
            raise RecipeError(
                f"{file}: expected a recipe (a mapping with dataset/model/train) "
                f"or a 'recipes:' mapping of named recipes"
            )
        if "recipes" in data:
            if not isinstance(data["recipes"], Mapping):
                raise RecipeError(f"{_where(data, 'recipes')}: recipes: expected a mapping of name -> recipe")
            named.update(data["recipes"])
        else:
            singles.append((str(data.get("name") or Path(file).stem), data))
    return named, singles


def _raw_recipe(name: str, registry: Registry, local: Mapping[str, Any], chain: tuple[str, ...] = ()) -> YamlMap:
    """The recipe ``name`` with its ``extends`` chain merged in."""
    if name in chain:
        raise RecipeError(f"recipe {name!r}: extends forms a cycle: {' -> '.join((*chain, name))}")
    if name in local:
        recipe = local[name]
    else:
        entry = registry.get("recipe", name)
        recipe = _owned(entry.load(), entry.plugin)
    if not isinstance(recipe, Mapping):
        raise RecipeError(f"recipe {name!r}: expected a mapping. Received: {brief(recipe)}")
    return _expand(name, recipe, registry, local, (*chain, name))


def _owned(recipe: Any, plugin: str) -> Any:
    """A copy of a plugin's registered recipe whose component sections know their plugin."""
    if not isinstance(recipe, Mapping):
        return recipe
    owned = YamlMap(recipe)
    owned.where = dict(getattr(recipe, "where", {}))
    for section in COMPONENTS:
        if isinstance(recipe.get(section), Mapping):
            owned[section] = YamlMap(recipe[section])
            owned[section].where = dict(getattr(recipe[section], "where", {}))
            owned[section].owner = plugin
    return owned


def _expand(
    name: str, recipe: Mapping[str, Any], registry: Registry, local: Mapping[str, Any], chain: tuple[str, ...]
) -> YamlMap:
    parent = recipe.get("extends")
    if parent is None:
        return merge(YamlMap(), recipe)
    if not isinstance(parent, str):
        raise _Context(name).error(
            _where(recipe, "extends"), "extends", f"expected a recipe name. Received: {brief(parent)}"
        )
    try:
        base = _raw_recipe(parent, registry, local, chain)
    except UnknownNameError as exc:
        raise RecipeError(f"{_where(recipe, 'extends') or f'recipe {name!r}'}: extends: {exc}") from None
    own = YamlMap({k: v for k, v in recipe.items() if k != "extends"})
    own.where = dict(getattr(recipe, "where", {}))
    for key in ("summary", "tags", "name", "version"):
        base.pop(key, None)  # a child does not inherit its parent's identity
    return merge(base, own)


def resolve(
    name: str | None,
    registry: Registry,
    *,
    config_files: Iterable[str | Path] = (),
    overrides: Iterable[str] = (),
    python_overrides: Mapping[str, Any] | None = None,
) -> Plan:
    """Resolve and validate a recipe into a :class:`Plan`; nothing is imported but the targets."""
    local, singles = recipe_sources(config_files)
    if name is None:
        if len(singles) != 1:
            raise RecipeError("name a recipe (see `zoo list recipes`), or pass one recipe file with -c")
        name, recipe = singles[0]
        raw = _expand(name, recipe, registry, local, (name,))
    else:
        raw = _raw_recipe(name, registry, local)
    for text in overrides:
        path, value = parse_override(text)
        raw = apply_override(raw, path, value, set_label(text))
    if python_overrides:
        raw = merge(raw, python_overrides)
    return validate(name, raw, registry)


def validate(name: str, recipe: Mapping[str, Any], registry: Registry) -> Plan:
    ctx = _Context(name)
    for key in recipe:
        if key not in SECTIONS:
            raise ctx.error(
                _where(recipe, key),
                str(key),
                f"unknown recipe section{did_you_mean(str(key), SECTIONS)} (sections: {', '.join(SECTIONS)})",
            )
    components = {section: _component(ctx, recipe, section, registry) for section in COMPONENTS}
    for section in ("dataset", "model"):
        if components[section] is None:
            raise ctx.error(
                "", section, f"missing; add a '{section}: {{use: NAME}}' section (see `zoo list {section}s`)"
            )
    model, dataset = components["model"], components["dataset"]
    assert model is not None and dataset is not None  # checked above
    if components["embedding"] is not None and len(injected_parameters(model.load())) < 2:
        raise ctx.error(
            _where(recipe, "embedding"),
            "embedding",
            f"model {model.use!r} takes no embedding; remove the embedding section",
        )
    _check_spec_pairing(ctx, recipe, model, dataset)
    train_raw = recipe.get("train") or YamlMap()
    if not isinstance(train_raw, Mapping):
        raise ctx.error(_where(recipe, "train"), "train", f"expected a mapping. Received: {brief(train_raw)}")
    build_raw = _moved_to_build(ctx, train_raw, recipe.get("build"), _where(recipe, "build"))
    build = _build(ctx, build_raw, _where(recipe, "build") or _where(recipe, "train"))
    train, callbacks = _train(ctx, train_raw, _where(recipe, "train"), registry)
    version = recipe.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ctx.error(
            _where(recipe, "version"), "version", f"expected a whole number from 1. Received: {brief(version)}"
        )
    run_name = str(recipe.get("name") or name.rpartition(":")[2])
    if not run_name or run_name.startswith(".") or any(c in run_name for c in "/\\\0"):
        raise ctx.error(
            _where(recipe, "name"),
            "name",
            f"{brief(run_name)} cannot name a run folder (runs/NAME-TIME): use no '/', '\\' or leading '.'",
        )
    return Plan(
        name=run_name,
        summary=str(recipe.get("summary") or ""),
        version=version,
        dataset=dataset,
        model=model,
        embedding=components["embedding"],
        build=build,
        train=train,
        callbacks=callbacks,
        registry=registry,
    )


def _check_spec_pairing(ctx: _Context, recipe: Mapping[str, Any], model: Component, dataset: Component) -> None:
    """Before any data is read: a dataset whose adapter declares its spec (``-> Dataset[MySpec]``)
    and a model that needs another. Adapters that declare none are checked when their data loads."""
    given = returned_spec(dataset.load())
    wanted = needed_spec(model.load(), given) if given is not None else None
    if given is not None and wanted is not None:
        raise ctx.error(
            _where(recipe, "dataset"),
            "dataset",
            f"model {model.use!r} needs a {wanted.__name__}, but dataset {dataset.use!r} gives a "
            f"{given.__name__}; pick a matching dataset",
        )


def _set_path(section: str) -> str:
    """``train.callbacks[0]`` as ``--set`` spells it: ``train.callbacks.0``."""
    return re.sub(r"\[(\d+)\]", r".\1", section)


def _check_section(
    ctx: _Context, section: str, values: Mapping[str, Any], target: Any, owner: str, section_where: str
) -> dict[str, Any]:
    """Check ``values`` against ``target``'s keyword-only parameters; return them all, defaults filled."""
    params = recipe_parameters(target)
    checked: dict[str, Any] = {}
    for key, value in values.items():
        where = _where(values, key) or section_where
        if key not in params and key in {p.name for p in injected_parameters(target)}:
            raise ctx.error(
                where,
                f"{section}.{key}",
                f"{owner} takes {key!r} positionally, as the zoo fills it itself (a spec, an embedding, a "
                f"dataset), so no recipe can set it; the plugin should declare it keyword-only (after `*`)",
            )
        if key not in params:
            raise ctx.error(
                where,
                f"{section}.{key}",
                f"unknown parameter of {owner}{did_you_mean(str(key), params)} "
                f"(parameters: {', '.join(params) or 'none'})",
            )
        try:
            checked[key] = check_value(value, params[key].annotation)
        except TypeError as exc:
            raise ctx.error(where, f"{section}.{key}", f"{exc}, got {brief(value)} ({type(value).__name__})") from None
    for param in params.values():
        if param.required and param.name not in checked:
            raise ctx.error(
                section_where,
                f"{section}.{param.name}",
                f"required parameter of {owner} is missing ({param.type_text}); "
                f"add it, or --set {_set_path(section)}.{param.name}=VALUE",
            )
    return {p: checked.get(p, param.default) for p, param in params.items()}


def component(registry: Registry, kind: str, name: str, settings: Iterable[str] = ()) -> tuple[Any, dict[str, Any]]:
    """The target registered as ``name`` and its parameters from ``KEY=VALUE`` settings (as ``--set``
    takes them), checked like a recipe section with every default filled in: for commands that call
    a plugin directly, such as ``zoo embed neighbors glove film --set path=...``."""
    try:
        target = registry.get(kind, name).load()
    except ZooError as exc:
        raise RecipeError(f"{kind} {name!r}: {exc}") from None
    values = YamlMap()
    for text in settings:
        path, value = parse_override(text)
        values = apply_override(values, path, value, set_label(text))
    owner = f"{kind} {name!r}"
    return target, _check_section(_Context(owner, prefix=owner), kind, values, target, owner, "")


def _get_own_first(registry: Registry, kind: str, use: str, owner: str | None) -> Any:
    """``use`` in the registry; a bare name that two plugins registered is the recipe's own plugin's."""
    try:
        return registry.get(kind, use)
    except AmbiguousNameError:
        if owner is None or ":" in use:
            raise
        return registry.get(kind, f"{owner}:{use}")


def _component(ctx: _Context, recipe: Mapping[str, Any], kind: str, registry: Registry) -> Component | None:
    raw = recipe.get(kind)
    return None if raw is None else _use(ctx, raw, kind, kind, _where(recipe, kind), registry)


def _use(ctx: _Context, raw: Any, kind: str, section: str, where: str, registry: Registry) -> Component:
    """A ``{use: NAME, ...params}`` mapping (or a bare NAME) resolved and checked against ``kind``."""
    if isinstance(raw, str):  # the shorthand `model: cf-bias`
        raw = {"use": raw}
    if not isinstance(raw, Mapping) or "use" not in raw:
        raise ctx.error(
            where, section, f"expected a mapping with 'use: NAME' (a registered {kind}). Received: {brief(raw)}"
        )
    use = raw["use"]
    if not isinstance(use, str):
        raise ctx.error(
            _where(raw, "use") or where, f"{section}.use", f"expected a {kind} name. Received: {brief(use)}"
        )
    try:
        entry = _get_own_first(registry, kind, use, getattr(raw, "owner", None))
        target = entry.load()
    except ZooError as exc:
        raise ctx.error(_where(raw, "use") or where, f"{section}.use", str(exc)) from None
    values = YamlMap({k: v for k, v in raw.items() if k != "use"})
    values.where = dict(getattr(raw, "where", {}))
    params = _check_section(ctx, section, values, target, f"{kind} {use!r}", _where(raw, "use") or where)
    plugin = registry.plugins.get(entry.plugin)
    return Component(use, entry, params, plugin.distribution if plugin else None)


#: Keys of ``build`` that recipes of version 1 spelled under ``train``; still read, with a note.
MOVED_TO_BUILD = ("initial_weights", "insert_batchnorm", "calibration_batches")


def _positive(ctx: _Context, raw: Mapping[str, Any], where: str, section: str, key: str, value: int) -> None:
    if value < 1:
        raise ctx.error(_where(raw, key) or where, f"{section}.{key}", f"expected a positive int, got {value}")


def _moved_to_build(ctx: _Context, train: Mapping[str, Any], build: Any, where: str) -> YamlMap:
    """The ``build`` section, with the keys a recipe still spells under ``train`` moved into it, over
    what ``build`` holds (a child recipe in the old spelling overrides its parent's ``build``). One
    note each; a saved run's defaults, written before ``build`` existed, move silently."""
    if build is not None and not isinstance(build, Mapping):
        raise ctx.error(where, "build", f"expected a mapping. Received: {brief(build)}")
    moved = YamlMap(build or {})
    moved.where = dict(getattr(build, "where", {}))
    defaults = BuildConfig()
    for key in MOVED_TO_BUILD:
        if key not in train:
            continue
        if train[key] not in (None, [], getattr(defaults, key)):
            warnings.warn(
                f"{_where(train, key) or where or ctx.prefix}: train.{key} is now build.{key}; move it "
                f"(and raise the recipe's version)",
                RecipeDeprecationWarning,
                stacklevel=2,
            )
        moved[key] = train[key] if train[key] is not None else getattr(defaults, key)
        moved.where[key] = _where(train, key)
    return moved


def _build(ctx: _Context, raw: Mapping[str, Any], where: str) -> BuildConfig:
    params = _check_section(ctx, "build", raw, BuildConfig, "build", where)
    _positive(ctx, raw, where, "build", "calibration_batches", params["calibration_batches"])
    return BuildConfig(**params)


def _stages(ctx: _Context, raw: Mapping[str, Any], where: str) -> list[Stage]:
    """``train.stages`` as ``Stage`` objects, with the ``train.epochs`` shorthand folded in."""
    stages_where = _where(raw, "stages") or where
    items = raw.get("stages", [{"epochs": 1}])
    if not isinstance(items, list):
        raise ctx.error(
            stages_where, "train.stages", f"expected a list of stages, e.g. [{{epochs: 1}}]. Received: {brief(items)}"
        )
    if not items:
        raise ctx.error(stages_where, "train.stages", "expected at least one stage, e.g. [{epochs: 1}]")
    stages = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise ctx.error(
                stages_where, f"train.stages[{i}]", f"expected a mapping like {{epochs: 2}}. Received: {brief(item)}"
            )
        stage = Stage(**_check_section(ctx, f"train.stages[{i}]", item, Stage, "a stage", stages_where))
        if stage.epochs < 0:
            raise ctx.error(stages_where, f"train.stages[{i}].epochs", f"expected 0 or more, got {stage.epochs}")
        stages.append(stage)
    epochs = raw.get("epochs")
    if epochs is not None:  # the shorthand of a one-stage recipe (a saved recipe of version 1 holds null)
        if len(stages) != 1:
            raise ctx.error(
                _where(raw, "epochs") or where,
                "train.epochs",
                f"this recipe trains in {len(stages)} stages; set the epochs of one "
                f"with train.stages.N.epochs (N from 0 to {len(stages) - 1})",
            )
        try:
            stages[0].epochs = check_value(epochs, int)
        except TypeError as exc:
            raise ctx.error(_where(raw, "epochs") or where, "train.epochs", f"{exc}, got {brief(epochs)}") from None
    return stages


def _train(
    ctx: _Context, raw: Mapping[str, Any], where: str, registry: Registry
) -> tuple[TrainConfig, list[Component]]:
    values = YamlMap({k: v for k, v in raw.items() if k not in ("stages", "epochs", *MOVED_TO_BUILD)})
    values.where = dict(getattr(raw, "where", {}))
    for key in ("loss", "metrics"):  # null is how version 1 spelled auto
        if key in values and values[key] is None:
            values[key] = AUTO
    params = _check_section(ctx, "train", values, TrainConfig, "train", where)
    optimizer = params["optimizer"]
    if not isinstance(optimizer.get("use"), str):
        raise ctx.error(
            _where(raw, "optimizer") or where,
            "train.optimizer",
            f"expected {{use: NAME, ...}} naming a Keras optimizer. Received: {brief(optimizer)}",
        )
    params["stages"] = stages = _stages(ctx, raw, where)
    callbacks_where = _where(raw, "callbacks") or where
    callbacks = [  # from the items as read (checked a list above), which keep their lines
        _use(ctx, item, "callback", f"train.callbacks[{i}]", callbacks_where, registry)
        for i, item in enumerate(raw.get("callbacks") or [])
    ]
    params["callbacks"] = [{"use": c.use, **c.params} for c in callbacks]
    _positive(ctx, raw, where, "train", "batch_size", params["batch_size"])
    if params["distribute"] and any(stage.cache_features for stage in stages):
        raise ctx.error(
            _where(raw, "stages") or where,
            "train.stages",
            "cache_features trains on one machine's cached features; drop train.distribute for this recipe",
        )
    if not 0.0 <= params["validation_split"] < 1.0:
        raise ctx.error(
            _where(raw, "validation_split") or where,
            "train.validation_split",
            f"expected a fraction in [0, 1), got {params['validation_split']}",
        )
    return TrainConfig(**params), callbacks
