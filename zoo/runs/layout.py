"""The one place that names the files of a run directory::

RUN/model.keras             the model (loads with keras.saving.load_model(..., safe_mode=True))
RUN/recipe.yaml             the fully resolved recipe (`zoo build -c RUN/recipe.yaml` rebuilds it)
RUN/meta.json               versions, data checksums, seed, timings, status
RUN/spec.json               the dataset spec (ids, vocabulary, classes) for `zoo predict`
RUN/history.csv             one row per epoch (train)
RUN/metrics.json            final metrics per split (train)
RUN/learning_curves.png     loss and metrics per epoch, stages marked (train)
RUN/checkpoints/best.keras  the best model by train.monitor (train)
"""

from __future__ import annotations

MODEL = "model.keras"
RECIPE = "recipe.yaml"
META = "meta.json"
SPEC = "spec.json"
HISTORY = "history.csv"
METRICS = "metrics.json"
CURVES = "learning_curves.png"
BEST = "checkpoints/best.keras"

#: The saved models a command may pick with ``--checkpoint``.
CHECKPOINTS = {"final": MODEL, "best": BEST}

#: Statuses of a run whose model.keras is not what training made: still training (or killed), or failed.
UNFINISHED = ("training", "failed", None)
