"""Bad input, as a table: what a careless or hostile user gives, and the one line they get back.
Each case exits 1 with that line, no traceback, and nothing written."""

from __future__ import annotations

import pytest

BOMB = """\
a: &a [x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
extends: tiny-linear-points
model: {use: tiny-linear, units: *e}
"""

BUGGY_PLUGIN = """\
from zoo import hookimpl


def broken(*, size: int = 3):
    \"\"\"A dataset whose code has a bug.

    Args:
        size: Samples.
    \"\"\"
    return {}["missing"]


@hookimpl
def register_datasets(register):
    register("broken-data", broken)
"""

# (what was given, arguments, the files to write first, the start of the one line of stderr)
CASES = [
    (
        "a dataset argument its adapter refuses",
        ["build", "synthetic-cf-bias", "--set", "dataset.density=2"],
        {},
        "Error: dataset 'synthetic-ratings' (plugin 'cf'): density must be",
    ),
    (
        "a bug inside a plugin's dataset adapter",
        ["--plugin", "buggy.py", "build", "tiny-linear-points", "--set", "dataset={use: broken-data}"],
        {"buggy.py": BUGGY_PLUGIN},
        "Error: dataset 'broken-data' (plugin 'buggy') failed inside its code with KeyError: 'missing'; this is a "
        "bug of the plugin's (a plugin file): report it to its authors (`zoo --debug ...` shows the traceback)",
    ),
    (
        "a model larger than the machine's memory",
        ["build", "tiny-linear-points", "--set", "model.units=1000000000000"],
        {},
        "Error: model 'tiny-linear' does not fit in memory: a tensor of shape [4, 1000000000000] "
        "(14,901 GiB of float32); make it smaller",
    ),
    (
        "zero epochs to train",
        ["train", "tiny-linear-points", "--set", "train.epochs=0"],
        {},
        "Error: train.stages: every stage has 0 epochs, so nothing would be trained",
    ),
    (
        "zero epochs to train, in a dry run (once: called valid)",
        ["train", "tiny-linear-points", "--set", "train.epochs=0", "--dry-run"],
        {},
        "Error: train.stages: every stage has 0 epochs, so nothing would be trained",
    ),
    (
        "a kind mistyped in zoo list (once: 'nothing matches', exit 0)",
        ["list", "modles"],
        {},
        "Error: nothing matches 'modles'; did you mean 'models'?",
    ),
    (
        "a YAML alias bomb in a recipe file",
        ["build", "-c", "bomb.yaml", "--dry-run"],
        {"bomb.yaml": BOMB},
        "Error: bomb.yaml: its aliases (*name) expand to more than 100,000 values",
    ),
    (
        "a recursive YAML alias",
        ["build", "-c", "loop.yaml", "--dry-run"],
        {"loop.yaml": "extends: tiny-linear-points\nmodel: &m {use: tiny-linear, units: *m}\n"},
        "Error: loop.yaml:2:8: invalid YAML: found unconstructable recursive node",
    ),
    (
        "a 5000-digit integer in --set",
        ["build", "tiny-linear-points", "--dry-run", "--set", "model.units=" + "7" * 5000],
        {},
        "Error: --set model.units=77777777",
    ),
    (
        "a 5000-digit integer in a file",
        ["build", "-c", "big.yaml", "--dry-run"],
        {"big.yaml": "extends: tiny-linear-points\nmodel: {units: " + "7" * 5000 + "}\n"},
        "Error: big.yaml: cannot read a value: Exceeds the limit (4300 digits) for integer string conversion",
    ),
    (
        "a recipe name that climbs out of the runs folder",
        ["train", "-c", "evil.yaml", "--dry-run"],
        {"evil.yaml": "name: ../../escaped\nextends: tiny-linear-points\n"},
        "Error: evil.yaml:1: name: '../../escaped' cannot name a run folder",
    ),
    (
        "a recipe name with a separator, from --set",
        ["build", "tiny-linear-points", "--set", "name=a/b", "--dry-run"],
        {},
        "Error: --set name=a/b: name: 'a/b' cannot name a run folder",
    ),
]


@pytest.mark.parametrize(("args", "files", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gets_one_line(run_cli, write_file, tmp_path, args, files, expected):
    for name, text in files.items():
        write_file(name, text)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run_cli(*args, code=1)
    assert result.stderr.startswith(expected), result.stderr[:300]
    assert result.stderr.count("\n") == 1 and len(result.stderr) < 2100
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
