"""`zoo embed ...`: look inside word vectors, from a provider (`glove --set path=...`) or a trained run.

Neighbours and analogies are gensim's ``KeyedVectors.most_similar`` (cosine similarity); the map is
scikit-learn's PCA or t-SNE of the most frequent words.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from zoo.plugin import Registry, ZooError, component, load_run, pass_registry


def load_vectors(registry: Registry, source: str, settings: tuple[str, ...]) -> Any:
    """gensim KeyedVectors from a run directory (its learned embedding) or a registered provider."""
    import numpy as np
    from gensim.models import KeyedVectors

    if (Path(source) / "recipe.yaml").is_file():
        saved = load_run(source, registry)
        vocabulary, model = getattr(saved.spec, "vocabulary", None), saved.model
        if vocabulary is None or "embedding" not in [layer.name for layer in model.layers]:
            raise ZooError(f"{source} has no word embedding to look at (needs a text model with an 'embedding' layer)")
        weights = model.get_layer("embedding").get_weights()[0]
        rows = [i for i, word in enumerate(vocabulary) if word is not None]
        words, vectors = [vocabulary[i] for i in rows], weights[rows]
    else:
        provider, params = component(registry, "embedding", source, settings)
        vectors_obj = provider(None, **params)  # no dataset: the provider loads from its files
        words, vectors = list(vectors_obj.words), np.asarray(vectors_obj.vectors)
    keyed = KeyedVectors(vector_size=vectors.shape[1])
    keyed.add_vectors(words, vectors)
    return keyed


def _word(keyed: Any, word: str) -> str:
    if word not in keyed.key_to_index:
        raise ZooError(f"{word!r} has no vector here ({len(keyed.key_to_index):,} words)")
    return word


@click.group(name="embed")
def embed_group() -> None:
    """Look inside word vectors: neighbours, analogies, a 2-D map.

    SOURCE is a trained run directory, or an embedding provider with its parameters:
    zoo embed neighbors glove film --set path=glove.6B.50d.txt.gz
    """


_SET = click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="KEY=VALUE",
    help="A provider parameter, e.g. --set path=glove.6B.50d.txt.gz --set dim=50.",
)


@embed_group.command()
@click.argument("source")
@click.argument("word")
@click.option("--top", default=10, show_default=True)
@_SET
@pass_registry
def neighbors(registry: Registry, source: str, word: str, top: int, settings: tuple[str, ...]) -> None:
    """The words nearest to WORD (cosine similarity)."""
    keyed = load_vectors(registry, source, settings)
    for other, similarity in keyed.most_similar(_word(keyed, word), topn=top):
        click.echo(f"  {similarity:.3f}  {other}")


@embed_group.command()
@click.argument("source")
@click.argument("expression", nargs=-1, required=True)
@click.option("--top", default=5, show_default=True)
@_SET
@pass_registry
def analogy(registry: Registry, source: str, expression: tuple[str, ...], top: int, settings: tuple[str, ...]) -> None:
    """Words nearest to an expression such as: king - man + woman."""
    positive: list[str] = []
    negative: list[str] = []
    sign = "+"
    for token in expression:
        if token in ("+", "-"):
            sign = token
            continue
        (positive if sign == "+" else negative).append(token)
        sign = "+"
    if not positive:
        raise ZooError(
            f"expected words joined by + and -, such as: king - man + woman. Received: {' '.join(expression)}"
        )
    keyed = load_vectors(registry, source, settings)
    for other, similarity in keyed.most_similar(
        positive=[_word(keyed, w) for w in positive], negative=[_word(keyed, w) for w in negative], topn=top
    ):
        click.echo(f"  {similarity:.3f}  {other}")


@embed_group.command(name="map")
@click.argument("source")
@click.option("--n", "count", default=300, show_default=True, help="How many of the most frequent words.")
@click.option(
    "--skip",
    type=int,
    help="Skip the N most frequent words first: stop words, which say little about "
    "meaning (default 100, fewer in a small vocabulary so that --n words remain; 0 keeps them).",
)
@click.option("--method", type=click.Choice(["pca", "tsne"]), default="tsne", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default="embedding-map.png", show_default=True)
@_SET
@pass_registry
def map_command(
    registry: Registry, source: str, count: int, skip: int | None, method: str, out: str, settings: tuple[str, ...]
) -> None:
    """A labelled 2-D projection of the most frequent words (t-SNE or PCA)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE

    from zoo.plugin import atomic_path

    keyed = load_vectors(registry, source, settings)
    if skip is None:
        skip = max(0, min(100, len(keyed.index_to_key) - count))
    words = keyed.index_to_key[skip : skip + count]  # providers and runs list words by frequency
    if len(words) < 3:
        raise ZooError(f"only {len(words)} words to map; lower --skip or raise --n")
    vectors = keyed[words]
    if method == "pca":
        points = PCA(n_components=2, random_state=0).fit_transform(vectors)
    else:
        points = TSNE(n_components=2, random_state=0, perplexity=min(30.0, len(words) - 1.0), init="pca").fit_transform(
            vectors
        )
    fig, ax = plt.subplots(figsize=(14, 12))
    ax.scatter(points[:, 0], points[:, 1], s=6, alpha=0.4)
    for (x, y), word in zip(points, words):
        ax.annotate(word, (x, y), fontsize=8, xytext=(2, 2), textcoords="offset points")
    ax.set_title(
        f"{method.upper()} of the {len(words)} most frequent words" + (f" after the first {skip}" if skip else "")
    )
    ax.set_xticks([])
    ax.set_yticks([])
    fig.tight_layout()
    with atomic_path(Path(out)) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    ranks = f"frequency ranks {skip + 1} to {skip + len(words)}"
    click.echo(f"drew the {len(words)} words of {ranks} ({words[0]!r} ... {words[-1]!r}) by {method.upper()}")
    click.echo(f"saved {out}")
