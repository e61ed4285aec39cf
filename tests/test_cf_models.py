"""The lesson's two models: layer names, output shapes and exact parameter counts."""

from __future__ import annotations

import numpy as np
import pytest

from zoo.errors import ZooError
from zoo_plugins.cf.data import RatingsSpec
from zoo_plugins.cf.models import cf_bias, cf_nn

pytestmark = pytest.mark.backends  # also run on JAX in CI (.ci/run)

SPEC = RatingsSpec(name="t", task="regression", n_users=11, n_items=7, rating_min=1.0, rating_max=5.0)


def test_cf_bias_parameters_and_output():
    model = cf_bias(SPEC, n_factors=3)
    assert model.count_params() == 11 * 3 + 7 * 3 + 11 + 7  # factors + biases
    assert [layer.name for layer in model.layers] == [
        "user",
        "item",
        "user_embedding",
        "item_embedding",
        "dot",
        "user_bias",
        "item_bias",
        "rating",
    ]
    assert model.predict(SPEC.example_inputs(5), verbose=0).shape == (5, 1)


def test_cf_bias_squash_keeps_predictions_in_the_rating_range():
    model = cf_bias(SPEC, n_factors=3, squash=True)
    assert model.count_params() == 11 * 3 + 7 * 3 + 11 + 7  # the squash adds no weights
    for layer in ("user_embedding", "item_embedding"):
        weights = model.get_layer(layer).get_weights()[0]
        model.get_layer(layer).set_weights([weights * 100])  # push outputs to the extremes
    predictions = model.predict(SPEC.example_inputs(50), verbose=0)
    assert predictions.min() >= 0.5 and predictions.max() <= 5.5


def test_cf_nn_parameters_and_output():
    model = cf_nn(SPEC, n_factors=3, hidden=4)
    assert model.count_params() == 11 * 3 + 7 * 3 + (6 * 4 + 4) + (4 + 1)
    assert model.predict(SPEC.example_inputs(5), verbose=0).shape == (5, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_factors": 0}, "n_factors must be at least 1. Received: n_factors=0"),
        ({"l2": -1.0}, "l2 must be non-negative. Received: l2=-1.0"),
    ],
)
def test_cf_bias_checks_its_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        cf_bias(SPEC, **kwargs)


def test_cf_nn_checks_dropout():
    with pytest.raises(ValueError, match=r"hidden_dropout must be in \[0, 1\). Received: hidden_dropout=1.0"):
        cf_nn(SPEC, hidden_dropout=1.0)
    assert np.isfinite(cf_nn(SPEC, n_factors=2, hidden=2).count_params())


def test_training_recovers_the_planted_item_biases(tmp_path):
    import zoo

    zoo.train("synthetic-cf-bias", out=str(tmp_path / "planted"), verbose=0)
    saved = zoo.load_run(tmp_path / "planted")
    learned = saved.model.get_layer("item_bias").get_weights()[0][:, 0]
    # Biases are identified up to the dot product's own offset, so compare by correlation.
    correlation = np.corrcoef(learned, saved.spec.planted_item_bias)[0, 1]
    assert correlation > 0.9, correlation


def test_predicted_ratings_stay_within_the_scale():
    spec = RatingsSpec(name="r", task="regression", rating_min=0.5, rating_max=5.0)
    assert spec.decode_outputs(np.array([[5.7], [3.25], [-0.1]])) == [5.0, 3.25, 0.5]


def test_ids_typed_as_text_say_how_to_write_the_pair():
    """Once `zoo predict RUN 1 5` said user 1 was never seen: the two words reach the spec as text."""
    spec = RatingsSpec.example()
    with pytest.raises(ZooError, match=r"^user id '1' was never seen in training; .*; '1' is text here: give each "):
        spec.encode_inputs(["1", "5"])
    with pytest.raises(
        ZooError, match=r"^item id 99 was never seen in training; predictions exist only for the 5 items"
    ):
        spec.encode_inputs([[1, 99]])
    with pytest.raises(ZooError, match=r"^ids are numbers or strings. Received: \[\[1\], 2\]"):
        spec.encode_inputs([[[1], 2]])


def test_evaluate_names_the_splits_a_dataset_has(run_cli, tmp_path):
    run_cli("train", "synthetic-cf-bias", "--set", "train.epochs=1", "--out", str(tmp_path / "r"), "-q")
    error = run_cli("evaluate", str(tmp_path / "r"), "--split", "test", code=1).stderr  # once: no list of splits
    assert error == "Error: dataset 'synthetic-ratings' has no test split; it has train, validation\n"
    assert run_cli("evaluate", str(tmp_path / "r")).stdout.startswith("validation: loss=")
