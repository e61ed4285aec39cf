"""`zoo runs`: list and compare run folders from their JSON alone."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import zoo


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two runs of one recipe that differ in a setting, and one of another."""
    root = tmp_path_factory.mktemp("runs")
    zoo.train("tiny-linear-points", out=str(root / "small"), verbose=0)
    zoo.train("tiny-linear-points", out=str(root / "wide"), verbose=0, model={"units": 16})
    zoo.train("tiny-two-stages", out=str(root / "staged"), verbose=0)
    return root


def test_runs_lists_every_run_with_its_figures(run_cli, trained):
    lines = run_cli("runs", str(trained)).stdout.splitlines()
    assert lines[0].split() == ["RUN", "RECIPE", "STATUS", "BACKEND", "EPOCHS", "VALIDATION", "FIT", "CREATED"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert set(rows) == {"small", "wide", "staged"}
    assert rows["small"][1:3] == ["tiny-linear-points@1", "complete"]
    assert rows["staged"][1] == "tiny-two-stages@2"
    expected = json.loads((trained / "small" / "metrics.json").read_text())["validation"]["mse"]
    assert rows["small"][6] == f"mse={expected:.4f}"


def test_runs_sorts_filters_and_speaks_json(run_cli, trained):
    listed = json.loads(run_cli("runs", str(trained), "--sort", "validation.mse", "--json").stdout)
    scores = [row["metrics"]["validation"]["mse"] for row in listed]
    assert scores == sorted(scores)  # lower is better for mse
    only = json.loads(run_cli("runs", str(trained), "--recipe", "tiny-two-*", "--json").stdout)
    assert [row["name"] for row in only] == ["staged"]
    assert json.loads(run_cli("runs", str(trained), "--status", "failed", "--json").stdout) == []
    assert run_cli("runs", str(trained), "--sort", "validation", code=1).stderr.startswith(
        "Error: --sort 'validation': give SPLIT.METRIC"
    )


def test_accuracy_sorts_best_first():
    from zoo.runs.listing import higher_is_better

    assert higher_is_better("accuracy") and higher_is_better("val_auc") and not higher_is_better("mse")


def test_a_run_whose_process_is_gone_is_killed(run_cli, trained, tmp_path):
    killed = tmp_path / "killed"
    (killed).mkdir()
    for name in ("recipe.yaml", "spec.json"):
        (killed / name).write_bytes((trained / "small" / name).read_bytes())
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    meta = {"status": "training", "process": {"host": socket.gethostname(), "pid": int(done.stdout)}}
    (killed / "meta.json").write_text(json.dumps(meta))
    mine = tmp_path / "running"
    mine.mkdir()
    (mine / "recipe.yaml").write_text("name: x\n")
    (mine / "meta.json").write_text(
        json.dumps({"status": "training", "process": {"host": socket.gethostname(), "pid": os.getpid()}})
    )
    rows = {row["name"]: row["status"] for row in json.loads(run_cli("runs", str(tmp_path), "--json").stdout)}
    assert rows == {"killed": "killed", "running": "training"}


def test_compare_shows_the_settings_that_differ_and_the_metrics(run_cli, trained):
    out = run_cli("runs", "compare", str(trained / "small"), str(trained / "wide")).stdout
    settings, metrics = out.split("\n\n")
    assert [line.split()[0] for line in settings.splitlines()] == ["RECIPE", "model.units"]
    a = json.loads((trained / "small" / "metrics.json").read_text())["validation"]["mse"]
    b = json.loads((trained / "wide" / "metrics.json").read_text())["validation"]["mse"]
    row = next(line for line in metrics.splitlines() if line.startswith("validation.mse"))
    assert row.split()[1:] == [f"{a:.4f}", f"{b:.4f}", f"({b - a:+.4f})"]
    assert run_cli("runs", "compare", str(trained / "small"), code=1).stderr == (
        "Error: give two or more run folders to compare\n"
    )


def test_a_missing_folder_is_one_line(run_cli, tmp_path):
    assert run_cli("runs", str(tmp_path / "nope"), code=1).stderr.startswith(
        f"Error: {tmp_path / 'nope'}: no such folder"
    )
