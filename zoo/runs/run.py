"""The run directory on disk (its files are named in ``zoo.runs.layout``): JSON, the recipe, the
history, the model, the learning curves; an existing run is never replaced without ``force``."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import shutil
import time
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo.errors import RunError
from zoo.runs import layout
from zoo.runs.files import atomic_path, explain_os_error, write_atomic

if TYPE_CHECKING:
    import keras

RUNS_DIR_ENV = "ZOO_RUNS_DIR"


def default_run_dir(name: str) -> Path:
    """``$ZOO_RUNS_DIR`` (default ``./runs``) / ``NAME-YYYYmmdd-HHMMSS``, never an existing one."""
    base = Path(os.environ.get(RUNS_DIR_ENV, "runs"))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path, n = base / f"{name}-{stamp}", 1
    while path.exists():
        n += 1
        path = base / f"{name}-{stamp}-{n}"
    return path


def check_out_free(out: str | os.PathLike[str], force: bool) -> None:
    """Fail before any slow work if ``out`` holds something and ``force`` is not given."""
    path = Path(out)
    if path.exists() and (not path.is_dir() or any(path.iterdir())) and not force:
        raise RunError(f"{path} already exists and is not empty; pass --force to replace it, or choose another --out")


class Run:
    """A run directory on disk."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @classmethod
    def create(cls, path: str | os.PathLike[str], force: bool = False) -> Run:
        path = Path(path)
        check_out_free(path, force)
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise explain_os_error(exc, path) from exc
        return cls(path)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Run:
        run = cls(path)
        if not (run.path / layout.RECIPE).is_file():
            raise RunError(
                f"{run.path} is not a zoo run (no recipe.yaml); give a directory made by `zoo build` or `zoo train`"
            )
        return run

    # -- files ----------------------------------------------------------------------------------
    def write_json(self, name: str, data: Any) -> None:
        write_atomic(self.path / name, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")

    def read_json(self, name: str) -> Any:
        path = self.path / name
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RunError(f"{path}: missing; the run is incomplete") from None
        except json.JSONDecodeError as exc:
            raise RunError(f"{path}: corrupt JSON at line {exc.lineno}: {exc.msg}") from None

    def write_recipe(self, recipe: Mapping[str, Any]) -> None:
        from zoo.recipes.plan import dump_recipe

        write_atomic(self.path / layout.RECIPE, dump_recipe(recipe))

    @property
    def recipe_path(self) -> Path:
        return self.path / layout.RECIPE

    def read_recipe(self) -> dict[str, Any]:
        from zoo.recipes.yamlfile import load_yaml

        data = load_yaml(self.recipe_path)
        if not isinstance(data, dict):
            raise RunError(f"{self.recipe_path}: not a recipe")
        return data

    def update_meta(self, **fields: Any) -> None:
        meta = self.read_json(layout.META) if (self.path / layout.META).exists() else {}
        meta.update(fields)
        self.write_json(layout.META, meta)

    def write_history(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        columns = list(dict.fromkeys(k for row in rows for k in row))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        write_atomic(self.path / layout.HISTORY, buffer.getvalue())

    def read_history(self) -> list[dict[str, float]]:
        path = self.path / layout.HISTORY
        if not path.exists():
            return []
        with open(path, encoding="utf-8", newline="") as f:
            return [{k: float(v) for k, v in row.items() if v != ""} for row in csv.DictReader(f)]

    # -- models ---------------------------------------------------------------------------------
    def save_model(self, model: keras.Model, name: str = layout.MODEL) -> Path:
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            model.save(tmp)
        return path

    def load_model(self, name: str = layout.MODEL, prepare: Callable[[], None] | None = None) -> keras.Model:
        """Load with ``safe_mode=True``; ``prepare`` imports the plugin that registers custom layers."""
        import keras

        path = self.path / name
        if not path.is_file():
            raise RunError(f"{path}: missing; this run has no saved model (did the build fail?)")
        if not zipfile.is_zipfile(path):  # Keras calls an empty or truncated file "File not found"
            best = name == layout.MODEL and (self.path / layout.BEST).is_file()
            other = "; or use its best checkpoint (--checkpoint best)" if best else ""
            raise RunError(
                f"{path}: damaged ({path.stat().st_size:,} bytes, not a complete .keras file); "
                f"train the run again{other}"
            )
        try:
            if prepare is not None:
                prepare()
            return keras.saving.load_model(path, safe_mode=True)
        except (ValueError, OSError, KeyError, TypeError, ImportError, AttributeError) as exc:
            cause = _root_cause(exc)
            hint = self._plugin_hint() if "class" in cause or "module" in cause else ""
            raise RunError(f"{path}: cannot load the model: {cause}{hint}") from exc

    def _plugin_hint(self) -> str:
        """Which distributions the run's plugins came from, for a model that needs code not loaded."""
        try:
            plugins = self.read_json(layout.META).get("plugins", {}).values()
        except RunError:
            return ""
        wanted = sorted({p["distribution"] for p in plugins if p.get("distribution") not in (None, "keras-zoo")})
        return f" (this run was built with plugins from {', '.join(wanted)}: install and load them)" if wanted else ""

    # -- plots ----------------------------------------------------------------------------------
    def plot_history(self, rows: Sequence[Mapping[str, float]], name: str = layout.CURVES) -> Path | None:
        """Train and validation curves of every logged quantity, titled with the run's folder; dashed
        lines mark new stages, a dotted one the epoch of the best checkpoint (``meta.json``'s best)."""
        if not rows:
            return None
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        quantities = [k for k in rows[0] if k not in ("epoch", "stage", "learning_rate") and not k.startswith("val_")]
        fig, axes = plt.subplots(1, len(quantities), figsize=(5 * len(quantities), 3.6), squeeze=False)
        epochs = [int(r["epoch"]) + 1 for r in rows]
        meta = self.read_json(layout.META) if (self.path / layout.META).exists() else {}
        best = (meta.get("best") or {}).get("epoch")
        for ax, quantity in zip(axes[0], quantities):
            ax.plot(epochs, [r.get(quantity) for r in rows], marker="o", label="train")
            if any(f"val_{quantity}" in r for r in rows):
                ax.plot(epochs, [r.get(f"val_{quantity}") for r in rows], marker="o", label="validation")
            for prev, row in itertools.pairwise(rows):
                if row.get("stage") != prev.get("stage"):
                    ax.axvline(int(row["epoch"]) + 0.5, color="grey", linestyle="--", linewidth=1)
            if best is not None:
                ax.axvline(
                    int(best) + 1,
                    color="green",
                    linestyle=":",
                    linewidth=1.5,
                    label=f"best checkpoint (epoch {best + 1})",
                )
            ax.set_xlabel("epoch")
            ax.set_title(quantity)
            ax.legend()
            ax.grid(alpha=0.3)
        fig.suptitle(self.path.name)
        fig.tight_layout()
        path = self.path / name
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=110)
        plt.close(fig)
        return path


def _root_cause(exc: BaseException) -> str:
    """The first sentence of the deepest exception in the chain: Keras wraps a missing function in
    several layers of "could not be deserialized properly", each quoting whole configs."""
    while exc.__cause__ or exc.__context__:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    first = text.split(". ")[0]
    if isinstance(exc, ModuleNotFoundError):
        first = f"it needs the module {exc.name!r}, which is not installed"
    elif "Could not locate" in first:
        first += " (a Lambda over a function, or a layer of a plugin that is not loaded: safe mode runs no code "
        first += "a file names)"
    return first if len(first) <= 300 else first[:280] + "..."
