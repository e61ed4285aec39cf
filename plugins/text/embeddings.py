"""Embedding providers: GloVe text files, word2vec through gensim, and naive-Bayes ratios.

GloVe files are parsed once into a cache in the data home (``vectors.f32`` rows, memory-mapped, and
``words.txt``), keyed by the file's path, size and modification time: the second load only maps
the file, and a changed file is parsed again. Parsing streams the file in chunks and writes rows
straight to the cache, so memory never holds the whole text.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import warnings
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import BinaryIO

import numpy as np

from zoo.plugin import (
    Dataset,
    EmbeddingMatrix,
    Vectors,
    ZooError,
    atomic_path,
    cache_home,
    data_home,
    find_data,
    progress,
    sha256_of,
)

CHUNK = 1 << 24  # bytes read at a time
BLOCK = 1 << 20  # bytes of text parsed at a time


def _cache_dir(path: Path) -> Path:
    stat = path.stat()
    key = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:20]
    return cache_home() / "cache" / f"glove-{key}"


def _inflate(f: BinaryIO) -> Iterator[bytes]:
    """A gzip file's bytes, inflated by one zlib call per CHUNK / 4 read: each call releases the GIL
    for its whole length, which ``gzip.open``'s small reads do not. zlib checks each member's CRC."""
    inflater, inside_member = zlib.decompressobj(wbits=31), False
    while compressed := f.read(CHUNK // 4):
        while compressed:
            inside_member = True
            if inflated := inflater.decompress(compressed):
                yield inflated
            compressed = b""
            if inflater.eof:  # a multi-member file: the next member starts in the unused data
                compressed, inflater, inside_member = inflater.unused_data, zlib.decompressobj(wbits=31), False
    if inside_member:
        raise EOFError("the gzip stream ends before its end marker")


def _chunks(path: Path) -> Iterator[bytes]:
    """The file's bytes (decompressed), in pieces; the next piece is made in a second thread while
    the caller parses this one (zlib releases the GIL, so the two overlap)."""
    with open(path, "rb") as f, ThreadPoolExecutor(max_workers=1) as reader:
        pieces = _inflate(f) if path.suffix == ".gz" else iter(lambda: f.read(CHUNK), b"")
        pending = reader.submit(next, pieces, b"")
        while chunk := pending.result():
            pending = reader.submit(next, pieces, b"")
            yield chunk


def _blocks(path: Path) -> Iterator[tuple[int, bytes]]:
    """(number of the first line, whole lines) in blocks of about BLOCK bytes. Blocks are small so
    that parsing one (which holds the GIL) never keeps the inflating thread waiting long."""
    number, tail = 1, b""
    try:
        for chunk in _chunks(path):
            text, start = tail + chunk, 0
            while True:
                limit = start + BLOCK
                cut = text.find(b"\n", limit) if len(text) > limit else text.rfind(b"\n")
                if cut < start:  # no whole line left: the rest waits for the next chunk
                    break
                yield number, text[start:cut]
                number += text.count(b"\n", start, cut + 1)
                start = cut + 1
            tail = text[start:]
    except (OSError, EOFError, zlib.error) as exc:
        raise ZooError(f"{path}: cannot read ({exc}); the file may be truncated: download it again") from None
    if tail.strip():
        yield number, tail


def _bad_line(path: Path, first: int, rests: list[bytes], dim: int) -> ZooError:
    """The first line of a chunk that is not a word and ``dim`` numbers (the slow path, for errors)."""
    for offset, rest in enumerate(rests):
        fields = rest.split()
        try:
            ok = len(fields) == dim and all(np.isfinite(float(v)) for v in fields)
        except ValueError:
            ok = False
        if not ok:
            return ZooError(
                f"{path}:{first + offset}: expected a word and {dim} numbers, "
                f"found {rest[:60].decode('utf-8', 'replace')!r}..."
            )
    return ZooError(f"{path}: unreadable vectors near line {first}")


def _canonical_rows(block: bytes, lines: list[bytes], dim: int) -> np.ndarray | None:
    """The numbers of a block of ``lines`` if each is a word and ``dim`` finite numbers separated by
    single spaces (GloVe's own layout), read by numpy's C reader; None for anything else."""
    if b"\r" in block or any(line.count(b" ") != dim for line in lines):
        return None
    try:  # latin-1 decodes any byte: the words are not read here
        values = np.loadtxt(
            io.BytesIO(block),
            dtype=np.float32,
            delimiter=" ",
            usecols=range(1, dim + 1),
            comments=None,
            quotechar=None,
            encoding="latin-1",
            ndmin=2,
        )
    except ValueError:
        return None
    return values if values.shape == (len(lines), dim) and np.isfinite(values).all() else None


def _tolerant_rows(path: Path, first: int, lines: list[bytes], dim: int) -> tuple[list[bytes], np.ndarray]:
    """Words and numbers of lines in any whitespace layout; a line that is not a word and ``dim``
    numbers is an error naming it."""
    pairs = [line.rstrip(b"\r").split(b" ", 1) for line in lines if line.strip()]
    if any(len(p) != 2 for p in pairs):
        raise ZooError(
            f"{path}:{first + next(i for i, p in enumerate(pairs) if len(p) != 2)}: expected a word and its numbers"
        )
    rests = [p[1] for p in pairs]
    if any(len(rest.split()) != dim for rest in rests):
        raise _bad_line(path, first, rests, dim)
    try:
        with warnings.catch_warnings():  # numpy's text mode is the fast C parser we want here
            warnings.simplefilter("ignore", DeprecationWarning)
            values = np.fromstring(b" ".join(rests), dtype=np.float32, sep=" ")
    except ValueError:  # a non-number (numpy 2 raises; older versions stop short)
        values = np.zeros(0, np.float32)
    if values.size != len(rests) * dim or not np.isfinite(values).all():
        raise _bad_line(path, first, rests, dim)
    return [p[0] for p in pairs], values


def _parse_into(path: Path, cache: Path) -> tuple[list[str], int]:
    """Parse ``path`` chunk by chunk, appending float32 rows to ``cache/vectors.f32``."""
    words: list[str] = []
    dim = 0
    with (
        atomic_path(cache / "vectors.f32") as tmp,
        open(tmp, "wb") as out,
        progress(
            f"parsing {path.name} (once; later loads are memory-mapped), bytes",
            total=None if path.suffix == ".gz" else path.stat().st_size,
        ) as advance,
    ):
        for first, block in _blocks(path):
            lines = block.split(b"\n")
            if not dim:
                dim = next((len(line.split()) - 1 for line in lines if line.strip()), 0)
            values = _canonical_rows(block, lines, dim) if dim else None
            if values is not None:
                chunk_words = [line[: line.find(b" ")] for line in lines]
            else:
                chunk_words, values = _tolerant_rows(path, first, lines, dim)
            out.write(values.tobytes())
            words.extend(w.decode("utf-8", "replace") for w in chunk_words)
            advance(len(block) + 1)  # its lines and the newline that ended it
    return words, dim


def _build_cache(path: Path, cache: Path, meta_file: Path) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    words, dim = _parse_into(path, cache)
    if not words:
        raise ZooError(f"{path}: no vectors (the file is empty)")
    with atomic_path(cache / "words.txt") as tmp:
        tmp.write_text("\n".join(words), encoding="utf-8")
    checksum = hashlib.sha256(f"{path.name}|{path.stat().st_size}|{len(words)}x{dim}".encode()).hexdigest()
    with atomic_path(meta_file) as tmp:  # written last: its presence means the cache is complete
        tmp.write_text(json.dumps({"rows": len(words), "dim": dim, "source": str(path), "checksum": checksum}))


def load_glove(path: str | os.PathLike[str]) -> Vectors:
    """GloVe vectors (``.txt`` or ``.gz``), parsed once and then memory-mapped from the cache."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ZooError(f"embedding.path {str(path)!r} is not a file; give a GloVe .txt or .txt.gz")
    cache = _cache_dir(path)
    meta_file = cache / "meta.json"
    if not meta_file.exists():
        try:
            _build_cache(path, cache, meta_file)
        except BaseException:  # a bad file (or Ctrl-C) leaves no half-made cache behind
            shutil.rmtree(cache, ignore_errors=True)
            raise
    meta = json.loads(meta_file.read_text())
    words = (cache / "words.txt").read_text(encoding="utf-8").split("\n")
    vectors = np.memmap(cache / "vectors.f32", dtype=np.float32, mode="r", shape=(meta["rows"], meta["dim"]))
    return Vectors(words, vectors, checksum=meta["checksum"])


def glove(dataset: Dataset | None, *, path: str | None = None, dim: int = 50, scale: float = 1.0) -> Vectors:
    """GloVe word vectors from a text file of any dimension (plain or gzipped).

    Args:
        path: The GloVe file; default ``glove/glove.6B.<dim>d.txt`` (or ``.txt.gz``) in the data home.
        dim: The vectors' dimension; checked against the file.
        scale: Multiplies the vectors once aligned (the lesson uses 1/3).
    """
    if path is None:
        found = find_data(*(f"glove/glove.6B.{dim}d.txt{suffix}" for suffix in ("", ".gz")))
        if found is None:
            raise ZooError(
                f"GloVe {dim}d is not on this machine; put glove.6B.{dim}d.txt (or .txt.gz, from "
                f"https://nlp.stanford.edu/data/glove.6B.zip) in {data_home() / 'glove'}/, or set embedding.path"
            )
        path = str(found)
    vectors = load_glove(path)
    if vectors.vectors.shape[1] != dim:
        raise ZooError(
            f"embedding.dim is {dim} but {path} holds {vectors.vectors.shape[1]}-dimensional vectors; "
            f"set embedding.dim={vectors.vectors.shape[1]} or give a {dim}d file"
        )
    vectors.scale = scale
    return vectors


def word2vec(
    dataset: Dataset | None,
    *,
    path: str | None = None,
    dim: int = 100,
    window: int = 5,
    epochs: int = 5,
    min_count: int = 2,
    workers: int = 1,
    seed: int = 0,
    scale: float = 1.0,
    trust_pickle: bool = False,
) -> Vectors:
    """word2vec vectors through gensim: loaded from a file, or trained on the dataset's own text.

    Args:
        path: A gensim KeyedVectors file (``.kv``), or a word2vec file (``.bin`` binary, else text).
            Without a path, gensim's Word2Vec is trained on the dataset's training documents (and
            its unlabelled ones, such as IMDB's 50,000 unsup reviews).
        dim: Vector size (trained), or the size the file must have.
        window: Context window (trained).
        epochs: Passes over the text (trained).
        min_count: Ignore rarer words (trained).
        workers: Training threads; only one thread makes training reproducible from the seed.
        seed: Seeds the training.
        scale: Multiplies the vectors once aligned.
        trust_pickle: Load a gensim ``.kv`` file, which is a pickle: only one you trust, since
            unpickling can run any code (the word2vec formats load always).
    """
    from gensim.models import KeyedVectors, Word2Vec

    if path is not None:
        file = Path(path).expanduser()
        if file.suffix == ".kv" and not trust_pickle:
            raise ZooError(
                f"{file} is a gensim KeyedVectors file, a pickle, and unpickling it could run code: save it "
                f"with KeyedVectors.save_word2vec_format(..., binary=True) as a .bin, or set "
                f"embedding.trust_pickle: true if you trust it"
            )
        try:
            if file.suffix == ".kv":
                keyed = KeyedVectors.load(str(file), mmap="r")
            else:
                keyed = KeyedVectors.load_word2vec_format(str(file), binary=file.suffix == ".bin")
        except (OSError, ValueError, EOFError, UnicodeDecodeError) as exc:
            raise ZooError(f"{file}: cannot load word2vec vectors ({exc})") from None
        if keyed.vector_size != dim:
            raise ZooError(
                f"embedding.dim is {dim} but {file} holds {keyed.vector_size}-dimensional vectors; "
                f"set embedding.dim={keyed.vector_size}"
            )
        checksum = hashlib.sha256(f"{file.name}|{file.stat().st_size}".encode()).hexdigest()
        return Vectors(list(keyed.index_to_key), np.asarray(keyed.vectors), checksum=checksum, scale=scale)
    if dataset is None or dataset.documents is None:
        name = dataset.spec.name if dataset else "(none)"
        raise ZooError(f"dataset {name!r} has no text to train word2vec on; give embedding.path")
    documents = list(dataset.documents())
    with progress(f"training word2vec on {len(documents):,} documents, {epochs} epochs"):
        model = Word2Vec(
            sentences=documents,
            vector_size=dim,
            window=window,
            epochs=epochs,
            min_count=min_count,
            seed=seed,
            workers=workers,
        )
    settings = f"word2vec|{dataset.checksum}|{dim}|{window}|{epochs}|{min_count}|{seed}"
    return Vectors(list(model.wv.index_to_key), np.asarray(model.wv.vectors), checksum=sha256_of(settings), scale=scale)


def nb_ratios(dataset: Dataset | None, *, alpha: float = 1.0) -> EmbeddingMatrix:
    """Each id's naive-Bayes log-count ratio, from the training split's labels (a 1-d "embedding").

    ``r = log((p / |p|) / (q / |q|))`` where ``p`` (``q``) counts the positive (negative) training
    texts holding the id, plus ``alpha`` (Wang & Manning, 2012). Only ``train`` is read, so the
    validation and test splits stay unseen. Row 0 (padding) is zero.

    Args:
        alpha: Smoothing added to every count.
    """
    if alpha <= 0:
        raise ValueError(f"alpha must be positive. Received: alpha={alpha}")
    spec = getattr(dataset, "spec", None)
    if spec is None or getattr(spec, "task", None) != "binary" or not hasattr(spec, "vocab_size"):
        raise ZooError("embedding 'nb-ratios' needs a two-class text dataset (positive and negative texts)")
    train = dataset.splits["train"]  # type: ignore[union-attr]
    x, y = np.asarray(train.x), np.asarray(train.y).ravel()
    present = np.sort(x, axis=1)
    present[:, 1:][present[:, 1:] == present[:, :-1]] = 0  # each id counts once per text: binarized counts
    texts_holding = [
        np.bincount(present[y == label].ravel(), minlength=spec.vocab_size)[1 : spec.vocab_size] for label in (1, 0)
    ]  # ids 1 and up: padding is not a word
    p, q = ((c + alpha) / (c + alpha).sum() for c in texts_holding)
    ratios = np.zeros((spec.vocab_size, 1), np.float32)  # row 0, padding, stays zero
    ratios[1:, 0] = np.log(p / q)
    seen = int(((texts_holding[0] + texts_holding[1]) > 0).sum())
    digest = hashlib.sha256(f"nb-ratios|{dataset.checksum}|{alpha}|{x.shape}".encode())  # type: ignore[union-attr]
    digest.update(y.tobytes())  # the training labels: another validation split gives other ratios
    return EmbeddingMatrix(ratios, hits=seen, misses=spec.vocab_size - 1 - seen, checksum=digest.hexdigest())
