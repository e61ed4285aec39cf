"""Writing with a trained character model: ``zoo generate RUN`` and :func:`generate`.

The lesson calls ``model.predict`` on the last 40 characters for every character it writes. Here
the recurrent state is carried from one character to the next instead: each new character costs
one step of each LSTM cell, and the model reads everything written so far, not only the last
window. :func:`reference_generate` is the slow way (the whole text so far through the whole model,
for every character), kept to prove the fast one writes the same text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import click
import numpy as np

from zoo.plugin import Registry, ZooError, load_run, pass_registry
from zoo_plugins.charlm.data import CharSpec

if TYPE_CHECKING:
    import keras

Step = Callable[[np.ndarray, list[Any]], tuple[np.ndarray, list[Any]]]


def check_request(prime: str, length: int, temperature: float) -> None:
    if not prime:
        raise ZooError("--prime is empty; give the text to continue, such as --prime 'the '")
    if length < 0:
        raise ZooError(f"--length must be 0 or more. Received: {length}")
    if not temperature >= 0:
        raise ZooError(f"temperature must be 0 (always the likeliest character) or more. Received: {temperature}")


def sample(probabilities: np.ndarray, temperature: float, rng: np.random.Generator) -> int:
    """A character id: the likeliest at temperature 0, else drawn from the reweighted distribution."""
    if temperature == 0:
        return int(np.argmax(probabilities))
    logits = np.log(np.maximum(probabilities.astype("float64"), 1e-12)) / temperature
    weights = np.exp(logits - logits.max())
    return int(rng.choice(len(weights), p=weights / weights.sum()))


def stepper(model: keras.Model) -> tuple[Step, list[Any]]:
    """One step of the model for one character per row, and its zero state: the embedding, each
    LSTM's cell, then the output layer, called on the trained layers themselves."""
    import keras

    embedding = next(layer for layer in model.layers if isinstance(layer, keras.layers.Embedding))
    lstms = [layer for layer in model.layers if isinstance(layer, keras.layers.LSTM)]
    output = model.layers[-1]
    if not lstms or not isinstance(output, keras.layers.Dense):
        raise ZooError(f"model {model.name!r} is not a character LSTM (embedding, LSTMs, dense output)")

    def cells(ids: Any, states: list[Any]) -> tuple[Any, list[Any]]:
        x = embedding(ids)
        new_states = []
        for lstm, state in zip(lstms, states):
            x, state = lstm.cell(x, state, training=False)
            new_states.append(state)
        return output(x), new_states

    if keras.backend.backend() == "tensorflow":  # one compiled graph per step, not a dozen eager ops
        import tensorflow as tf

        cells = tf.function(cells)

    def step(ids: np.ndarray, states: list[Any]) -> tuple[np.ndarray, list[Any]]:
        probabilities, states = cells(ids, states)
        return keras.ops.convert_to_numpy(probabilities), states

    zeros = [[np.zeros((1, lstm.units), "float32"), np.zeros((1, lstm.units), "float32")] for lstm in lstms]
    return step, zeros


def generate(
    model: keras.Model, spec: CharSpec, prime: str, length: int = 400, temperature: float = 0.5, rng_seed: int = 0
) -> Iterator[str]:
    """The characters that follow ``prime``, one at a time (for streaming); the same ``rng_seed``
    gives the same text."""
    check_request(prime, length, temperature)
    ids = spec.encode(prime)
    rng = np.random.default_rng(rng_seed)
    step, states = stepper(model)
    for char_id in ids[:-1]:
        _, states = step(np.array([char_id], "int32"), states)
    current = int(ids[-1])
    for _ in range(length):
        probabilities, states = step(np.array([current], "int32"), states)
        current = sample(probabilities[0], temperature, rng)
        yield spec.chars[current]


def reference_generate(
    model: keras.Model, spec: CharSpec, prime: str, length: int, temperature: float, rng_seed: int = 0
) -> str:
    """The slow way: the whole text so far through ``model.predict`` for every character."""
    ids = list(spec.encode(prime))
    rng = np.random.default_rng(rng_seed)
    for _ in range(length):
        probabilities = model.predict(np.array([ids], "int32"), verbose=0)
        last = probabilities[0, -1] if probabilities.ndim == 3 else probabilities[0]
        ids.append(sample(last, temperature, rng))
    return "".join(spec.chars[i] for i in ids[len(prime) :])


def parse_temperatures(values: tuple[str, ...]) -> list[float]:
    try:
        temperatures = [float(t) for value in values for t in value.replace(",", " ").split()]
    except ValueError:
        temperatures = []
    if not temperatures:
        raise ZooError(f"--temperature takes numbers, such as 0.2,0.5,1.0. Received: {' '.join(map(repr, values))}")
    return temperatures


@click.command(name="generate")
@click.argument("run_dir", metavar="RUN", type=click.Path(file_okay=False, exists=True))
@click.option("--prime", required=True, help="The text to continue.")
@click.option("--length", default=400, show_default=True, help="Characters to write.")
@click.option(
    "--temperature",
    "-t",
    "temperatures",
    multiple=True,
    default=("0.5",),
    show_default=True,
    help="0 writes the likeliest character; higher is more adventurous. Several: -t 0.2,0.5,1.0.",
)
@click.option(
    "--rng-seed", default=0, show_default=True, type=click.IntRange(0), help="The same seed writes the same text."
)
@click.option("--checkpoint", type=click.Choice(["final", "best"]), default="final", show_default=True)
@pass_registry
def generate_command(
    registry: Registry,
    run_dir: str,
    prime: str,
    length: int,
    temperatures: tuple[str, ...],
    rng_seed: int,
    checkpoint: str,
) -> None:
    """Write text with a trained character model, streamed as it is written."""
    for temperature in parse_temperatures(temperatures):
        check_request(prime, length, temperature)
    saved = load_run(run_dir, registry, model="model.keras" if checkpoint == "final" else "checkpoints/best.keras")
    if not isinstance(saved.spec, CharSpec):
        raise ZooError(f"{run_dir} was trained on {type(saved.spec).__name__} data; `zoo generate` needs characters")
    saved.spec.encode(prime)  # an unseen character is refused before anything is written
    for temperature in parse_temperatures(temperatures):
        click.echo(f"--- temperature {temperature:g}")
        click.echo(prime, nl=False)
        for char in generate(saved.model, saved.spec, prime, length, temperature, rng_seed):
            click.echo(char, nl=False)
        click.echo()


def sample_text(spec: CharSpec, *, every: int = 1, prime: str = "", length: int = 200, temperature: float = 0.5) -> Any:
    """A callback that writes a short sample every ``every`` epochs, to watch the model learn.

    Args:
        every: Epochs between samples.
        prime: The text to continue; by default the corpus's first vocabulary character.
        length: Characters per sample.
        temperature: 0 writes the likeliest character; higher is more adventurous.
    """
    import keras

    if every < 1:
        raise ValueError(f"every must be at least 1. Received: every={every}")
    start = prime or spec.chars[0]
    check_request(start, length, temperature)
    spec.encode(start)  # an unseen character is refused before training, not after the first epoch

    class SampleText(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
            if (epoch + 1) % every == 0:
                written = "".join(generate(self.model, spec, start, length, temperature, rng_seed=epoch))
                print(f"--- sample after epoch {epoch + 1}:\n{start}{written}", flush=True)

    return SampleText()
