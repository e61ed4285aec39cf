"""The wheel is the product: it must hold every module the zoo names (entry points, registry.yaml)
and every source file of the core and the built-in plugins. The editable install the other tests
use would hide a package left out of it."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SOURCE_PACKAGES = {"zoo": "zoo", "plugins": "zoo_plugins"}  # source folder -> installed package


def _module_file_in(names: set[str], module: str) -> bool:
    path = module.replace(".", "/")
    return f"{path}.py" in names or f"{path}/__init__.py" in names


pytestmark = pytest.mark.slow  # builds the wheel with pip


_BUILD_LITTER = shutil.ignore_patterns(".git", ".venv*", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache")


def _left_behind(folder: str, names: list[str]) -> set[str]:
    """What the copy leaves out: build litter anywhere, and the top-level runs/ (not zoo/runs/)."""
    return set(_BUILD_LITTER(folder, names)) | ({"runs"} if Path(folder) == ROOT else set())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """Build the wheel from a copy of the source tree (offline: no build isolation)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    shutil.copytree(
        ROOT,
        source,
        symlinks=True,
        ignore=_left_behind,
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(work / "dist"),
            str(source),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    (built,) = (work / "dist").glob("keras_zoo-*.whl")
    return zipfile.ZipFile(built)


def test_wheel_holds_every_source_file(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    missing = []
    for folder, package in SOURCE_PACKAGES.items():
        for file in (ROOT / folder).rglob("*"):
            shipped_kinds = (".py", ".yaml", ".typed", ".html")
            if file.is_file() and "__pycache__" not in file.parts and file.suffix in shipped_kinds:
                shipped = f"{package}/{file.relative_to(ROOT / folder).as_posix()}"
                if shipped not in names:
                    missing.append(shipped)
    assert not missing, f"left out of the wheel: {missing}"
    assert "zoo/deploy/page.html" in names  # zoo serve's page: a data file, shipped as package data


def test_wheel_holds_every_declared_module(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    (entry_points_file,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    entry_points = configparser.ConfigParser()
    entry_points.read_string(wheel.read(entry_points_file).decode())
    declared = [value.split(":")[0] for value in entry_points["zoo"].values()]
    declared += [value.split(":")[0] for value in entry_points["console_scripts"].values()]
    registry = yaml.safe_load(wheel.read("zoo_plugins/registry.yaml"))
    declared += registry["plugins"].values()
    assert "zoo_plugins.cf" in declared and "zoo.surfaces.cli" in declared
    missing = [module for module in declared if not _module_file_in(names, module)]
    assert not missing, f"named but not in the wheel: {missing}"
