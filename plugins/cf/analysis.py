"""`zoo cf ...`: what a trained collaborative-filtering run learned, in the dataset's own titles.

Registered through ``register_commands``; Keras and scikit-learn are imported when a command runs.
"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np

from zoo.plugin import Registry, SavedRun, ZooError, load_run, pass_registry
from zoo_plugins.cf.data import RatingsSpec


class TrainedCF(SavedRun):
    """A saved run trained on ratings."""

    spec: RatingsSpec


def load_trained(registry: Registry, run_dir: str) -> TrainedCF:
    """The saved run, which must have been trained on ratings."""
    saved = load_run(run_dir, registry)
    if not isinstance(saved.spec, RatingsSpec):
        raise ZooError(f"{run_dir} was trained on {type(saved.spec).__name__} data; `zoo cf` needs a ratings run")
    return TrainedCF(saved.run, saved.plan, saved.spec, saved.model)


def layer_weights(saved: SavedRun, name: str) -> np.ndarray:
    names = [layer.name for layer in saved.model.layers]
    if name not in names:
        raise ZooError(
            f"this model has no {name!r} layer (layers: {', '.join(names)}); this command needs a model such as cf-bias"
        )
    return saved.model.get_layer(name).get_weights()[0]


def most_rated(spec: RatingsSpec, among: int) -> np.ndarray:
    """Indices of the ``among`` most-rated items (rare items' parameters are mostly noise)."""
    counts = np.asarray(spec.item_rating_counts or np.ones(spec.n_items), dtype="int64")
    return np.argsort(-counts, kind="stable")[:among]


def _print_ranked(title: str, rows: list[tuple[float, str]]) -> None:
    click.echo(title)
    for value, name in rows:
        click.echo(f"  {value:+.3f}  {name}")


@click.group(name="cf")
def cf_group() -> None:
    """Inspect a trained collaborative-filtering run (biases, components, recommendations)."""


@cf_group.command()
@click.argument("run_dir", metavar="RUN", type=click.Path(file_okay=False, exists=True))
@click.option("--top", default=15, show_default=True, help="How many best and worst movies.")
@click.option("--among", default=2000, show_default=True, help="Only the N most-rated movies.")
@pass_registry
def biases(registry: Registry, run_dir: str, top: int, among: int) -> None:
    """The best and worst movies by learned bias, among the most-rated."""
    trained = load_trained(registry, run_dir)
    bias = layer_weights(trained, "item_bias")[:, 0]
    candidates = most_rated(trained.spec, among)
    ranked = candidates[np.argsort(-bias[candidates], kind="stable")]
    titles = trained.spec.item_titles
    _print_ranked(
        f"highest bias (among the {len(candidates)} most-rated):", [(float(bias[i]), titles[i]) for i in ranked[:top]]
    )
    _print_ranked("lowest bias:", [(float(bias[i]), titles[i]) for i in ranked[::-1][:top]])


@cf_group.command()
@click.argument("run_dir", metavar="RUN", type=click.Path(file_okay=False, exists=True))
@click.option("--n", "n_components", default=3, show_default=True, help="Principal components to report.")
@click.option("--among", default=1000, show_default=True, help="Only the N most-rated movies.")
@click.option("--top", default=10, show_default=True, help="Titles at each end of a component.")
@click.option(
    "--plot", "plot_axes", default="0,1", show_default=True, help="The two components to scatter, such as 0,2."
)
@click.option("--labels", default=40, show_default=True, help="How many of the most-rated movies to label.")
@click.option("--out", type=click.Path(dir_okay=False), help="The PNG (default RUN/components.png).")
@pass_registry
def components(
    registry: Registry,
    run_dir: str,
    n_components: int,
    among: int,
    top: int,
    plot_axes: str,
    labels: int,
    out: str | None,
) -> None:
    """Principal components of the movie factors: the titles at each end, and a labelled scatter."""
    from sklearn.decomposition import PCA

    if n_components < 1:
        raise ZooError(f"--n {n_components}: ask for at least one component")
    try:
        x_axis, y_axis = (int(a) for a in plot_axes.split(","))
    except ValueError:
        raise ZooError(f"--plot {plot_axes!r}: expected two component numbers such as 0,1") from None
    if x_axis == y_axis or min(x_axis, y_axis) < 0:
        raise ZooError(f"--plot {plot_axes}: give two different components, numbered from 0, such as 0,1")
    trained = load_trained(registry, run_dir)
    candidates = most_rated(trained.spec, among)
    factors = layer_weights(trained, "item_embedding")[candidates]
    fitted = max(n_components, x_axis + 1, y_axis + 1)  # the plotted ones too, even past those printed
    if fitted > min(factors.shape):
        raise ZooError(f"--n {n_components} --plot {plot_axes}: at most {min(factors.shape)} components here")
    pca = PCA(n_components=fitted, random_state=0)
    projected = pca.fit_transform(factors)
    titles = [trained.spec.item_titles[i] for i in candidates]
    for c in range(n_components):
        order = np.argsort(-projected[:, c], kind="stable")
        click.echo(f"component {c} ({pca.explained_variance_ratio_[c]:.1%} of the variance)")
        _print_ranked("  top:", [(float(projected[i, c]), titles[i]) for i in order[:top]])
        _print_ranked("  bottom:", [(float(projected[i, c]), titles[i]) for i in order[::-1][:top]])
    path = Path(out) if out else trained.run.path / "components.png"
    shares = (float(pca.explained_variance_ratio_[x_axis]), float(pca.explained_variance_ratio_[y_axis]))
    plot_components(projected[:, [x_axis, y_axis]], titles, labels, (x_axis, y_axis), shares, path)
    click.echo(f"saved {path}")


def plot_components(
    points: np.ndarray,
    titles: list[str],
    labels: int,
    axes: tuple[int, int],
    shares: tuple[float, float],
    path: Path,
) -> list[str]:
    """A scatter of every movie, with the titles of the most-rated ``labels`` written beside them,
    except where a more-rated title is already written close by (the dense middle stays legible);
    returns the titles written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from zoo.plugin import atomic_path

    fig, ax = plt.subplots(figsize=(12, 10))
    ax.scatter(points[:, 0], points[:, 1], s=8, alpha=0.35, color="tab:blue")
    span = np.ptp(points, axis=0) + 1e-12
    written: list[np.ndarray] = []
    shown = []
    for point, title in zip(points[:labels], titles[:labels]):  # candidates are most-rated first
        where = point / span
        if any(abs(where[0] - w[0]) < 0.12 and abs(where[1] - w[1]) < 0.025 for w in written):
            continue  # a label's box is about 12% of the width and 2.5% of the height
        written.append(where)
        shown.append(title)
        ax.annotate(title, tuple(point), fontsize=7, alpha=0.9, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel(f"component {axes[0]} ({shares[0]:.1%} of the variance)")
    ax.set_ylabel(f"component {axes[1]} ({shares[1]:.1%} of the variance)")
    ax.set_title(f"Movie factors, principal components {axes[0]} and {axes[1]}")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)
    plt.close(fig)
    return shown


@cf_group.command()
@click.argument("run_dir", metavar="RUN", type=click.Path(file_okay=False, exists=True))
@click.option("--user", "user_id", required=True, help="The user's id, as in the dataset.")
@click.option("--top", default=10, show_default=True, help="How many movies.")
@pass_registry
def recommend(registry: Registry, run_dir: str, user_id: str, top: int) -> None:
    """The movies a user has not rated, by highest predicted rating."""
    from zoo.plugin import load_dataset

    trained = load_trained(registry, run_dir)
    spec = trained.spec
    wanted = next((i for i, uid in enumerate(spec.user_ids) if str(uid) == user_id), None)
    if wanted is None:
        raise ZooError(
            f"user id {user_id!r} was never seen in training; ids run from {spec.user_ids[0]} "
            f"to {spec.user_ids[-1]} ({spec.n_users} users)"
        )
    train = load_dataset(trained.plan).splits["train"]
    seen = set(train.x["item"][train.x["user"] == wanted].tolist())
    unseen = np.array([i for i in range(spec.n_items) if i not in seen], dtype="int32")
    outputs = trained.model.predict(
        {"user": np.full(len(unseen), wanted, "int32"), "item": unseen}, batch_size=4096, verbose=0
    )
    predicted = np.asarray(spec.decode_outputs(outputs))  # ratings within the data's scale
    order = np.argsort(-predicted, kind="stable")[:top]
    click.echo(f"user {user_id}: {len(seen)} movies rated in training; top {len(order)} of {len(unseen)} unseen")
    for i in order:
        click.echo(f"  {predicted[i]:.2f}  {spec.item_titles[unseen[i]]}")
