"""`zoo new plugin NAME` writes a package that installs, lists, builds, trains and passes the kit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ZOO = str(Path(sys.executable).parent / "zoo")


def run(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=cwd, check=False)
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done


@pytest.mark.slow
def test_a_new_plugin_installs_lists_trains_and_passes_the_kit(run_cli, tmp_path):
    out = run_cli("new", "plugin", "my-demo", "--out", str(tmp_path / "zoo-my-demo")).stdout
    assert out.startswith(f"wrote {tmp_path / 'zoo-my-demo'}/ (package zoo-my-demo)")
    site = tmp_path / "site"  # installed apart from the test environment, as pip installs it for a user
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--target",
            str(site),
            str(tmp_path / "zoo-my-demo"),
        ],
        dict(os.environ),
        tmp_path,
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    plugins = run([ZOO, "plugins"], env, tmp_path).stdout
    assert any(line.split()[:3] == ["my-demo", "entrypoint", "zoo-my-demo"] for line in plugins.splitlines())
    run([ZOO, "build", "my-demo-blobs-mlp", "--out", "built"], env, tmp_path)
    trained = run([ZOO, "train", "my-demo-blobs-mlp", "--out", "trained", "-q"], env, tmp_path).stdout
    assert trained.startswith("validation: accuracy=")
    predicted = run([ZOO, "predict", "trained", "[0.1, 0.2, 0.3, 0.4]"], env, tmp_path).stdout
    assert predicted.startswith('{"input": [0.1, 0.2, 0.3, 0.4], "prediction": [')  # the class probabilities
    tested = run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], env, tmp_path / "zoo-my-demo"
    ).stdout
    assert tested.splitlines()[-1].startswith("8 passed")  # the kit's seven checks and the training


def test_a_bad_name_or_a_full_folder_is_one_line(run_cli, tmp_path):
    assert run_cli("new", "plugin", "My_Plugin", code=1).stderr.startswith(
        "Error: plugin names are lowercase letters, digits and single dashes"
    )
    (tmp_path / "zoo-taken").mkdir()
    (tmp_path / "zoo-taken" / "file").write_text("x")
    assert run_cli("new", "plugin", "taken", "--out", str(tmp_path / "zoo-taken"), code=1).stderr == (
        f"Error: {tmp_path / 'zoo-taken'} already exists and is not empty; choose another --out\n"
    )


def test_the_name_of_an_installed_plugin_is_refused(run_cli, tmp_path):
    """Installed, it would load renamed, and its test kit would check the built-in of that name."""
    assert run_cli("new", "plugin", "cf", "--out", str(tmp_path / "zoo-cf"), code=1).stderr == (
        "Error: a plugin named 'cf' is already installed (see `zoo plugins`); choose another name\n"
    )
    assert not (tmp_path / "zoo-cf").exists()
