"""Listing, showing and validating never import TensorFlow, Keras or gensim."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("tensorflow", "keras", "gensim")


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["list"],
        ["list", "--json"],
        ["plugins"],
        ["show", "cf-bias"],
        ["show", "synthetic-cf-bias"],
        ["show", "example-mlp"],
        ["build", "synthetic-cf-nn", "--dry-run"],
        ["train", "example-blobs-mlp", "--dry-run"],
        ["runs", "."],
    ],
)
def test_command_imports_nothing_heavy(args):
    code = (
        "import sys\n"
        "from zoo.surfaces.cli import cli\n"
        f"try:\n    cli({args!r}, prog_name='zoo')\nexcept SystemExit as exit:\n    assert not exit.code, exit.code\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "HEAVY []"


def test_every_target_imports_without_tensorflow():
    code = (
        "import sys\n"
        "import zoo\n"
        "for entry in zoo.load_plugins().entries():\n"
        "    entry.load()\n"
        f"print('HEAVY', [m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "HEAVY []"
