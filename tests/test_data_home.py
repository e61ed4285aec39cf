"""ZOO_DATA (a folder of datasets, possibly read-only) and ZOO_CACHE (what the zoo makes again)
live apart; one setting points every real-data recipe at a data folder."""

from __future__ import annotations

import tarfile
from pathlib import Path

from test_ngrams import write_corpus

from zoo.plugin import cache_home, data_home, find_data
from zoo_plugins.charlm.data import nietzsche
from zoo_plugins.text.data import imdb
from zoo_plugins.vision.data import synthetic_images


def _snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


def test_data_is_read_from_zoo_data_and_caches_go_to_zoo_cache(tmp_path, monkeypatch):
    data, cache = tmp_path / "data", tmp_path / "cache"
    (data / "text").mkdir(parents=True)
    (data / "text" / "nietzsche.txt").write_text("Supposing that truth is a woman. " * 40, encoding="utf-8")
    (data / "imdb").mkdir()
    reviews = write_corpus(tmp_path / "aclImdb", copies=2)
    with tarfile.open(data / "imdb" / "aclImdb_v1.tar.gz", "w:gz") as tar:
        tar.add(reviews, arcname="aclImdb")
    monkeypatch.setenv("ZOO_DATA", str(data))
    monkeypatch.setenv("ZOO_CACHE", str(cache))
    assert (data_home(), cache_home()) == (data, cache)
    before = _snapshot(data)

    corpus = nietzsche(seq_len=5, validation=0.1)  # found grouped by kind: text/nietzsche.txt
    assert corpus.source == str(data / "text" / "nietzsche.txt")
    reviews_dataset = imdb(vocab_size=30, maxlen=8)  # the raw reviews, tokenized once into the cache
    assert len(reviews_dataset.splits["train"]) > 0 and list((cache / "cache").glob("text-*.npz"))
    synthetic_images(image_size=8, per_class=1, validation=1)
    assert (cache / "synthetic-images").is_dir()
    assert _snapshot(data) == before  # nothing written where the data lies


def test_zoo_home_alone_is_both_as_before(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "home"))
    assert data_home() == cache_home() == tmp_path / "home"
    (tmp_path / "home" / "glove").mkdir(parents=True)
    (tmp_path / "home" / "glove" / "glove.6B.50d.txt.gz").write_bytes(b"")
    assert find_data("glove/glove.6B.50d.txt", "glove/glove.6B.50d.txt.gz") == (
        tmp_path / "home" / "glove" / "glove.6B.50d.txt.gz"
    )
    assert find_data("nothing") is None
