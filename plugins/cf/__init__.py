"""Collaborative filtering: rating datasets and the lesson's two functional-API models."""

from zoo import hookimpl


@hookimpl
def register_models(register):
    register(
        "cf-bias",
        "zoo_plugins.cf.models:cf_bias",
        tags=["cf"],
        tiny={"n_factors": 3},
        summary="Dot product of user and item embeddings plus user and item biases (L2 on the factors).",
    )
    register(
        "cf-nn",
        "zoo_plugins.cf.models:cf_nn",
        tags=["cf"],
        tiny={"n_factors": 3, "hidden": 4},
        summary="Concatenated user and item embeddings through a dropout-regularised dense layer.",
    )


@hookimpl
def register_datasets(register):
    register(
        "movielens",
        "zoo_plugins.cf.movielens:movielens",
        tags=["cf"],
        aliases=["ml"],
        summary="MovieLens ratings (ml-latest-small, ml-100k, ml-1m) from a folder, zip or GroupLens.",
    )
    register(
        "synthetic-ratings",
        "zoo_plugins.cf.data:synthetic_ratings",
        tags=["cf", "synthetic"],
        summary="SYNTHETIC ratings from planted user/item factors and biases (offline demos, tests).",
    )


@hookimpl
def register_recipes(register):
    from zoo_plugins import register_recipes_of

    register_recipes_of("cf", register)


@hookimpl
def register_commands(cli):
    from zoo_plugins.cf.analysis import (
        cf_group,  # click and numpy only; Keras loads when a command runs
    )

    cli.add_command(cf_group)
