"""The run directory: everything needed to reproduce, inspect and reuse a built or trained model.

::

    RUN/model.keras             the model (loads with keras.saving.load_model(..., safe_mode=True))
    RUN/recipe.yaml             the fully resolved recipe (`zoo build -c RUN/recipe.yaml` rebuilds it)
    RUN/meta.json               versions, data checksums, seed, timings, status
    RUN/spec.json               the dataset spec (ids, vocabulary, classes) for `zoo predict`
    RUN/history.csv             one row per epoch (train)
    RUN/metrics.json            final metrics per split (train)
    RUN/learning_curves.png     loss and metrics per epoch, stages marked (train)
    RUN/checkpoints/best.keras  the best model by train.monitor (train)

Every file is written to a temporary name and renamed into place, so a crash, a full disk or
Ctrl-C leaves each file either as it was or complete. An existing run is never overwritten
without ``force``.
"""

from __future__ import annotations

import csv
import errno
import importlib
import io
import itertools
import json
import os
import shutil
import sys
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .backend import import_keras
from .errors import RunError, ZooError
from .specs import DatasetSpec

if TYPE_CHECKING:
    import keras

    from .plan import Plan
    from .registry import Registry

RUNS_DIR_ENV = "ZOO_RUNS_DIR"


def _explain(exc: OSError, path: Path) -> RunError:
    if exc.errno == errno.ENOSPC:
        return RunError(
            f"no space left on the device while writing {path}; free some space and run "
            f"again (files already saved were not changed)"
        )
    return RunError(f"cannot write {path}: {exc.strerror or exc} (files already saved were not changed)")


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` to write; it replaces ``path`` only when complete."""
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        raise _explain(exc, path) from exc
    finally:
        if tmp.exists():
            tmp.unlink()


def write_atomic(path: Path, text: str) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


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
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            if not force:
                raise RunError(
                    f"{path} already exists and is not empty; pass --force to replace it, or choose another --out"
                )
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _explain(exc, path) from exc
        return cls(path)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Run:
        run = cls(path)
        if not (run.path / "recipe.yaml").is_file():
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
        from .plan import dump_recipe

        write_atomic(self.path / "recipe.yaml", dump_recipe(recipe))

    @property
    def recipe_path(self) -> Path:
        return self.path / "recipe.yaml"

    def read_recipe(self) -> dict[str, Any]:
        from .yamlfile import load_yaml

        data = load_yaml(self.recipe_path)
        if not isinstance(data, dict):
            raise RunError(f"{self.recipe_path}: not a recipe")
        return data

    def update_meta(self, **fields: Any) -> None:
        meta = self.read_json("meta.json") if (self.path / "meta.json").exists() else {}
        meta.update(fields)
        self.write_json("meta.json", meta)

    def write_history(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        columns = list(dict.fromkeys(k for row in rows for k in row))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        write_atomic(self.path / "history.csv", buffer.getvalue())

    def read_history(self) -> list[dict[str, float]]:
        path = self.path / "history.csv"
        if not path.exists():
            return []
        with open(path, encoding="utf-8", newline="") as f:
            return [{k: float(v) for k, v in row.items() if v != ""} for row in csv.DictReader(f)]

    # -- models ---------------------------------------------------------------------------------
    def save_model(self, model: keras.Model, name: str = "model.keras") -> Path:
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            model.save(tmp)
        return path

    def load_model(self, name: str = "model.keras", prepare: Callable[[], None] | None = None) -> keras.Model:
        """Load with ``safe_mode=True``; ``prepare`` imports the plugin that registers custom layers."""
        import keras

        path = self.path / name
        if not path.is_file():
            raise RunError(f"{path}: missing; this run has no saved model (did the build fail?)")
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
            plugins = self.read_json("meta.json").get("plugins", {}).values()
        except RunError:
            return ""
        wanted = sorted({p["distribution"] for p in plugins if p.get("distribution") not in (None, "keras-zoo")})
        return f" (this run was built with plugins from {', '.join(wanted)}: install and load them)" if wanted else ""

    # -- plots ----------------------------------------------------------------------------------
    def plot_history(self, rows: Sequence[Mapping[str, float]], name: str = "learning_curves.png") -> Path | None:
        """Train and validation curves of every logged quantity; dashed lines mark new stages."""
        if not rows:
            return None
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        quantities = [k for k in rows[0] if k not in ("epoch", "stage", "learning_rate") and not k.startswith("val_")]
        fig, axes = plt.subplots(1, len(quantities), figsize=(5 * len(quantities), 3.6), squeeze=False)
        epochs = [int(r["epoch"]) + 1 for r in rows]
        for ax, quantity in zip(axes[0], quantities):
            ax.plot(epochs, [r.get(quantity) for r in rows], marker="o", label="train")
            if any(f"val_{quantity}" in r for r in rows):
                ax.plot(epochs, [r.get(f"val_{quantity}") for r in rows], marker="o", label="validation")
            for prev, row in itertools.pairwise(rows):
                if row.get("stage") != prev.get("stage"):
                    ax.axvline(int(row["epoch"]) + 0.5, color="grey", linestyle="--", linewidth=1)
            ax.set_xlabel("epoch")
            ax.set_title(quantity)
            ax.legend()
            ax.grid(alpha=0.3)
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


# -- loading a saved run: the public door for plugin commands and Python ------------------------------


@dataclass
class SavedRun:
    """A run directory loaded back: its resolved recipe, dataset spec and model (in safe mode).

    This is what plugin commands use (``zoo cf ...``, ``zoo embed ...`` do): ``load_run(path,
    registry)``, then ``saved.predict(raw)`` in the data's own terms, or ``saved.model`` and
    ``saved.spec`` directly. ``zoo.compose.load_dataset(saved.plan)`` reloads the recipe's data.
    """

    run: Run
    plan: Plan
    spec: DatasetSpec
    model: keras.Model

    def predict(self, raw_inputs: Any) -> list[Any]:
        """Predictions for user-facing inputs: ``spec.encode_inputs``, the model, ``spec.decode_outputs``;
        one decoded prediction per input."""
        inputs = self.spec.encode_inputs(raw_inputs)
        try:
            outputs = self.model.predict(inputs, verbose=0)
        except (ValueError, TypeError) as exc:
            raise ZooError(f"the inputs do not fit the model: {str(exc).splitlines()[0]}") from None
        return self.spec.decode_outputs(outputs)


#: Statuses of a run whose model.keras is not what training made: still training (or killed), or failed.
UNFINISHED = ("training", "failed", None)
BEST = "checkpoints/best.keras"


def load_run(path: str | os.PathLike[str], registry: Registry, model: str = "model.keras") -> SavedRun:
    """Load the run at ``path`` with the plugins of ``registry`` (the running command's, with its
    ``--plugin`` files: ``zoo.cli.pass_registry`` hands it to a plugin command).

    ``model`` may name another saved model of the run, such as ``checkpoints/best.keras``.
    """
    run = Run.open(path)
    status = run.read_json("meta.json").get("status") if (run.path / "meta.json").exists() else None
    if status in UNFINISHED and model == "model.keras":
        best = "; or use its best checkpoint (--checkpoint best)" if (run.path / BEST).exists() else ""
        raise RunError(
            f"{run.path} did not finish training (status {status!r}): its model.keras is not a trained "
            f"model. Train it again{best}"
        )
    plan = plan_of_run(run, registry)
    return SavedRun(run, plan, spec_of_run(run, plan), load_run_model(run, plan, model))


def plan_of_run(run: Run, registry: Registry) -> Plan:
    """The run's ``recipe.yaml``, resolved against ``registry``."""
    from .recipes import resolve

    try:
        return resolve(None, registry, config_files=(run.recipe_path,))
    except ZooError as exc:  # most often a plugin the run was built with is not loaded here
        raise type(exc)(f"{exc}{run._plugin_hint()}") from None


def spec_of_run(run: Run, plan: Plan) -> DatasetSpec:
    plan.dataset.load()  # defines the spec's class
    return DatasetSpec.from_dict(run.read_json("spec.json"))


def load_run_model(run: Run, plan: Plan, name: str = "model.keras") -> keras.Model:
    """The saved model, in safe mode, after importing the modules that define its custom layers."""
    import_keras()

    def prepare() -> None:
        plan.model.load()  # the builder's module
        import_custom_object_modules(run.path / name, plan.registry)  # and the modules of its registered layers

    return run.load_model(name, prepare=prepare)


def import_custom_object_modules(path: Path, registry: Registry | None) -> None:
    """Import the modules that define a saved model's custom objects, for ``safe_mode`` loading.

    Keras imports only its own packages when it loads a model; a plugin's registered layer must be
    imported first. Only modules of loaded plugins are imported, never one a file merely names.
    """
    try:
        with zipfile.ZipFile(path) as saved:
            config = json.loads(saved.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return  # Keras will report what is wrong with the file
    modules: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            module = node.get("module")
            if node.get("registered_name") and isinstance(module, str) and not module.startswith("keras"):
                modules.add(module)
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(config)
    plugins = registry.plugins.values() if registry else ()
    packages = {p.module.split(".")[0] for p in plugins if p.source != "file"}
    packages |= {n for n in sys.modules if n.startswith("zoo_local_plugin_")}
    for module in sorted(modules):
        if module.split(".")[0] in packages:
            importlib.import_module(module)
