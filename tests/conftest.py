from __future__ import annotations

import os
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from zoo.surfaces.cli import cli

DATA_DIR = os.environ.get("ZOO_DATA_DIR")
#: the test suite's own plugin (tiny dataset, models, recipes), loaded for every test
TINY_PLUGIN = Path(__file__).with_name("tiny_plugin.py")


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs and the data home (caches, downloads) land in the test's own folder; only the test
    suite's plugin file is loaded, and no plugin selection or backend setting leaks in from the
    environment beyond KERAS_BACKEND."""
    monkeypatch.setenv("ZOO_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ZOO_DATA", raising=False)
    monkeypatch.delenv("ZOO_CACHE", raising=False)
    monkeypatch.setenv("ZOO_PLUGIN_FILES", str(TINY_PLUGIN))
    monkeypatch.delenv("ZOO_LOAD_PLUGINS", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def run_cli() -> Callable[..., object]:
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(cli, list(args), catch_exceptions=False)
        assert result.exit_code == code, f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        return result

    return invoke


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
        return path

    return write


def pytest_sessionstart(session: pytest.Session) -> None:
    import zoo

    # For the whole session, so that module-scoped fixtures (made before _isolated runs) see it too.
    os.environ["ZOO_PLUGIN_FILES"] = str(TINY_PLUGIN)

    if "example" not in zoo.load_plugins().plugins:
        pytest.exit(
            "the tests exercise the example plugin package: pip install -e examples/zoo-example-plugin (see README.md)",
            returncode=4,
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if DATA_DIR:
        return
    skip = pytest.mark.skip(reason="set ZOO_DATA_DIR to the real datasets to run this test")
    for item in items:
        if "realdata" in item.keywords:
            item.add_marker(skip)
