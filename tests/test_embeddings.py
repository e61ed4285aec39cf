"""GloVe and word2vec providers on tiny files the tests write, and a frozen-then-fine-tuned recipe."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest

import zoo
from zoo.catalog.specs import Dataset, Split
from zoo.errors import ZooError
from zoo_plugins.text.data import TextSpec
from zoo_plugins.text.embeddings import glove, load_glove, word2vec

GLOVE = "the 0.1 0.2 0.3\nfilm 1 2 3\ngood -1.5 0.5 2e-1\nbad 0 0 -1\n"


def tiny_corpus(root: Path, copies: int) -> Path:
    """{train,test}/{pos,neg}/N.txt with "good" and "bad" reviews, each written ``copies`` times."""
    for split, label, text in [
        ("train", "pos", "good film"),
        ("train", "neg", "bad film"),
        ("test", "pos", "good"),
        ("test", "neg", "bad"),
    ] * copies:
        folder = root / split / label
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{len(list(folder.iterdir()))}.txt").write_text(text)
    return root


def dataset(vocabulary=(None, "the", "good", "zebra", "film", None), documents=None) -> Dataset:
    spec = TextSpec(
        name="t",
        task="binary",
        vocab_size=len(vocabulary),
        maxlen=4,
        vocabulary=list(vocabulary),
        classes=["neg", "pos"],
    )
    return Dataset(spec, {"train": Split(np.zeros((2, 4), "int32"), np.zeros(2))}, checksum="c", documents=documents)


@pytest.mark.parametrize("suffix", [".txt", ".txt.gz"])
def test_glove_rows_align_to_the_vocabulary(tmp_path, suffix):
    path = tmp_path / f"vectors{suffix}"
    (gzip.open if suffix.endswith(".gz") else open)(path, "wt").write(GLOVE)
    data = dataset()
    matrix = glove(data, path=str(path), dim=3).matrix(data.spec.vocabulary)
    np.testing.assert_allclose(matrix.weights[0], [0, 0, 0])  # padding
    np.testing.assert_allclose(matrix.weights[1], [0.1, 0.2, 0.3])  # the
    np.testing.assert_allclose(matrix.weights[2], [-1.5, 0.5, 0.2])  # good
    np.testing.assert_allclose(matrix.weights[4], [1, 2, 3])  # film
    assert (matrix.hits, matrix.misses) == (3, 2)  # zebra and the shared rare id have no vector
    assert matrix.weights.dtype == np.float32


def test_scale_multiplies_the_aligned_matrix_and_changes_its_checksum(tmp_path):
    path = tmp_path / "g.txt"
    path.write_text(GLOVE)
    data = dataset()
    plain = glove(data, path=str(path), dim=3).matrix(data.spec.vocabulary)
    third = glove(data, path=str(path), dim=3, scale=1 / 3).matrix(data.spec.vocabulary)
    np.testing.assert_allclose(third.weights, plain.weights / 3, rtol=1e-6)  # random rows for misses too
    assert third.checksum != plain.checksum


def test_glove_is_parsed_once_then_cached_and_a_changed_file_is_parsed_again(tmp_path, monkeypatch):
    from zoo_plugins.text import embeddings

    path = tmp_path / "g.txt"
    path.write_text(GLOVE)
    first = load_glove(path)
    monkeypatch.setattr(embeddings, "_parse_into", lambda *a: pytest.fail("parsed again"))
    second = load_glove(path)
    np.testing.assert_array_equal(first.vectors, second.vectors)
    assert isinstance(second.vectors, np.memmap)
    monkeypatch.undo()
    path.write_text(GLOVE.replace("film 1 2 3", "film 7 8 9"))
    os.utime(path, ns=(1, 1))
    assert load_glove(path).vectors[1].tolist() == [7, 8, 9]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("the 1 2 3\nfilm 1 two 3\n", r"g.txt:2: expected a word and 3 numbers, found '1 two 3'"),
        ("the 1 2 3\nfilm 1 2\n", r"g.txt:2: expected a word and 3 numbers, found '1 2'"),
        ("the 1 2 3\nlonely\n", r"g.txt:2: expected a word and its numbers"),
        ("the 1 2 3\nfilm 1 2 3 4\nbad 1 2\n", r"g.txt:2: expected a word and 3 numbers, found '1 2 3 4'"),
        ("the 1 2 3\nfilm 1 2 nan\n", r"g.txt:2: expected a word and 3 numbers, found '1 2 nan'"),
        ("", r"g.txt: no vectors \(the file is empty\)"),
    ],
)
def test_corrupt_glove_lines_name_their_line(tmp_path, text, message):
    path = tmp_path / "g.txt"
    path.write_text(text)
    with pytest.raises(ZooError, match=message):
        load_glove(path)
    assert not list((tmp_path / "home").rglob("glove-*"))  # no half-made cache left behind


def test_any_layout_block_size_and_gzip_members_parse_alike(tmp_path, monkeypatch):
    from zoo_plugins.text import embeddings

    monkeypatch.setattr(embeddings, "BLOCK", 7)  # blocks end mid-file, in every line
    monkeypatch.setattr(embeddings, "CHUNK", 12)
    canonical = tmp_path / "canonical.txt.gz"
    canonical.write_bytes(gzip.compress(GLOVE[:30].encode()) + gzip.compress(GLOVE[30:].encode()))  # two members
    loose = tmp_path / "loose.txt"
    loose.write_bytes(GLOVE.replace("film 1 2 3", "film  1\t2 3 ").replace("\n", "\r\n").encode())
    expected = [[0.1, 0.2, 0.3], [1, 2, 3], [-1.5, 0.5, 0.2], [0, 0, -1]]
    for path in (canonical, loose):
        vectors = load_glove(path)
        assert list(vectors.words) == ["the", "film", "good", "bad"]
        np.testing.assert_allclose(vectors.vectors, expected)


def test_a_truncated_gzip_and_a_dimension_mismatch(tmp_path):
    path = tmp_path / "g.txt.gz"
    path.write_bytes(gzip.compress(GLOVE.encode() * 50)[:40])
    with pytest.raises(ZooError, match=r"cannot read .*the file may be truncated"):
        load_glove(path)
    good = tmp_path / "good.txt"
    good.write_text(GLOVE)
    with pytest.raises(
        ZooError,
        match=r"embedding.dim is 50 but .*good.txt holds 3-dimensional vectors; "
        r"set embedding.dim=3 or give a 50d file",
    ):
        glove(dataset(), path=str(good), dim=50)


def test_glove_without_a_file_says_where_to_put_it(tmp_path):
    with pytest.raises(ZooError, match=r"GloVe 50d is not on this machine; put glove.6B.50d.txt"):
        glove(dataset(), dim=50)


def test_word2vec_loads_text_and_binary_files(tmp_path):
    from gensim.models import KeyedVectors

    keyed = KeyedVectors(vector_size=3)
    keyed.add_vectors(["the", "film"], np.array([[1, 2, 3], [4, 5, 6]], dtype="float32"))
    keyed.save_word2vec_format(str(tmp_path / "v.txt"))
    keyed.save_word2vec_format(str(tmp_path / "v.bin"), binary=True)
    keyed.save(str(tmp_path / "v.kv"))
    data = dataset()
    with pytest.raises(
        ZooError, match=r"v\.kv is a gensim KeyedVectors file, a pickle, and unpickling it could run code"
    ):
        word2vec(data, path=str(tmp_path / "v.kv"), dim=3)
    for name in ("v.txt", "v.bin", "v.kv"):
        matrix = word2vec(data, path=str(tmp_path / name), dim=3, trust_pickle=name == "v.kv").matrix(
            data.spec.vocabulary
        )
        np.testing.assert_allclose(matrix.weights[4], [4, 5, 6])
        assert (matrix.hits, matrix.misses) == (2, 3)
    with pytest.raises(ZooError, match=r"embedding\.dim is 8 but .* holds 3-dimensional vectors"):
        word2vec(data, path=str(tmp_path / "v.txt"), dim=8)


def test_word2vec_trains_on_the_datasets_own_text():
    documents = [["good", "film", "the", "good", "film"], ["bad", "film", "the", "bad", "plot"]] * 50
    data = dataset(documents=lambda: iter(documents))
    vectors = word2vec(data, dim=8, epochs=3, min_count=1)
    assert vectors.vectors.shape[1] == 8 and {"good", "film", "bad"} <= set(vectors.words)
    again = word2vec(data, dim=8, epochs=3, min_count=1)
    np.testing.assert_array_equal(vectors.vectors, again.vectors)  # seeded, one worker: reproducible
    with pytest.raises(ZooError, match=r"has no text to train word2vec on; give embedding\.path"):
        word2vec(dataset(), dim=8)


def test_frozen_then_fine_tuned_embedding_recipe(tmp_path, write_file):
    """The lesson's schedule through a recipe: GloVe frozen for a stage, then trained at a lower rate."""
    root = tiny_corpus(tmp_path / "corpus", copies=3)
    vectors = write_file("g.txt", "good 1 1 1 1\nbad -1 -1 -1 -1\nfilm 0 0 0 0\n")
    recipe = write_file(
        "r.yaml",
        f"""
        dataset: {{use: text-folder, path: {root}, vocab_size: 6, maxlen: 3}}
        embedding: {{use: glove, path: {vectors}, dim: 4}}
        model: {{use: text-cnn, filters: 2, hidden: 2}}
        train:
          batch_size: 2
          stages:
            - {{epochs: 1, freeze: [embedding]}}
            - {{epochs: 1, unfreeze: [embedding], learning_rate: 1.0e-4}}
    """,
    )
    run = zoo.train(config_files=(str(recipe),), out=str(tmp_path / "run"), verbose=0)
    model = run.load_model()
    weights = model.get_layer("embedding").get_weights()[0]
    vocabulary = run.read_json("spec.json")["vocabulary"]
    row = vocabulary.index("good")
    assert not np.allclose(weights[row], [1, 1, 1, 1])  # trained in the second stage
    assert np.allclose(weights[row], [1, 1, 1, 1], atol=0.01)  # ... only a little, at 1e-4
    meta = run.read_json("meta.json")
    assert meta["embedding"]["hits"] == 3 and meta["embedding"]["shape"] == [6, 4]


@pytest.mark.realdata
def test_real_glove_on_a_slice_of_the_raw_reviews():
    from zoo_plugins.text.data import imdb

    data_dir = Path(os.environ["ZOO_DATA_DIR"])
    reviews = imdb(path=str(data_dir / "imdb"), vocab_size=5000, maxlen=100)
    matrix = glove(reviews, path=str(data_dir / "glove" / "glove.6B.50d.txt.gz"), dim=50).matrix(
        reviews.spec.vocabulary
    )
    assert matrix.weights.shape == (5000, 50)
    assert matrix.hits > 4900  # nearly every frequent review word has a GloVe vector


ANALOGY = """king 0.9 0.9 0.1
queen 0.9 0.1 0.9
man 0.1 0.9 0.1
woman 0.1 0.1 0.9
film 0.5 0.5 0.5
movie 0.52 0.5 0.49
"""


def test_embed_neighbors_analogy_and_map(run_cli, tmp_path):
    vectors = tmp_path / "g.txt"
    vectors.write_text(ANALOGY)
    given = ["--set", f"path={vectors}", "--set", "dim=3"]
    out = run_cli("embed", "neighbors", "glove", "film", "--top", "1", *given).stdout
    assert out.split() == [out.split()[0], "movie"] and float(out.split()[0]) > 0.99
    assert (
        run_cli("embed", "analogy", "glove", "king", "-", "man", "+", "woman", "--top", "1", *given).stdout.split()[1]
        == "queen"
    )
    assert run_cli("embed", "neighbors", "glove", "zebra", *given, code=1).stderr == (
        "Error: 'zebra' has no vector here (6 words)\n"
    )
    png = tmp_path / "map.png"
    assert run_cli("embed", "map", "glove", "--method", "pca", "--out", str(png), *given).stdout == (
        f"drew the 6 words of frequency ranks 1 to 6 ('king' ... 'movie') by PCA\nsaved {png}\n"
    )  # too few words to skip any
    assert png.read_bytes()[:4] == b"\x89PNG"
    many = tmp_path / "many.txt"
    many.write_text("".join(f"w{i} {i % 7} {i % 5} {i % 3}\n" for i in range(150)))

    def map_many(*options: str) -> str:
        args = ["embed", "map", "glove", "--method", "pca", "--n", "30", *options, "--out", str(png)]
        return run_cli(*args, "--set", f"path={many}", "--set", "dim=3").stdout.splitlines()[0]

    assert map_many() == "drew the 30 words of frequency ranks 101 to 130 ('w100' ... 'w129') by PCA"
    assert map_many("--skip", "0") == "drew the 30 words of frequency ranks 1 to 30 ('w0' ... 'w29') by PCA"
    assert run_cli("embed", "neighbors", "glove", "film", "--set", "dimension=3", code=1).stderr == (
        "Error: --set dimension=3: embedding.dimension: unknown parameter of embedding 'glove' "
        "(parameters: path, dim, scale)\n"
    )


def test_embed_reads_a_trained_runs_embedding(run_cli, tmp_path):
    """The neighbours of a run's word are its embedding rows ranked by cosine similarity."""
    root = tmp_path / "corpus"
    words = ["good", "bad", "film", "plot", "acting", "music", "story", "ending", "scene", "actor"]
    for i in range(40):  # each review names three of the ten words, so that every word gets an id
        for split in ("train", "test"):
            folder = root / split / ("pos" if i % 2 else "neg")
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{i}.txt").write_text(" ".join(words[(i + k) % 10] for k in range(3)))
    run = zoo.train(
        "imdb-dense",
        out=str(tmp_path / "run"),
        verbose=0,
        dataset={"use": "text-folder", "path": str(root), "vocab_size": 12, "maxlen": 3, "validation": 0.0},
        model={"embedding_dim": 4, "hidden": 2},
        train={"early_stopping": None, "stages": [{"epochs": 1}]},
    )
    saved = zoo.load_run(run.path)
    vocabulary = saved.spec.vocabulary
    rows = {w: saved.model.get_layer("embedding").get_weights()[0][i] for i, w in enumerate(vocabulary) if w}
    assert set(rows) == set(words)
    unit = {w: v / np.linalg.norm(v) for w, v in rows.items()}
    expected = sorted(((float(unit["film"] @ unit[w]), w) for w in rows if w != "film"), reverse=True)[:3]
    out = run_cli("embed", "neighbors", str(run.path), "film", "--top", "3").stdout.splitlines()
    assert [line.split()[1] for line in out] == [w for _, w in expected]
    assert [float(line.split()[0]) for line in out] == pytest.approx([s for s, _ in expected], abs=1e-3)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("t.bin", None, r"t\.bin: cannot load word2vec vectors \(unexpected end of input"),
        ("g.txt", "two 3\nthe 1 2 3\n", r"g\.txt: cannot load word2vec vectors \(invalid literal for int"),
        ("h.txt", "2 3\nthe 1 2\nfilm 1 2 x\n", r"h\.txt: cannot load word2vec vectors \(could not broadcast"),
        ("e.txt", "", r"e\.txt: cannot load word2vec vectors \(not enough values to unpack"),
    ],
    ids=["truncated binary", "bad header", "short row", "empty"],
)
def test_a_damaged_word2vec_file_is_one_line(tmp_path, name, content, message):
    from gensim.models import KeyedVectors

    path = tmp_path / name
    if content is None:  # a binary file cut short
        keyed = KeyedVectors(vector_size=3)
        keyed.add_vectors(["the", "film"], np.array([[1, 2, 3], [4, 5, 6]], dtype="float32"))
        keyed.save_word2vec_format(str(tmp_path / "whole.bin"), binary=True)
        path.write_bytes((tmp_path / "whole.bin").read_bytes()[:-7])
    else:
        path.write_text(content)
    with pytest.raises(ZooError, match=message):
        word2vec(None, path=str(path), dim=3)
