"""The MovieLens adapter on tiny fixtures of all three GroupLens formats, and on the real data."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from zoo.errors import ZooError
from zoo_plugins.cf.movielens import movielens

# (user, movie, rating, timestamp); ids are sparse on purpose
RATINGS = [
    (1, 10, 4.0, 100),
    (1, 30, 3.5, 300),
    (1, 20, 5.0, 200),
    (7, 10, 2.0, 150),
    (7, 20, 1.0, 50),
    (9, 30, 4.5, 10),
    (9, 10, 3.0, 20),
    (12, 40, 2.5, 5),
]
TITLES = {10: "Toy Story (1995)", 20: "Heat, The (1995)", 30: "Amélie (2001)", 40: "Up (2009)"}


def write_latest_small(folder: Path) -> Path:
    folder.mkdir(parents=True)
    rows = "".join(f"{u},{m},{r},{t}\r\n" for u, m, r, t in RATINGS)
    (folder / "ratings.csv").write_bytes(("userId,movieId,rating,timestamp\r\n" + rows).encode())
    movies = "".join(f'{m},"{t}",Drama\r\n' for m, t in TITLES.items())
    (folder / "movies.csv").write_bytes(("movieId,title,genres\r\n" + movies).encode())
    return folder


def write_100k(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "u.data").write_text("".join(f"{u}\t{m}\t{int(r)}\t{t}\n" for u, m, r, t in RATINGS))
    items = "".join(f"{m}|{t}|01-Jan-1995||http://x|0|1\n" for m, t in TITLES.items())
    (folder / "u.item").write_bytes(items.encode("latin-1"))
    return folder


def write_1m(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "ratings.dat").write_text("".join(f"{u}::{m}::{int(r)}::{t}\n" for u, m, r, t in RATINGS))
    (folder / "movies.dat").write_bytes("".join(f"{m}::{t}::Drama\n" for m, t in TITLES.items()).encode("latin-1"))
    return folder


def zipped(folder: Path) -> Path:
    archive = folder.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w") as z:
        for file in folder.iterdir():
            z.write(file, f"{folder.name}/{file.name}")
    return archive


WRITERS = {"ml-latest-small": write_latest_small, "ml-100k": write_100k, "ml-1m": write_1m}


@pytest.mark.parametrize("release", WRITERS)
@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
def test_every_format_reads_the_same_ratings_and_titles(tmp_path, release, as_zip):
    folder = WRITERS[release](tmp_path / release)
    dataset = movielens(path=str(zipped(folder) if as_zip else folder), validation=0.25)
    spec = dataset.spec
    assert (spec.n_users, spec.n_items) == (4, 4)
    assert spec.user_ids == [1, 7, 9, 12] and spec.item_ids == [10, 20, 30, 40]
    assert spec.item_titles == ["Toy Story (1995)", "Heat, The (1995)", "Amélie (2001)", "Up (2009)"]
    # the id mapping round-trips: every (index) pair maps back to an original rating
    seen = set()
    for split in dataset.splits.values():
        for u, i, r in zip(split.x["user"], split.x["item"], split.y):
            seen.add((spec.user_ids[u], spec.item_ids[i], float(r)))
    expected = {(u, m, r if release == "ml-latest-small" else float(int(r))) for u, m, r, _ in RATINGS}
    assert seen == expected
    assert len(dataset.splits["validation"]) == 2


def test_random_split_is_reproducible_from_the_seed(tmp_path):
    folder = write_latest_small(tmp_path / "ml")
    first, again, other = (movielens(path=str(folder), seed=s, validation=0.5) for s in (0, 0, 1))
    np.testing.assert_array_equal(first.splits["validation"].y, again.splits["validation"].y)
    np.testing.assert_array_equal(first.splits["train"].x["user"], again.splits["train"].x["user"])
    assert not np.array_equal(first.splits["validation"].x["item"], other.splits["validation"].x["item"])


def test_latest_split_holds_out_each_users_latest_rating(tmp_path):
    dataset = movielens(path=str(write_latest_small(tmp_path / "ml")), split="latest", validation=0.25)
    spec, tested = dataset.spec, dataset.splits["test"]
    pairs = {(spec.user_ids[u], spec.item_ids[i]) for u, i in zip(tested.x["user"], tested.x["item"])}
    assert pairs == {(1, 30), (7, 10), (9, 10)}  # user 12 has one rating: it stays for training
    rest = len(RATINGS) - 3  # validation is a quarter of the rest, for early stopping; the test is apart
    assert (len(dataset.splits["train"]), len(dataset.splits["validation"])) == (
        rest - round(rest / 4),
        round(rest / 4),
    )


def test_item_rating_counts_come_from_the_training_split(tmp_path):
    dataset = movielens(path=str(write_latest_small(tmp_path / "ml")), split="random", validation=0.2, test=0.0)
    train = dataset.splits["train"]
    assert dataset.spec.item_rating_counts == np.bincount(train.x["item"], minlength=dataset.spec.n_items).tolist()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "userId,movieId,timestamp\r\n1,2,3\r\n",
            "ratings.csv: missing column 'rating' (header: userId,movieId,timestamp)",
        ),
        (
            "userId,movieId,rating,timestamp\r\n1,2,4.0,9\r\n1,3,good,9\r\n",
            "ratings.csv:3: rating 'good' is not a number",
        ),
        ("", "ratings.csv: no ratings (the file is empty)"),
        ("userId,movieId,rating,timestamp\r\n", "ratings.csv: no ratings (only a header)"),
        (
            "userId,movieId,rating,timestamp\r\n1,2,4.0,9\r\ngarbage\r\n",
            "ratings.csv:3: expected 4 fields (userId,movieId,rating,timestamp), found 1: 'garbage'",
        ),
        (
            "userId,movieId,rating,timestamp\r\n1,2,4.0,9\r\n1,3,nan,9\r\n",
            "ratings.csv:3: rating 'nan' is not a finite number",
        ),
        ("userId,movieId,rating,timestamp\r\n1,2,inf,9\r\n", "ratings.csv:2: rating 'inf' is not a finite number"),
    ],
)
def test_bad_ratings_files_get_one_clear_error(tmp_path, content, message):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "ratings.csv").write_text(content)
    with pytest.raises(ZooError) as info:
        movielens(path=str(folder))
    assert str(info.value).startswith(message)


def test_a_byte_that_is_not_utf8_is_named_by_line_and_column(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "ratings.csv").write_bytes(b"userId,movieId,rating,timestamp\r\n1,2,4.0,9\r\n1,\xff3,4.0,9\r\n")
    with pytest.raises(ZooError, match=r"^ratings.csv:3:3: byte 0xff is not UTF-8"):
        movielens(path=str(folder))


def test_a_corrupt_deflate_stream_is_reported(tmp_path):
    folder = write_latest_small(tmp_path / "ml")
    archive = tmp_path / "ml.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for file in folder.iterdir():
            z.write(file, f"ml/{file.name}")
    with zipfile.ZipFile(archive) as z:
        info = z.getinfo("ml/ratings.csv")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)  # the compressed bytes
    data = bytearray(archive.read_bytes())
    data[start : start + 8] = b"\xff" * 8  # an invalid deflate block type
    archive.write_bytes(bytes(data))
    with pytest.raises(ZooError, match=r"cannot read ratings.csv: .*invalid block type; the file may be truncated"):
        movielens(path=str(archive))


def test_a_short_line_and_a_truncated_zip_are_reported(tmp_path):
    folder = write_100k(tmp_path / "ml-100k")
    (folder / "u.data").write_text("1\t10\t4\t100\n2\t20\n")
    with pytest.raises(ZooError, match=r"^u.data:2: expected 4 fields, found 2"):
        movielens(path=str(folder))
    archive = zipped(write_1m(tmp_path / "ml-1m"))
    archive.write_bytes(archive.read_bytes()[:60])
    with pytest.raises(ZooError, match=r"not a readable zip .*download the official archive again"):
        movielens(path=str(archive))


def test_missing_data_says_where_to_put_it(tmp_path, monkeypatch):
    with pytest.raises(ZooError, match=r"dataset.path '.*nowhere' does not exist"):
        movielens(path=str(tmp_path / "nowhere"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ZooError, match=r"no MovieLens ratings found \(looked for ratings.csv, u.data or ratings.dat\)"):
        movielens(path=str(empty))


def test_the_data_home_is_used_when_no_path_is_given(tmp_path):
    write_100k(tmp_path / "home" / "movielens" / "ml-100k")
    assert movielens(release="ml-100k").spec.n_users == 4


@pytest.mark.realdata
def test_real_ml_latest_small_one_epoch(tmp_path):
    import zoo

    path = Path(os.environ["ZOO_DATA_DIR"]) / "movielens" / "ml-latest-small"
    dataset = movielens(path=str(path))
    assert (dataset.spec.n_users, dataset.spec.n_items) == (610, 9724)
    sizes = {name: len(split) for name, split in dataset.splits.items()}
    assert sizes == {"train": 70585, "validation": 20167, "test": 10084}  # 70/20/10 of 100,836
    run = zoo.train(
        "movielens-cf-best",
        out=str(tmp_path / "run"),
        verbose=0,
        dataset={"path": str(path)},
        train={"stages": [{"epochs": 1}]},
    )
    metrics = run.read_json("metrics.json")
    assert metrics["validation"]["mse"] < 1.0 and metrics["test"]["mse"] < 1.0


def test_kfold_test_folds_are_disjoint_and_cover_every_rating_and_validation_is_apart(tmp_path):
    folder = write_latest_small(tmp_path / "ml")
    folds = [movielens(path=str(folder), split="kfold", folds=4, fold=k) for k in range(4)]

    def pairs(split):
        return [(int(u), int(i)) for u, i in zip(split.x["user"], split.x["item"])]

    tested = [p for fold in folds for p in pairs(fold.splits["test"])]
    assert len(tested) == len(set(tested)) == len(RATINGS)
    for fold in folds:  # early stopping looks at validation, never at the fold it is scored on
        assert not set(pairs(fold.splits["validation"])) & set(pairs(fold.splits["test"]))
        assert len(pairs(fold.splits["train"])) + len(pairs(fold.splits["validation"])) + len(
            pairs(fold.splits["test"])
        ) == len(RATINGS)
    with pytest.raises(ValueError, match=r"kfold needs folds >= 2 and 0 <= fold < folds. Received: folds=4, fold=4"):
        movielens(path=str(folder), split="kfold", folds=4, fold=4)


def test_offline_without_a_local_copy_says_which_file_to_put_where(tmp_path, monkeypatch):
    import keras

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure: no network")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(ZooError) as info:
        movielens(release="ml-1m")
    assert str(info.value) == (
        "MovieLens ml-1m is not on this machine and could not be downloaded (URL fetch failure: no network); "
        "put ml-1m.zip (from https://files.grouplens.org/datasets/movielens/ml-1m.zip) or its unzipped folder in "
        f"{tmp_path / 'home' / 'movielens'}/, or set dataset.path"
    )


def test_the_random_split_keeps_a_test_part_that_nothing_chooses_on(tmp_path):
    folder = write_latest_small(tmp_path / "ml")
    three = movielens(path=str(folder), validation=0.3, test=0.3, seed=2)
    two = movielens(path=str(folder), validation=0.3, test=0.0, seed=2)
    assert set(three.splits) == {"train", "validation", "test"} and set(two.splits) == {"train", "validation"}

    def pairs(split):
        return {(int(u), int(i)) for u, i in zip(split.x["user"], split.x["item"])}

    parts = [pairs(three.splits[name]) for name in ("train", "validation", "test")]
    assert sum(map(len, parts)) == len(set().union(*parts)) == len(RATINGS)  # disjoint, everything used
    assert len(parts[2]) == round(len(RATINGS) * 0.3)
    with pytest.raises(ValueError, match="validation and test must be fractions that leave ratings to train on"):
        movielens(path=str(folder), validation=0.5, test=0.5)
