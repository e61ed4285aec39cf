"""Recipe resolution: extends, overrides, defaults, and every validation error's exact message."""

from __future__ import annotations

import pytest

from zoo.catalog.params import check_value
from zoo.catalog.registry import load_plugins
from zoo.errors import RecipeError, ZooError
from zoo.recipes.resolve import resolve


@pytest.fixture
def registry():
    return load_plugins()


def error_of(registry, name=None, **kwargs) -> str:
    with pytest.raises(ZooError) as info:
        resolve(name, registry, **kwargs)
    return str(info.value)


def test_every_default_is_filled_in(registry):
    plan = resolve("tiny-linear-points", registry)
    recipe = plan.to_recipe()
    assert recipe["model"] == {"use": "tiny-linear", "units": 8, "l2": 0.001, "squash": False}
    assert recipe["dataset"]["n_samples"] == 200
    assert recipe["train"]["stages"] == [
        {"epochs": 3, "learning_rate": None, "freeze": [], "unfreeze": [], "cache_features": None}
    ]
    assert recipe["train"]["batch_size"] == 16


def test_extends_merges_deeply_and_replaces_a_component_whose_use_changes(registry, write_file):
    path = write_file(
        "mine.yaml",
        """
        recipes:
          base:
            dataset: {use: tiny-points, n_samples: 50}
            model: {use: tiny-linear, units: 7, squash: true}
            train: {batch_size: 16, stages: [{epochs: 2}]}
          child:
            extends: base
            dataset: {n_features: 3}
            train: {batch_size: 8}
          other-model:
            extends: base
            model: {use: tiny-mlp, hidden: 5}
    """,
    )
    child = resolve("child", registry, config_files=[path]).to_recipe()
    assert (child["dataset"]["n_samples"], child["dataset"]["n_features"]) == (50, 3)
    assert child["model"]["units"] == 7 and child["model"]["squash"] is True
    assert child["train"]["batch_size"] == 8 and child["train"]["stages"][0]["epochs"] == 2
    other = resolve("other-model", registry, config_files=[path]).to_recipe()
    assert other["model"] == {
        "use": "tiny-mlp",
        "units": 8,
        "hidden": 5,
        "dropout": 0.3,
    }  # tiny-linear's units, l2 and squash are gone


def test_a_user_file_can_extend_a_registered_recipe(registry, write_file):
    path = write_file(
        "mine.yaml",
        """
        extends: tiny-linear-points
        model: {units: 4}
    """,
    )
    plan = resolve(None, registry, config_files=[path])
    assert plan.name == "mine" and plan.model.params["units"] == 4
    assert plan.train.batch_size == 16  # inherited


def test_set_overrides_parse_yaml_values(registry):
    plan = resolve(
        "tiny-linear-points",
        registry,
        overrides=[
            "model.units=8",
            "model.squash=true",
            "train.stages=[{epochs: 1}, {epochs: 2, learning_rate: 1e-4}]",
            "train.optimizer.use=sgd",
        ],
    )
    assert plan.model.params["units"] == 8 and plan.model.params["squash"] is True
    assert [s.epochs for s in plan.train.stages] == [1, 2]
    assert plan.train.stages[1].learning_rate == 1e-4
    assert plan.train.optimizer == {"use": "sgd"}  # a new optimizer drops the old one's settings


def test_set_indexes_a_list_and_keeps_its_other_items(registry):
    plan = resolve("tiny-two-stages", registry, overrides=["train.stages.1.epochs=3", "train.stages.0.freeze=[out*]"])
    first, second = plan.train.stages
    assert (first.epochs, first.freeze, first.learning_rate) == (2, ["out*"], 1e-3)
    assert (second.epochs, second.unfreeze, second.learning_rate) == (3, ["hidden"], 5e-4)
    assert error_of(registry, "tiny-two-stages", overrides=["train.stages.2.epochs=3"]) == (
        "--set train.stages.2.epochs=3: train.stages is a list of 2; index it with 0 to 1"
    )
    assert error_of(registry, "tiny-linear-points", overrides=["model.l2.0=3"]) == (
        "--set model.l2.0=3: model.l2 is not a list the recipe sets; set the whole value instead"
    )


def test_train_epochs_sets_a_one_stage_recipe(registry):
    plan = resolve("tiny-linear-points", registry, overrides=["train.epochs=3"])
    assert [s.epochs for s in plan.train.stages] == [3]
    assert "epochs" not in plan.to_recipe()["train"]  # folded into the stages that were run
    assert error_of(registry, "tiny-two-stages", overrides=["train.epochs=3"]) == (
        "--set train.epochs=3: train.epochs: this recipe trains in 2 stages; set the epochs of one with "
        "train.stages.N.epochs (N from 0 to 1)"
    )


def test_a_recipe_version_is_its_own_and_recorded(registry, write_file):
    assert resolve("tiny-two-stages", registry).to_recipe()["version"] == 2
    assert resolve("tiny-linear-points", registry).version == 1
    path = write_file(
        "mine.yaml",
        """
        extends: tiny-two-stages
        dataset: {n_samples: 100}
    """,
    )
    assert resolve(None, registry, config_files=[path]).version == 1  # a child starts its own count
    assert error_of(registry, "tiny-linear-points", overrides=["version=0"]) == (
        "--set version=0: version: expected a whole number from 1. Received: 0"
    )


def test_set_use_drops_the_old_components_parameters(registry):
    plan = resolve("tiny-linear-points", registry, overrides=["model.use=tiny-mlp"])
    assert plan.model.params["hidden"] == 16


def test_python_overrides(registry):
    plan = resolve("tiny-linear-points", registry, python_overrides={"model": {"units": 3}})
    assert plan.model.params["units"] == 3


def test_resolved_recipe_round_trips(registry, write_file):
    from zoo.recipes.plan import dump_recipe

    first = resolve("tiny-mlp-points", registry).to_recipe()
    path = write_file("resolved.yaml", dump_recipe(first))
    assert resolve(None, registry, config_files=[path]).to_recipe() == first


# -- errors, exactly -----------------------------------------------------------------------------


def test_unknown_parameter_from_a_file_names_file_line_and_suggests(registry, write_file):
    path = write_file(
        "r.yaml",
        """
        dataset: {use: tiny-points}
        model:
          use: tiny-linear
          unit: 8
    """,
    )
    assert error_of(registry, config_files=[path]) == (
        f"{path}:4: model.unit: unknown parameter of model 'tiny-linear'; did you mean 'units'? "
        f"(parameters: units, l2, squash)"
    )


def test_wrong_type_names_key_value_and_expected_type(registry):
    assert error_of(registry, "tiny-linear-points", overrides=["model.units=eight"]) == (
        "--set model.units=eight: model.units: expected int, got 'eight' (str)"
    )
    assert error_of(registry, "tiny-linear-points", overrides=["model.squash=1"]) == (
        "--set model.squash=1: model.squash: expected bool, got 1 (int)"
    )
    assert error_of(registry, "tiny-linear-points", overrides=["train.distribute=gpu"]) == (
        "--set train.distribute=gpu: train.distribute: expected one of 'mirrored', 'multi-worker' or null, "
        "got 'gpu' (str)"
    )


def test_missing_required_parameter(registry, write_file):
    plugin = write_file(
        "req.py",
        """
        from zoo import hookimpl

        def needs(spec, *, size: int):
            '''Needs a size.'''

        @hookimpl
        def register_models(register):
            register("needs-size", needs)
    """,
    )
    registry = load_plugins([plugin])
    path = write_file(
        "r.yaml",
        """
        dataset: {use: tiny-points}
        model: {use: needs-size}
    """,
    )
    assert error_of(registry, config_files=[path]) == (
        f"{path}:2: model.size: required parameter of model 'needs-size' is missing (int); "
        f"add it, or --set model.size=VALUE"
    )


def test_unknown_component_and_unknown_recipe(registry, write_file):
    path = write_file(
        "r.yaml",
        """
        dataset: {use: tiny-points}
        model: {use: tiny-linaer}
    """,
    )
    known = ", ".join(e.name for e in registry.entries("model"))
    assert error_of(registry, config_files=[path]) == (
        f"{path}:2: model.use: unknown model 'tiny-linaer'; did you mean 'tiny-linear'? "
        f"Known models: {known} (see `zoo list models`)"
    )
    assert error_of(registry, "tiny-linear-point").startswith(
        "unknown recipe 'tiny-linear-point'; did you mean 'tiny-linear-points'? Known recipes: "
    )


def test_unknown_section_and_missing_sections(registry, write_file):
    path = write_file(
        "r.yaml",
        """
        dataset: {use: tiny-points}
        modle: {use: tiny-linear}
    """,
    )
    assert error_of(registry, config_files=[path]) == (
        f"{path}:2: modle: unknown recipe section; did you mean 'model'? "
        f"(sections: name, version, summary, tags, extends, dataset, embedding, model, build, train)"
    )
    path = write_file("s.yaml", "dataset: {use: tiny-points}\n")
    assert error_of(registry, config_files=[path]) == (
        "recipe 's': model: missing; add a 'model: {use: NAME}' section (see `zoo list models`)"
    )


def test_train_section_errors(registry):
    assert error_of(registry, "tiny-linear-points", overrides=["train.batch_size=0"]) == (
        "--set train.batch_size=0: train.batch_size: expected a positive int, got 0"
    )
    assert error_of(registry, "tiny-linear-points", overrides=["train.stages=[{epoch: 2}]"]) == (
        "--set train.stages=[{epoch: 2}]:1: train.stages[0].epoch: unknown parameter of a stage; "
        "did you mean 'epochs'? (parameters: epochs, learning_rate, freeze, unfreeze, cache_features)"
    )
    assert error_of(registry, "tiny-linear-points", overrides=["train.stages=[]"]) == (
        "--set train.stages=[]: train.stages: expected at least one stage, e.g. [{epochs: 1}]"
    )


def test_embedding_for_a_model_that_takes_none(registry):
    assert error_of(registry, "tiny-linear-points", overrides=["embedding.use=x"]).startswith(
        "--set embedding.use=x: embedding.use: unknown embedding 'x'"
    )


def test_malformed_yaml_gives_file_line_and_column(registry, write_file):
    path = write_file("bad.yaml", "dataset: {use: tiny-points\nmodel: [\n")
    assert error_of(registry, config_files=[path]) == (f"{path}:2:6: invalid YAML: expected ',' or '}}', but got ':'")


def test_duplicate_keys_are_an_error(registry, write_file):
    path = write_file("dup.yaml", "dataset: {use: tiny-points}\nmodel: {use: tiny-linear}\nmodel: {use: tiny-mlp}\n")
    assert error_of(registry, config_files=[path]) == (f"{path}:3: duplicate key 'model' (first at {path}:2); keep one")


def test_extends_cycle(registry, write_file):
    path = write_file(
        "cycle.yaml",
        """
        recipes:
          a: {extends: b}
          b: {extends: a}
    """,
    )
    assert error_of(registry, "a", config_files=[path]) == "recipe 'a': extends forms a cycle: a -> b -> a"


def test_bad_override_syntax_and_missing_file(registry, tmp_path):
    assert error_of(registry, "tiny-linear-points", overrides=["model.units"]) == (
        "--set 'model.units': expected key=value, for example --set model.filters=128"
    )
    assert error_of(registry, config_files=[tmp_path / "none.yaml"]) == (
        f"{tmp_path / 'none.yaml'}: no such file; check the path given to -c"
    )


def test_extends_an_unknown_recipe(registry, write_file):
    path = write_file("r.yaml", "extends: tiny-linear-point\n")
    assert error_of(registry, config_files=[path]).startswith(
        f"{path}:1: extends: unknown recipe 'tiny-linear-point'; did you mean 'tiny-linear-points'?"
    )


def test_scientific_notation_is_a_float(registry):
    plan = resolve("tiny-linear-points", registry, overrides=["train.optimizer.learning_rate=3e-3"])
    assert plan.train.optimizer["learning_rate"] == 0.003


def test_no_name_and_no_single_recipe_file(registry):
    with pytest.raises(RecipeError, match="name a recipe"):
        resolve(None, registry)


@pytest.mark.parametrize(
    ("value", "hint", "expected"),
    [
        ([3, 4, 5], tuple[int, ...], (3, 4, 5)),
        (1, float, 1.0),
        (None, int | None, None),
        ({"a": 1}, dict[str, int], {"a": 1}),
        ("same", "Literal['same', 'valid']", "same"),
    ],
)
def test_check_value_accepts_what_yaml_can_say(value, hint, expected):
    from typing import Literal  # noqa: F401 - the hints below are evaluated as text

    hint = eval(hint) if isinstance(hint, str) else hint
    assert check_value(value, hint) == expected


@pytest.mark.parametrize(
    ("value", "hint", "message"),
    [
        (True, int, "expected int"),
        ([1, "x"], tuple[int, ...], "expected list of int"),
        (2.5, int, "expected int"),
        ("3", float, "expected float"),
    ],
)
def test_check_value_rejects(value, hint, message):
    with pytest.raises(TypeError, match=message):
        check_value(value, hint)


def test_build_settings_spelled_under_train_still_read_with_one_note(registry, write_file):
    from zoo.errors import RecipeDeprecationWarning

    path = write_file("old.yaml", "extends: tiny-linear-points\ntrain: {calibration_batches: 3, batch_size: 8}\n")
    with pytest.warns(RecipeDeprecationWarning, match=r"old.yaml:2: train.calibration_batches is now build."):
        plan = resolve(None, registry, config_files=[path])
    assert plan.build.calibration_batches == 3 and plan.train.batch_size == 8
    assert "calibration_batches" not in plan.to_recipe()["train"]
    both = write_file(
        "both.yaml", "extends: tiny-linear-points\nbuild: {calibration_batches: 2}\ntrain: {calibration_batches: 3}"
    )
    with pytest.warns(RecipeDeprecationWarning):  # a child's old spelling overrides what it inherits
        assert resolve(None, registry, config_files=[both]).build.calibration_batches == 3


def test_a_saved_recipe_of_version_1_resolves_silently(registry, write_file):
    """What runs wrote before the build section: nulls for auto, defaults under train."""
    path = write_file(
        "recipe.yaml",
        """
        name: old-run
        dataset: {use: tiny-points}
        model: {use: tiny-linear}
        train: {loss: null, metrics: null, epochs: null, initial_weights: null, insert_batchnorm: [],
                calibration_batches: 10, stages: [{epochs: 2}]}
        """,
    )
    plan = resolve(None, registry, config_files=[path])  # the suite turns the deprecation warning into an error
    assert (plan.train.loss, plan.train.metrics, plan.train.stages[0].epochs) == ("auto", "auto", 2)


def test_zoo_show_leaves_nothing_null_that_a_run_fills(run_cli):
    shown = run_cli("show", "tiny-linear-points").stdout
    assert "loss: auto" in shown and "metrics: auto" in shown and "epochs: null" not in shown


def test_the_cli_prints_a_deprecation_as_one_line(tmp_path):
    import subprocess
    import sys

    (tmp_path / "old.yaml").write_text("extends: synthetic-cf-bias\ntrain: {calibration_batches: 3}\n")
    done = subprocess.run(
        [sys.executable, "-c", "from zoo.surfaces.cli import main; main()", "build", "-c", "old.yaml", "--dry-run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr.startswith("zoo: deprecated: old.yaml:2: train.calibration_batches is now build.")
    assert done.stderr.count("\n") == 1, done.stderr


def test_a_model_and_a_dataset_of_other_specs_are_refused_before_any_data(run_cli):
    """The adapter's `-> Dataset[RatingsSpec]` and the builder's `spec: PointsSpec` disagree: the
    dry run says so, before any data is read."""
    result = run_cli("build", "tiny-linear-points", "--set", "dataset={use: synthetic-ratings}", "--dry-run", code=1)
    assert result.stderr == (
        "Error: --set dataset={use: synthetic-ratings}: dataset: model 'tiny-linear' needs a PointsSpec, but "
        "dataset 'synthetic-ratings' gives a RatingsSpec; pick a matching dataset\n"
    )
