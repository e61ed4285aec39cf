"""The command line through click's CliRunner, with exact output."""

from __future__ import annotations

import json

CF_LIST = """\
KIND     NAME               PLUGIN  SUMMARY
model    cf-bias            cf      Dot product of user and item embeddings plus user and item biases (L2 on the factors).
model    cf-nn              cf      Concatenated user and item embeddings through a dropout-regularised dense layer.
dataset  movielens          cf      MovieLens ratings (ml-latest-small, ml-100k, ml-1m) from a folder, zip or GroupLens.
dataset  synthetic-ratings  cf      SYNTHETIC ratings from planted user/item factors and biases (offline demos, tests).
recipe   movielens-cf-best  cf      cf-bias with its output squashed into the rating range, Adam 2e-3, batch 256, early stopping on val_mse.
recipe   movielens-cf-bias  cf      The lesson's dot-product model with biases on MovieLens (50 factors, L2 1e-4, Adam 1e-3, batch 64).
recipe   movielens-cf-nn    cf      The lesson's neural-net collaborative filter on MovieLens.
recipe   synthetic-cf-bias  cf      Dot-product collaborative filtering with biases on SYNTHETIC planted-factor ratings (offline demo).
"""


def test_list_a_tag_exactly(run_cli):
    assert run_cli("list", "--tag", "cf").stdout == CF_LIST


def test_list_everything_shows_every_entry_once(run_cli):
    import zoo

    rows = [line.split(None, 3) for line in run_cli("list").stdout.splitlines()]
    assert rows[0] == ["KIND", "NAME", "PLUGIN", "SUMMARY"]
    expected = [[e.kind, e.name, e.plugin, e.summary] for e in zoo.load_plugins().entries()]
    assert rows[1:] == expected
    assert {"cf-bias", "text-multi-cnn", "example-mlp", "movielens", "imdb", "synthetic-cf-bias"} <= {
        r[1] for r in rows
    }


def test_list_a_kind_and_a_pattern(run_cli):
    kinds = {line.split()[0] for line in run_cli("list", "models").stdout.splitlines()[1:]}
    assert kinds == {"model"}
    assert [line.split()[1] for line in run_cli("list", "synthetic*").stdout.splitlines()[1:]] == [
        "synthetic-ratings",
        "synthetic-cf-bias",
        "synthetic-cf-nn",
    ]
    assert run_cli("list", "nothing*").stdout == "nothing matches 'nothing*'\n"


def test_list_json(run_cli):
    entries = json.loads(run_cli("list", "--json").stdout)
    assert entries[0] == {
        "name": "cf-bias",
        "kind": "model",
        "plugin": "cf",
        "summary": CF_LIST.splitlines()[1].split(None, 3)[3],
        "tags": ["cf"],
        "aliases": [],
    }


def test_show_a_model(run_cli):
    assert (
        run_cli("show", "cf-bias").stdout
        == """\
cf-bias (model)
  Dot product of user and item embeddings plus user and item biases (L2 on the factors).
plugin: cf (keras-zoo 0.1.0)
tags: cf
target: zoo_plugins.cf.models:cf_bias(spec: RatingsSpec, ...)

  Rating = user . item + user bias + item bias (the lesson's dot-product model).

parameters:
  n_factors: int = 50
      Size of the user and item embeddings.
  l2: float = 0.0001
      L2 penalty on the user and item factors (not on the biases).
  squash: bool = false
      Squash the output into the rating range with a sigmoid scaled to [rating_min - 0.5, rating_max + 0.5]; off reproduces the lesson exactly.
"""
    )


def test_show_a_dataset_that_takes_no_spec(run_cli):
    out = run_cli("show", "movielens").stdout
    assert "\ntarget: zoo_plugins.cf.movielens:movielens(...)\n" in out


def test_show_a_recipe_prints_it_fully_resolved(run_cli):
    out = run_cli("show", "synthetic-cf-nn").stdout
    assert out.startswith("synthetic-cf-nn (recipe)\n  The neural-net collaborative filter on SYNTHETIC")
    assert (
        "  model: {use: cf-nn, n_factors: 20, l2: 0.001, hidden: 70, input_dropout: 0.3, hidden_dropout: 0.75}\n" in out
    )
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
    assert all(t.endswith("s") and float(t[:-1]) >= 0 for t in imported.values())  # each plugin's import time
    assert lines[-1].startswith("example  entrypoint")  # built-ins first, then entry points


def test_plugins_shows_a_broken_plugin_and_the_rest_works(run_cli, write_file):
    broken = write_file("broken.py", "raise RuntimeError('boom')\n")
    result = run_cli("--plugin", str(broken), "plugins")
    assert result.stdout.splitlines()[-1].split(None, 5) == [
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
    assert "cf-bias" in run_cli("--plugin", str(broken), "list", "models").stdout
    assert run_cli("--plugin", str(broken), "--strict", "list", code=1).stderr.startswith(
        "Error: plugin 'broken' (file) failed to load: RuntimeError: boom"
    )


def test_user_errors_are_one_line_without_traceback(run_cli):
    result = run_cli("build", "synthetic-cf-bias", "--set", "model.n_factors=eight", "--dry-run", code=1)
    assert result.stderr == ("Error: --set model.n_factors=eight: model.n_factors: expected int, got 'eight' (str)\n")
    assert result.stdout == ""
    assert run_cli("show", "cf-bais", code=1).stderr == (
        "Error: nothing is registered as 'cf-bais'; did you mean 'cf-bias'? (see `zoo list`)\n"
    )


def test_debug_shows_the_traceback(run_cli):
    import pytest

    from zoo.errors import RecipeError

    with pytest.raises(RecipeError):
        run_cli("--debug", "build", "synthetic-cf-bias", "--set", "model.n_factors=eight", "--dry-run")


def test_dry_run_prints_the_resolved_recipe(run_cli, tmp_path):
    result = run_cli("build", "synthetic-cf-bias", "--dry-run", "--set", "model.n_factors=4")
    assert "model: {use: cf-bias, n_factors: 4, l2: 0.001, squash: false}\n" in result.stdout
    assert result.stdout.endswith("dry run: recipe 'synthetic-cf-bias' is valid; nothing was loaded or built\n")
    assert not (tmp_path / "runs").exists()


def test_plugin_commands_are_added(run_cli):
    assert "example-blobs" in run_cli("--help").stdout
    assert run_cli("example-blobs", "--n", "2").stdout.count("class ") == 2
