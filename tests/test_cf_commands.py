"""`zoo cf biases|components|recommend` on a tiny trained run."""

from __future__ import annotations

import numpy as np
import pytest

import zoo
from zoo.assembly.compose import load_dataset


@pytest.fixture(scope="module")
def cf_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("cf") / "run"
    return zoo.train(
        "synthetic-cf-bias",
        out=str(out),
        verbose=0,
        dataset={"n_users": 80, "n_items": 60, "density": 0.4},
        model={"n_factors": 4},
        train={"stages": [{"epochs": 2}]},
    )


def test_biases_lists_best_and_worst_titles(cf_run, run_cli):
    lines = run_cli("cf", "biases", str(cf_run.path), "--top", "3", "--among", "20").stdout.splitlines()
    assert lines[0] == "highest bias (among the 20 most-rated):"
    assert lines[4] == "lowest bias:"
    assert len(lines) == 8 and all("Synthetic item" in line for line in lines[1:4] + lines[5:])
    best, worst = float(lines[1].split()[0]), float(lines[5].split()[0])
    assert best >= worst


def test_components_reports_titles_and_writes_the_png(cf_run, run_cli, tmp_path):
    png = tmp_path / "pca.png"
    out = run_cli("cf", "components", str(cf_run.path), "--n", "2", "--top", "2", "--out", str(png)).stdout
    assert out.startswith("component 0 (") and "component 1 (" in out
    assert out.count("  top:") == 2 and out.endswith(f"saved {png}\n")
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert run_cli("cf", "components", str(cf_run.path), "--n", "2", "--plot", "0,5", code=1).stderr == (
        "Error: --n 2 --plot 0,5: at most 4 components here\n"
    )
    assert run_cli("cf", "components", str(cf_run.path), "--plot", "1,1", code=1).stderr == (
        "Error: --plot 1,1: give two different components, numbered from 0, such as 0,1\n"
    )


def test_one_component_printed_still_plots_two(cf_run, run_cli, tmp_path, monkeypatch):
    """Once: --n 1 plotted component 0 against itself."""
    from zoo_plugins.cf import analysis

    plotted = {}
    real = analysis.plot_components
    monkeypatch.setattr(analysis, "plot_components", lambda *a: plotted.update(axes=a[3], shares=a[4]) or real(*a))
    out = run_cli(
        "cf", "components", str(cf_run.path), "--n", "1", "--top", "2", "--out", str(tmp_path / "1.png")
    ).stdout
    assert out.startswith("component 0 (") and "component 1" not in out
    assert plotted["axes"] == (0, 1) and plotted["shares"][0] >= plotted["shares"][1] > 0


def test_titles_that_would_overlap_are_not_written(tmp_path):
    from zoo_plugins.cf.analysis import plot_components

    rng = np.random.default_rng(0)
    points = np.concatenate([rng.normal(0, 0.01, (40, 2)), [[-1.0, -1.0], [1.0, 1.0]]])
    titles = [f"movie {i}" for i in range(42)]
    shown = plot_components(points, titles, 42, (0, 1), (0.3, 0.2), tmp_path / "p.png")
    assert shown[0] == "movie 0" and {"movie 40", "movie 41"} <= set(shown) and len(shown) < 10


def test_recommend_excludes_what_the_user_rated(cf_run, run_cli):
    saved = zoo.load_run(cf_run.path)
    train = load_dataset(saved.plan).splits["train"]
    user = saved.spec.user_ids.index(3)
    rated = {saved.spec.item_titles[i] for i in train.x["item"][train.x["user"] == user]}
    everything = saved.spec.n_items
    out = run_cli("cf", "recommend", str(cf_run.path), "--user", "3", "--top", str(everything)).stdout.splitlines()
    assert (
        out[0] == f"user 3: {len(rated)} movies rated in training; top {everything - len(rated)} of "
        f"{everything - len(rated)} unseen"
    )
    listed = [line.split(None, 1) for line in out[1:]]
    titles, ratings = [t for _, t in listed], [float(r) for r, _ in listed]
    assert set(titles) == set(saved.spec.item_titles) - rated  # every unseen movie, and no rated one
    assert ratings == sorted(ratings, reverse=True)
    assert all(saved.spec.rating_min <= r <= saved.spec.rating_max for r in ratings)
    assert run_cli("cf", "recommend", str(cf_run.path), "--user", "999", code=1).stderr == (
        "Error: user id '999' was never seen in training; ids run from 0 to 79 (80 users)\n"
    )


def test_biases_needs_a_model_with_item_biases(run_cli, tmp_path):
    run = zoo.train(
        "synthetic-cf-nn",
        out=str(tmp_path / "nn"),
        verbose=0,
        dataset={"n_users": 30, "n_items": 20, "density": 0.5},
        train={"stages": [{"epochs": 1}]},
    )
    assert run_cli("cf", "biases", str(run.path), code=1).stderr.startswith(
        "Error: this model has no 'item_bias' layer (layers: user, item, "
    )


def test_predict_speaks_in_ratings_and_refuses_an_unseen_item(cf_run, run_cli):
    import json

    lines = run_cli("predict", str(cf_run.path), "[1, 2]", "[3, 4]").stdout.splitlines()
    predictions = [json.loads(line) for line in lines]
    assert [p["input"] for p in predictions] == [[1, 2], [3, 4]]
    assert all(0.5 <= p["prediction"] <= 5.0 for p in predictions)  # the synthetic ratings' scale
    assert run_cli("predict", str(cf_run.path), "[1, 999]", code=1).stderr == (
        "Error: item id 999 was never seen in training; predictions exist only for the 60 items of synthetic-ratings\n"
    )
