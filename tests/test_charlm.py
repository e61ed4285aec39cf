"""Character models: corpus windows, the held-out tail, bad corpora, char-lstm, and generation."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from zoo.catalog.specs import DatasetSpec
from zoo.errors import ZooError
from zoo_plugins.charlm.data import CharSpec, nietzsche, synthetic_text, text_corpus, windows
from zoo_plugins.charlm.generate import generate, reference_generate, sample
from zoo_plugins.charlm.models import char_lstm

DATA_DIR = os.environ.get("ZOO_DATA_DIR")


def test_windows_and_their_targets_are_the_right_slices():
    ids = np.arange(20, dtype=np.int32)
    every = windows(ids, seq_len=4, step=3, targets="every")
    assert every.x.tolist()[:2] == [[0, 1, 2, 3], [3, 4, 5, 6]]
    assert every.y.tolist()[:2] == [[1, 2, 3, 4], [4, 5, 6, 7]]
    assert every.x[-1].tolist() == [15, 16, 17, 18] and every.y[-1].tolist() == [16, 17, 18, 19]
    assert np.shares_memory(every.x, ids)  # views, never copies
    following = windows(ids, seq_len=4, step=3, targets="next")
    assert following.y.tolist() == [4, 7, 10, 13, 16, 19]
    assert len(following.x) == len(following.y) == 6


def test_the_held_out_tails_share_nothing_with_training(tmp_path):
    path = tmp_path / "t.txt"
    # 100 different characters in increasing order, so each character's id is its position
    path.write_text("".join(chr(0x100 + i) for i in range(100)), encoding="utf-8")
    dataset = text_corpus(path=str(path), seq_len=5, step=1, validation=0.2, test=0.1)
    train, validation, test = (dataset.splits[name] for name in ("train", "validation", "test"))
    assert int(train.x.min()) == 0 and int(train.y.max()) == 69 and len(train) == 70 - 5  # positions 0..69
    assert int(validation.x.min()) == 70 and int(validation.y.max()) == 89 and len(validation) == 20 - 5
    assert int(test.x.min()) == 90 and int(test.y.max()) == 99 and len(test) == 10 - 5
    assert np.shares_memory(train.x, train.y) and not np.shares_memory(train.x, validation.x)
    without_test = text_corpus(path=str(path), seq_len=5, step=1, validation=0.2)
    assert "test" not in without_test.splits and int(without_test.splits["validation"].x.min()) == 80
    with pytest.raises(ValueError, match="add up to less than 1"):
        text_corpus(path=str(path), validation=0.6, test=0.4)


def test_the_vocabulary_round_trips_through_the_spec(tmp_path):
    dataset = synthetic_text(n_chars=2000)
    spec = dataset.spec
    assert spec.synthetic and spec.name == "synthetic-text" and spec.task == "sequence"
    assert DatasetSpec.from_dict(spec.to_dict()) == spec
    start = "".join(spec.chars[i] for i in dataset.splits["train"].x[0][:8])
    assert "".join(spec.chars[i] for i in spec.encode(start)) == start
    with pytest.raises(ZooError, match=r"characters '#' never appear in synthetic-text"):
        spec.encode("ka#")


@pytest.mark.parametrize(
    ("content", "kwargs", "message"),
    [
        (b"caf\xe9 au lait", {}, r"t.txt: byte 0xe9 at offset 3 is not UTF-8; save the file as UTF-8"),
        (b"", {}, r"t.txt: the text is empty"),
        (b"short", {"seq_len": 40}, r"the train text has 5 characters, fewer than seq_len \+ 1 = 41"),
        (b"x" * 100, {"seq_len": 40, "validation": 0.1}, r"the validation text has 10 characters, fewer than"),
    ],
    ids=["not UTF-8", "empty", "shorter than a window", "held-out tail shorter than a window"],
)
def test_bad_corpora_are_one_line(tmp_path, content, kwargs, message):
    path = tmp_path / "t.txt"
    path.write_bytes(content)
    with pytest.raises(ZooError, match=message):
        text_corpus(path=str(path), **{"validation": 0.0, **kwargs})


def test_a_folder_of_text_files_and_a_folder_without_any(tmp_path):
    (tmp_path / "b.txt").write_text("second part", encoding="utf-8")
    (tmp_path / "a.txt").write_text("first part", encoding="utf-8")
    dataset = text_corpus(path=str(tmp_path), seq_len=3, validation=0.0)
    assert "".join(dataset.spec.chars[i] for i in dataset.splits["train"].x[0]) == "fir"
    (tmp_path / "empty").mkdir()
    with pytest.raises(ZooError, match=r"empty: no .txt files in this folder"):
        text_corpus(path=str(tmp_path / "empty"))
    (tmp_path / "notes.txt").mkdir()  # a folder named like a text file is not read (once: IsADirectoryError)
    again = text_corpus(path=str(tmp_path), seq_len=3, validation=0.0)
    assert again.checksum == dataset.checksum


def test_a_byte_order_mark_is_not_a_character(tmp_path):
    (tmp_path / "bom.txt").write_bytes("\ufeffabcabcabc".encode())
    assert text_corpus(path=str(tmp_path / "bom.txt"), seq_len=3, validation=0.0).spec.chars == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("dataset.seq_len=0", "seq_len and step must be at least 1. Received: seq_len=0, step=3"),
        ("dataset.step=0", "seq_len and step must be at least 1. Received: seq_len=40, step=0"),
        ("dataset.validation=1.0", "validation and test must be fractions in [0, 1) that add up to less than 1"),
    ],
)
def test_corpus_settings_are_one_line_and_write_nothing(tmp_path, run_cli, setting, message):
    (tmp_path / "c.txt").write_text("some text to read " * 20, encoding="utf-8")
    error = run_cli(
        "train", "synthetic-char-lstm", "--set", f"dataset={{use: text-corpus, path: {tmp_path / 'c.txt'}}}",
        "--set", setting, "--out", str(tmp_path / "run"), code=1,
    ).stderr  # fmt: skip
    assert error.count("\n") == 1 and message in error and error.startswith("Error: dataset 'text-corpus'")
    assert not (tmp_path / "run").exists()


@pytest.fixture(scope="module")
def tiny_model():
    import keras

    keras.utils.set_random_seed(1)
    spec = CharSpec.example()
    return char_lstm(spec, embedding_dim=4, units=8, layers=2, dropout=0.0), spec


def test_generation_is_the_slow_references_text_and_repeats_with_the_seed(tiny_model):
    model, spec = tiny_model
    for temperature in (0.0, 1.0):
        fast = "".join(generate(model, spec, "ab c", length=12, temperature=temperature, rng_seed=3))
        assert fast == reference_generate(model, spec, "ab c", length=12, temperature=temperature, rng_seed=3)
        assert fast == "".join(generate(model, spec, "ab c", length=12, temperature=temperature, rng_seed=3))
    assert len(set(spec.chars) & set(fast)) > 1  # temperature 1 samples more than one character


@pytest.mark.parametrize(
    ("prime", "length", "temperature", "message"),
    [
        ("", 5, 0.5, "--prime is empty"),
        ("ab", 5, -0.1, "temperature must be 0 .* or more. Received: -0.1"),
        ("ab", -1, 0.5, "--length must be 0 or more"),
        ("abz", 5, 0.5, "characters 'z' never appear in example"),
    ],
)
def test_bad_generation_requests_are_one_line(tiny_model, prime, length, temperature, message):
    model, spec = tiny_model
    with pytest.raises(ZooError, match=message):
        list(generate(model, spec, prime, length, temperature))


def test_temperature_zero_is_the_likeliest_character():
    rng = np.random.default_rng(0)
    assert sample(np.array([0.1, 0.6, 0.3]), 0.0, rng) == 1
    draws = [sample(np.array([0.1, 0.6, 0.3]), 0.01, rng) for _ in range(20)]
    assert set(draws) == {1}  # a very low temperature is nearly argmax


def test_train_and_generate_from_the_command_line(run_cli, tmp_path):
    out = tmp_path / "chars"
    run_cli(
        "train", "synthetic-char-lstm", "--set", "dataset.n_chars=3000", "--set", "train.epochs=1",
        "--out", str(out), "-q",
    )  # fmt: skip
    text = run_cli("generate", str(out), "--prime", "ka", "--length", "30", "-t", "0,1").stdout
    assert text.startswith("--- temperature 0\nka") and "\n--- temperature 1\nka" in text
    assert [len(line) for line in text.splitlines()[1::2]] == [32, 32]
    again = run_cli("generate", str(out), "--prime", "ka", "--length", "30", "-t", "0,1").stdout
    assert again == text
    predicted = run_cli("predict", str(out), "ka mi").stdout
    assert '"next": ' in predicted and '"probability": ' in predicted
    error = run_cli("generate", str(out), "--prime", "ka", "-t", "hot", code=1).stderr
    assert error == "Error: --temperature takes numbers, such as 0.2,0.5,1.0. Received: 'hot'\n"
    empty = run_cli("generate", str(out), "--prime", "ka", "-t", "", code=1)  # once: exit 0 and nothing written
    assert empty.stderr == "Error: --temperature takes numbers, such as 0.2,0.5,1.0. Received: ''\n"
    seed = run_cli("generate", str(out), "--prime", "ka", "--rng-seed", "-1", code=2).stderr
    assert "Invalid value for '--rng-seed': -1 is not in the range x>=0." in seed and "Traceback" not in seed
    unseen = run_cli("generate", str(out), "--prime", "k#", code=1)  # once: the header and prime were printed first
    assert unseen.stdout == "" and unseen.stderr.startswith("Error: characters '#' never appear in synthetic-text")


def test_the_sample_text_callback_writes_as_the_model_learns(run_cli, tmp_path):
    out = run_cli(
        "train", "synthetic-char-lstm", "--set", "dataset.n_chars=3000", "--set", "train.epochs=2",
        "--set", "train.callbacks=[{use: sample-text, every: 2, prime: ka, length: 20}]",
        "--out", str(tmp_path / "r"), "-q",
    ).stdout  # fmt: skip
    assert out.count("--- sample after epoch") == 1 and "--- sample after epoch 2:\nka" in out
    error = run_cli(
        "train", "synthetic-char-lstm", "--set", "train.callbacks=[{use: sample-text, prime: 'K#'}]",
        "--out", str(tmp_path / "bad"), code=1,
    ).stderr  # fmt: skip
    assert re.match(r"Error: characters '\S*#' never appear in synthetic-text", error)
    assert not (tmp_path / "bad").exists()  # refused before the run was written


@pytest.mark.realdata
def test_nietzsche_as_the_lesson_reads_it():
    path = Path(DATA_DIR or "") / "text" / "nietzsche.txt"
    dataset = nietzsche(path=str(path))
    spec = dataset.spec
    assert len(spec.chars) == 57  # the Keras example's "total chars: 57"
    held_out = 600893 - (600893 - int(600893 * 0.1))
    assert len(dataset.splits["validation"]) == (held_out - 40 - 1) // 3 + 1
    first = "".join(spec.chars[i] for i in dataset.splits["train"].x[0])
    assert first.startswith("preface\n") and first.endswith("supposing that truth is a woma") and len(first) == 40


def test_nietzsche_offline_says_which_file_goes_where(monkeypatch, tmp_path):
    import keras

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(ZooError) as info:
        nietzsche()
    assert str(info.value) == (
        "nietzsche.txt is not on this machine and could not be downloaded (network unreachable); put it in "
        f"{tmp_path / 'home'}/ (from https://s3.amazonaws.com/text-datasets/nietzsche.txt), or set dataset.path"
    )
    with pytest.raises(ZooError, match=r"dataset.path '.*missing.txt' does not exist; give the path of nietzsche.txt"):
        nietzsche(path=str(tmp_path / "missing.txt"))


def test_synthetic_text_settings_are_one_line(run_cli, tmp_path):
    error = run_cli("train", "synthetic-char-lstm", "--set", "dataset.n_chars=0", "--out", str(tmp_path / "r"), code=1)
    assert error.stderr == (  # once: "max() arg is an empty sequence"
        "Error: dataset 'synthetic-text' (plugin 'charlm'): n_chars and n_words must be at least 1. "
        "Received: n_chars=0, n_words=40\n"
    )
