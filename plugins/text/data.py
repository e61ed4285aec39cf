"""Text classification datasets: the Keras IMDB files, the raw Stanford reviews, any text folder.

Every adapter prepares text as the lesson does: word ids are frequency ranks (1 = most frequent;
the Keras word index's ranks for ``imdb.npz``, training-set counts for raw text), ids of V - 1 and
above share the last id V - 1, and sequences are pre-padded and pre-truncated to ``maxlen`` with
``keras.utils.pad_sequences``. ``spec.vocabulary[i]`` is the word of id ``i`` (None for padding and
for the shared rare id), which is what embedding providers align to.

With ``ngrams=n`` a review becomes instead the set of its distinct 1- to n-word phrases (a bag of
n-grams, the input of the naive-Bayes and fastText families): ids rank n-grams by how many training
reviews hold them, rarer ones share id V - 1, and each bag is sorted by id and post-padded, so a bag
longer than ``maxlen`` loses its rarest n-grams.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import tarfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from zoo.plugin import Dataset, DatasetSpec, Split, ZooError, cache_home, data_home, find_data, progress

# The Keras tokenizer's separators (its default `filters`), so raw text splits as the Keras index did;
# the apostrophe is kept inside words ("don't", "movie's"), as there.
_SEPARATORS = re.compile(r"[\s!\"#$%&()*+,\-./:;<=>?@\[\\\]^_`{|}~]+")
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)


def tokenize(text: str) -> list[str]:
    """Lowercase, drop ``<br />``, split on whitespace and punctuation."""
    return [t for t in _SEPARATORS.split(_BREAK.sub(" ", text.lower())) if t]


@dataclass
class TextSpec(DatasetSpec):
    """Padded word-id sequences, or bags of n-gram ids. Inputs are int32 ``(n, maxlen)``; 0 is padding.

    Attributes:
        vocab_size: Ids run from 0 to vocab_size - 1; vocab_size - 1 is shared by rarer words.
        maxlen: Sequence length after padding and truncation.
        vocabulary: Word (or space-joined n-gram) of each id (None for 0 and for the shared rare id).
        classes: Class names; label i is classes[i].
        ngrams: None for word sequences; n for bags of the distinct 1- to n-grams of each text.
    """

    vocab_size: int = 2
    maxlen: int = 1
    vocabulary: list[str | None] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    ngrams: int | None = None

    @classmethod
    def example(cls) -> TextSpec:
        words = ["the", "good", "bad", "film"]
        return cls(
            name="example",
            task="binary",
            synthetic=True,
            vocab_size=6,
            maxlen=7,
            vocabulary=[None, *words, None],
            classes=["neg", "pos"],
        )

    def example_inputs(self, n: int, seed: int = 0) -> np.ndarray:
        return np.random.default_rng(seed).integers(0, self.vocab_size, (n, self.maxlen)).astype("int32")

    def example_raw_inputs(self, n: int, seed: int = 0) -> list[str]:
        """Texts of words from the vocabulary."""
        rng = np.random.default_rng(seed)
        words = [w for w in self.vocabulary if w] or ["film"]
        return [" ".join(rng.choice(words, 5)) for _ in range(n)]

    @functools.cached_property
    def _index(self) -> dict[str, int]:
        """Each word's id: built once (a server encodes every request; 2 ms at 20,000 words)."""
        return {w: i for i, w in enumerate(self.vocabulary) if w is not None}

    def encode_inputs(self, raw: Any) -> np.ndarray:
        """Texts (``zoo predict RUN "a fine film"``) -> padded id sequences, prepared as in training."""
        import keras

        texts = [raw] if isinstance(raw, str) else list(raw)
        if not all(isinstance(t, str) for t in texts):
            raise ZooError(f"expected texts to classify. Received: {raw!r}")
        index = self._index
        rare = self.vocab_size - 1
        if self.ngrams is None:
            ids = [[index.get(w, rare) for w in tokenize(t)] for t in texts]
            return keras.utils.pad_sequences(ids, maxlen=self.maxlen, dtype="int32")
        bags = [sorted({index.get(g, rare) for g in _phrases(tokenize(t), self.ngrams)}) for t in texts]
        return keras.utils.pad_sequences(bags, maxlen=self.maxlen, dtype="int32", padding="post", truncating="post")


def _phrases(tokens: list[str], n: int) -> Iterator[str]:
    """Every 1- to n-word phrase of ``tokens``, space-joined (the bag vocabulary's spelling)."""
    for size in range(1, n + 1):
        for start in range(len(tokens) - size + 1):
            yield " ".join(tokens[start : start + size])


@dataclass
class Corpus:
    """Tokenized documents per split, ids ranked by training-set frequency (before truncation)."""

    words: list[str]  # words[i - 1] has id i: training words by frequency, then words seen only unlabelled
    ids: dict[str, list[np.ndarray]]
    labels: dict[str, np.ndarray]
    classes: list[str]
    checksum: str
    unlabelled: list[np.ndarray] = field(default_factory=list)

    def documents(self) -> Iterator[list[str]]:
        """Training and unlabelled documents as words (words seen only in test have no name)."""
        named = len(self.words)
        for doc in [*self.ids["train"], *self.unlabelled]:
            yield [self.words[i - 1] for i in doc.tolist() if i <= named]


def bag_of_ngrams(corpus: Corpus, n: int, vocab_size: int) -> tuple[dict[str, list[np.ndarray]], list[str | None]]:
    """Each document's distinct 1- to n-grams as sorted ids (ranked by training document frequency,
    rarer ones sharing ``vocab_size - 1``), and the vocabulary spelling every kept n-gram."""
    base = len(corpus.words) + 2  # word ids run to len(words) + 1 (words seen only in test)
    if base**n >= 2**63:
        raise ValueError(
            f"ngrams={n} is too long for a vocabulary of {len(corpus.words):,} words (n-gram keys "
            f"would overflow 64 bits). Received: ngrams={n}"
        )

    def keys(doc: np.ndarray) -> np.ndarray:
        # An n-gram's key is its word ids as the digits of a base-`base` number; ids are never 0,
        # so keys of different lengths never collide.
        doc = doc.astype(np.int64)
        grams, key = [doc], doc
        for size in range(2, n + 1):
            key = key[:-1] * base + doc[size - 1 :]
            grams.append(key)
        return np.unique(np.concatenate(grams))

    with progress(f"listing the 1- to {n}-grams of each document", total=sum(map(len, corpus.ids.values()))) as advance:
        keyed = {}
        for split, docs in corpus.ids.items():
            keyed[split] = [keys(doc) for doc in docs]
            advance(len(docs))
    train_keys = np.concatenate(keyed["train"]) if keyed["train"] else np.zeros(0, np.int64)
    unique, document_frequency = np.unique(train_keys, return_counts=True)
    del train_keys
    kept = unique[np.argsort(-document_frequency, kind="stable")[: vocab_size - 2]]  # ties: the smaller key
    order = np.argsort(kept)
    sorted_kept, ids_of_sorted = kept[order], (order + 1).astype(np.int32)
    rare = vocab_size - 1

    def bags(docs: list[np.ndarray]) -> list[np.ndarray]:
        """Each document's ids, sorted, with the shared rare id (the largest) at most once: one
        lookup over the whole split, then a small sort per document."""
        if not docs:
            return []
        flat = np.concatenate(docs)
        ids = np.full(len(flat), rare, np.int32)
        if len(sorted_kept):
            at = np.minimum(np.searchsorted(sorted_kept, flat), len(sorted_kept) - 1)
            found = sorted_kept[at] == flat
            ids[found] = ids_of_sorted[at[found]]
        result = []
        for doc_ids in np.split(ids, np.cumsum([len(d) for d in docs])[:-1]):
            doc_ids.sort()
            result.append(doc_ids[: np.searchsorted(doc_ids, rare) + 1])
        return result

    # Spell each kept n-gram from its key's base-`base` digits, all keys at once.
    digits, rest = [], kept.copy()
    while rest.any():
        rest, digit = np.divmod(rest, base)
        digits.append(digit)
    names = np.array(["", *corpus.words], dtype=object)
    spelled = [" ".join(w for w in gram if w) for gram in zip(*(names[d] for d in reversed(digits)))]
    vocabulary: list[str | None] = [None, *spelled, None]
    vocabulary += [None] * (vocab_size - len(vocabulary))
    return {split: bags(keyed.pop(split)) for split in list(keyed)}, vocabulary  # each split's keys freed once bagged


def prepare(
    corpus: Corpus,
    *,
    name: str,
    vocab_size: int,
    maxlen: int,
    validation: float,
    seed: int,
    source: str,
    ngrams: int | None = None,
) -> Dataset[TextSpec]:
    """Truncate the vocabulary to ``vocab_size``, pad to ``maxlen``, hold out ``validation`` of train;
    with ``ngrams``, bags of n-gram ids instead of word sequences."""
    import keras

    if ngrams is not None and ngrams < 1:
        raise ValueError(f"ngrams must be at least 1 (or null for word sequences). Received: ngrams={ngrams}")
    if vocab_size < 3:
        raise ValueError(f"vocab_size must be at least 3. Received: vocab_size={vocab_size}")
    if maxlen < 1:
        raise ValueError(f"maxlen must be at least 1. Received: maxlen={maxlen}")
    if not 0 <= validation < 1:
        raise ValueError(f"validation must be in [0, 1). Received: validation={validation}")
    rare = vocab_size - 1
    ids, labels = corpus.ids, corpus.labels
    if ngrams is None:
        vocabulary = [None, *corpus.words[: rare - 1], None]
        vocabulary += [None] * (vocab_size - len(vocabulary))  # a corpus smaller than vocab_size
    else:
        ids, vocabulary = bag_of_ngrams(corpus, ngrams, vocab_size)
        cut = float(np.mean([len(bag) > maxlen for bag in ids["train"]]))
        if cut > 0.01:
            warnings.warn(
                f"{name}: {cut:.0%} of the training bags hold more than maxlen={maxlen} n-grams and lose "
                f"their rarest; raise dataset.maxlen to keep them",
                stacklevel=2,
            )

    def pad(sequences: list[np.ndarray]) -> np.ndarray:
        clipped = [np.minimum(s, rare) for s in sequences]  # rarer words share the last id
        if ngrams is not None:  # bags are sorted by id: truncation drops the rarest n-grams
            return keras.utils.pad_sequences(clipped, maxlen=maxlen, dtype="int32", padding="post", truncating="post")
        return keras.utils.pad_sequences(clipped, maxlen=maxlen, dtype="int32")  # pre-padding, as the lesson

    splits = {}
    train, y_train = ids["train"], labels["train"]
    if validation:  # split the documents, then pad each part: no second copy of the padded array
        order = np.random.default_rng(seed).permutation(len(y_train))
        cut = len(order) - round(len(order) * validation)
        splits["validation"] = Split(pad([train[i] for i in order[cut:]]), y_train[order[cut:]])
        train, y_train = [train[i] for i in order[:cut]], y_train[order[:cut]]
    splits = {"train": Split(pad(train), y_train), **splits}
    if "test" in ids:
        splits["test"] = Split(pad(ids["test"]), labels["test"])
    spec = TextSpec(
        name=name,
        task="binary" if len(corpus.classes) == 2 else "multiclass",
        vocab_size=vocab_size,
        maxlen=maxlen,
        vocabulary=vocabulary,
        classes=corpus.classes,
        ngrams=ngrams,
    )
    return Dataset(spec, splits, checksum=corpus.checksum, source=source, documents=corpus.documents)


# -- raw text: a folder or a .tar.gz with {train,test}/{class}/*.txt ------------------------------


def _documents(path: Path) -> Iterator[tuple[str, str, str, bytes]]:
    """(split, class, file name, text bytes) of every ``split/class/name.txt``, from a folder or a tar.gz."""
    pattern = re.compile(r"(?:^|/)(train|test)/([^/]+)/[^/]+\.txt$")
    if path.is_dir():
        for file in sorted(path.rglob("*.txt")):
            match = pattern.search(file.relative_to(path).as_posix())
            if match:
                yield match.group(1), match.group(2), str(file), file.read_bytes()
        return
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:  # one sequential pass: random access into a .tar.gz is slow
                match = pattern.search(member.name) if member.isfile() else None
                if match:
                    raw = archive.extractfile(member).read()  # type: ignore[union-attr]
                    yield match.group(1), match.group(2), f"{path}:{member.name}", raw
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ZooError(f"{path}: cannot read the archive ({exc}); it may be truncated: download it again") from None


def _decode(raw: bytes, name: str) -> str:
    """UTF-8, strictly: a wrong encoding is named, never turned silently into other words."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ZooError(
            f"{name}: byte 0x{raw[exc.start]:02x} at offset {exc.start} is not UTF-8; "
            f"save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)"
        ) from None


def _identity(path: Path) -> str:
    """Path, size and modification time (of every text file in a folder): a changed source gets a
    new cache entry."""
    files = sorted(path.rglob("*.txt")) if path.is_dir() else [path]
    digest = hashlib.sha256(str(path.resolve()).encode())
    for file in files:
        stat = file.stat()
        digest.update(f"|{file.relative_to(path) if file != path else ''}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:20]


def read_corpus(path: Path, unlabelled: tuple[str, ...] = ("unsup",)) -> Corpus:
    """Tokenize every document once (``unlabelled`` class folders kept apart, for word2vec); cached in
    the data home, keyed by the source's identity."""
    cache = cache_home() / "cache" / f"text-{_identity(path)}.npz"
    if cache.exists():
        with np.load(cache, allow_pickle=False) as saved:
            meta = json.loads(str(saved["meta"]))
            by_split = {s: np.split(saved[f"{s}_ids"], saved[f"{s}_offsets"]) for s in meta["splits"]}
            unlabelled_ids = by_split.pop("unlabelled", [])
            labels = {s: saved[f"{s}_labels"] for s in by_split}
            return Corpus(meta["words"], by_split, labels, meta["classes"], meta["checksum"], unlabelled_ids)
    # Each document is kept as ids in order of first sight (not as lists of strings: 100,000
    # reviews of Python strings take gigabytes); the ids are re-ranked by frequency at the end.
    seen: dict[str, int] = {}
    docs: dict[str, list[np.ndarray]] = {}
    names: dict[str, list[str]] = {}
    digest = hashlib.sha256()
    free: list[np.ndarray] = []
    with progress(f"reading and tokenizing {path.name}") as advance:
        for split, label, name, raw in _documents(path):
            digest.update(raw)
            tokens = tokenize(_decode(raw, name))
            doc = np.fromiter((seen.setdefault(w, len(seen)) for w in tokens), dtype=np.int32, count=len(tokens))
            advance(1)
            if label in unlabelled:
                free.append(doc)
                continue
            docs.setdefault(split, []).append(doc)
            names.setdefault(split, []).append(label)
    if "train" not in docs:
        raise ZooError(
            f"{path}: no train/<class>/*.txt documents found; expected train/ and test/ folders "
            f"with one sub-folder of .txt files per class"
        )
    classes = sorted(set(names["train"]))
    if len(classes) < 2:
        raise ZooError(f"{path}: train/ has one class ({classes[0]!r}); a classifier needs at least two class folders")
    unknown = sorted(set(names.get("test", [])) - set(classes))
    if unknown:
        raise ZooError(f"{path}: test classes {unknown} have no training documents")
    spelled = list(seen)  # first-sight id -> word
    in_train = _counts(docs["train"], len(spelled))
    only_unlabelled = np.where(in_train == 0, _counts(free, len(spelled)), 0)
    # Training words by frequency, then words seen only unlabelled (named for word2vec; past any
    # vocabulary a classifier keeps); ties alphabetically. Words seen only in test are the rarest.
    words = _by_frequency(spelled, in_train) + _by_frequency(spelled, only_unlabelled)
    rank = np.full(len(spelled), len(words) + 1, dtype=np.int32)
    rank[[seen[w] for w in words]] = np.arange(1, len(words) + 1, dtype=np.int32)
    ids = {s: [rank[doc] for doc in split_docs] for s, split_docs in docs.items()}
    labels = {s: np.array([classes.index(c) for c in names[s]], dtype="int32") for s in docs}
    corpus = Corpus(words, ids, labels, classes, digest.hexdigest(), [rank[doc] for doc in free])
    _save_corpus(cache, corpus)
    return corpus


def _counts(docs: list[np.ndarray], size: int) -> np.ndarray:
    """How often each id occurs in ``docs``."""
    return np.bincount(np.concatenate(docs), minlength=size) if docs else np.zeros(size, np.int64)


def _by_frequency(spelled: list[str], counts: np.ndarray) -> list[str]:
    """The words that occur, most frequent first, ties alphabetically."""
    return [spelled[i] for i in sorted(np.flatnonzero(counts).tolist(), key=lambda i: (-counts[i], spelled[i]))]


def _save_corpus(cache: Path, corpus: Corpus) -> None:
    from zoo.plugin import atomic_path

    sequences_by_split = {**corpus.ids, "unlabelled": corpus.unlabelled}
    arrays: dict[str, Any] = {
        "meta": json.dumps(
            {
                "words": corpus.words,
                "classes": corpus.classes,
                "checksum": corpus.checksum,
                "splits": list(sequences_by_split),
            }
        )
    }
    for split, sequences in sequences_by_split.items():
        arrays[f"{split}_ids"] = np.concatenate(sequences) if sequences else np.zeros(0, "int32")
        arrays[f"{split}_offsets"] = np.cumsum([len(s) for s in sequences])[:-1]
        if split in corpus.labels:
            arrays[f"{split}_labels"] = corpus.labels[split]
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(cache) as tmp:
            np.savez(tmp, **arrays)
    except OSError:
        pass  # the cache only saves time; without it the corpus is read again next time


def text_folder(
    *,
    path: str,
    vocab_size: int = 5000,
    maxlen: int = 500,
    validation: float = 0.0,
    seed: int = 0,
    ngrams: int | None = None,
) -> Dataset[TextSpec]:
    """Any labelled text corpus laid out as ``{train,test}/<class>/*.txt``, in a folder or a .tar.gz.

    Args:
        path: The folder (or .tar.gz) holding train/ and test/.
        vocab_size: Word ids kept; rarer words share id vocab_size - 1.
        maxlen: Sequence length (pre-padded and pre-truncated).
        validation: Fraction of train held out for validation (seeded).
        seed: Seeds the validation split.
        ngrams: Null for word sequences; n for each text's distinct 1- to n-grams (a bag).
    """
    source = Path(path).expanduser()
    if not source.exists():
        raise ZooError(f"dataset.path {path!r} does not exist; give a folder or .tar.gz with train/ and test/")
    return prepare(
        read_corpus(source),
        name="text-folder",
        vocab_size=vocab_size,
        maxlen=maxlen,
        validation=validation,
        seed=seed,
        source=str(source),
        ngrams=ngrams,
    )


# -- IMDB -------------------------------------------------------------------------------------------

KERAS_FILES = {
    "imdb.npz": (
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz",
        "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
    ),
    "imdb_word_index.json": (
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb_word_index.json",
        "027313fe9a320280f3bf0fac5baf58c4a683cf39a7ed9c3d3d3912bde4284cf6",
    ),
}
RAW_NAMES = ("aclImdb_v1.tar.gz", "aclImdb")


def _keras_imdb(folder: Path, trust_pickle: bool = False) -> Corpus:
    """``imdb.npz`` (ids are word-index ranks) and the word index, as the lesson reads them.

    The Keras file stores its ragged lists as pickled object arrays, and unpickling runs whatever
    code a file names: only the file with Keras's pinned checksum is unpickled, or another one the
    recipe says it trusts (``trust_pickle``).
    """
    npz, index_file = folder / "imdb.npz", folder / "imdb_word_index.json"
    if not index_file.exists():
        raise ZooError(f"{folder}: imdb.npz needs imdb_word_index.json beside it")
    checksum = hashlib.sha256(npz.read_bytes()).hexdigest()
    pickled = trust_pickle or checksum == KERAS_FILES["imdb.npz"][1]
    try:
        with np.load(npz, allow_pickle=pickled) as f:
            ids = {
                "train": [np.asarray(s, "int32") for s in f["x_train"]],
                "test": [np.asarray(s, "int32") for s in f["x_test"]],
            }
            labels = {"train": np.asarray(f["y_train"], "int32"), "test": np.asarray(f["y_test"], "int32")}
        index = json.loads(index_file.read_text(encoding="utf-8"))
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise ZooError(
                f"{npz} holds pickled Python objects and is not Keras's imdb.npz (sha256 {checksum[:12]}...); "
                f"unpickling it could run code: use the file from {KERAS_FILES['imdb.npz'][0]}, or set "
                f"dataset.trust_pickle: true if you trust this one"
            ) from None
        raise ZooError(f"{npz}: cannot read the Keras IMDB files ({exc}); download them again") from None
    except (OSError, KeyError, EOFError) as exc:
        raise ZooError(f"{npz}: cannot read the Keras IMDB files ({exc}); download them again") from None
    words = [w for w, _ in sorted(index.items(), key=lambda item: item[1])]
    return Corpus(words, ids, labels, ["neg", "pos"], checksum)


def locate_imdb(path: str | None) -> Path:
    """A folder with imdb.npz, or the raw reviews (folder or tar.gz); else the data home; else download."""
    if path:
        given = Path(path).expanduser()
        if given.exists():
            return given
        raise ZooError(
            f"dataset.path {path!r} does not exist; give a folder with imdb.npz and "
            f"imdb_word_index.json, or the aclImdb folder or aclImdb_v1.tar.gz"
        )
    found = find_data("imdb")
    if found is not None:
        return found
    import keras

    home = data_home() / "imdb"
    try:
        for name, (url, sha256) in KERAS_FILES.items():
            keras.utils.get_file(name, url, file_hash=sha256, cache_dir=str(cache_home()), cache_subdir="imdb")
    except Exception as exc:  # offline, or a checksum mismatch
        raise ZooError(
            f"IMDB is not on this machine and could not be downloaded ({exc}); put imdb.npz and "
            f"imdb_word_index.json (from {KERAS_FILES['imdb.npz'][0].rsplit('/', 1)[0]}/), or "
            f"aclImdb_v1.tar.gz, in {home}/, or set dataset.path"
        ) from None
    return cache_home() / "imdb"


def imdb(
    *,
    path: str | None = None,
    vocab_size: int = 5000,
    maxlen: int = 500,
    validation: float = 0.0,
    seed: int = 0,
    ngrams: int | None = None,
    trust_pickle: bool = False,
) -> Dataset[TextSpec]:
    """IMDB movie reviews, positive or negative: 25,000 to train and 25,000 to test.

    Reads the Keras files (``imdb.npz`` + ``imdb_word_index.json``) when present, else the raw
    Stanford reviews (``aclImdb_v1.tar.gz`` or the ``aclImdb`` folder), tokenized like the Keras
    index and ranked by training-set frequency.

    Args:
        path: A folder holding the Keras files or the raw archive, the archive itself, or the
            aclImdb folder.
        vocab_size: Word ids kept (the lesson's 5000); rarer words share id vocab_size - 1.
        maxlen: Review length in words (pre-padded and pre-truncated, the lesson's 500).
        validation: Fraction of the training reviews held out for validation (seeded).
        seed: Seeds the validation split.
        ngrams: Null for word sequences (the lesson's); n for each review's distinct 1- to n-grams,
            a bag whose ids rank n-grams by how many training reviews hold them.
        trust_pickle: Unpickle an ``imdb.npz`` that is not Keras's own (checked by its pinned
            sha256): only for a file you trust, since unpickling can run any code.
    """
    source = locate_imdb(path)
    if source.is_dir() and (source / "imdb.npz").exists():
        corpus = _keras_imdb(source, trust_pickle)
    else:
        raw = next((source / n for n in RAW_NAMES if (source / n).exists()), source) if source.is_dir() else source
        if raw.is_dir() and not (raw / "train").exists():
            raise ZooError(
                f"{source}: no IMDB data found; expected imdb.npz + imdb_word_index.json, "
                f"aclImdb_v1.tar.gz, or an aclImdb folder"
            )
        corpus = read_corpus(raw)
        source = raw
    return prepare(
        corpus,
        name="imdb",
        vocab_size=vocab_size,
        maxlen=maxlen,
        validation=validation,
        seed=seed,
        source=str(source),
        ngrams=ngrams,
    )
