"""The command line through click's CliRunner, with exact output."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

import zoo_plugins

TINY_LIST = """\
KIND      NAME                PLUGIN       SUMMARY
model     tiny-linear         tiny_plugin  TEST SUITE: one hidden layer.
model     tiny-mlp            tiny_plugin  TEST SUITE: two.
dataset   tiny-points         tiny_plugin  TEST SUITE: SYNTHETIC points.
callback  epoch-marks         tiny_plugin  TEST SUITE: a line per epoch in a file.
recipe    tiny-linear-points  tiny_plugin  TEST SUITE: tiny-linear on SYNTHETIC points.
recipe    tiny-mlp-points     tiny_plugin  TEST SUITE: tiny-mlp on SYNTHETIC points.
recipe    tiny-two-stages     tiny_plugin  TEST SUITE: train the output layer first, then everything (version 2).
"""


def test_list_a_tag_exactly(run_cli):
    assert run_cli("list", "--tag", "tiny").stdout == TINY_LIST


def test_list_everything_shows_every_entry_once(run_cli):
    import zoo

    rows = [line.split(None, 3) for line in run_cli("list").stdout.splitlines()]
    assert rows[0] == ["KIND", "NAME", "PLUGIN", "SUMMARY"]
    expected = [[e.kind, e.name, e.plugin, e.summary] for e in zoo.load_plugins().entries()]
    assert rows[1:] == expected
    assert {"tiny-linear", "example-mlp", "tiny-points", "tiny-linear-points"} <= {r[1] for r in rows}


def test_list_a_kind_and_a_pattern(run_cli):
    kinds = {line.split()[0] for line in run_cli("list", "models").stdout.splitlines()[1:]}
    assert kinds == {"model"}
    assert [line.split()[1] for line in run_cli("list", "tiny-*points").stdout.splitlines()[1:]] == [
        "tiny-points",
        "tiny-linear-points",
        "tiny-mlp-points",
    ]
    assert run_cli("list", "nothing*").stdout == "nothing matches 'nothing*'\n"


def test_list_json(run_cli):
    entries = json.loads(run_cli("list", "--tag", "tiny", "--json").stdout)
    assert entries[0] == {
        "name": "tiny-linear",
        "kind": "model",
        "plugin": "tiny_plugin",
        "summary": "TEST SUITE: one hidden layer.",
        "tags": ["tiny"],
        "aliases": [],
    }


def test_show_a_model(run_cli):
    from conftest import TINY_PLUGIN

    assert (
        run_cli("show", "tiny-linear").stdout
        == f"""\
tiny-linear (model)
  TEST SUITE: one hidden layer.
plugin: tiny_plugin ({TINY_PLUGIN})
tags: tiny
target: zoo_local_plugin_tiny_plugin:tiny_linear(spec: PointsSpec, ...)

  features -> Dense(units) "hidden" -> Dense(1) "output" (through tanh when ``squash``).

parameters:
  units: int = 8
      Units of the hidden layer.
  l2: float = 0.001
      L2 penalty on the hidden kernel.
  squash: bool = false
      Put the output through tanh.
"""
    )


def test_show_a_dataset_that_takes_no_spec(run_cli):
    out = run_cli("show", "tiny-points").stdout
    assert "\ntarget: zoo_local_plugin_tiny_plugin:tiny_points(...)\n" in out


def test_show_a_recipe_prints_it_fully_resolved(run_cli):
    out = run_cli("show", "tiny-mlp-points").stdout
    assert out.startswith("tiny-mlp-points (recipe)\n  TEST SUITE: tiny-mlp on SYNTHETIC points.")
    assert "  model: {use: tiny-mlp, units: 8, hidden: 5, dropout: 0.3}\n" in out
    assert "    optimizer: {use: adam, learning_rate: 0.01}\n" in out


def test_show_json_and_an_alias(run_cli):
    info = json.loads(run_cli("show", "blobs", "--json").stdout)
    assert (info["name"], info["distribution"], info["version"]) == ("example-blobs", "zoo-example-plugin", "0.1.0")
    assert {
        "name": "n_classes",
        "type": "int",
        "default": 2,
        "required": False,
        "description": "Number of classes (clusters).",
    } in info["parameters"]


def test_a_slow_plugin_import_is_named(run_cli, write_file):
    slow = write_file(
        "slow_plugin.py",
        """
        import time

        time.sleep(1.2)  # as a plugin importing TensorFlow at module level does

        from zoo import hookimpl

        @hookimpl
        def register_models(register):
            register("slow-model", "slow_plugin:nothing")
    """,
    )
    result = run_cli("--plugin", str(slow), "plugins")
    assert result.stderr.startswith("zoo: warning: plugin 'slow_plugin' took 1.2 s to import, and every zoo command")
    row = next(line for line in result.stdout.splitlines() if line.startswith("slow_plugin"))
    assert float(row.split()[4].rstrip("s")) >= 1.2


def test_plugins(run_cli):
    lines = run_cli("plugins").stdout.splitlines()
    assert lines[0].split() == ["NAME", "SOURCE", "DISTRIBUTION", "VERSION", "IMPORT", "HOOKS"]
    rows = {line.split(None, 5)[0]: line.split(None, 5)[1:] for line in lines[1:]}
    imported = {name: row.pop(3) for name, row in rows.items()}
    assert rows["cf"] == ["builtin", "keras-zoo", "0.1.0", "commands, datasets, models, recipes"]
    assert "zoo" not in rows
    assert rows["example"] == ["entrypoint", "zoo-example-plugin", "0.1.0", "commands, datasets, models, recipes"]
    assert rows["tiny_plugin"] == ["file", "-", "-", "callbacks, datasets, models, recipes"]
    assert all(t.endswith("s") and float(t[:-1]) >= 0 for t in imported.values())  # each plugin's import time
    builtins = len(yaml.safe_load(Path(zoo_plugins.__file__).with_name("registry.yaml").read_text())["plugins"])
    assert [line.split()[1] for line in lines[1:]] == [*["builtin"] * builtins, "entrypoint", "file"]  # in that order


def test_plugins_shows_a_broken_plugin_and_the_rest_works(run_cli, write_file):
    broken = write_file("broken.py", "raise RuntimeError('boom')\n")
    result = run_cli("--plugin", str(broken), "plugins")
    assert next(line for line in result.stdout.splitlines() if line.startswith("broken")).split(None, 5) == [
        "broken",
        "file",
        "-",
        "-",
        "-",
        "ERROR: RuntimeError: boom",
    ]
    assert result.stderr == (
        "zoo: warning: plugin 'broken' (file) failed to load: RuntimeError: boom "
        "(see `zoo plugins`; --strict makes this fatal)\n"
    )
    assert "tiny-linear" in run_cli("--plugin", str(broken), "list", "models").stdout
    assert run_cli("--plugin", str(broken), "--strict", "list", code=1).stderr.startswith(
        "Error: plugin 'broken' (file) failed to load: RuntimeError: boom"
    )


def test_user_errors_are_one_line_without_traceback(run_cli):
    result = run_cli("build", "tiny-linear-points", "--set", "model.units=eight", "--dry-run", code=1)
    assert result.stderr == ("Error: --set model.units=eight: model.units: expected int, got 'eight' (str)\n")
    assert result.stdout == ""
    assert run_cli("show", "tiny-linaer", code=1).stderr == (
        "Error: nothing is registered as 'tiny-linaer'; did you mean 'tiny-linear'? (see `zoo list`)\n"
    )


def test_debug_shows_the_traceback(run_cli):
    import pytest

    from zoo.errors import RecipeError

    with pytest.raises(RecipeError):
        run_cli("--debug", "build", "tiny-linear-points", "--set", "model.units=eight", "--dry-run")


def test_dry_run_prints_the_resolved_recipe(run_cli, tmp_path):
    result = run_cli("build", "tiny-linear-points", "--dry-run", "--set", "model.units=4")
    assert "model: {use: tiny-linear, units: 4, l2: 0.001, squash: false}\n" in result.stdout
    assert result.stdout.endswith("dry run: recipe 'tiny-linear-points' is valid; nothing was loaded or built\n")
    assert not (tmp_path / "runs").exists()


def test_plugin_commands_are_added(run_cli):
    assert "example-blobs" in run_cli("--help").stdout
    assert run_cli("example-blobs", "--n", "2").stdout.count("class ") == 2


def test_ctrl_c_in_any_command_exits_130_without_aborted(run_cli, monkeypatch):
    """Once: click printed `Aborted!` and exited 1 (`zoo generate`); `zoo train` exits 130."""
    from zoo.surfaces import cli as cli_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_module, "filter_entries", interrupted)
    result = run_cli("list", code=130)
    assert "Aborted!" not in result.stderr and result.stdout == ""
