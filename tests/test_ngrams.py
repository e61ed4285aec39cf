"""Bags of n-grams, naive-Bayes ratios and the NB-logistic model (the n-gram path of the text plugin)."""

from __future__ import annotations

import json
import os
from itertools import islice
from pathlib import Path

import numpy as np
import pytest

import zoo
from zoo.catalog.specs import Dataset, DatasetSpec, EmbeddingMatrix, Split
from zoo_plugins.text.data import TextSpec, text_folder
from zoo_plugins.text.embeddings import nb_ratios
from zoo_plugins.text.models import text_nb_logistic

TEXTS = {
    ("train", "pos"): ["A great film.", "Great, great acting!"],
    ("train", "neg"): ["A dull film.", "Dull acting."],
    ("test", "pos"): ["Great film."],
    ("test", "neg"): ["A dull zebra."],
}
# Words by training frequency: great (3), then a, acting, dull, film (2 each, alphabetical). Every
# word is in two training texts, every bigram in one; bigrams tie-break by their word ids.
VOCABULARY = [None, "great", "a", "acting", "dull", "film", "great great", "great acting", "great film", None]


def write_corpus(root: Path, copies: int = 1) -> Path:
    for (split, label), texts in TEXTS.items():
        folder = root / split / label
        folder.mkdir(parents=True)
        for copy in range(copies):
            for i, text in enumerate(texts):
                (folder / f"{copy}_{i}.txt").write_text(text, encoding="utf-8")
    return root


def bigrams(tmp_path: Path, **params) -> Dataset:
    return text_folder(
        path=str(write_corpus(tmp_path / "corpus")), **{"ngrams": 2, "vocab_size": 10, "maxlen": 5, **params}
    )


def test_bags_rank_ngrams_by_document_frequency_and_share_the_rare_id(tmp_path):
    dataset = bigrams(tmp_path)
    assert dataset.spec.vocabulary == VOCABULARY and dataset.spec.ngrams == 2
    test = dataset.splits["test"]
    by_label = {int(y): x.tolist() for x, y in zip(test.x, test.y)}
    assert by_label[1] == [1, 5, 8, 0, 0]  # great, film, "great film"; post-padded
    assert by_label[0] == [2, 4, 9, 0, 0]  # a, dull; zebra, "a dull" and "dull zebra" share the rare id once


def test_predict_encodes_raw_text_into_the_same_bags(tmp_path):
    dataset = bigrams(tmp_path)
    encoded = dataset.spec.encode_inputs(["Great FILM!", "a dull zebra"])
    assert encoded.tolist() == [[1, 5, 8, 0, 0], [2, 4, 9, 0, 0]]
    restored = DatasetSpec.from_dict(json.loads(json.dumps(dataset.spec.to_dict())))  # as spec.json
    assert restored.encode_inputs("great film").tolist() == [[1, 5, 8, 0, 0]]


def test_bags_longer_than_maxlen_lose_their_rarest_ngrams_with_a_warning(tmp_path):
    with pytest.warns(UserWarning, match="hold more than maxlen=2 n-grams and lose their rarest"):
        dataset = bigrams(tmp_path, maxlen=2)
    assert sorted(map(tuple, dataset.splits["test"].x.tolist())) == [(1, 5), (2, 4)]


def test_bad_ngram_settings(tmp_path):
    with pytest.raises(ValueError, match="ngrams must be at least 1"):
        bigrams(tmp_path, ngrams=0)
    with pytest.raises(ValueError, match="ngrams=30 is too long for a vocabulary of 5 words"):
        text_folder(path=str(write_corpus(tmp_path / "other")), ngrams=30)


def test_nb_ratios_count_each_training_text_once(tmp_path):
    matrix = nb_ratios(bigrams(tmp_path))
    # Texts holding each id 1..9, from the bags of the four training texts (id 9: the rare bigrams).
    positive = np.array([2, 1, 1, 0, 1, 1, 1, 1, 1]) + 1.0
    negative = np.array([0, 1, 1, 2, 1, 0, 0, 0, 2]) + 1.0
    expected = np.log((positive / positive.sum()) / (negative / negative.sum()))
    assert matrix.weights.shape == (10, 1) and matrix.weights[0, 0] == 0.0
    np.testing.assert_allclose(matrix.weights[1:, 0], expected, rtol=1e-6)
    assert (matrix.hits, matrix.misses) == (9, 0)


def test_nb_ratios_read_only_the_training_split():
    spec = TextSpec(
        name="t",
        task="binary",
        vocab_size=4,
        maxlen=2,
        vocabulary=[None, "a", "b", None],
        classes=["neg", "pos"],
        ngrams=1,
    )
    train = Split(np.array([[1, 0], [2, 0]], "int32"), np.array([1, 0]))
    other = Split(np.array([[2, 0], [2, 0]], "int32"), np.array([1, 1]))
    with_other = nb_ratios(Dataset(spec, {"train": train, "validation": other, "test": other}, checksum="t"))
    alone = nb_ratios(Dataset(spec, {"train": train}, checksum="t"))
    np.testing.assert_array_equal(with_other.weights, alone.weights)
    assert alone.weights[1, 0] > 0 > alone.weights[2, 0]


def test_untrained_nb_logistic_is_the_naive_bayes_classifier():
    spec = TextSpec(
        name="t",
        task="binary",
        vocab_size=5,
        maxlen=3,
        vocabulary=[None, "a", "b", "c", None],
        classes=["neg", "pos"],
        ngrams=1,
    )
    ratios = np.array([[9.0], [1.0], [-2.0], [0.5], [0.0]], "float32")  # row 0 is ignored: padding
    model = text_nb_logistic(spec, EmbeddingMatrix(ratios, hits=4, misses=0), weight_spread=0.0, ratio_scale=2.0)
    bags = np.array([[1, 3, 0], [2, 0, 0]], "int32")
    logits = 0.4 * np.array([1.0 + 0.5, -2.0]) / 2.0
    np.testing.assert_allclose(model.predict(bags, verbose=0).ravel(), 1 / (1 + np.exp(-logits)), rtol=1e-5)
    assert not model.get_layer("nb_ratio").trainable and model.get_layer("weight").trainable
    with pytest.raises(ValueError, match=r"needs one ratio per id, shape \(5, 1\)"):
        text_nb_logistic(spec, EmbeddingMatrix(np.zeros((5, 3), "float32"), hits=0, misses=4))
    with pytest.raises(ValueError, match="classifies two classes"):
        text_nb_logistic(TextSpec(name="t", task="multiclass", vocab_size=5, maxlen=3, classes=["a", "b", "c"]))


def test_nb_trigram_recipe_trains_saves_and_predicts_raw_text(tmp_path, write_file, run_cli):
    root = write_corpus(tmp_path / "corpus", copies=4)
    recipe = write_file(
        "r.yaml",
        f"""
        extends: imdb-nb-trigrams
        dataset: {{use: text-folder, path: {root}, vocab_size: 40, maxlen: 12, validation: 0.25}}
        train: {{batch_size: 4, stages: [{{epochs: 2}}]}}
    """,
    )
    run = zoo.train(config_files=(str(recipe),), out=str(tmp_path / "run"), verbose=0)
    meta = run.read_json("meta.json")
    assert meta["embedding"]["shape"] == [40, 1]
    positive, negative = zoo.load_run(run.path).predict(["great film", "dull acting"])
    assert positive["label"] == "pos" and negative["label"] == "neg"
    assert 0.5 < positive["probability"] <= 1 and 0.5 <= negative["probability"] <= 1
    lines = run_cli("predict", str(run.path), "Great: a great film", "yes").stdout.splitlines()
    assert [json.loads(line)["input"] for line in lines] == ["Great: a great film", "yes"]  # text, not YAML
    assert json.loads(lines[0])["prediction"]["label"] == "pos"


@pytest.mark.realdata
def test_real_imdb_bigrams_naive_bayes_then_one_epoch():
    import keras

    from zoo_plugins.text.data import _documents, imdb

    reviews = imdb(
        path=str(Path(os.environ["ZOO_DATA_DIR"]) / "imdb"), ngrams=2, vocab_size=200_000, maxlen=2000, validation=0.1
    )
    assert reviews.spec.vocabulary[1:4] == ["the", "a", "and"]  # by reviews holding them ("and" is more frequent)
    assert "not a" in reviews.spec.vocabulary[:2000]
    # Raw text bagged at prediction time matches the bags built for training: the first test reviews.
    archive = Path(reviews.source)
    raw = [text.decode("utf-8") for split, _, _, text in islice(_documents(archive), 30000) if split == "test"][:5]
    np.testing.assert_array_equal(reviews.spec.encode_inputs(raw), reviews.splits["test"].x[:5])
    model = text_nb_logistic(reviews.spec, nb_ratios(reviews))
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"])
    test = reviews.splits["test"]
    untrained = model.evaluate(test.x, test.y, batch_size=1000, verbose=0)[1]
    assert untrained > 0.85  # naive Bayes over unigrams and bigrams, before any training
    train = reviews.splits["train"]
    model.fit(train.x, train.y, batch_size=256, epochs=1, verbose=0)
    assert model.evaluate(test.x, test.y, batch_size=1000, verbose=0)[1] > untrained + 0.01


def test_a_provider_matrix_with_the_wrong_row_count_is_the_plugins_fault(tmp_path):
    from types import SimpleNamespace

    from zoo.assembly.compose import load_embedding
    from zoo.catalog.registry import Entry
    from zoo.errors import PluginError
    from zoo.recipes.plan import Component

    dataset = bigrams(tmp_path)
    short = Entry(
        "embedding", "short", lambda data: EmbeddingMatrix(np.zeros((3, 1), "float32"), hits=2, misses=0), "t"
    )
    plan = SimpleNamespace(
        embedding=Component("short", short, {}),
        dataset=SimpleNamespace(use="text-folder"),
        train=SimpleNamespace(seed=0),
    )
    with pytest.raises(PluginError, match="returned 3 rows for a vocabulary of 10; an EmbeddingMatrix needs one row"):
        load_embedding(plan, dataset)
