"""``zoo new plugin NAME``: a plugin package to start from, which installs, lists, builds, trains
and passes the test kit (``zoo.testing``) as it stands: a synthetic dataset with its own spec, a
small classifier, a recipe joining them, and the test that runs the kit."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from zoo.errors import ZooError
from zoo.runs.files import atomic_path

_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

PYPROJECT = """[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "zoo-{name}"
version = "0.1.0"
description = "A keras-zoo plugin: {name}."
requires-python = ">=3.10"
dependencies = ["keras-zoo"]

[project.optional-dependencies]
test = ["pytest>=8"]

# The line that makes keras-zoo find the plugin: an entry point in the "zoo" group.
[project.entry-points.zoo]
{name} = "{package}"

[tool.setuptools]
packages = ["{package}"]
"""

INIT = '''"""The {name} plugin for keras-zoo. Registering imports nothing heavy: targets are strings."""

from zoo import hookimpl


@hookimpl
def register_models(register):
    register("{name}-mlp", "{package}.models:mlp", tiny={{"hidden": 4}},
             summary="A dense classifier over feature vectors.")


@hookimpl
def register_datasets(register):
    register("{name}-blobs", "{package}.data:blobs", summary="SYNTHETIC Gaussian blobs, one per class.")


@hookimpl
def register_recipes(register):
    register("{name}-blobs-mlp", {{
        "summary": "The classifier on the synthetic blobs.",
        "dataset": {{"use": "{name}-blobs", "n_classes": 3}},
        "model": {{"use": "{name}-mlp", "hidden": 16}},
        "train": {{"optimizer": {{"use": "adam", "learning_rate": 0.01}}, "stages": [{{"epochs": 3}}]}},
    }})
'''

DATA = '''"""The dataset: a spec of its own (what the model needs to know), and synthetic data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from zoo.plugin import Dataset, DatasetSpec, Split, ZooError, sha256_of


@dataclass
class BlobsSpec(DatasetSpec):
    """Feature vectors of ``n_features`` floats, each labelled with one of ``n_classes``."""

    n_features: int = 2
    n_classes: int = 2

    @classmethod
    def example(cls) -> BlobsSpec:
        return cls(name="example", task="multiclass", synthetic=True, n_features=3, n_classes=2)

    def example_inputs(self, n: int, seed: int = 0) -> np.ndarray:
        return np.random.default_rng(seed).normal(size=(n, self.n_features)).astype("float32")

    def encode_inputs(self, raw: Any) -> np.ndarray:
        """``zoo predict RUN "[0.1, 0.2, 0.3, 0.4]"``: each input a list of ``n_features`` numbers."""
        x = np.asarray(raw, dtype="float32")
        x = x[None, :] if x.ndim == 1 else x
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ZooError(f"give each input as a list of {{self.n_features}} numbers. Received: {{raw!r}}")
        return x


def blobs(*, n_samples: int = 600, n_features: int = 4, n_classes: int = 2, validation: float = 0.25,
          seed: int = 0) -> Dataset[BlobsSpec]:
    """SYNTHETIC Gaussian blobs: one cluster per class around a random centre.

    Args:
        n_samples: Samples in all.
        n_features: Features per sample.
        n_classes: Number of classes (clusters).
        validation: Fraction held out for validation.
        seed: Seeds the generator.
    """
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2. Received: n_classes={{n_classes}}")
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 2, (n_classes, n_features))
    y = rng.integers(0, n_classes, n_samples)
    x = (centres[y] + rng.normal(0, 0.5, (n_samples, n_features))).astype("float32")
    cut = int(n_samples * (1 - validation))
    spec = BlobsSpec(name="{name}-blobs", task="multiclass", synthetic=True, n_features=n_features,
                     n_classes=n_classes)
    splits = {{"train": Split(x[:cut], y[:cut]), "validation": Split(x[cut:], y[cut:])}}
    settings = f"{{n_samples}},{{n_features}},{{n_classes}},{{validation}},{{seed}}"
    return Dataset(spec, splits, checksum=sha256_of("{name}-blobs", settings))
'''

MODELS = '''"""The model: a plain Keras functional builder; Keras is imported inside the function."""

from __future__ import annotations

from typing import TYPE_CHECKING

from {package}.data import BlobsSpec

if TYPE_CHECKING:
    import keras


def mlp(spec: BlobsSpec, *, hidden: int = 16, dropout: float = 0.1) -> keras.Model:
    """Features -> Dense(hidden, relu) -> Dropout -> Dense(n_classes, softmax).

    Args:
        hidden: Units of the hidden layer.
        dropout: Dropout rate after the hidden layer.
    """
    if hidden < 1:
        raise ValueError(f"hidden must be at least 1. Received: hidden={{hidden}}")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1). Received: dropout={{dropout}}")
    from keras import Input, Model, layers

    features = Input(shape=(spec.n_features,), name="features")
    x = layers.Dense(hidden, activation="relu", name="hidden")(features)
    x = layers.Dropout(dropout, name="dropout")(x)
    probabilities = layers.Dense(spec.n_classes, activation="softmax", name="classes")(x)
    return Model(features, probabilities, name="{package}_mlp")
'''

TESTS = '''"""The plugin against keras-zoo's contract (its public test kit), and one real training."""

import zoo
from zoo.testing import parametrize_plugin_checks


@parametrize_plugin_checks("{name}")
def test_zoo_contract(check):
    check()


def test_the_recipe_learns(tmp_path):
    run = zoo.train("{name}-blobs-mlp", out=str(tmp_path / "run"), verbose=0)
    assert run.read_json("metrics.json")["validation"]["accuracy"] > 0.8
'''

README = """# zoo-{name}

A keras-zoo plugin: the model `{name}-mlp`, the dataset `{name}-blobs` and the recipe
`{name}-blobs-mlp`. Made by `zoo new plugin {name}`; replace the blobs and the classifier with
your own, keeping the shape of each file (docs: keras-zoo's docs/plugins.md).

```sh
pip install -e ".[test]"
zoo plugins                       # lists {name}
zoo train {name}-blobs-mlp
pytest                            # keras-zoo's test kit, and the recipe learning
```
"""


def new_plugin(name: str, out: str | Path | None = None, taken: Iterable[str] = ()) -> Path:
    """Write the package ``zoo-NAME`` (into ``out``, default ``./zoo-NAME``) and return its folder.
    ``taken``: the names of the plugins already installed, which a new one must not reuse (installed,
    it would be renamed, and its tests would check the other plugin)."""
    if not _NAME.match(name):
        raise ZooError(
            f"plugin names are lowercase letters, digits and single dashes, starting with a letter "
            f"(such as 'my-models'). Received: {name!r}"
        )
    if name in set(taken):
        raise ZooError(f"a plugin named {name!r} is already installed (see `zoo plugins`); choose another name")
    root = Path(out) if out is not None else Path(f"zoo-{name}")
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise ZooError(f"{root} already exists and is not empty; choose another --out")
    package = "zoo_" + name.replace("-", "_")
    files = {
        "pyproject.toml": PYPROJECT,
        "README.md": README,
        f"{package}/__init__.py": INIT,
        f"{package}/data.py": DATA,
        f"{package}/models.py": MODELS,
        "tests/test_plugin.py": TESTS,
    }
    for relative, template in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            tmp.write_text(template.format(name=name, package=package), encoding="utf-8")
    return root
