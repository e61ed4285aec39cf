"""Character corpora as windows over one integer array: ``text-corpus`` (any UTF-8 file or folder of
.txt files), ``nietzsche`` (the lesson's corpus) and ``synthetic-text`` (generated, for demos and
tests).

Every character becomes one id of the spec's vocabulary; windows of ``seq_len`` ids start every
``step`` characters and are strided views of that one array (no window is copied, nothing is
one-hot). The last ``validation`` fraction of the characters is held out whole: no training window
or target reaches into it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from zoo.plugin import Dataset, DatasetSpec, Split, ZooError, cache_home, data_home, find_data, sha256_of

Targets = Literal["every", "next"]
NIETZSCHE_URL = "https://s3.amazonaws.com/text-datasets/nietzsche.txt"
NIETZSCHE_SHA256 = "23cf69874ab69d3d256099ab530ea4be24d47d9675b673bcc67cbcd6298ec647"


@dataclass
class CharSpec(DatasetSpec):
    """Windows of ``seq_len`` character ids over the vocabulary ``chars`` (id -> character).

    ``targets``: ``every`` gives each window's next character at every position (the window
    shifted by one); ``next`` only the character after the window.
    """

    chars: list[str] = field(default_factory=list)
    seq_len: int = 40
    lowercase: bool = False
    targets: str = "every"

    @classmethod
    def example(cls) -> CharSpec:
        return cls(name="example", task="sequence", synthetic=True, chars=list(" abcde."), seq_len=6)

    def example_inputs(self, n: int, seed: int = 0) -> np.ndarray:
        return np.random.default_rng(seed).integers(0, len(self.chars), (n, self.seq_len)).astype("int32")

    def example_raw_inputs(self, n: int, seed: int = 0) -> list[str]:
        """Texts of ``seq_len`` characters of the corpus."""
        ids = self.example_inputs(n, seed)
        return ["".join(self.chars[i] for i in row) for row in ids]

    def encode(self, text: str) -> np.ndarray:
        """The ids of ``text`` (lowercased first when the corpus was); unseen characters are named."""
        text = text.lower() if self.lowercase else text
        index = {c: i for i, c in enumerate(self.chars)}
        unseen = sorted({c for c in text if c not in index})
        if unseen:
            raise ZooError(
                f"characters {''.join(unseen)!r} never appear in {self.name}; the model knows only "
                f"{''.join(self.chars)!r}"
            )
        return np.fromiter((index[c] for c in text), dtype=np.int32, count=len(text))

    def encode_inputs(self, raw: Any) -> np.ndarray:
        texts = [raw] if isinstance(raw, str) else list(raw)
        if not texts or any(not isinstance(t, str) or not t for t in texts):
            raise ZooError("give each input as a non-empty string of characters")
        if len({len(t) for t in texts}) > 1:
            raise ZooError("give inputs of the same length (or one at a time)")
        return np.stack([self.encode(t) for t in texts])

    def decode_outputs(self, outputs: Any) -> list[Any]:
        """The likeliest next character (after the last position) and its probability."""
        probabilities = np.asarray(outputs, dtype="float64")
        last = probabilities[:, -1, :] if probabilities.ndim == 3 else probabilities
        best = last.argmax(axis=1)
        return [{"next": self.chars[b], "probability": round(float(p[b]), 6)} for b, p in zip(best, last)]


def read_text(path: Path) -> str:
    """A UTF-8 file, or the .txt files of a folder (sorted, joined by newlines); one line on error."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.txt") if p.is_file())
        if not files:
            raise ZooError(f"{path}: no .txt files in this folder; give a text file or a folder of .txt files")
    elif path.is_file():
        files = [path]
    else:
        raise ZooError(f"dataset.path {str(path)!r} does not exist; give a UTF-8 text file or a folder of .txt files")
    texts = []
    for file in files:
        raw = file.read_bytes()
        try:
            texts.append(raw.decode("utf-8-sig"))  # a byte-order mark is not a character of the text
        except UnicodeDecodeError as exc:
            raise ZooError(
                f"{file}: byte 0x{raw[exc.start]:02x} at offset {exc.start} is not UTF-8; save the file as UTF-8"
            ) from None
    text = "\n".join(texts)
    if not text:
        raise ZooError(f"{path}: the text is empty")
    return text


def windows(ids: np.ndarray, seq_len: int, step: int, targets: str) -> Split:
    """Inputs ``ids[i : i + seq_len]`` for i = 0, step, 2 step, ...; targets the characters after
    them. Strided views of ``ids``: nothing is copied."""
    starts = (len(ids) - seq_len - 1) // step + 1  # the last window needs one more character as target
    view = np.lib.stride_tricks.sliding_window_view
    x = view(ids[:-1], seq_len)[::step][:starts]
    y = view(ids[1:], seq_len)[::step][:starts] if targets == "every" else ids[seq_len::step][:starts]
    return Split(x, y)


def corpus_dataset(
    text: str,
    *,
    name: str,
    source: str,
    synthetic: bool,
    lowercase: bool,
    seq_len: int,
    step: int,
    validation: float,
    targets: str,
    test: float = 0.0,
) -> Dataset[CharSpec]:
    if seq_len < 1 or step < 1:
        raise ValueError(f"seq_len and step must be at least 1. Received: seq_len={seq_len}, step={step}")
    if not (0 <= validation < 1 and 0 <= test < 1 and validation + test < 1):
        raise ValueError(
            f"validation and test must be fractions in [0, 1) that add up to less than 1. "
            f"Received: validation={validation}, test={test}"
        )
    if targets not in ("every", "next"):
        raise ValueError(f"targets must be 'every' or 'next'. Received: targets={targets!r}")
    text = text.lower() if lowercase else text
    chars = sorted(set(text))
    lookup = np.zeros(max(map(ord, chars)) + 1, dtype=np.int32)
    lookup[[ord(c) for c in chars]] = np.arange(len(chars), dtype=np.int32)
    ids = lookup[np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)]
    # train | validation | test, each a whole stretch of the text: no window crosses into the next
    test_cut = len(ids) - int(len(ids) * test)
    validation_cut = test_cut - int(len(ids) * validation)
    parts = {"train": ids[:validation_cut]}
    if validation:
        parts["validation"] = ids[validation_cut:test_cut]
    if test:
        parts["test"] = ids[test_cut:]
    for split, part in parts.items():
        if len(part) < seq_len + 1:
            raise ZooError(
                f"{source}: the {split} text has {len(part)} characters, fewer than seq_len + 1 = {seq_len + 1}; "
                f"give a longer text or a smaller seq_len"
            )
    spec = CharSpec(
        name=name,
        task="sequence",
        synthetic=synthetic,
        chars=chars,
        seq_len=seq_len,
        lowercase=lowercase,
        targets=targets,
    )
    splits = {split: windows(part, seq_len, step, targets) for split, part in parts.items()}
    return Dataset(spec, splits, checksum=sha256_of(text), source=source)


def text_corpus(
    *,
    path: str,
    lowercase: bool = False,
    seq_len: int = 40,
    step: int = 3,
    validation: float = 0.1,
    targets: Targets = "every",
    test: float = 0.0,
) -> Dataset[CharSpec]:
    """Any UTF-8 text file, or a folder of .txt files, as windows of characters.

    Args:
        path: The text file or folder.
        lowercase: Lowercase the text first (a smaller vocabulary).
        seq_len: Characters per window.
        step: Characters between the starts of two windows.
        validation: The last fraction of the text, held out whole for validation.
        targets: every (the window shifted by one: a target at every position) or next (only
            the character after the window).
        test: The very last fraction of the text, held out whole as a test split that chooses
            nothing (validation comes just before it).
    """
    source = Path(path).expanduser()
    return corpus_dataset(
        read_text(source),
        name="text-corpus",
        source=str(source),
        synthetic=False,
        lowercase=lowercase,
        seq_len=seq_len,
        step=step,
        validation=validation,
        targets=targets,
        test=test,
    )


def nietzsche(
    *,
    path: str | None = None,
    lowercase: bool = True,
    seq_len: int = 40,
    step: int = 3,
    validation: float = 0.1,
    targets: Targets = "every",
    test: float = 0.0,
) -> Dataset[CharSpec]:
    """The lesson's corpus (Nietzsche, 600,893 characters): ``path``, else the data home, else
    downloaded from the Keras datasets location and checked against its SHA-256.

    Args:
        path: nietzsche.txt, if it is elsewhere.
        lowercase: Lowercase the text first (the lesson does: 57 characters).
        seq_len: Characters per window.
        step: Characters between the starts of two windows (the lesson's 3).
        validation: The last fraction of the text, held out whole for validation.
        targets: every (a target at every position) or next (only the character after the window).
        test: The very last fraction of the text, held out whole as a test split that chooses
            nothing (validation comes just before it).
    """
    # In the data home as the lesson names it, or grouped by kind (text/nietzsche.txt).
    found = Path(path).expanduser() if path else find_data("nietzsche.txt", "text/nietzsche.txt")
    file = found if found is not None else cache_home() / "nietzsche.txt"
    if not file.exists():
        if path:
            raise ZooError(f"dataset.path {path!r} does not exist; give the path of nietzsche.txt")
        import keras

        try:
            keras.utils.get_file(
                "nietzsche.txt", NIETZSCHE_URL, file_hash=NIETZSCHE_SHA256, cache_dir=str(cache_home()), cache_subdir=""
            )
        except Exception as exc:  # offline, or a checksum mismatch
            raise ZooError(
                f"nietzsche.txt is not on this machine and could not be downloaded ({exc}); put it in "
                f"{data_home()}/ (from {NIETZSCHE_URL}), or set dataset.path"
            ) from None
    # The lesson's corpus is a text corpus like any other, under its own name.
    dataset = text_corpus(
        path=str(file),
        lowercase=lowercase,
        seq_len=seq_len,
        step=step,
        validation=validation,
        targets=targets,
        test=test,
    )
    dataset.spec.name = "nietzsche"
    return dataset


def synthetic_text(
    *,
    n_chars: int = 30000,
    n_words: int = 40,
    seq_len: int = 20,
    step: int = 3,
    validation: float = 0.1,
    targets: Targets = "every",
    seed: int = 0,
) -> Dataset[CharSpec]:
    """SYNTHETIC text with learnable structure: invented words, each followed by one of two words
    the generator fixed for it, in sentences that start with a capital and end with a full stop.

    Args:
        n_chars: Length of the text.
        n_words: Size of the invented vocabulary.
        seq_len: Characters per window.
        step: Characters between the starts of two windows.
        validation: The last fraction of the text, held out whole for validation.
        targets: every (a target at every position) or next (only the character after the window).
        seed: Seeds the generator.
    """
    if n_chars < 1 or n_words < 1:
        raise ValueError(f"n_chars and n_words must be at least 1. Received: n_chars={n_chars}, n_words={n_words}")
    if seed < 0:
        raise ValueError(f"seed must be 0 or more. Received: seed={seed}")
    rng = np.random.default_rng(seed)
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pu"]
    words = ["".join(rng.choice(syllables, rng.integers(1, 4))) for _ in range(n_words)]
    successors = rng.integers(0, n_words, (n_words, 2))
    pieces, length, word = [], 0, int(rng.integers(n_words))
    while length < n_chars:
        sentence = []
        for _ in range(int(rng.integers(3, 8))):
            sentence.append(words[word])
            word = int(successors[word, rng.integers(2)])
        text = " ".join(sentence).capitalize() + ". "
        pieces.append(text)
        length += len(text)
    return corpus_dataset(
        "".join(pieces)[:n_chars],
        name="synthetic-text",
        source="generated",
        synthetic=True,
        lowercase=False,
        seq_len=seq_len,
        step=step,
        validation=validation,
        targets=targets,
    )
