"""Every hook a zoo plugin can implement. The docstrings are the plugin author's contract.

A plugin is a module (or any object) with functions marked ``@zoo.hookimpl`` and named after the
hooks below. It is found through the ``zoo`` entry-point group (the built-ins too), or as a local
file (``zoo --plugin path.py`` or ``ZOO_PLUGIN_FILES``).

Registering is cheap and lazy: a plugin gives names, summaries and *targets*, as
``"package.module:function"`` strings or callables. The module holding a target is imported only
when that name is shown in detail, validated or built, and it must not import TensorFlow, Keras
or gensim at module level either (import them inside the function), so that ``zoo list``,
``zoo show`` and ``zoo build --dry-run`` stay instant.

A target's *keyword-only* parameters are its recipe parameters: the zoo checks every recipe key
against them (names, type hints, required parameters) before anything is built, and ``zoo show``
documents them from the signature and the ``Args:`` section of the docstring. Its positional
parameters are what the zoo passes in (see each hook).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import pluggy

if TYPE_CHECKING:
    import click

hookspec = pluggy.HookspecMarker("zoo")
hookimpl = pluggy.HookimplMarker("zoo")


class Register(Protocol):
    """The callback each ``register_*`` hook receives."""

    def __call__(
        self,
        name: str,
        target: Any,
        *,
        summary: str = "",
        tags: tuple[str, ...] | list[str] = (),
        aliases: tuple[str, ...] | list[str] = (),
        tiny: dict[str, Any] | None = None,
        weights: dict[str, dict[str, str]] | None = None,
    ) -> None: ...


@hookspec
def register_models(register: Register) -> None:
    """Register model builders.

    ``register(name, "pkg.module:builder", summary=..., tags=[...], aliases=[...], tiny={...})``.

    A builder is ``builder(spec, embedding=None, *, **params) -> keras.Model``:

    - ``spec`` is the dataset's spec (a :class:`zoo.catalog.specs.DatasetSpec` subclass, annotated so the
      zoo can tell a mismatched dataset apart before building);
    - ``embedding`` (optional; leave the parameter out if the model takes none) is a
      :class:`zoo.catalog.specs.EmbeddingMatrix` from the recipe's embedding provider, or ``None``;
    - the keyword-only ``params`` are the recipe's ``model:`` section.

    It returns an *uncompiled* functional model with stable layer names (recipes freeze and
    unfreeze layers by name). It never reads files. Custom layers live in a module of the plugin's
    package, registered with ``keras.saving.register_keras_serializable``; the zoo imports that
    module (named in the saved config) before loading a run with ``safe_mode=True``.
    ``tiny`` gives parameters that make the model small enough for the zoo's registry-driven
    build/save/load test, which every registered builder gets.

    ``weights`` names published weight files a recipe may start from (``build.initial_weights:
    imagenet``): ``{"imagenet": {"url": ..., "file_hash": ..., "file": ...}}``, fetched with
    ``keras.utils.get_file`` (so the Keras cache is searched first) and loaded by layer name.
    """


@hookspec
def register_datasets(register: Register) -> None:
    """Register dataset adapters.

    An adapter is ``adapter(*, **params) -> zoo.catalog.specs.Dataset``; its keyword-only parameters are
    the recipe's ``dataset:`` section. It reads an explicit ``path`` when given, else the zoo's
    data home (:func:`zoo.catalog.specs.data_home`), and raises :class:`zoo.ZooError` naming the files
    to put where when the data is missing. It never builds layers. Synthetic data must say so
    in its name and in ``spec.synthetic``.
    """


@hookspec
def register_embeddings(register: Register) -> None:
    """Register embedding providers.

    A provider is ``provider(dataset, *, **params) -> zoo.catalog.specs.Vectors``: word vectors, which the
    zoo aligns to ``dataset.spec.vocabulary`` (``Vectors.matrix``) before passing the resulting
    :class:`zoo.catalog.specs.EmbeddingMatrix` to the model builder. ``dataset`` is there for providers
    that train on the dataset's own text. A provider that computes one row per vocabulary id from
    the dataset itself (such as ``nb-ratios``) returns that ``EmbeddingMatrix`` directly.
    """


@hookspec
def register_callbacks(register: Register) -> None:
    """Register Keras callbacks that recipes name (``train.callbacks: [{use: NAME, ...}]``).

    A target is ``factory(spec, *, **params) -> keras.callbacks.Callback``: ``spec`` (optional;
    leave the parameter out if the callback needs none) is the dataset's spec, for callbacks that
    speak in the data's terms (``sample-text`` writes characters); the keyword-only ``params`` are
    the recipe item's other keys, checked like every section. A new callback is made for every
    stage of a run. The zoo's own (history, best checkpoint, early stopping, NaN) always run.
    """


@hookspec
def register_recipes(register: Register) -> None:
    """Register named recipes.

    ``register(name, recipe)`` where ``recipe`` is a mapping in the recipe format (``summary``,
    ``tags``, ``extends``, ``dataset``, ``embedding``, ``model``, ``build``, ``train``; see
    docs/recipes.md) and names plugins and parameters only, never import paths.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add click commands or groups to the ``zoo`` command line (``cli.add_command(...)``).

    Commands run on saved runs or registered names; import heavy libraries inside the command.
    """
