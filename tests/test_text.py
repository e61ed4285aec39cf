"""Text datasets (tokenizer, Keras npz, raw folders and archives) and the three text classifiers."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path

import numpy as np
import pytest

from zoo.errors import ZooError
from zoo_plugins.text.data import TextSpec, imdb, text_folder, tokenize
from zoo_plugins.text.models import text_cnn, text_dense, text_multi_cnn

REVIEWS = {
    ("train", "pos"): ["A great film.<br /><br />Great acting!", "Great, moving story; don't miss it."],
    ("train", "neg"): ["A dull film. Dull, dull plot.", "Awful acting<br/>and a dull script."],
    ("train", "unsup"): ["Unlabelled: never read."],
    ("test", "pos"): ["Great film, great cast."],
    ("test", "neg"): ["Dull and awful, a zebra of a film."],
}


def write_corpus(root: Path) -> Path:
    for (split, label), texts in REVIEWS.items():
        folder = root / split / label
        folder.mkdir(parents=True)
        for i, text in enumerate(texts):
            (folder / f"{i}_7.txt").write_text(text, encoding="utf-8")
    return root


def test_tokenizer_drops_breaks_and_splits_punctuation_like_the_keras_index():
    assert tokenize("Great film.<br /><br />DON'T miss it--really!") == [
        "great",
        "film",
        "don't",
        "miss",
        "it",
        "really",
    ]
    assert tokenize("well-made (1999)") == ["well", "made", "1999"]


def test_text_folder_ranks_words_by_training_frequency(tmp_path):
    dataset = text_folder(path=str(write_corpus(tmp_path / "corpus")), vocab_size=6, maxlen=5)
    spec = dataset.spec
    assert spec.classes == ["neg", "pos"] and spec.task == "binary"  # unsup has no test documents: not a class
    # dull x4; a and great x3; acting and film x2: ties in alphabetical order
    assert spec.vocabulary == [None, "dull", "a", "great", "acting", None]
    assert (len(dataset.splits["train"]), len(dataset.splits["test"])) == (4, 2)
    # "Dull and awful, a zebra of a film.", pre-truncated to its last 5 words "a zebra of a film";
    # zebra (unseen), of and film (ranked past the vocabulary) share the rare id 5
    test_x = dataset.splits["test"].x[dataset.splits["test"].y == 0][0]
    assert test_x.tolist() == [2, 5, 5, 2, 5]
    assert dataset.splits["train"].x.dtype == np.int32


def test_short_documents_are_pre_padded(tmp_path):
    dataset = text_folder(path=str(write_corpus(tmp_path / "corpus")), vocab_size=50, maxlen=12)
    first = dataset.splits["test"].x[0]
    assert first[0] == 0 and first[-1] != 0


def test_archives_read_like_folders_and_the_cache_is_reused_and_invalidated(tmp_path):
    root = write_corpus(tmp_path / "aclImdb")
    archive = tmp_path / "corpus.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(root, arcname="aclImdb")
    from_folder = text_folder(path=str(root), vocab_size=20, maxlen=8)
    from_archive = text_folder(path=str(archive), vocab_size=20, maxlen=8)
    np.testing.assert_array_equal(from_folder.splits["train"].x, from_archive.splits["train"].x)
    assert from_folder.checksum == from_archive.checksum
    cached = list((tmp_path / "home" / "cache").glob("text-*.npz"))
    assert len(cached) == 2
    again = text_folder(path=str(archive), vocab_size=20, maxlen=8)
    np.testing.assert_array_equal(again.splits["test"].x, from_archive.splits["test"].x)
    # A changed file deep in the folder (the folder's own modification time stays) is read again...
    (root / "train" / "pos" / "0_7.txt").write_text("zebra zebra zebra zebra zebra")
    os.utime(root / "train" / "pos" / "0_7.txt", ns=(1, 1))
    changed = text_folder(path=str(root), vocab_size=20, maxlen=8)
    assert "zebra" in changed.spec.vocabulary and changed.checksum != from_folder.checksum
    # ... and so is a new one.
    (root / "train" / "pos" / "9_7.txt").write_text("okapi okapi okapi okapi okapi okapi")
    assert "okapi" in text_folder(path=str(root), vocab_size=20, maxlen=8).spec.vocabulary


def test_validation_is_held_out_of_train(tmp_path):
    dataset = text_folder(path=str(write_corpus(tmp_path / "c")), validation=0.5, seed=3)
    assert (len(dataset.splits["train"]), len(dataset.splits["validation"]), len(dataset.splits["test"])) == (2, 2, 2)


def test_imdb_reads_the_keras_npz_and_word_index(tmp_path):
    folder = tmp_path / "imdb"
    folder.mkdir()
    index = {"the": 1, "and": 2, "a": 3, "film": 4, "great": 5, "dull": 6}
    (folder / "imdb_word_index.json").write_text(json.dumps(index))
    ragged = np.empty(2, dtype=object)
    ragged[:] = [[1, 4, 6, 6], [5, 4]]  # ids are word-index ranks, as in the Keras file
    np.savez(folder / "imdb.npz", x_train=ragged, y_train=np.array([0, 1]), x_test=ragged, y_test=np.array([0, 1]))
    with pytest.raises(ZooError, match=r"holds pickled Python objects and is not Keras's imdb\.npz .*trust_pickle"):
        imdb(path=str(folder), vocab_size=5, maxlen=3)  # not the file with Keras's checksum
    dataset = imdb(path=str(folder), vocab_size=5, maxlen=3, trust_pickle=True)
    assert dataset.spec.vocabulary == [None, "the", "and", "a", None]
    assert dataset.splits["train"].x.tolist() == [[4, 4, 4], [0, 4, 4]]  # 6 and 5 clipped to the rare id 4
    assert dataset.splits["test"].y.tolist() == [0, 1]


class _RunsCode:
    """What a hostile file pickles: unpickling it calls open(), creating a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_hostile_imdb_npz_runs_no_code(tmp_path):
    folder = tmp_path / "imdb"
    folder.mkdir()
    (folder / "imdb_word_index.json").write_text(json.dumps({"the": 1}))
    marker = tmp_path / "code-ran"
    hostile = np.empty(1, dtype=object)
    hostile[0] = _RunsCode(marker)
    np.savez(folder / "imdb.npz", x_train=hostile, y_train=np.array([0]), x_test=hostile, y_test=np.array([0]))
    with pytest.raises(ZooError, match="unpickling it could run code"):
        imdb(path=str(folder))
    assert not marker.exists()


def test_imdb_reads_raw_reviews_from_a_folder_holding_the_archive(tmp_path):
    holder = tmp_path / "imdb"
    holder.mkdir()
    with tarfile.open(holder / "aclImdb_v1.tar.gz", "w:gz") as tar:
        tar.add(write_corpus(tmp_path / "aclImdb"), arcname="aclImdb")
    dataset = imdb(path=str(holder), vocab_size=8, maxlen=6)
    assert dataset.spec.vocabulary[1] == "dull" and dataset.source.endswith("aclImdb_v1.tar.gz")


def test_bad_text_sources_are_reported(tmp_path):
    with pytest.raises(ZooError, match=r"dataset.path '.*nowhere' does not exist"):
        text_folder(path=str(tmp_path / "nowhere"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ZooError, match=r"no train/<class>/\*.txt documents found"):
        text_folder(path=str(tmp_path / "empty"))
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"\x1f\x8b\x08\x00garbage")
    with pytest.raises(ZooError, match=r"cannot read the archive .*it may be truncated"):
        text_folder(path=str(broken))


def test_a_document_that_is_not_utf8_is_named_in_a_folder_and_in_an_archive(tmp_path):
    import tarfile

    corpus = write_corpus(tmp_path / "corpus")
    latin1 = corpus / "train" / "pos" / "9_8.txt"
    latin1.write_bytes("Un film tr\u00e8s beau".encode("latin-1"))
    with pytest.raises(ZooError) as info:
        text_folder(path=str(corpus))
    assert str(info.value) == (
        f"{latin1}: byte 0xe8 at offset 10 is not UTF-8; save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)"
    )
    with tarfile.open(tmp_path / "corpus.tar.gz", "w:gz") as tar:
        tar.add(corpus, arcname="corpus")
    with pytest.raises(ZooError, match=r"corpus.tar.gz:corpus/train/pos/9_8.txt: byte 0xe8 at offset 10"):
        text_folder(path=str(tmp_path / "corpus.tar.gz"))
    assert not list((tmp_path / "home").rglob("*.npz"))  # nothing cached from a corpus that failed


def test_a_corpus_of_one_class_is_refused(tmp_path):
    import shutil

    corpus = write_corpus(tmp_path / "corpus")
    shutil.rmtree(corpus / "train" / "neg")
    shutil.rmtree(corpus / "test" / "neg")
    with pytest.raises(ZooError, match=r"train/ has one class \(.pos.\); a classifier needs at least two class"):
        text_folder(path=str(corpus))


def test_predict_encodes_text_like_training():
    spec = TextSpec.example()
    encoded = spec.encode_inputs(["The good film", "zebra"])
    assert encoded.tolist() == [[0, 0, 0, 0, 1, 2, 4], [0, 0, 0, 0, 0, 0, 5]]


def test_multi_cnn_nests_one_convolution_per_kernel_size():
    model = text_multi_cnn(TextSpec.example(), embedding_dim=4, filters=2, hidden=3)
    graph = model.get_layer("multi_conv")
    convs = [layer for layer in graph.layers if layer.__class__.__name__ == "Conv1D"]
    assert [c.kernel_size for c in convs] == [(3,), (4,), (5,)]
    assert [c.name for c in convs] == ["conv_k3", "conv_k4", "conv_k5"]
    assert graph.output.shape[-1] == 3 * 2 * (7 // 2)  # three branches of pooled, flattened filters


@pytest.mark.parametrize("builder", [text_dense, text_cnn, text_multi_cnn])
def test_a_provider_matrix_sets_the_embedding(builder):
    from zoo.catalog.specs import EmbeddingMatrix

    spec = TextSpec.example()
    weights = np.arange(6 * 3, dtype="float32").reshape(6, 3)
    model = builder(spec, EmbeddingMatrix(weights, hits=4, misses=1), trainable_embedding=False)
    np.testing.assert_array_equal(model.get_layer("embedding").get_weights()[0], weights)
    assert not model.get_layer("embedding").trainable
    with pytest.raises(ValueError, match="the embedding matrix has 4 rows but the dataset has 6 word ids"):
        builder(spec, EmbeddingMatrix(weights[:4], hits=0, misses=3))


@pytest.mark.realdata
def test_real_imdb_raw_reviews():
    dataset = imdb(path=str(Path(os.environ["ZOO_DATA_DIR"]) / "imdb"), validation=0.1)
    assert dataset.spec.vocabulary[1:6] == ["the", "and", "a", "of", "to"]
    assert (len(dataset.splits["train"]), len(dataset.splits["validation"]), len(dataset.splits["test"])) == (
        22500,
        2500,
        25000,
    )
    assert dataset.splits["test"].y.mean() == 0.5


@pytest.mark.parametrize("builder", [text_dense, text_cnn, text_multi_cnn])
def test_word_dropout_drops_whole_words_while_training_only(builder):
    spec = TextSpec.example()
    model = builder(spec, embedding_dim=4, hidden=3, word_dropout=0.5)
    layer = model.get_layer("word_dropout")
    embedded = np.ones((64, spec.maxlen, 4), "float32")
    dropped = np.asarray(layer(embedded, training=True))
    per_word = dropped.reshape(-1, 4)
    assert set(np.unique(per_word.min(axis=1))) == {0.0, 2.0}  # some words gone, the rest scaled by 1 / (1 - 0.5)
    assert (per_word.min(axis=1) == per_word.max(axis=1)).all()  # never part of a word
    np.testing.assert_array_equal(np.asarray(layer(embedded, training=False)), embedded)
    assert "word_dropout" not in [layer.name for layer in builder(spec, embedding_dim=4, hidden=3).layers]
