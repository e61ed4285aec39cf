"""Discovery from all three sources, collisions, broken plugins, the allow-list, lookups."""

from __future__ import annotations

import sys

import pytest

from zoo.catalog.registry import discover, load_plugins
from zoo.errors import AmbiguousNameError, PluginError, UnknownNameError
from zoo.recipes.resolve import resolve

MODEL_PLUGIN = """
    from zoo import hookimpl

    def tiny(spec, *, units: int = 2):
        '''A local model.'''

    @hookimpl
    def register_models(register):
        register("{name}", tiny, summary="from {stem}", aliases=["{alias}"])
"""


def test_builtins_entry_points_and_files_are_all_discovered(write_file):
    path = write_file("local_plug.py", MODEL_PLUGIN.format(name="local-model", stem="local_plug", alias="lm"))
    registry = discover([path])
    sources = {p.name: (p.source, p.distribution) for p in registry.plugins.values()}
    assert sources["cf"] == ("builtin", "keras-zoo")  # keras-zoo's own entry point, from registry.yaml
    assert "zoo" not in sources  # no stand-in plugin: each built-in registers its own recipes
    assert list(sources)[:4] == ["callbacks", "cf", "charlm", "text"]  # the built-ins load first
    assert sources["example"] == ("entrypoint", "zoo-example-plugin")  # the examples/ package
    assert sources["local_plug"] == ("file", None)
    assert registry.get("model", "local-model").plugin == "local_plug"
    assert registry.get("model", "lm").name == "local-model"  # an alias
    assert registry.get("recipe", "synthetic-cf-bias").plugin == "cf"
    assert registry.get("recipe", "imdb-dense").plugin == "text"
    assert registry.plugins["example"].hooks == [
        "register_commands",
        "register_datasets",
        "register_models",
        "register_recipes",
    ]


def test_plugin_files_from_the_environment(write_file, monkeypatch):
    path = write_file("env_plug.py", MODEL_PLUGIN.format(name="env-model", stem="env_plug", alias="em"))
    monkeypatch.setenv("ZOO_PLUGIN_FILES", str(path))
    assert load_plugins().get("model", "env-model").plugin == "env_plug"


def test_the_builtins_are_declared_once_in_registry_yaml():
    """registry.yaml names them; setup.py makes them entry points; nothing else does (the core
    names no plugin package)."""
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parent.parent
    declared = yaml.safe_load((root / "registry.yaml").read_text())["plugins"]
    assert declared == {
        "cf": "zoo_plugins.cf",
        "text": "zoo_plugins.text",
        "charlm": "zoo_plugins.charlm",
        "callbacks": "zoo_plugins.callbacks",
        "vision": "zoo_plugins.vision",
    }
    assert "entry-points.zoo" not in (root / "pyproject.toml").read_text()
    assert not [f.name for f in (root / "zoo").glob("*.py") if "zoo_plugins" in f.read_text()]
    registry = discover()
    assert {n: p.module for n, p in registry.plugins.items() if p.source == "builtin"} == declared
    for plugin in declared:  # every recipe registry.yaml lists under a plugin is that plugin's
        listed = yaml.safe_load((root / "registry.yaml").read_text())["recipes"].get(plugin) or {}
        assert {e.name for e in registry.entries("recipe") if e.plugin == plugin} == set(listed)


def test_builtins_declared_as_entry_points_load_once():
    registry = discover()
    assert [p.name for p in registry.plugins.values()].count("cf") == 1
    assert len([e for e in registry.entries("model") if e.name == "cf-bias"]) == 1


def test_same_name_from_two_plugins_names_both_and_plugin_name_resolves(write_file):
    first = write_file("first.py", MODEL_PLUGIN.format(name="twin", stem="first", alias="t1"))
    second = write_file("second.py", MODEL_PLUGIN.format(name="twin", stem="second", alias="t2"))
    registry = discover([first, second])
    with pytest.raises(AmbiguousNameError) as info:
        registry.get("model", "twin")
    assert str(info.value) == (
        f"model 'twin' is registered by more than one plugin: first:twin ({first}) and "
        f"second:twin ({second}); name one of them as plugin:name"
    )
    assert registry.get("model", "first:twin").summary == "from first"
    assert registry.get("model", "second:twin").summary == "from second"


def test_unknown_names_suggest_the_closest_and_list_what_exists():
    registry = discover()
    with pytest.raises(UnknownNameError) as info:
        registry.get("model", "tiny-linaer")
    known = ", ".join(e.name for e in registry.entries("model"))
    assert str(info.value) == (
        f"unknown model 'tiny-linaer'; did you mean 'tiny-linear'? Known models: {known} (see `zoo list models`)"
    )
    assert "tiny-linear, tiny-mlp" in known and known.split(", ") == sorted(known.split(", "))
    with pytest.raises(
        UnknownNameError, match=r"unknown plugin 'tiny_plugn' in 'tiny_plugn:tiny-linear'; did you mean 'tiny_plugin'\?"
    ):
        registry.get("model", "tiny_plugn:tiny-linear")
    assert isinstance(info.value, KeyError)


def test_a_plugin_file_loaded_again_builds_with_its_own_classes():
    """A second registry executes the file again (new classes in sys.modules); each registry's
    builders still check the spec against the classes of their own load."""
    from zoo.fit.stages import prepare

    first = discover()
    discover()  # replaces zoo_local_plugin_tiny_plugin in sys.modules
    assert prepare(resolve("tiny-linear-points", first)).model.name == "tiny_linear"


def test_a_plugin_that_fails_to_import_is_reported_and_the_rest_works(write_file, capsys):
    broken = write_file("broken.py", "import not_a_module_anywhere\n")
    registry = discover([broken])
    assert registry.plugins["broken"].error == "ModuleNotFoundError: No module named 'not_a_module_anywhere'"
    assert registry.get("model", "tiny-linear")
    assert "zoo: warning: plugin 'broken' (file) failed to load: ModuleNotFoundError" in capsys.readouterr().err


def test_a_hook_that_raises_registers_nothing_of_that_plugin(write_file):
    half = write_file(
        "half.py",
        """
        from zoo import hookimpl

        @hookimpl
        def register_models(register):
            register("half-model", lambda spec: None)
            raise RuntimeError("oops")
    """,
    )
    registry = discover([half])
    assert registry.plugins["half"].error == "RuntimeError: oops"
    with pytest.raises(UnknownNameError):
        registry.get("model", "half-model")


def test_a_misspelled_hook_is_reported(write_file):
    typo = write_file(
        "typo.py",
        """
        from zoo import hookimpl

        @hookimpl
        def register_model(register):
            pass
    """,
    )
    registry = discover([typo])
    assert registry.plugins["typo"].error == "implements unknown hook 'register_model'; did you mean 'register_models'?"


def test_bad_registrations_are_plugin_errors(write_file):
    bad = write_file(
        "badname.py",
        """
        from zoo import hookimpl

        @hookimpl
        def register_datasets(register):
            register("has space", "mod:fn")
    """,
    )
    registry = discover([bad])
    assert registry.plugins["badname"].error == (
        "ValueError: dataset names are letters, digits and . _ + - (no ':'). Received: 'has space'"
    )


def test_strict_makes_a_broken_plugin_fatal(write_file):
    broken = write_file("broken2.py", "raise ImportError('nope')\n")
    with pytest.raises(PluginError, match=r"plugin 'broken2' \(file\) failed to load: ImportError: nope"):
        discover([broken], strict=True)


def test_missing_plugin_file_is_reported(tmp_path):
    registry = discover([tmp_path / "nowhere.py"])
    assert registry.plugins["nowhere"].error == f"FileNotFoundError: plugin file not found: {tmp_path / 'nowhere.py'}"


@pytest.mark.parametrize(
    ("allow", "loaded"), [("", False), ("example", True), ("zoo-example-plugin", True), ("something-else", False)]
)
def test_allow_list_restricts_third_party_plugins(monkeypatch, allow, loaded):
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", allow)
    registry = discover()
    assert ("example" in registry.plugins) is loaded
    assert "cf" in registry.plugins  # built-ins always load


def test_a_selection_that_names_no_installed_plugin_warns(monkeypatch, capsys):
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "exmaple")
    discover()
    warning = capsys.readouterr().err.splitlines()[-1]
    assert warning.startswith(
        "zoo: warning: ZOO_LOAD_PLUGINS names 'exmaple', which no installed plugin is called; did you mean 'example'?"
    )


def test_a_third_party_name_collision_does_not_break_the_builtin_recipes(write_file):
    from zoo.errors import PluginError, RecipeError
    from zoo.recipes.resolve import resolve

    rival = write_file("rival.py", MODEL_PLUGIN.format(name="cf-bias", stem="rival", alias="rival-bias"))
    registry = discover([rival])
    plan = resolve("synthetic-cf-bias", registry)  # the built-in recipe's bare name is its own plugin's
    assert plan.model.entry.qualified_name == "cf:cf-bias"
    mine = write_file("mine.yaml", "extends: synthetic-cf-bias\nmodel: {use: cf-bias}\n")
    with pytest.raises(RecipeError, match=r"model\.use: model 'cf-bias' is registered by more than one plugin"):
        resolve(None, registry, config_files=[mine])  # a user's own bare name stays ambiguous
    with pytest.raises(
        PluginError, match=r"model 'cf-bias' is registered by more than one plugin: cf:cf-bias .*--strict"
    ):
        discover([rival], strict=True)


def test_load_plugins_is_idempotent():
    assert load_plugins() is load_plugins()


def test_targets_load_lazily_and_report_import_errors(write_file, tmp_path, monkeypatch):
    write_file("lazy_target_xyz.py", "raise RuntimeError('broken at import')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    lazy = write_file(
        "lazy.py",
        """
        from zoo import hookimpl

        @hookimpl
        def register_models(register):
            register("lazy-model", "lazy_target_xyz:build")
    """,
    )
    registry = discover([lazy])
    entry = registry.get("model", "lazy-model")
    assert "lazy_target_xyz" not in sys.modules  # registering imported nothing
    with pytest.raises(
        PluginError,
        match=r"model 'lazy-model' \(plugin 'lazy'\): cannot load 'lazy_target_xyz:build': "
        r"RuntimeError: broken at import",
    ):
        entry.load()


def test_a_plugin_files_target_in_no_module_is_refused_when_it_loads(write_file):
    lost = write_file(
        "lost.py",
        """
        from zoo import hookimpl

        @hookimpl
        def register_models(register):
            register("lost-model", "no_such_module_xyz:build")
    """,
    )
    registry = discover([lost])
    assert registry.plugins["lost"].error == (
        "ValueError: model 'lost-model': target 'no_such_module_xyz:build' names no module Python can import; "
        "in a plugin file, pass the function itself (register('lost-model', my_function)) or install the module"
    )


def test_zoo_plugins_lists_a_name_two_plugins_registered(run_cli, write_file):
    """Reported when the plugins load, not only when someone uses the bare name."""
    import json

    for name in ("one", "two"):
        write_file(f"{name}.py", 'from zoo import hookimpl\n\n@hookimpl\ndef register_models(register):\n'
                   '    register("same-model", lambda spec: None)\n')  # fmt: skip
    shown = run_cli("--plugin", "one.py", "--plugin", "two.py", "plugins").stdout
    assert "collision: model 'same-model' is registered by more than one plugin: one:same-model" in shown
    rows = json.loads(run_cli("--plugin", "one.py", "--plugin", "two.py", "plugins", "--json").stdout)
    assert [len(row["collisions"]) for row in rows if row["name"] in ("one", "two")] == [1, 1]
