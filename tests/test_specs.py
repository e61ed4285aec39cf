"""The core's data types: vector alignment, spec round trips, dataset checks."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest

from zoo.catalog.specs import Dataset, DatasetSpec, Split, Vectors, spec_type


@dataclass
class LabelledSpec(DatasetSpec):
    """A spec as a plugin writes one: its own fields, a list among them."""

    classes: list[str] = field(default_factory=list)
    width: int = 0


def test_vectors_align_to_a_vocabulary_with_a_zero_padding_row():
    vectors = Vectors(["the", "cat", "sat"], np.array([[1, 1], [2, 2], [3, 3]], dtype="float32"), checksum="c")
    matrix = vectors.matrix([None, "cat", "dog", "the"], seed=0)
    assert matrix.weights.shape == (4, 2) and (matrix.input_dim, matrix.output_dim) == (4, 2)
    np.testing.assert_array_equal(matrix.weights[0], [0, 0])  # padding
    np.testing.assert_array_equal(matrix.weights[1], [2, 2])
    np.testing.assert_array_equal(matrix.weights[3], [1, 1])
    assert not np.allclose(matrix.weights[2], 0)  # a miss gets a random row of the same scale
    assert (matrix.hits, matrix.misses, matrix.checksum) == (2, 1, "c")
    np.testing.assert_array_equal(vectors.matrix([None, "cat", "dog", "the"], seed=0).weights, matrix.weights)


def test_specs_round_trip_through_their_json_form():
    spec = LabelledSpec(name="r", task="multiclass", classes=["a", "b", "c"], width=3)
    assert DatasetSpec.from_dict(spec.to_dict()) == spec


def test_bad_task_and_missing_train_split_are_rejected():
    with pytest.raises(ValueError, match="task must be one of regression, binary, multiclass, sequence"):
        DatasetSpec(name="x", task="clustering")
    with pytest.raises(ValueError, match="a dataset needs a 'train' split"):
        Dataset(DatasetSpec(name="x", task="binary"), {"test": Split(np.zeros(2), np.zeros(2))}, checksum="")


def test_classifier_outputs_decode_to_the_likeliest_class_and_its_probability():
    binary = LabelledSpec(name="t", task="binary", classes=["negative", "positive"])
    assert binary.decode_outputs(np.array([[0.886], [0.25]], dtype="float32")) == [
        {"label": "positive", "probability": pytest.approx(0.886, abs=1e-6)},
        {"label": "negative", "probability": 0.75},
    ]
    multiclass = LabelledSpec(name="t", task="multiclass", classes=["a", "b", "c"])
    assert multiclass.decode_outputs(np.array([[0.2, 0.5, 0.3]])) == [{"label": "b", "probability": 0.5}]


def test_other_outputs_decode_to_numbers():
    spec = DatasetSpec(name="x", task="regression")
    assert spec.decode_outputs(np.array([[1.5], [2.0]])) == [1.5, 2.0]
    assert spec.decode_outputs(np.array([[1, 2], [3, 4]])) == [[1.0, 2.0], [3.0, 4.0]]


def test_two_plugins_spec_classes_of_one_name_do_not_collide():
    from dataclasses import dataclass

    from zoo.errors import ZooError
    from zoo_plugins.text.data import TextSpec as BuiltinTextSpec

    @dataclass
    class TextSpec(DatasetSpec):  # a third party's spec of the same name, defined after the built-in's
        words: int = 0

    theirs = TextSpec(name="t", task="binary", words=3)
    ours = BuiltinTextSpec(name="t", task="binary", classes=["a", "b"])
    assert ours.to_dict()["type"] == "zoo_plugins.text.data:TextSpec"
    assert DatasetSpec.from_dict(theirs.to_dict()) == theirs
    assert DatasetSpec.from_dict(ours.to_dict()) == ours
    try:
        with pytest.raises(ZooError, match="spec type 'TextSpec' is defined by more than one plugin"):
            DatasetSpec.from_dict({**ours.to_dict(), "type": "TextSpec"})  # a run saved before types named modules
    finally:
        del DatasetSpec._types[spec_type(TextSpec)]  # the rest of the session has one TextSpec again
