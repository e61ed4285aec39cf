"""MovieLens ratings (GroupLens): ml-latest-small, ml-100k and ml-1m, from a folder or the official zip.

The format is told from the files: ``ratings.csv`` + ``movies.csv`` (ml-latest-small, CRLF),
``u.data`` + ``u.item`` (ml-100k, tab and pipe separated, latin-1), ``ratings.dat`` + ``movies.dat``
(ml-1m, ``::`` separated, latin-1). Ids are mapped to contiguous indices; the spec keeps the
original ids and titles so every report and prediction speaks in them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from zoo.plugin import Dataset, Split, ZooError, brief, cache_home, data_home, find_data
from zoo_plugins.cf.data import RatingsSpec, kfold_indices, split_indices

#: The official archives: (url, sha256). Downloaded only when no local copy exists.
RELEASES = {
    "ml-latest-small": (
        "https://files.grouplens.org/datasets/movielens/ml-latest-small.zip",
        "696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436",
    ),
    "ml-100k": (
        "https://files.grouplens.org/datasets/movielens/ml-100k.zip",
        "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
    ),
    "ml-1m": (
        "https://files.grouplens.org/datasets/movielens/ml-1m.zip",
        "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
    ),
}


@dataclass
class Ratings:
    """Raw ratings in the dataset's own ids, one entry per rating."""

    users: np.ndarray
    items: np.ndarray
    ratings: np.ndarray
    timestamps: np.ndarray
    titles: dict[int, str]
    checksum: str


class _Files:
    """Read members by base name from a folder or a zip, whatever folder they sit in."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_dir():
            self.names: dict[str, str] = {p.name: str(p) for p in path.rglob("*") if p.is_file()}
            self.zip = None
        else:
            try:
                self.zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise ZooError(f"{path}: not a readable zip ({exc}); download the official archive again") from None
            self.names = {Path(n).name: n for n in self.zip.namelist() if not n.endswith("/")}

    def has(self, *names: str) -> bool:
        return all(n in self.names for n in names)

    def read(self, name: str) -> bytes:
        try:
            if self.zip is not None:
                return self.zip.read(self.names[name])
            return Path(self.names[name]).read_bytes()
        except (OSError, zipfile.BadZipFile, EOFError, zlib.error) as exc:  # a truncated or corrupt zip
            raise ZooError(f"{self.path}: cannot read {name}: {exc}; the file may be truncated") from None


def _rows(text: str, name: str, separator: str, columns: int) -> list[list[str]]:
    if separator == ",":
        rows = list(csv.reader(io.StringIO(text)))
    else:
        rows = [line.split(separator) for line in text.splitlines() if line.strip()]
    if not rows:
        raise ZooError(f"{name}: no ratings (the file is empty)")
    for number, row in enumerate(rows, 1):
        if len(row) < columns:
            raise ZooError(f"{name}:{number}: expected {columns} fields, found {len(row)}: {separator.join(row)!r}")
    return rows


def _decode(raw: bytes, name: str, encoding: str) -> str:
    """The text of a ratings file; a byte that is not ``encoding`` is named by line and column."""
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ZooError(
            f"{name}:{line}:{column}: byte 0x{raw[exc.start]:02x} is not {encoding.upper()}; "
            f"the file is damaged or not MovieLens's: download it again"
        ) from None


COLUMNS = ("user", "item", "rating", "timestamp")


def _numbers(rows: list[list[str]], name: str, first_line: int) -> np.ndarray:
    """``rows`` (user, item, rating, timestamp) as float64, naming the first bad value's line: not a
    number, or not finite (a NaN rating would train to a NaN loss)."""
    try:
        values = np.array([[float(v) for v in row[:4]] for row in rows], dtype="float64")
        if np.isfinite(values).all():
            return values
    except ValueError:
        pass
    for number, row in enumerate(rows, first_line):  # the slow way, only to name the bad value
        for column, value in zip(COLUMNS, row[:4]):
            try:
                finite = np.isfinite(float(value))
            except ValueError:
                raise ZooError(f"{name}:{number}: {column} {brief(value)} is not a number") from None
            if not finite:
                raise ZooError(f"{name}:{number}: {column} {brief(value)} is not a finite number")
    raise AssertionError("unreachable: some value was bad")


def _ratings_csv(files: _Files) -> tuple[np.ndarray, dict[int, str], bytes]:
    raw = files.read("ratings.csv")
    rows = _rows(_decode(raw, "ratings.csv", "utf-8"), "ratings.csv", ",", 1)
    header, body = rows[0], rows[1:]
    wanted = ["userId", "movieId", "rating", "timestamp"]
    missing = [c for c in wanted if c not in header]
    if missing:
        raise ZooError(
            f"ratings.csv: missing column {missing[0]!r} (header: {','.join(header)}); expected {','.join(wanted)}"
        )
    order = [header.index(c) for c in wanted]
    if not body:
        raise ZooError("ratings.csv: no ratings (only a header)")
    short = next((number for number, row in enumerate(body, 2) if len(row) < len(header)), None)
    if short is not None:
        found = body[short - 2]
        raise ZooError(
            f"ratings.csv:{short}: expected {len(header)} fields ({','.join(header)}), found "
            f"{len(found)}: {brief(','.join(found))}"
        )
    values = _numbers([[row[i] for i in order] for row in body], "ratings.csv", 2)
    titles = {}
    if files.has("movies.csv"):
        movies = list(csv.DictReader(io.StringIO(files.read("movies.csv").decode("utf-8"))))
        titles = {int(m["movieId"]): m["title"] for m in movies if m.get("movieId", "").isdigit()}
    return values, titles, raw


def _ratings_separated(
    files: _Files, ratings: str, movies: str, separator: str
) -> tuple[np.ndarray, dict[int, str], bytes]:
    raw = files.read(ratings)
    values = _numbers(_rows(_decode(raw, ratings, "latin-1"), ratings, separator, 4), ratings, 1)
    titles = {}
    if files.has(movies):
        title_separator = "|" if movies == "u.item" else "::"
        for line in files.read(movies).decode("latin-1").splitlines():
            fields = line.split(title_separator)
            if len(fields) > 1 and fields[0].isdigit():
                titles[int(fields[0])] = fields[1]
    return values, titles, raw


def read_ratings(path: Path) -> Ratings:
    """Read any of the three GroupLens formats from a folder or zip."""
    files = _Files(path)
    if files.has("ratings.csv"):
        values, titles, raw = _ratings_csv(files)
    elif files.has("u.data"):
        values, titles, raw = _ratings_separated(files, "u.data", "u.item", "\t")
    elif files.has("ratings.dat"):
        values, titles, raw = _ratings_separated(files, "ratings.dat", "movies.dat", "::")
    else:
        raise ZooError(f"{path}: no MovieLens ratings found (looked for ratings.csv, u.data or ratings.dat)")
    return Ratings(
        values[:, 0].astype("int64"),
        values[:, 1].astype("int64"),
        values[:, 2].astype("float32"),
        values[:, 3].astype("int64"),
        titles,
        hashlib.sha256(raw).hexdigest(),
    )


def locate(release: str, path: str | None) -> Path:
    """``path``; else the data home's folder or zip; else the official zip, downloaded and checked."""
    if path is not None:
        given = Path(path).expanduser()
        if not given.exists():
            raise ZooError(f"dataset.path {path!r} does not exist; give a MovieLens folder or zip")
        return given
    found = find_data(f"movielens/{release}", f"movielens/{release}.zip")
    if found is not None:
        return found
    home = data_home() / "movielens"
    url, sha256 = RELEASES[release]
    import keras

    try:
        return Path(
            keras.utils.get_file(
                f"{release}.zip", url, file_hash=sha256, cache_dir=str(cache_home()), cache_subdir="movielens"
            )
        )
    except Exception as exc:  # offline, or the download failed its checksum
        raise ZooError(
            f"MovieLens {release} is not on this machine and could not be downloaded ({exc}); "
            f"put {release}.zip (from {url}) or its unzipped folder in {home}/, "
            f"or set dataset.path"
        ) from None


def latest_per_user(users: np.ndarray, timestamps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation indices: each user's latest rating is held out, for users with two or
    more (``users`` are contiguous indices; ties in time keep file order)."""
    order = np.lexsort((timestamps, users))  # by user, then time; lexsort is stable
    by_user = users[order]
    is_latest = np.append(by_user[1:] != by_user[:-1], True)
    has_two = np.bincount(users)[by_user] >= 2
    held_out = np.sort(order[is_latest & has_two])
    return np.setdiff1d(np.arange(len(users)), held_out), held_out


def movielens(
    *,
    release: Literal["ml-latest-small", "ml-100k", "ml-1m"] = "ml-latest-small",
    path: str | None = None,
    split: Literal["random", "latest", "kfold"] = "random",
    validation: float = 0.2,
    test: float = 0.1,
    folds: int = 5,
    fold: int = 0,
    seed: int = 0,
) -> Dataset[RatingsSpec]:
    """MovieLens ratings from GroupLens: user and movie ids mapped to contiguous indices.

    Args:
        release: Which release to look for in the data home or download when no path is
            given. With a path, the format is told from the files.
        path: A MovieLens folder or the official zip.
        split: ``random`` (seeded, the lesson's), ``latest`` (each user's latest rating is
            the test split, by timestamp) or ``kfold`` (fold ``fold`` of ``folds`` is the test split,
            for cross-validation).
        validation: Fraction of the ratings held out for validation: early stopping and every
            choice look at it (with ``latest`` and ``kfold``, a fraction of what remains for training).
        test: Fraction of the ratings the random split keeps apart for the report, which nothing
            chooses on (0 for the lesson's two-way split, where validation figures are reported).
        folds: Number of folds of the kfold split.
        fold: Which fold the kfold split holds out (0 to folds - 1).
        seed: Seeds the random and kfold splits.
    """
    if not (0 < validation < 1 and 0 <= test < 1 and validation + test < 1):
        raise ValueError(
            f"validation and test must be fractions that leave ratings to train on. "
            f"Received: validation={validation}, test={test}"
        )
    if split == "kfold" and not (folds >= 2 and 0 <= fold < folds):
        raise ValueError(f"kfold needs folds >= 2 and 0 <= fold < folds. Received: folds={folds}, fold={fold}")
    source = locate(release, path)
    raw = read_ratings(source)
    user_ids, users = np.unique(raw.users, return_inverse=True)
    item_ids, items = np.unique(raw.items, return_inverse=True)
    if split == "random":
        train, held_out, *tested = split_indices(len(raw.ratings), validation, seed, test)
    else:  # the fold or the latest ratings are the test split; validation comes out of the rest
        rest, test_part = (
            kfold_indices(len(raw.ratings), folds, fold, seed)
            if split == "kfold"
            else latest_per_user(users, raw.timestamps)
        )
        train_part, held_part = split_indices(len(rest), validation, seed)
        train, held_out, tested = rest[train_part], rest[held_part], [test_part]

    def part(index: np.ndarray) -> Split:
        return Split({"user": users[index].astype("int32"), "item": items[index].astype("int32")}, raw.ratings[index])

    spec = RatingsSpec(
        name="movielens",
        task="regression",
        n_users=len(user_ids),
        n_items=len(item_ids),
        rating_min=float(raw.ratings.min()),
        rating_max=float(raw.ratings.max()),
        user_ids=user_ids.tolist(),
        item_ids=item_ids.tolist(),
        item_titles=[raw.titles.get(int(i), f"movie {i}") for i in item_ids],
        item_rating_counts=np.bincount(items[train], minlength=len(item_ids)).tolist(),
    )
    splits = {"train": part(train), "validation": part(held_out)}
    if tested:
        splits["test"] = part(tested[0])
    return Dataset(spec, splits, checksum=raw.checksum, source=str(source))
