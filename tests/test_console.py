"""What a user sees: no native TensorFlow log lines, one line per epoch in a log file, the run named
when training starts, and progress of long steps."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ZOO = str(Path(sys.executable).parent / "zoo")
ONE_EPOCH = "train.stages=[{epochs: 1}]"


def test_native_log_lines_are_dropped_and_everything_else_passes():
    script = textwrap.dedent("""
        import os, sys
        from zoo.console import quiet_native_logs
        quiet_native_logs()
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n")
        os.write(2, b"I0000 00:00:1796237964.034838    3350 cudart_stub.cc:31] Could not find cuda drivers\\n")
        os.write(2, b"E0000 00:00:1796237971.902948    3350 cuda_platform.cc:52] failed call to cuInit\\n")
        os.write(2, b"W0000 00:00:1.5  12 external/xla/service.cc:9] a native warning\\n")
        print("a Python warning stays", file=sys.stderr)
        os.write(2, b"E0000 is not a log line: it stays too\\n")
        raise SystemExit("and the last words of a failing command arrive")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr == (
        "a Python warning stays\nE0000 is not a log line: it stays too\n"
        "and the last words of a failing command arrive\n"
    )


@pytest.mark.slow
def test_train_into_a_file_is_quiet_and_one_line_per_epoch(tmp_path):
    result = subprocess.run(
        [ZOO, "train", "tiny-linear-points", "--set", ONE_EPOCH, "--out", "run"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    errors = result.stderr.splitlines()  # the zoo's own lines only: no native logs, no warnings
    assert errors[0] == "zoo: training 'tiny-linear-points' into run" and len(errors) == 5, errors
    assert errors[1].startswith("zoo: trained 1 epoch; ") and errors[-1].startswith("zoo: next: zoo evaluate run")
    lines = result.stdout.splitlines()  # Keras writes no "Epoch 1/1" header for a single epoch
    assert len(lines) == 3, lines
    assert lines[0].startswith("10/10 - ")  # 160 training points, batches of 16 and "val_loss" in lines[0]
    assert lines[1].startswith("validation: loss=") and lines[2] == "saved run"
    assert "\x1b" not in result.stdout and "\b" not in result.stdout


def test_quiet_and_verbose(run_cli, tmp_path):
    quiet = run_cli("train", "tiny-linear-points", "--set", ONE_EPOCH, "--out", "q", "--quiet")
    assert quiet.stdout.splitlines()[0].startswith("validation: loss=")
    assert quiet.stderr == ""
    verbose = run_cli("train", "tiny-linear-points", "--set", ONE_EPOCH, "--out", "v", "-v")
    assert "\b" in verbose.stdout or "\r" in verbose.stdout  # Keras's bar, though this is no terminal


def test_progress_off_a_terminal_is_a_line_at_each_end(capsys):
    from zoo.console import progress

    with progress("counting words", total=3) as advance:
        for _ in range(3):
            advance(1)
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "zoo: counting words ..."
    assert lines[1].startswith("zoo: counting words: done in ") and lines[1].endswith(" s")
