"""Plugin discovery and lookup by name.

Discovery order: the ``zoo`` entry-point group, keras-zoo's own plugins first (the built-ins, which
its ``registry.yaml`` declares), then local plugin files (``--plugin path.py`` or
``ZOO_PLUGIN_FILES``, paths separated by ``os.pathsep``). ``ZOO_LOAD_PLUGINS`` (comma-separated
entry-point or distribution names; empty for none) restricts which installed third-party plugins
load. The core names no plugin package and reads no plugin file of its own.

Each plugin is imported and each of its hooks is called on its own, so a broken plugin is reported
(stderr and ``zoo plugins``) while everything else keeps working; ``strict=True`` makes it fatal.
Nothing here imports TensorFlow: targets are imported only when an entry is loaded.
"""

from __future__ import annotations

import fnmatch
import importlib
import importlib.metadata
import importlib.resources
import importlib.util
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pluggy

from zoo.errors import (
    AmbiguousNameError,
    PluginError,
    UnknownNameError,
    ZooError,
    did_you_mean,
)

from . import hookspecs

#: kind -> the hook that registers it
KINDS: dict[str, str] = {
    "model": "register_models",
    "dataset": "register_datasets",
    "embedding": "register_embeddings",
    "callback": "register_callbacks",
    "recipe": "register_recipes",
}
ENTRY_POINT_GROUP = "zoo"
#: Set (by ``zoo --debug``) to print the traceback of a plugin that fails to load.
DEBUG_ENV = "ZOO_DEBUG"
DISTRIBUTION = "keras-zoo"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]*$")
_TARGET = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


@dataclass(frozen=True)
class Entry:
    """One registered name: a model builder, dataset adapter, embedding provider or recipe."""

    kind: str
    name: str
    target: Any  # "module:function", a callable, or (recipes) a mapping
    plugin: str
    summary: str = ""
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    tiny: Mapping[str, Any] = field(default_factory=dict)
    #: Models only: named weight files (``imagenet``) as ``{name: {url, file_hash, file}}``.
    weights: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def qualified_name(self) -> str:
        return f"{self.plugin}:{self.name}"

    @property
    def target_path(self) -> str:
        """The target as ``module:qualname``, for display."""
        if isinstance(self.target, str) or self.kind == "recipe":
            return str(self.target) if isinstance(self.target, str) else "(recipe)"
        return f"{self.target.__module__}:{self.target.__qualname__}"

    def load(self) -> Any:
        """Import and return the target (the function), or the recipe mapping."""
        if not isinstance(self.target, str):
            return self.target
        module_name, _, attribute = self.target.partition(":")
        try:
            obj: Any = importlib.import_module(module_name)
            for part in attribute.split("."):
                obj = getattr(obj, part)
        except Exception as exc:  # an import error in a plugin is the plugin's, reported as such
            raise PluginError(
                f"{self.kind} {self.name!r} (plugin {self.plugin!r}): cannot load {self.target!r}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        return obj


@dataclass
class Plugin:
    """A loaded (or failed) plugin, as ``zoo plugins`` reports it."""

    name: str
    source: str  # "builtin", "entrypoint" or "file"
    module: str
    distribution: str | None = None
    version: str | None = None
    hooks: list[str] = field(default_factory=list)
    error: str | None = None
    import_s: float | None = None  # how long importing the plugin's module took


#: An import slower than this makes every `zoo` command slow: the plugin is named on stderr.
SLOW_IMPORT_S = 1.0


class Registry:
    """What every plugin registered, looked up by kind and name."""

    def __init__(self) -> None:
        self.plugins: dict[str, Plugin] = {}
        self.manager = pluggy.PluginManager("zoo")
        self.manager.add_hookspecs(hookspecs)
        self._names: dict[str, dict[str, list[Entry]]] = {kind: {} for kind in KINDS}
        self._aliases: dict[str, dict[str, list[Entry]]] = {kind: {} for kind in KINDS}

    # -- lookup ---------------------------------------------------------------------------------
    def entries(self, kind: str | None = None) -> list[Entry]:
        kinds = [kind] if kind else list(KINDS)
        return sorted(
            (e for k in kinds for same in self._names[k].values() for e in same),
            key=lambda e: (list(KINDS).index(e.kind), e.name, e.plugin),
        )

    def get(self, kind: str, name: str) -> Entry:
        """The entry called ``name`` (or ``plugin:name``, or an alias) of ``kind``."""
        if kind not in KINDS:
            raise UnknownNameError(f"unknown kind {kind!r}; kinds are {', '.join(KINDS)}")
        plugin, _, short = name.rpartition(":")
        found = self._names[kind].get(short, []) + self._aliases[kind].get(short, [])
        if plugin:
            if plugin not in self.plugins:
                raise UnknownNameError(
                    f"unknown plugin {plugin!r} in {name!r}{did_you_mean(plugin, self.plugins) or '.'} "
                    f"Plugins: {', '.join(sorted(self.plugins))}"
                )
            found = [e for e in found if e.plugin == plugin]
        if not found:
            known = sorted(self._names[kind])
            raise UnknownNameError(
                f"unknown {kind} {name!r}{did_you_mean(short, known + list(self._aliases[kind])) or '.'} "
                f"Known {kind}s: {', '.join(known) or '(none)'} (see `zoo list {kind}s`)"
            )
        if len(found) > 1:
            owners = " and ".join(f"{e.qualified_name} ({self.describe_source(e)})" for e in found)
            raise AmbiguousNameError(
                f"{kind} {short!r} is registered by more than one plugin: {owners}; name one of them as plugin:name"
            )
        return found[0]

    def describe_source(self, entry: Entry) -> str:
        """``distribution version`` of the plugin that registered ``entry``."""
        plugin = self.plugins[entry.plugin]
        return " ".join(p for p in (plugin.distribution or plugin.module, plugin.version) if p)

    def is_ambiguous(self, entry: Entry) -> bool:
        return len(self._names[entry.kind].get(entry.name, [])) > 1

    # -- registration ---------------------------------------------------------------------------
    def _register_callback(self, kind: str, plugin: str) -> Callable[..., None]:
        def register(
            name: str,
            target: Any,
            *,
            summary: str = "",
            tags: Iterable[str] = (),
            aliases: Iterable[str] = (),
            tiny: Mapping[str, Any] | None = None,
            weights: Mapping[str, Mapping[str, str]] | None = None,
        ) -> None:
            for label in (name, *aliases):
                if not isinstance(label, str) or not _NAME.match(label):
                    raise ValueError(f"{kind} names are letters, digits and . _ + - (no ':'). Received: {label!r}")
            if kind == "recipe":
                if not isinstance(target, Mapping):
                    raise TypeError(f"recipe {name!r}: a recipe is a mapping. Received: {target!r}")
                summary = summary or str(target.get("summary", ""))
                tags = tags or tuple(target.get("tags", ()))
            elif isinstance(target, str):
                if not _TARGET.match(target):
                    raise ValueError(f"{kind} {name!r}: target must be 'module:function'. Received: {target!r}")
                if self.plugins[plugin].source == "file":  # found now, not when a recipe first builds it
                    _check_importable(kind, name, target)
            elif not callable(target):
                raise TypeError(f"{kind} {name!r}: target must be 'module:function' or a callable")
            if any(e.plugin == plugin for e in self._names[kind].get(name, [])):
                raise ValueError(f"{kind} {name!r} is registered twice by this plugin")
            entry = Entry(
                kind,
                name,
                target,
                plugin,
                summary.strip(),
                tuple(tags),
                tuple(aliases),
                dict(tiny or {}),
                dict(weights or {}),
            )
            self._names[kind].setdefault(name, []).append(entry)
            for alias in entry.aliases:
                self._aliases[kind].setdefault(alias, []).append(entry)

        return register

    def _add_plugin(self, obj: Any, plugin: Plugin, strict: bool) -> None:
        """Register one plugin object with pluggy and record its hooks; a failure is recorded."""
        self.plugins[plugin.name] = plugin
        try:
            self.manager.register(obj, name=plugin.name)
            callers = self.manager.get_hookcallers(obj) or []
            plugin.hooks = sorted(c.name for c in callers)
            unknown = [c.name for c in callers if c.spec is None]
            if unknown:
                raise PluginError(f"implements unknown hook {unknown[0]!r}{did_you_mean(unknown[0], KINDS.values())}")
        except Exception as exc:
            self._fail(plugin, exc, strict)

    def _fail(self, plugin: Plugin, exc: BaseException, strict: bool) -> None:
        plugin.error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, ZooError) else str(exc)
        if self.manager.has_plugin(plugin.name):
            self.manager.unregister(name=plugin.name)
        message = f"plugin {plugin.name!r} ({plugin.source}) failed to load: {plugin.error}"
        if strict:
            raise PluginError(message) from exc
        print(f"zoo: warning: {message} (see `zoo plugins`; --strict makes this fatal)", file=sys.stderr)
        if os.environ.get(DEBUG_ENV):
            traceback.print_exception(exc, file=sys.stderr)

    def _call_register_hooks(self, strict: bool) -> None:
        """Call each plugin's ``register_*`` hooks separately, so the registry knows who did what."""
        for kind, hook_name in KINDS.items():
            for impl in getattr(self.manager.hook, hook_name).get_hookimpls():
                plugin = self.plugins[impl.plugin_name]
                if plugin.error:
                    continue
                try:
                    impl.function(register=self._register_callback(kind, plugin.name))
                except Exception as exc:
                    self._forget(plugin.name)
                    self._fail(plugin, exc, strict)
        if strict and self.collisions():  # a name two plugins registered works only as plugin:name
            raise PluginError(f"{self.collisions()[0]} (--strict)")

    def collisions(self) -> list[str]:
        """One line per name that several plugins registered (``zoo plugins`` lists them): the bare
        name is refused, ``plugin:name`` picks one."""
        return [
            f"{kind} {name!r} is registered by more than one plugin: "
            + " and ".join(f"{e.qualified_name} ({self.describe_source(e)})" for e in same)
            for kind, names in self._names.items()
            for name, same in names.items()
            if len(same) > 1
        ]

    def _forget(self, plugin: str) -> None:
        """Drop what a failing plugin registered, so it is all or nothing."""
        for table in (*self._names.values(), *self._aliases.values()):
            for name in list(table):
                table[name] = [e for e in table[name] if e.plugin != plugin]
                if not table[name]:
                    del table[name]

    def call_hook(self, hook_name: str, strict: bool = False, **kwargs: Any) -> None:
        """Call a non-registering hook (``register_commands``) plugin by plugin, isolating failures."""
        for impl in getattr(self.manager.hook, hook_name).get_hookimpls():
            plugin = self.plugins[impl.plugin_name]
            try:
                impl.function(**{a: kwargs[a] for a in impl.argnames})
            except Exception as exc:
                self._fail(plugin, exc, strict)


def _check_importable(kind: str, name: str, target: str) -> None:
    """A plugin file's ``module:function`` target must name a module Python can find (without
    importing it); a file plugin usually means its own functions, passed as callables."""
    module = target.partition(":")[0]
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise ValueError(
            f"{kind} {name!r}: target {target!r} names no module Python can import; in a plugin file, "
            f"pass the function itself (register({name!r}, my_function)) or install the module"
        )


def _import_module_plugin(
    name: str,
    source: str,
    module: str,
    dist: str | None,
    version: str | None,
    registry: Registry,
    strict: bool,
    loader: Callable[[], Any],
) -> None:
    plugin = Plugin(name=name, source=source, module=module, distribution=dist, version=version)
    start = time.perf_counter()
    try:
        obj = loader()
    except Exception as exc:
        registry.plugins[name] = plugin
        registry._fail(plugin, exc, strict)
        return
    plugin.import_s = round(time.perf_counter() - start, 3)
    if plugin.import_s > SLOW_IMPORT_S:
        print(
            f"zoo: warning: plugin {name!r} took {plugin.import_s:.1f} s to import, and every zoo command waits "
            f"for it; "
            f"it most likely imports TensorFlow, Keras or another framework at module level (import them inside "
            f"the functions that need them: docs/plugins.md)",
            file=sys.stderr,
        )
    registry._add_plugin(obj, plugin, strict)


def _load_file(path: Path) -> Any:
    if not path.is_file():
        raise FileNotFoundError(f"plugin file not found: {path}")
    module_name = "zoo_local_plugin_" + re.sub(r"\W", "_", path.stem)
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # so "zoo_local_plugin_x:function" targets resolve
    spec.loader.exec_module(module)
    return module


def _allowed(names: Iterable[str]) -> bool:
    allow = os.environ.get("ZOO_LOAD_PLUGINS")
    if allow is None:
        return True
    wanted = {n.strip() for n in allow.split(",") if n.strip()}
    return any(n in wanted for n in names)


def _warn_unmatched_selection(entry_points: Iterable[importlib.metadata.EntryPoint]) -> None:
    """A name in ``ZOO_LOAD_PLUGINS`` that no installed plugin answers to is most likely a typo."""
    allow = os.environ.get("ZOO_LOAD_PLUGINS")
    if not allow:
        return
    known = {n for ep in entry_points for n in (ep.name, ep.dist.name if ep.dist else "") if n}
    for name in sorted({n.strip() for n in allow.split(",") if n.strip()} - known):
        print(
            f"zoo: warning: ZOO_LOAD_PLUGINS names {name!r}, which no installed plugin is called"
            f"{did_you_mean(name, known) or ''} (installed: {', '.join(sorted(known))})",
            file=sys.stderr,
        )


def _is_builtin(ep: importlib.metadata.EntryPoint) -> bool:
    """An entry point of keras-zoo's own distribution: a built-in plugin."""
    return ep.dist is not None and re.sub(r"[-_.]+", "-", ep.dist.name).lower() == DISTRIBUTION


def discover(plugin_files: Iterable[str | os.PathLike[str]] = (), strict: bool = False) -> Registry:
    """Build a fresh registry from the entry points (keras-zoo's own first) and local plugin files."""
    registry = Registry()
    entry_points = sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: not _is_builtin(ep))
    for ep in entry_points:
        dist = ep.dist.name if ep.dist else None
        builtin = _is_builtin(ep)
        if not builtin and not _allowed([ep.name, dist or ""]):
            continue
        if ep.name in registry.plugins and registry.plugins[ep.name].module == ep.value:
            continue  # the same distribution seen twice on sys.path (an editable and a built copy)
        name = ep.name if ep.name not in registry.plugins else f"{dist}.{ep.name}"
        _import_module_plugin(
            name,
            "builtin" if builtin else "entrypoint",
            ep.value,
            dist,
            ep.dist.version if ep.dist else None,
            registry,
            strict,
            ep.load,
        )

    _warn_unmatched_selection(entry_points)
    env_files = [p for p in os.environ.get("ZOO_PLUGIN_FILES", "").split(os.pathsep) if p]
    for file in [*env_files, *plugin_files]:
        path = Path(file).expanduser()
        _import_module_plugin(path.stem, "file", str(path), None, None, registry, strict, partial(_load_file, path))

    registry._call_register_hooks(strict)
    return registry


_loaded: dict[tuple[Any, ...], Registry] = {}


def load_plugins(plugin_files: Iterable[str | os.PathLike[str]] = (), strict: bool = False) -> Registry:
    """The registry, discovered once per set of inputs (idempotent, as in simonw/llm)."""
    files = tuple(str(f) for f in plugin_files)
    key = (files, strict, os.environ.get("ZOO_PLUGIN_FILES"), os.environ.get("ZOO_LOAD_PLUGINS"))
    if key not in _loaded:
        _loaded[key] = discover(files, strict)
    return _loaded[key]


def filter_entries(entries: Iterable[Entry], pattern: str | None = None, tag: str | None = None) -> list[Entry]:
    """Entries whose name matches an fnmatch ``pattern`` and that carry ``tag``."""
    return [
        e
        for e in entries
        if (pattern is None or fnmatch.fnmatchcase(e.name, pattern) or fnmatch.fnmatchcase(e.qualified_name, pattern))
        and (tag is None or tag in e.tags)
    ]
